"""``open_document`` refuses what is no document to ingest: logs, empty, binary, false JSON."""

from __future__ import annotations

import functools
import gzip
import io
import re
from pathlib import Path

import pytest

from entente.errors import InvalidInput, MalformedDocument, UnsupportedFormat
from entente.ingest import Document, InputFormat, OwnAddresses, open_document, review_value
from entente.matching.detect import recognise_log
from entente.scoring import WarninglistSet, default_warninglists

DATA = Path(__file__).parents[2] / "data"
LOGS = DATA / "logs"
NOW = "2026-01-01T00:00:00.000000Z"


def _open(path: Path, fmt: InputFormat = InputFormat.AUTO) -> Document:
    return open_document(
        str(path),
        fmt=fmt,
        source_name=None,
        now=NOW,
        markings=(),
        recognise_log=recognise_log,
    )


@pytest.mark.parametrize(
    ("path", "what"),
    [
        (LOGS / "zeek" / "zeekparse-tsv" / "simple_dns.log", "a Zeek log"),
        (LOGS / "zeek" / "zeekparse-tsv" / "simple_conn.log", "a Zeek log"),
        (LOGS / "zeek" / "zeek-default" / "notice.log.gz", "a Zeek log"),
        (LOGS / "zeek" / "zeek-json" / "notice.json.gz", "a Zeek log (JSON)"),
        (LOGS / "suricata" / "output-eve-fileinfo" / "eve.json", "a Suricata EVE log"),
        (LOGS / "suricata" / "honeypot-2018" / "alerts-only.json", "a Suricata EVE log"),
        (LOGS / "ocsf" / "events.ndjson", "an OCSF event log"),
        (LOGS / "ocsf" / "events-array.json", "an OCSF event log"),
    ],
)
def test_real_logs_are_refused_with_what_they_are(path: Path, what: str) -> None:
    with pytest.raises(UnsupportedFormat, match=re.escape(f"this is {what}; use entente match")):
        _open(path)


@pytest.mark.parametrize("fmt", [InputFormat.TEXT, InputFormat.STIX, InputFormat.CSV])
def test_a_log_is_refused_whatever_format_is_asked_for(fmt: InputFormat) -> None:
    with pytest.raises(UnsupportedFormat, match="this is a Zeek log"):
        _open(LOGS / "zeek" / "zeekparse-tsv" / "simple_http.log", fmt)


def test_csv_flow_logs_pcap_and_parquet_are_refused(tmp_path: Path) -> None:
    flows = tmp_path / "vpc.log"
    flows.write_text("srcaddr,dstaddr,srcport,dstport,protocol\n10.0.0.5,8.8.8.8,51000,53,17\n")
    with pytest.raises(UnsupportedFormat, match="this is a CSV flow log"):
        _open(flows)
    capture = tmp_path / "trace.pcap"
    capture.write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(16))
    with pytest.raises(UnsupportedFormat, match="this is a packet capture"):
        _open(capture)
    archive = tmp_path / "conn.parquet"
    archive.write_bytes(b"PAR1" + bytes(range(256)))
    with pytest.raises(UnsupportedFormat, match=r"this is a Parquet file"):
        _open(archive)


def test_threat_feeds_are_not_taken_for_logs() -> None:
    # Feodo's CSV names one end of a flow (dst_ip); a flow log names both.
    for path in (
        DATA / "feeds" / "handwritten" / "feodo_ipblocklist.csv",
        DATA / "feeds" / "abusech" / "urlhaus" / "urlhaus_recent_sample.csv",
        DATA / "stix" / "apt1.json",
    ):
        document = _open(path)
        assert any(c.data is not None for c in document.candidates), path


@pytest.mark.parametrize("content", [b"", b"\n\n  \t\n", b"\xef\xbb\xbf\n"])
@pytest.mark.parametrize("name", ["empty.json", "empty.txt"])
def test_an_empty_file_is_an_error_not_a_phantom_identity(
    tmp_path: Path, content: bytes, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match="empty file, nothing to ingest"):
        _open(path)


def test_a_json_file_that_is_not_json_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("<html><body>Not Found</body></html>\n")
    with pytest.raises(MalformedDocument, match=r"named \.json but not JSON \(it starts with '<ht"):
        _open(path)
    # Asked for as text, the analyst takes responsibility: read as a feed.
    assert _open(path, InputFormat.TEXT).detail == "freetext"


def test_binary_content_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(UnsupportedFormat, match="binary content"):
        _open(path)
    compressed = tmp_path / "feed.txt.gz"
    compressed.write_bytes(gzip.compress(b"evil.example.com\n"))
    with pytest.raises(UnsupportedFormat, match="binary content"):
        _open(compressed)


