"""Log formats are told from a file's first bytes, gzip or not."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from entente.errors import UnsupportedFormat
from entente.matching.detect import detect_format, recognise_log, sniff, sniff_file

LOGS = Path(__file__).parents[2] / "data" / "logs"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zeek/zeekparse-tsv/simple_conn.log", "zeek-tsv"),
        ("zeek/zeek-default/x509.log.gz", "zeek-tsv"),
        ("zeek/zeek-json/x509.json.gz", "zeek-json"),
        ("suricata/honeypot-2018/alerts-only.json", "suricata-eve"),
        ("suricata/output-eve-fileinfo/eve.json", "suricata-eve"),
        ("ocsf/events.ndjson", "ocsf"),
        ("ocsf/events-array.json", "ocsf"),
    ],
)
def test_each_sample_is_recognised(name: str, expected: str) -> None:
    assert detect_format(str(LOGS / name)) == expected


def test_layout_and_compression_come_with_the_format(tmp_path: Path) -> None:
    array = sniff_file(str(LOGS / "suricata" / "honeypot-2018" / "alerts-only.json"))
    assert (array.format, array.gzip, array.layout) == ("suricata-eve", False, "array")
    lines = sniff_file(str(LOGS / "zeek" / "zeek-json" / "x509.json.gz"))
    assert (lines.format, lines.gzip, lines.layout) == ("zeek-json", True, "lines")
    hidden = tmp_path / "conn.log"  # gzip without a .gz name
    hidden.write_bytes(gzip.compress(b'{"ts":1.0,"uid":"C1"}\n'))
    assert sniff_file(str(hidden)).gzip
    assert detect_format(str(hidden)) == "zeek-json"


def test_parquet_is_told_by_its_magic_number(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "flows.bin"
    pq.write_table(pa.table({"src_ip": ["192.0.2.1"]}), path)
    assert detect_format(str(path)) == "parquet"


def test_json_keys_decide_between_eve_ocsf_and_zeek() -> None:
    assert sniff(b'{"timestamp":"x","event_type":"dns"}\n', "a") == "suricata-eve"
    assert sniff(b'{"class_uid":4001,"time":1}\n', "a") == "ocsf"
    assert sniff(b'\xef\xbb\xbf  {"id.orig_h":"192.0.2.1"}\n', "a") == "zeek-json"
    # A first line that is no object does not decide: the first object does.
    assert sniff(b'garbage\n\n{"_path":"dns"}\n', "a", complete=True) == "zeek-json"
    assert sniff(b'[{"class_uid":4003}]', "a", complete=True) == "ocsf"
    with pytest.raises(UnsupportedFormat, match="neither event_type"):
        sniff(b'{"foo":1}\n', "x.json", complete=True)
    with pytest.raises(UnsupportedFormat, match="neither event_type"):
        sniff(b'[{"_path":"dns"}]', "x.json", complete=True)


def test_csv_only_by_name_and_other_text_is_refused() -> None:
    assert sniff(b"time,src,dst\n1,2,3\n", "flows.CSV") == "csv"
    assert sniff(b"time,src,dst\n1,2,3\n", "flows.csv.gz") == "csv"
    with pytest.raises(UnsupportedFormat, match="not a recognised log"):
        sniff(b"time,src,dst\n1,2,3\n", "flows.txt")
    with pytest.raises(UnsupportedFormat, match="UTF-16"):
        sniff("{}".encode("utf-16"), "x.json")


def test_a_first_object_larger_than_the_head_is_read_further(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    first = {"padding": "x" * 200_000, "event_type": "alert"}
    path.write_text(json.dumps(first) + "\n")
    assert detect_format(str(path)) == "suricata-eve"
    array = tmp_path / "big-array.json"
    array.write_text(json.dumps([{"padding": "y" * 100_000, "class_uid": 4001}]))
    assert sniff_file(str(array)).layout == "array"
    assert detect_format(str(array)) == "ocsf"


def test_an_empty_file_has_no_format(tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_text("\n  \n")
    assert sniff_file(str(path)).layout == "empty"
    with pytest.raises(UnsupportedFormat, match="empty"):
        detect_format(str(path))


def test_recognise_log_names_each_real_log_and_nothing_else() -> None:
    found = {}
    for path in sorted(LOGS.rglob("*")):
        if path.is_file() and path.name != "SOURCES.md":
            head = path.read_bytes()[:16384]
            found[path.name] = recognise_log(head, str(path), len(head) < 16384)
    assert found["simple_conn.log"] == "zeek-tsv"
    assert found["dns.log.gz"] == "zeek-tsv"  # looked at decompressed
    assert found["dns.json.gz"] == "zeek-json"
    assert found["eve.json"] == "suricata-eve"
    assert found["events.ndjson"] == "ocsf"
    assert None not in found.values()
    documents = [
        p
        for folder in ("stix", "misp", "feeds")
        for p in sorted((LOGS.parent / folder).rglob("*"))
        if p.is_file()
    ]
    assert documents
    for path in documents:
        head = path.read_bytes()[:16384]
        assert recognise_log(head, str(path), len(head) < 16384) is None, path


@pytest.mark.parametrize(
    ("head", "name", "found"),
    [
        (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00", "x.pcap", "pcap"),
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00", "x.pcapng", "pcap"),
        # AWS VPC flow logs, default format: space-separated
        (
            b"version account-id interface-id srcaddr dstaddr srcport dstport protocol\n",
            "vpc.log",
            "csv-flows",
        ),
        (b"ts,srcaddr,dstaddr,dstport\n1,10.0.0.1,8.8.8.8,53\n", "vpc.log", "csv-flows"),
        (b"# nfdump\nts\tte\tsa\tda\tsp\tdp\n", "flows.tsv", "csv-flows"),
        (b"first_seen_utc,dst_ip,dst_port\n2024-01-01,1.2.3.4,443\n", "feodo.csv", None),
        (b"id,dateadded,url\n1,2024-01-01,http://evil.example/\n", "urlhaus.csv", None),
    ],
)
def test_recognise_log_by_magic_number_and_flow_header(
    head: bytes, name: str, found: str | None
) -> None:
    assert recognise_log(head, name, True) == found
