"""CSV and text feed readers: URLhaus, ThreatFox, Feodo Tracker, IPsum, plain lists, prose."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from stix2patterns.validator import run_validator

from entente.ingest.candidates import Candidate
from entente.ingest.feeds import FeedKind, read_feed, sniff_feed
from entente.ingest.indicators import build_source_identity, pattern_for
from entente.ingest.values import TypedValue, ValueType
from entente.matching import ValueKind, compile_pattern

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
URLHAUS = DATA / "abusech" / "urlhaus" / "urlhaus_recent_sample.csv"
THREATFOX_IPS = DATA / "abusech" / "threatfox-ioc-ips" / "ips_head500.txt"
IPSUM = DATA / "ipsum" / "ipsum_slice.txt"
IPSUM_LEVEL3 = DATA / "ipsum" / "levels" / "3_head300.txt"
THREATFOX_CSV = DATA / "handwritten" / "threatfox_export.csv"
FEODO_CSV = DATA / "handwritten" / "feodo_ipblocklist.csv"
FEODO_TXT = DATA / "handwritten" / "feodo_ipblocklist.txt"
FEODO_REAL = DATA / "abusech" / "feodo" / "ipblocklist.csv"
MD5 = "44d88612fea8a8f36de82e1278abb02f"  # EICAR test file
SHA1 = "3395856ce81f2b7382dee72602f798b642f14140"
SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
NOW = "2024-05-01T12:00:00.000Z"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield line.rstrip("\n")


def _read(
    lines: Sequence[str] | Iterator[str],
    kind: FeedKind,
    source_name: str = "test feed",
    markings: Sequence[str] = (),
) -> list[Candidate]:
    return list(
        read_feed(
            lines, kind=kind, source="test", source_name=source_name, now=NOW, markings=markings
        )
    )


def _read_file(path: Path, source_name: str = "test feed") -> list[Candidate]:
    kind = sniff_feed(path.read_text(encoding="utf-8")[:16384])
    assert kind is not None
    return _read(_lines(path), kind, source_name)


def _indicators(candidates: list[Candidate]) -> list[dict[str, Any]]:
    return [dict(c.data) for c in candidates[1:] if c.data is not None]


# --- sniffing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (URLHAUS, FeedKind.URLHAUS_CSV),
        (THREATFOX_IPS, FeedKind.LINES),
        (IPSUM, FeedKind.IPSUM),
        (IPSUM_LEVEL3, FeedKind.LINES),
        (THREATFOX_CSV, FeedKind.THREATFOX_CSV),
        (FEODO_CSV, FeedKind.FEODO_CSV),
        (FEODO_TXT, FeedKind.LINES),
    ],
)
def test_sniff_feed_recognises_each_format(path: Path, kind: FeedKind) -> None:
    assert sniff_feed(path.read_text(encoding="utf-8")[:4096]) is kind


def test_sniff_feed_recognises_uncommented_headers_and_prose() -> None:
    feodo = '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n'
    assert sniff_feed(feodo) is FeedKind.FEODO_CSV
    assert sniff_feed("Our report: the actor used evil[.]example[.]com.\n") is FeedKind.FREETEXT
    assert sniff_feed("\ufeff# list\n192.0.2.1\nevil.example.com\n") is FeedKind.LINES


@pytest.mark.parametrize(
    "head",
    ['{"type": "bundle"}', '  [{"Event": {}}]', "\x00\x01\x02binary\x00", "PK\x03\x04\x00\x00"],
)
def test_sniff_feed_declines_json_and_binary(head: str) -> None:
    assert sniff_feed(head) is None


# --- URLhaus ---------------------------------------------------------------------------------


def test_urlhaus_sample_gives_one_valid_url_indicator_per_distinct_url() -> None:
    with URLHAUS.open(encoding="utf-8") as handle:
        rows = list(csv.reader(line for line in handle if not line.startswith("#")))
    distinct_urls = {row[2] for row in rows}
    candidates = _read_file(URLHAUS)
    identity, *rest = candidates
    assert identity.data is not None and identity.data["type"] == "identity"
    assert identity.derived
    assert all(c.error is None and c.derived for c in rest)
    indicators = _indicators(candidates)
    assert len(indicators) == len(distinct_urls)
    for ind in indicators:
        pattern = str(ind["pattern"])
        assert pattern.startswith("[url:value = '")
        assert run_validator(pattern, stix_version="2.1") == []


def test_urlhaus_row_semantics() -> None:
    first = _read_file(URLHAUS)[1]
    assert first.position == "line 10"  # 9 header comment lines precede it
    ind = first.data
    assert ind is not None
    assert ind["pattern"] == "[url:value = 'http://117.216.19.13:42598/i']"
    assert ind["name"] == "URLhaus: malware_download"
    assert ind["labels"] == ["32-bit", "elf", "mips", "Mozi"]
    assert ind["valid_from"] == "2022-09-13T07:28:08.000Z"
    # The banner's "Last updated: 2022-09-13 07:28:08 (UTC)", not the ingest time.
    assert (ind["created"], ind["modified"]) == ("2022-09-13T07:28:08.000Z",) * 2
    assert "online" in ind["description"]
    assert ind["external_references"] == [
        {
            "source_name": "URLhaus",
            "url": "https://urlhaus.abuse.ch/url/2301008/",
            "external_id": "2301008",
        }
    ]
    assert ind["created_by_ref"] == build_source_identity("test feed", NOW)["id"]


# --- plain lists and IPsum -------------------------------------------------------------------


def test_threatfox_ip_list_gives_ipv4_indicators() -> None:
    candidates = _read_file(THREATFOX_IPS)
    indicators = _indicators(candidates)
    assert len(indicators) == 500
    assert all(str(i["pattern"]).startswith("[ipv4-addr:value = '") for i in indicators)
    assert indicators[0]["pattern"] == "[ipv4-addr:value = '1.7.147.211']"
    assert candidates[1].position == "line 1"


def test_ipsum_gives_ipv4_indicators_with_confidence_from_list_count() -> None:
    candidates = _read_file(IPSUM)
    indicators = _indicators(candidates)
    assert len(indicators) == 350  # 300 + 50 data lines in the slice
    assert all(str(i["pattern"]).startswith("[ipv4-addr:value = '") for i in indicators)
    first, last = indicators[0], indicators[-1]
    assert first["pattern"] == "[ipv4-addr:value = '77.90.185.20']"
    assert first["confidence"] == 100  # 10 lists
    assert first["description"] == "listed on 10 blocklists"
    assert candidates[1].position == "line 8"
    assert last["confidence"] == 10  # 1 list
    assert last["description"] == "listed on 1 blocklists"


def test_feed_banner_time_dates_the_indicators_not_the_ingest_time() -> None:
    later = "2026-12-05T14:00:00.000000Z"
    # IPsum: "# Last update: Sat, 22 Aug 2026 03:00:29 +0200"; its rows have no date.
    ipsum = _indicators(
        list(read_feed(_lines(IPSUM), kind=FeedKind.IPSUM, source="t", source_name="i", now=later))
    )
    stamps = {(i["created"], i["modified"], i["valid_from"]) for i in ipsum}
    assert stamps == {("2026-08-22T01:00:29.000Z",) * 3}
    # Feodo: "# Last updated: 2024-04-04 07:03:03 UTC"; each row keeps its first_seen_utc.
    feodo = _indicators(
        list(
            read_feed(
                _lines(FEODO_REAL), kind=FeedKind.FEODO_CSV, source="t", source_name="f", now=later
            )
        )
    )
    assert {i["created"] for i in feodo} == {"2024-04-04T07:03:03.000Z"}
    assert feodo[0]["valid_from"] == "2023-05-23T17:51:44.000Z"
    # A feed dated after now (IPsum's 2026 against NOW, 2024), or without the line, is now.
    assert _indicators(_read(_lines(IPSUM), FeedKind.IPSUM))[0]["valid_from"] == NOW
    plain = _indicators(_read(_lines(IPSUM_LEVEL3), FeedKind.LINES))
    assert plain[0]["created"] == plain[0]["valid_from"] == NOW


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        ("# Last update: Sat, 22 Aug 2026 03:00:29 +0200", "2026-08-22T01:00:29.000Z"),
        (
            "# Last updated: 2022-09-13 07:28:08 (UTC)                      #",
            "2022-09-13T07:28:08.000Z",
        ),
        ("#  last-updated : 2024-04-04T07:03:03Z", "2024-04-04T07:03:03.000Z"),
        ("# Last updated: yesterday", None),
        ("# Updated: 2024-04-04 07:03:03", None),
    ],
)
def test_banner_time_formats(line: str, stamp: str | None) -> None:
    later = "2030-01-01T00:00:00.000Z"
    got = _indicators(
        list(
            read_feed(
                [line, "192.0.2.1"], kind=FeedKind.LINES, source="t", source_name="x", now=later
            )
        )
    )
    assert got[0]["valid_from"] == (stamp or later)


def test_ipsum_confidence_mapping() -> None:
    lines = ["# IPsum", "192.0.2.1\t1", "192.0.2.2\t3", "192.0.2.3\t7", "192.0.2.4\t25"]
    got = [i["confidence"] for i in _indicators(_read(lines, FeedKind.IPSUM))]
    assert got == [10, 30, 70, 100]


def test_ipsum_level_list_reads_as_lines() -> None:
    indicators = _indicators(_read_file(IPSUM_LEVEL3))
    assert len(indicators) == 300
    assert "confidence" not in indicators[0]


def test_lines_take_the_detected_type_and_inline_comments() -> None:
    lines = [
        "# my list",
        "; also a comment",
        "192.0.2.1",
        "2001:db8::1",
        "198.51.100.0/24 ; SBL123",
        "evil[.]example[.]com",
        "hxxp://evil.example.com/x",
        "44d88612fea8a8f36de82e1278abb02f  # eicar",
    ]
    patterns = [i["pattern"] for i in _indicators(_read(lines, FeedKind.LINES))]
    assert patterns == [
        "[ipv4-addr:value = '192.0.2.1']",
        "[ipv6-addr:value = '2001:db8::1']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "[domain-name:value = 'evil.example.com']",
        "[url:value = 'http://evil.example.com/x']",
        f"[file:hashes.MD5 = '{MD5}']",
    ]


def test_feodo_plain_text_list_reads_as_lines() -> None:
    indicators = _indicators(_read_file(FEODO_TXT))
    assert [i["pattern"] for i in indicators] == [
        "[ipv4-addr:value = '192.0.2.59']",
        "[ipv4-addr:value = '198.51.100.44']",
        "[ipv4-addr:value = '203.0.113.145']",
    ]


# --- ThreatFox and Feodo CSV -----------------------------------------------------------------


def test_threatfox_csv_maps_ioc_types_confidence_and_labels() -> None:
    candidates = _read_file(THREATFOX_CSV)
    assert all(c.error is None for c in candidates)
    indicators = _indicators(candidates)
    assert [i["pattern"] for i in indicators] == [
        pattern_for(TypedValue(ValueType.IP_PORT, "192.0.2.24:443")),
        "[domain-name:value = 'update-check.example-c2.net']",
        "[url:value = 'http://198.51.100.7/bins/x86']",
        f"[file:hashes.MD5 = '{MD5}']",
        f"[file:hashes.'SHA-256' = '{SHA256}']",
        f"[file:hashes.'SHA-1' = '{SHA1}']",
        "[domain-name:value = 'invoice-2024.zip']",  # declared a domain, so taken as one
    ]  # the repeated ip:port row gives no second indicator
    cobalt = indicators[0]
    assert cobalt["confidence"] == 100
    assert cobalt["labels"] == ["Cobalt Strike", "c2", "CobaltStrike"]
    assert cobalt["name"] == "ThreatFox: Cobalt Strike"
    assert cobalt["valid_from"] == "2024-05-01T12:00:05.000Z"
    assert cobalt["external_references"][0] == {
        "source_name": "ThreatFox",
        "url": "https://threatfox.abuse.ch/ioc/1276541/",
        "external_id": "1276541",
    }
    assert indicators[1]["confidence"] == 75
    assert indicators[3]["labels"] == ["Agent Tesla"]  # tags "None" dropped
    assert all(run_validator(str(i["pattern"]), stix_version="2.1") == [] for i in indicators)


def test_threatfox_unsupported_type_is_an_error_line() -> None:
    header = (
        '# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware",'
        '"malware_alias","malware_printable","last_seen_utc","confidence_level","reference",'
        '"tags","anonymous","reporter"'
    )
    row = (
        '"2024-05-01 12:00:05", "1", "x", "sha3_384_hash", "payload", "", "", "", "", "50", '
        '"", "", "0", "r"'
    )
    candidates = _read([header, row], FeedKind.THREATFOX_CSV)
    assert candidates[1].data is None
    assert candidates[1].error is not None and "sha3_384_hash" in candidates[1].error
    assert candidates[1].position == "line 2"


def test_feodo_csv_gives_ip_port_indicators_with_malware_label() -> None:
    candidates = _read_file(FEODO_CSV)
    assert all(c.error is None for c in candidates)
    indicators = _indicators(candidates)
    assert len(indicators) == 4  # 5 rows, one repeated
    dridex = indicators[0]
    assert dridex["pattern"] == "[ipv4-addr:value = '192.0.2.59']"
    assert dridex["description"].endswith(
        "Port 443; the pattern matches the address 192.0.2.59 on any port."
    )
    assert dridex["labels"] == ["Dridex"]
    assert dridex["valid_from"] == "2021-01-17T07:44:46.000Z"
    assert indicators[3]["pattern"] == "[ipv4-addr:value = '203.0.113.200']"  # no port


def test_real_feodo_blocklist_gives_deployable_address_indicators_keeping_the_port() -> None:
    candidates = _read_file(FEODO_REAL)
    assert all(c.error is None for c in candidates)
    indicators = _indicators(candidates)
    assert len(indicators) == 28
    first = indicators[0]
    assert first["pattern"] == "[ipv4-addr:value = '192.9.135.73']"
    assert first["name"] == "Feodo Tracker: Pikabot C2"
    assert "Port 1194" in first["description"]
    # Every one is a value the matcher deploys (the port AND address was refused by it).
    for indicator in indicators:
        verdict = compile_pattern(indicator["pattern"])
        assert verdict.deployable, (indicator["pattern"], verdict.reason)
        assert [t.kind for t in verdict.terms] == [ValueKind.IP]


def test_feodo_csv_with_uncommented_header() -> None:
    lines = [
        '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"',
        '"2021-01-17 07:44:46","192.0.2.59","443","online","2024-05-01","Dridex"',
    ]
    candidates = _read(lines, FeedKind.FEODO_CSV)
    assert [c.position for c in candidates[1:]] == ["line 2"]
    assert candidates[1].error is None


# --- freetext --------------------------------------------------------------------------------


def test_freetext_reports_each_value_at_its_first_line() -> None:
    lines = [
        "# Incident summary",
        "The loader came from hxxp://evil[.]example[.]com/a and beaconed to 192.0.2.9.",
        "",
        "Version 1.2.3.4.5 of report.pdf is irrelevant.",
        "Again 192.0.2.9, and mallory[at]phish[.]example.net.",
    ]
    candidates = _read(lines, FeedKind.FREETEXT)
    got = [(c.position, c.data["pattern"]) for c in candidates[1:] if c.data is not None]
    assert got == [
        ("line 2", "[url:value = 'http://evil.example.com/a']"),
        ("line 2", "[ipv4-addr:value = '192.0.2.9']"),
        ("line 5", "[email-addr:value = 'mallory@phish.example.net']"),
    ]


# --- cross-cutting ---------------------------------------------------------------------------


def test_ids_are_deterministic_across_runs_and_rows() -> None:
    first = [c.data["id"] for c in _read_file(URLHAUS) if c.data is not None]
    second = [c.data["id"] for c in _read_file(URLHAUS) if c.data is not None]
    assert first == second
    assert len(set(first)) == len(first)
    lines = ["192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.01"]
    candidates = _read(lines, FeedKind.LINES)
    ids = [c.data["id"] for c in candidates[1:] if c.data is not None]
    assert len(ids) == 2  # the repeated value is one indicator
    assert candidates[3].error is not None  # 192.0.2.01 is not a valid address
    alone = _read(["192.0.2.1"], FeedKind.LINES)[1].data
    assert alone is not None and alone["id"] == ids[0]


def test_other_source_gives_other_ids() -> None:
    a = _read(["192.0.2.1"], FeedKind.LINES, source_name="A")
    b = _read(["192.0.2.1"], FeedKind.LINES, source_name="B")
    assert a[0].data is not None and b[0].data is not None
    assert a[0].data["id"] != b[0].data["id"]
    assert a[1].data is not None and b[1].data is not None
    assert a[1].data["id"] != b[1].data["id"]


def test_bad_line_yields_an_error_candidate_and_siblings_still_come_out() -> None:
    lines = ["192.0.2.1", "not an indicator at all", "", "# comment", "192.0.2.2"]
    candidates = _read(lines, FeedKind.LINES)
    assert [(c.position, c.error is None) for c in candidates[1:]] == [
        ("line 1", True),
        ("line 2", False),
        ("line 5", True),
    ]
    bad = candidates[2]
    assert bad.data is None and bad.error is not None and "not an indicator" in bad.error


def test_bad_csv_rows_yield_error_candidates() -> None:
    header = "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter"
    good = (
        '"1","2022-09-13 07:28:08","http://evil.example.com/a","online","None",'
        '"malware_download","elf","https://urlhaus.abuse.ch/url/1/","r"'
    )
    short = '"2","2022-09-13 07:28:08","http://evil.example.com/b"'
    bad_url = good.replace("http://evil.example.com/a", "not a url").replace('"1"', '"3"')
    bad_date = good.replace("2022-09-13 07:28:08", "yesterday").replace("/a", "/c")
    broken = '"4","2022-09-13 07:28:08","http://evil.example.com/d"x,"online"'
    candidates = _read([header, short, bad_url, bad_date, broken, good], FeedKind.URLHAUS_CSV)
    errors = {c.position: c.error for c in candidates[1:] if c.error is not None}
    assert set(errors) == {"line 2", "line 3", "line 4", "line 5"}
    assert "expected 9 CSV fields" in str(errors["line 2"])
    assert "url" in str(errors["line 3"])
    assert "dateadded" in str(errors["line 4"])
    assert [c.position for c in candidates[1:] if c.data is not None] == ["line 6"]


def test_markings_and_derived_flags() -> None:
    candidates = _read(["192.0.2.1"], FeedKind.LINES, markings=[GREEN])
    assert all(c.derived for c in candidates)
    assert candidates[1].data is not None
    assert candidates[1].data["object_marking_refs"] == [GREEN]


def test_read_feed_streams_lazily() -> None:
    def lines() -> Iterator[str]:
        yield "192.0.2.1"
        raise AssertionError("read past the first line too early")

    stream = read_feed(lines(), kind=FeedKind.LINES, source="s", source_name="n", now=NOW)
    assert next(stream).data is not None  # identity
    first = next(stream)
    assert first.data is not None and first.position == "line 1"


def test_every_produced_object_passes_full_stix_validation() -> None:
    stix = pytest.importorskip("entente.stix")
    parse_object = getattr(stix, "parse_object", None)
    if parse_object is None:
        pytest.skip("entente.stix.parse_object is not available")
    paths = [URLHAUS, THREATFOX_IPS, IPSUM, IPSUM_LEVEL3, THREATFOX_CSV, FEODO_CSV, FEODO_TXT]
    count = 0
    for path in paths:
        kind = sniff_feed(path.read_text(encoding="utf-8")[:16384])
        assert kind is not None
        for c in read_feed(
            _lines(path), kind=kind, source=str(path), source_name="t", now=NOW, markings=[GREEN]
        ):
            assert c.data is not None, c.error
            parse_object(c.data)
            count += 1
    freetext = ["See hxxp://evil[.]example[.]com/x and [2001:db8::1]:443, m@evil.example.org."]
    for c in _read(freetext, FeedKind.FREETEXT):
        assert c.data is not None
        parse_object(c.data)
        count += 1
    assert count > 1000