def test_text_without_any_value_stores_no_identity(tmp_path: Path) -> None:
    path = tmp_path / "prose.txt"
    path.write_text("Our weekly meeting moved to Thursday.\nNothing to report.\n")
    candidates = list(_open(path).candidates)
    assert [c.data for c in candidates] == [None]
    assert candidates[0].error is not None
    assert "no indicator value" in candidates[0].error


def test_a_feed_with_values_keeps_its_identity_first(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("The actor used evil[.]example[.]com and 203.0.113.9 (bad).\n")
    candidates = list(_open(path).candidates)
    kinds = [c.data["type"] for c in candidates if c.data is not None]
    assert kinds == ["identity", "indicator", "indicator"]


# --- the review of free text ------------------------------------------------------------------

REPORT = DATA / "feeds" / "handwritten" / "incident_report.txt"
OWN = OwnAddresses.parse(["198.51.100.0/24"], ["csirt-nordland.eu"])
SHIPPED = WarninglistSet(default_warninglists())


def _reviewed(path: Path, *, force: bool = False) -> Document:
    return open_document(
        str(path),
        fmt=InputFormat.TEXT,
        source_name=None,
        now=NOW,
        markings=(),
        review=functools.partial(review_value, warninglists=SHIPPED, own=OWN, force=force),
    )


def test_free_text_values_the_review_leaves_out_come_without_data() -> None:
    candidates = list(_reviewed(REPORT).candidates)
    kept = [c.value.value for c in candidates if c.data is not None and c.value is not None]
    left_out = {c.value.value: c.position for c in candidates if c.left_out and c.value}
    assert kept == [
        "185.220.101.4",
        "evil-example.net",
        "http://evil-example.net/gate.php?id=7",
        "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
        "billing@evil-example.net",
    ]
    assert left_out == {
        "google.com": "line 5",
        "8.8.8.8": "line 6",
        "d41d8cd98f00b204e9800998ecf8427e": "line 9",
        "10.0.0.5": "line 11",
        "10.0.3.17": "line 11",
        "soc@csirt-nordland.eu": "line 13",
        "198.51.100.7": "line 13",
        "https://portal.csirt-nordland.eu/ir": "line 13",
    }
    assert not [c for c in candidates if c.error is not None]


def test_force_makes_indicators_of_every_value_with_its_verdict() -> None:
    candidates = list(_reviewed(REPORT, force=True).candidates)
    indicators = [c for c in candidates if c.data is not None and c.data["type"] == "indicator"]
    assert len(indicators) == 13
    forced = [c for c in indicators if c.verdict is not None and c.verdict.finding is not None]
    assert len(forced) == 8
    assert all(c.verdict is not None and c.verdict.kept for c in indicators)


def test_text_whose_every_value_is_left_out_stores_no_identity_and_is_no_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "benign.txt"
    path.write_text("The sample checks connectivity with google.com and 8.8.8.8 first.\n")
    candidates = list(_reviewed(path).candidates)
    assert [(c.data, c.error, c.left_out) for c in candidates] == [(None, None, True)] * 2


def test_a_value_list_is_not_reviewed(tmp_path: Path) -> None:
    # A publisher's list (one value a line) is what it chose to list; exports still apply the
    # warninglists at the edge.
    path = tmp_path / "list.txt"
    path.write_text("8.8.8.8\n10.0.0.5\n")
    document = _reviewed(path)
    assert document.detail == "lines"
    candidates = list(document.candidates)
    assert [c.verdict for c in candidates] == [None, None, None]
    assert all(c.data is not None for c in candidates)


def test_a_value_list_read_from_stdin_with_review_lists_is_reviewed() -> None:
    # The web UI's pasted list: the analyst's own, reviewed as free text is; stdin takes the
    # name it is given in messages and as its source.
    document = open_document(
        "-",
        fmt=InputFormat.AUTO,
        source_name=None,
        now=NOW,
        markings=(),
        stdin=io.BytesIO(b"8.8.8.8\n185.220.101.4\n"),
        review=functools.partial(review_value, warninglists=SHIPPED, own=OWN),
        stdin_name="pasted text",
        review_lists=True,
    )
    assert (document.detail, document.source) == ("lines", "pasted text")
    candidates = list(document.candidates)
    left_out = [c.value.value for c in candidates if c.left_out and c.value is not None]
    kept = [c.value.value for c in candidates if c.data is not None and c.value is not None]
    assert (left_out, kept) == (["8.8.8.8"], ["185.220.101.4"])


def test_stdin_is_named_as_given_in_a_refusal() -> None:
    with pytest.raises(UnsupportedFormat, match=r"^upload\.log: this is a Zeek log"):
        open_document(
            "-",
            fmt=InputFormat.AUTO,
            source_name=None,
            now=NOW,
            markings=(),
            stdin=io.BytesIO((LOGS / "zeek" / "zeekparse-tsv" / "simple_http.log").read_bytes()),
            recognise_log=recognise_log,
            stdin_name="upload.log",
        )
