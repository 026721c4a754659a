"""Log sources read every sample format into bounded batches with exact record numbers."""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from entente.errors import InvalidInput, UnsupportedFormat
from entente.matching.model import RECORD_COLUMNS, LogBatch, ValueKind, context_of
from entente.matching.reports import FileReport
from entente.matching.sources import (
    LogReader,
    expand_paths,
    open_logs,
    parse_csv_mapping,
)

LOGS = Path(__file__).parents[2] / "data" / "logs"
ZEEK = LOGS / "zeek"
SURICATA = LOGS / "suricata"


def _read(paths: Sequence[str | Path], **options: Any) -> tuple[list[LogBatch], list[FileReport]]:
    with open_logs([str(path) for path in paths], **options) as reader:
        batches = list(reader)
        return batches, reader.reports()


def _rows(paths: Sequence[str | Path], **options: Any) -> tuple[list[dict[str, Any]], FileReport]:
    batches, reports = _read(paths, **options)
    return [row for batch in batches for row in batch.table.to_pylist()], reports[0]


def _table(path: str | Path, **options: Any) -> pa.Table:
    batches, _ = _read([path], **options)
    return pa.Table.from_batches([batch.table for batch in batches])


SAMPLES = [
    ("zeek/zeekparse-tsv/simple_conn.log", "zeek-tsv", 13),
    ("zeek/zeekparse-tsv/simple_dns.log", "zeek-tsv", 3),
    ("zeek/zeekparse-tsv/simple_http.log", "zeek-tsv", 2),
    ("zeek/zeekparse-tsv/simple_ssl.log", "zeek-tsv", 26),
    ("zeek/zeekparse-tsv/simple_x509.log", "zeek-tsv", 1),
    ("zeek/zeek-default/dns.log.gz", "zeek-tsv", 53615),
    ("zeek/zeek-default/ssl.log.gz", "zeek-tsv", 49474),
    ("zeek/zeek-default/x509.log.gz", "zeek-tsv", 348),
    ("zeek/zeek-default/notice.log.gz", "zeek-tsv", 207),
    ("zeek/zeek-json/dns.json.gz", "zeek-json", 53615),
    ("zeek/zeek-json/x509.json.gz", "zeek-json", 348),
    ("zeek/zeek-json/notice.json.gz", "zeek-json", 207),
    ("suricata/honeypot-2018/alerts-only.json", "suricata-eve", 44),
    ("suricata/wrccdc-2017/alerts-only.json", "suricata-eve", 161),
    ("suricata/output-eve-fileinfo/eve.json", "suricata-eve", 1),
    ("ocsf/events.ndjson", "ocsf", 5),
    ("ocsf/events-array.json", "ocsf", 2),
]


@pytest.mark.parametrize(("name", "log_format", "count"), SAMPLES)
def test_every_sample_parses_with_its_exact_record_count(
    name: str, log_format: str, count: int
) -> None:
    batches, reports = _read([LOGS / name])
    assert sum(batch.num_rows for batch in batches) == count
    assert len(reports) == 1
    report = reports[0]
    assert (report.format, report.records, report.malformed) == (log_format, count, 0)
    assert report.size_bytes == (LOGS / name).stat().st_size
    assert {batch.format for batch in batches} == {log_format}


def test_batches_have_the_record_columns_first_with_their_types() -> None:
    batches, _ = _read([ZEEK / "zeek-json" / "dns.json.gz"], batch_rows=5000)
    schema = batches[0].table.schema
    assert tuple(schema.names[:4]) == RECORD_COLUMNS
    assert [schema.field(name).type for name in RECORD_COLUMNS[:3]] == [
        pa.int64(),
        pa.float64(),
        pa.string(),
    ]
    # The context is a struct of the log's correlation fields (built only for hits).
    context = schema.field("context").type
    assert pa.types.is_struct(context)
    assert {context.field(i).name for i in range(context.num_fields)} >= {"uid", "id.orig_h"}
    assert schema.names[4:] == [spec.name for spec in batches[0].fields]
    assert schema.field("answers").type == pa.list_(pa.string())
    assert schema.field("query").type == pa.string()


def test_batch_rows_bounds_every_batch() -> None:
    for path, rows in (
        (ZEEK / "zeek-json" / "dns.json.gz", 1000),
        (ZEEK / "zeek-default" / "x509.log.gz", 100),
    ):
        batches, reports = _read([path], batch_rows=rows)
        assert max(batch.num_rows for batch in batches) == rows
        assert sum(batch.num_rows for batch in batches) == reports[0].records


def test_records_are_line_numbers_after_the_zeek_header() -> None:
    table = _table(ZEEK / "zeekparse-tsv" / "simple_dns.log")
    assert table.column("record").to_pylist() == [9, 10, 11]
    lines = (ZEEK / "zeekparse-tsv" / "simple_dns.log").read_text().splitlines()
    assert lines[8].split("\t")[9] == table.column("query")[0].as_py()


def test_damaged_zeek_header_is_a_warning_and_the_other_fields_are_read() -> None:
    rows, report = _rows([ZEEK / "zeekparse-tsv" / "simple_conn.log"])
    assert report.records == 13
    assert report.malformed == 0
    assert [(w.line, "resp_ip_    bytes" in w.reason) for w in report.warnings] == [(7, True)]
    assert rows[0]["id.orig_h"] == "192.168.1.112"
    assert rows[0]["id.resp_h"] == "239.255.255.250"
    assert rows[0]["log"] == "zeek.conn"
    assert context_of(rows[0]["context"]) == {
        "uid": "C7uTGv1lU8lvjKOpzk",
        "id.orig_h": "192.168.1.112",
        "id.orig_p": 53015,
        "id.resp_h": "239.255.255.250",
        "id.resp_p": 1900,
    }


@pytest.mark.parametrize("log", ["dns", "x509", "notice"])
def test_tsv_and_json_forms_of_one_log_give_the_same_values(log: str) -> None:
    tsv = _table(ZEEK / "zeek-default" / f"{log}.log.gz")
    jsn = _table(ZEEK / "zeek-json" / f"{log}.json.gz")
    common = [name for name in tsv.schema.names if name in jsn.schema.names]
    assert {"ts", "log"} <= set(common)
    assert len(common) >= 4
    for name in common:
        if name in ("record", "context"):
            continue
        assert tsv.column(name).equals(jsn.column(name)), name
    assert _contexts(tsv) == _contexts(jsn)


def _contexts(table: pa.Table) -> list[dict[str, Any]]:
    """Each row's context without its null keys."""
    return [
        {key: value for key, value in (context_of(cell) or {}).items() if value is not None}
        for cell in table.column("context").to_pylist()
    ]


def test_zeek_tsv_reads_sets_escapes_and_unset_values(tmp_path: Path) -> None:
    header = (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#path\tdns\n#open\t2024-01-01-00-00-00\n"
        "#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\tanswers\n"
        "#types\ttime\tstring\taddr\taddr\tstring\tvector[string]\n"
    )
    body = (
        "1.5\tC1\t192.0.2.1\t198.51.100.1\ta.example\tb.example,203.0.113.9\n"
        "2.5\tC2\t192.0.2.1\t-\tcomma\\x2cin.example\t(empty)\n"
        "3.5\tC3\t192.0.2.1\t198.51.100.1\tback\\\\slash.example\t-\n"
        "#close\t2024-01-01-01-00-00\n"
    )
    path = tmp_path / "dns.log"
    path.write_text(header + body)
    rows, report = _rows([path])
    assert report.malformed == 0
    assert [(r["record"], r["ts"], r["query"], r["answers"]) for r in rows] == [
        (9, 1.5, "a.example", ["b.example", "203.0.113.9"]),
        (10, 2.5, "comma,in.example", []),
        (11, 3.5, "back\\slash.example", None),
    ]
    assert rows[1]["id.resp_h"] is None


@pytest.mark.parametrize("batch_rows", [3, 65536])
def test_zeek_tsv_header_change_midway_is_followed(tmp_path: Path, batch_rows: int) -> None:
    def block(path: str, fields: str) -> str:
        types = "\t".join("string" for _ in fields.split())
        return (
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            f"#path\t{path}\n#open\t2024-01-01-00-00-00\n#fields\t{fields}\n"
            f"#types\t{types}\n"
        )

    text = (
        block("dns", "ts\tid.orig_h\tquery")
        + "1.0\t192.0.2.1\ta.example\n"
        + "not enough\n"
        + "#close\t2024\n"
        + block("http", "ts\tid.orig_h\thost\turi")
        + "2.0\t192.0.2.2\tevil.example\t/x?y=1\n"
        + "3.0\t192.0.2.3\tevil.example\thttp://proxy.example/z\n"
        + "4.0\t192.0.2.4\tevil.example:8080\t/p\n"
        + "5.0\t192.0.2.5\tevil.example:443\tevil.example:443\n"
    )
    path = tmp_path / "mixed.log"
    path.write_text(text)
    batches, reports = _read([path], batch_rows=batch_rows)
    rows = [row for batch in batches for row in batch.table.to_pylist()]
    assert [(r["record"], r["log"]) for r in rows] == [
        (9, "zeek.dns"),
        (20, "zeek.http"),
        (21, "zeek.http"),
        (22, "zeek.http"),
        (23, "zeek.http"),
    ]
    assert [r.get("url") for r in rows[1:]] == [
        "http://evil.example/x?y=1",
        "http://proxy.example/z",
        "http://evil.example:8080/p",
        None,
    ]
    assert [f.name for f in batches[0].fields] == ["id.orig_h", "query"]
    assert [(m.line, m.reason) for m in reports[0].examples] == [
        (10, "expected 3 fields as in #fields, found 1")
    ]


MALFORMED_JSON_LINES = [
    '{"_path":"dns","ts":1.5,"id.orig_h":"192.0.2.1","query":"a.example"}',  # 1
    "",  # 2 blank
    '{"_path":"dns","query":"b.example"',  # 3 truncated object
    "[1,2]",  # 4 array
    "   ",  # 5 white space
    "42",  # 6 number
    '{"_path":"dns","query":"c.example","answers":"not-a-list"}',  # 7 wrong type
    '{"_path":"dns","query":{"nested":1}}',  # 8 object where a string is expected
    '  {"_path":"dns","query":"d.example"}',  # 9 leading white space
    "null",  # 10
    '{"_path":"conn","id.orig_h":"192.0.2.2"}',  # 11 another log: wider fields
    '{"_path":"dns","query":"e.example"}',  # 12
    "not json at all",  # 13
    '{"_path":"dns","query":"f.example"}',  # 14
]


@pytest.mark.parametrize("batch_rows", [2, 65536])
def test_malformed_json_lines_are_reported_and_later_lines_keep_their_numbers(
    tmp_path: Path, batch_rows: int
) -> None:
    path = tmp_path / "dns.json"
    path.write_text("\n".join(MALFORMED_JSON_LINES) + "\n")
    rows, report = _rows([path], batch_rows=batch_rows)
    assert [(r["record"], r["log"], r.get("query"), r["id.orig_h"]) for r in rows] == [
        (1, "zeek.dns", "a.example", "192.0.2.1"),
        (7, "zeek.dns", "c.example", None),
        (8, "zeek.dns", '{"nested":1}', None),
        (9, "zeek.dns", "d.example", None),
        (11, "zeek.conn", None, "192.0.2.2"),
        (12, "zeek.dns", "e.example", None),
        (14, "zeek.dns", "f.example", None),
    ]
    assert rows[1]["answers"] is None
    assert report.records == 7
    assert report.malformed == 5
    assert [(m.line, m.reason.split(" (")[0]) for m in report.examples] == [
        (3, "invalid JSON"),
        (4, "not a JSON object"),
        (6, "not a JSON object"),
        (10, "not a JSON object"),
        (13, "invalid JSON"),
    ]
    assert report.examples[1].where() == f"{path}:4"


def test_undecodable_and_crlf_lines_keep_exact_numbers(tmp_path: Path) -> None:
    lines = [
        b'{"_path":"dns","query":"a.example"}',
        b'{"_path":"dns","query":"\xff\xfe.example"}',
        b"",
        b'{"_path":"dns","query":"c.example"}',
    ]
    path = tmp_path / "dns.json"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    rows, report = _rows([path])
    assert [(r["record"], r["query"]) for r in rows] == [(1, "a.example"), (4, "c.example")]
    assert [(m.line, m.reason) for m in report.examples] == [(2, "not valid UTF-8")]


def test_fast_reading_resumes_after_a_malformed_line_in_a_long_file(tmp_path: Path) -> None:
    total = 140_000
    # The careful path takes over at line 5 and hands back after two chunks of 10000 lines;
    # the fast query then reads on to line 100001.
    bad = {5, 100_001, 139_990}
    path = tmp_path / "dns.json.gz"
    with gzip.open(path, "wt") as handle:
        for line in range(1, total + 1):
            if line in bad:
                handle.write('{"query": broken\n')
            elif line % 1000 == 0:
                handle.write("\n")
            else:
                handle.write(f'{{"_path":"dns","query":"q{line}.example"}}\n')
    table = _table(path, batch_rows=10_000)
    records = table.column("record")
    expected = pc.binary_join_element_wise("q", pc.cast(records, pa.string()), ".example", "")
    assert table.column("query").equals(expected)
    assert table.num_rows == total - len(bad) - total // 1000
    _, reports = _read([path], batch_rows=10_000)
    assert [m.line for m in reports[0].examples] == sorted(bad)


def test_truncated_gzip_reads_every_complete_line_and_warns(tmp_path: Path) -> None:
    text = "".join(f'{{"_path":"dns","query":"q{n}.example"}}\n' for n in range(1, 60_001))
    path = tmp_path / "dns.json.gz"
    path.write_bytes(gzip.compress(text.encode())[:-5000])
    rows, report = _rows([path])
    with gzip.open(path, "rt") as handle:
        complete: list[str] = []
        with contextlib.suppress(EOFError):
            complete.extend(handle)
    whole = [line for line in complete if line.endswith("\n")]
    assert 0 < len(rows) == len(whole) < 60_000
    assert [r["record"] for r in rows] == list(range(1, len(whole) + 1))
    assert rows[-1]["query"] == f"q{len(whole)}.example"
    assert any("truncated" in w.reason for w in report.warnings)


def test_zeek_json_reads_iso_and_epoch_times_and_paths_from_names(tmp_path: Path) -> None:
    path = tmp_path / "ssl.00:00:00-01:00:00.log"
    path.write_text(
        '{"ts":"2018-03-24T17:15:20.865716Z","uid":"C1","server_name":"a.example"}\n'
        '{"ts":1521911720.865716,"uid":"C2","ja3":"e7d705a3286e19ea42f587b344ee6865"}\n'
    )
    rows, report = _rows([path])
    assert report.format == "zeek-json"
    assert [r["ts"] for r in rows] == [1521911720.865716, 1521911720.865716]
    assert [r["log"] for r in rows] == ["zeek.ssl", "zeek.ssl"]
    assert rows[0]["server_name"] == "a.example"
    assert rows[1]["ja3"] == "e7d705a3286e19ea42f587b344ee6865"
    unnamed = tmp_path / "capture-1.json"
    unnamed.write_text('{"ts":1.0,"uid":"C3","id.orig_h":"192.0.2.1"}\n')
    rows, _ = _rows([unnamed])
    assert rows[0]["log"] == "zeek"
    assert rows[0]["id.orig_h"] == "192.0.2.1"


def test_a_record_of_another_log_widens_the_fields_without_losing_any(tmp_path: Path) -> None:
    # Well past the bytes detection reads, so that the first batches read dns fields only.
    first = 4000
    path = tmp_path / "dns.json"
    lines = [f'{{"_path":"dns","query":"q{n}.example"}}' for n in range(1, first + 1)]
    lines.append('{"_path":"http","host":"h.example","uri":"/a"}')
    lines.append('{"_path":"weird","id.orig_h":"192.0.2.7"}')
    lines.append('{"_path":"files","md5":"44d88612fea8a8f36de82e1278abb02f"}')
    path.write_text("\n".join(lines) + "\n")
    batches, reports = _read([path], batch_rows=1000)
    rows = [row for batch in batches for row in batch.table.to_pylist()]
    assert [r["record"] for r in rows] == list(range(1, first + 4))
    assert rows[first - 1]["query"] == f"q{first}.example"
    assert rows[first]["url"] == "http://h.example/a"
    assert rows[first + 1]["id.orig_h"] == "192.0.2.7"
    assert rows[first + 2]["md5"] == "44d88612fea8a8f36de82e1278abb02f"
    assert [f.name for f in batches[0].fields] == ["id.orig_h", "id.resp_h", "query", "answers"]
    assert "md5" in [f.name for f in batches[-1].fields]
    assert reports[0].malformed == 0


def test_eve_arrays_read_times_urls_and_context() -> None:
    rows, report = _rows([SURICATA / "wrccdc-2017" / "alerts-only.json"])
    assert report.records == 161
    assert [r["record"] for r in rows] == list(range(1, 162))
    http = rows[16]
    assert http["http.hostname"] == "www.internetdownloadmanager.com"
    assert http["http.url"] == "http://www.internetdownloadmanager.com/data/update623.txt?v=628b1"
    assert http["log"] == "suricata.alert"
    # 65 events have a hostname and a url; in 3 the "hostname" holds a '/': no URL.
    assert sum(1 for r in rows if r["http.url"]) == 62
    first = json.loads((SURICATA / "wrccdc-2017" / "alerts-only.json").read_text())[0]
    assert (context_of(rows[0]["context"]) or {})["flow_id"] == first["flow_id"]
    assert rows[0]["src_ip"] == first["src_ip"]
    # 2017-03-25T16:49:58.856335-0600
    assert rows[0]["ts"] == 1490482198.856335


def test_eve_times_without_offset_are_utc() -> None:
    rows, _ = _rows([SURICATA / "honeypot-2018" / "alerts-only.json"])
    assert rows[0]["ts"] == 1546401011.31511  # 2019-01-02T03:50:11.315110 UTC


def test_eve_lines_read_every_dns_layout_and_the_other_event_fields(tmp_path: Path) -> None:
    events = [
        {
            "event_type": "dns",
            "src_ip": "192.0.2.1",
            "dns": {"type": "query", "rrname": "q.example"},
        },
        {
            "event_type": "dns",
            "dns": {"type": "answer", "rrname": "a.example", "rdata": "192.0.2.9"},
        },
        {
            "event_type": "dns",
            "dns": {
                "version": 3,
                "queries": [{"rrname": "v3.example", "rrtype": "A"}],
                "answers": [
                    {"rrname": "v3.example", "rdata": "203.0.113.3"},
                    {"rdata": "x.example"},
                ],
            },
        },
        {
            "event_type": "tls",
            "tls": {"sni": "s.example", "ja3": {"hash": "a" * 32}, "ja4": "t13d"},
        },
        {"event_type": "http", "http": {"hostname": "h.example", "url": "/p", "http_port": 8080}},
        {"event_type": "fileinfo", "fileinfo": {"md5": "b" * 32, "sha256": "c" * 64}},
        {"event_type": "smtp", "email": {"from": "<x@y.example>", "to": ["a@b.example"]}},
        {"event_type": "flow", "timestamp": "2016-06-08T20:01:52.875791+0000", "flow_id": 7},
    ]
    path = tmp_path / "eve.json"
    path.write_text("\n".join(json.dumps(event) for event in events) + "\n")
    rows, report = _rows([path])
    assert report.format == "suricata-eve"
    assert rows[0]["dns.rrname"] == "q.example"
    assert rows[1]["dns.rdata"] == "192.0.2.9"
    assert rows[2]["dns.queries.rrname"] == ["v3.example"]
    assert rows[2]["dns.answers.rdata"] == ["203.0.113.3", "x.example"]
    assert (rows[3]["tls.sni"], rows[3]["tls.ja3.hash"], rows[3]["tls.ja4"]) == (
        "s.example",
        "a" * 32,
        "t13d",
    )
    assert rows[4]["http.url"] == "http://h.example:8080/p"
    assert (rows[5]["fileinfo.md5"], rows[5]["fileinfo.sha256"]) == ("b" * 32, "c" * 64)
    assert (rows[6]["email.from"], rows[6]["email.to"]) == ("<x@y.example>", ["a@b.example"])
    assert [r["log"] for r in rows] == [
        "suricata.dns",
        "suricata.dns",
        "suricata.dns",
        "suricata.tls",
        "suricata.http",
        "suricata.fileinfo",
        "suricata.smtp",
        "suricata.flow",
    ]
    assert rows[7]["ts"] == 1465416112.875791
    assert rows[0]["ts"] is None


def test_json_array_with_a_syntax_error_keeps_the_elements_before_it(tmp_path: Path) -> None:
    path = tmp_path / "alerts.json"
    path.write_text(
        '[{"event_type":"alert","src_ip":"192.0.2.1"},\n 7,\n'
        ' {"event_type":"alert","src_ip":"192.0.2.3"},\n {"event_type": }]'
    )
    rows, report = _rows([path])
    assert [(r["record"], r["src_ip"]) for r in rows] == [(1, "192.0.2.1"), (3, "192.0.2.3")]
    assert [(m.line, m.reason) for m in report.examples] == [(2, "not a JSON object (a number)")]
    assert any("element 4" in w.reason for w in report.warnings)


def test_ocsf_events_give_their_fields_by_class() -> None:
    rows, report = _rows([LOGS / "ocsf" / "events.ndjson"])
    assert report.format == "ocsf"
    network, dns, http, file, email = rows
    assert [r["log"] for r in rows] == [
        "ocsf.4001",
        "ocsf.4003",
        "ocsf.4002",
        "ocsf.1001",
        "ocsf.4009",
    ]
    assert network["ts"] == 1700000000.123
    assert (network["src_endpoint.ip"], network["dst_endpoint.hostname"]) == (
        "192.0.2.10",
        "cdn.example.net",
    )
    assert (network["tls.sni"], network["tls.ja3_hash.value"], network["tls.ja3s_hash.value"]) == (
        "login.example.org",
        "e7d705a3286e19ea42f587b344ee6865",
        "15af977ce25de452b96affa2addb1036",
    )
    assert (context_of(network["context"]) or {})["dst_endpoint.port"] == 443
    assert dns["query.hostname"] == "malware.example.com"
    assert dns["answers.rdata"] == ["cname.example.net", "203.0.113.99"]
    assert http["http_request.url.url_string"] == "http://downloads.example.org/payload.bin?id=7"
    assert (file["file.hashes.md5"], file["file.hashes.sha1"], file["file.hashes.sha256"]) == (
        "44d88612fea8a8f36de82e1278abb02f",
        "3395856ce81f2b7382dee72602f798b642f14140",
        "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
    )
    assert email["email.from"] == "Billing <billing@invoices.example.com>"
    assert email["email.to"] == ["alice@corp.example", "bob@corp.example"]
    array_rows, _ = _rows([LOGS / "ocsf" / "events-array.json"])
    assert [(r["record"], r["log"]) for r in array_rows] == [(1, "ocsf.4001"), (2, "ocsf.4002")]
    assert array_rows[1]["http_request.url.url_string"] == http["http_request.url.url_string"]


def test_csv_flows_read_through_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "flows.csv"
    path.write_text(
        "time,src,dst,qname,answers,note\n"
        '1700000000.5,192.0.2.1,198.51.100.2,a.example,"b.example, 203.0.113.4",x\n'
        "\n"
        '2023-11-14T22:13:21Z,192.0.2.1,198.51.100.2,,,"two\nlines"\n'
        "short,row\n"
        "2023-11-14T22:13:21+01:00,192.0.2.5,,c.example,d.example|e.example,y\n"
    )
    mapping = parse_csv_mapping("time=time, src=ip, dst=ip, qname=domain, answers=host[], gone=url")
    batches, reports = _read([path], csv_mapping=mapping)
    rows = [row for batch in batches for row in batch.table.to_pylist()]
    assert [f.name for f in batches[0].fields] == ["src", "dst", "qname", "answers"]
    assert [(r["record"], r["ts"], r["log"]) for r in rows] == [
        (2, 1700000000.5, "csv"),
        (4, 1700000001.0, "csv"),
        (7, 1699996401.0, "csv"),
    ]
    assert rows[0]["answers"] == ["b.example", "203.0.113.4"]
    assert (rows[1]["qname"], rows[1]["answers"]) == (None, [])
    assert rows[2]["answers"] == ["d.example", "e.example"]
    assert rows[2]["dst"] is None
    report = reports[0]
    assert [(m.line, m.reason) for m in report.examples] == [
        (6, "expected 6 cells as in the header, found 2")
    ]
    assert [w.reason for w in report.warnings] == [
        "column 'gone' named in the CSV mapping is not in the header"
    ]


def test_csv_needs_a_mapping() -> None:
    with pytest.raises(InvalidInput, match="mapping"):
        open_logs([str(LOGS / "ocsf" / "events.ndjson")], log_format="csv")


def test_parquet_logs_pick_their_field_map_from_their_columns(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    zeek_like = tmp_path / "conn.parquet"
    pq.write_table(
        pa.table(
            {
                "_path": ["dns", "dns"],
                "ts": pa.array([1521911720865716, None], pa.timestamp("us", tz="UTC")),
                "uid": ["C1", "C2"],
                "id.orig_h": ["192.0.2.1", "192.0.2.2"],
                "id.orig_p": pa.array([5353, 53], pa.int32()),
                "query": ["a.example", None],
                "answers": pa.array([["b.example"], []], pa.list_(pa.string())),
            }
        ),
        zeek_like,
    )
    eve_like = tmp_path / "eve.parquet"
    pq.write_table(
        pa.table(
            {
                "timestamp": ["2016-06-08T20:01:52.875791+0000"],
                "event_type": ["dns"],
                "src_ip": ["192.0.2.1"],
                "dest_ip": ["192.0.2.53"],
                "dns": [{"rrname": "q.example", "answers": [{"rdata": "203.0.113.1"}]}],
            }
        ),
        eve_like,
    )
    rows, report = _rows([zeek_like])
    assert report.format == "parquet"
    assert [(r["record"], r["ts"], r["log"], r["query"], r["answers"]) for r in rows] == [
        (1, 1521911720.865716, "zeek.dns", "a.example", ["b.example"]),
        (2, None, "zeek.dns", None, []),
    ]
    assert (context_of(rows[0]["context"]) or {})["id.orig_p"] == 5353
    batches, _ = _read([zeek_like])
    assert "server_name" not in [f.name for f in batches[0].fields]
    rows, _ = _rows([eve_like])
    assert rows[0]["dns.rrname"] == "q.example"
    assert rows[0]["dns.answers.rdata"] == ["203.0.113.1"]
    assert rows[0]["ts"] == 1465416112.875791
    mapped, _ = _rows([zeek_like], csv_mapping=parse_csv_mapping("uid=ja4,answers=host[]"))
    assert [(r["record"], r["uid"], r["answers"]) for r in mapped] == [
        (1, "C1", ["b.example"]),
        (2, "C2", []),
    ]
    odd = tmp_path / "odd.parquet"
    pq.write_table(pa.table({"a": [1]}), odd)
    with pytest.raises(UnsupportedFormat, match="Parquet columns"):
        _read([odd])


def test_expand_paths_walks_directories_and_globs_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b/2.log", "b/1.log", "a.log", ".hidden/x.log", "b/.dot.log", "c/d/e.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    found = expand_paths([str(tmp_path)])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == [
        "a.log",
        "b/1.log",
        "b/2.log",
        "c/d/e.json",
    ]
    globbed = expand_paths([str(tmp_path / "b" / "*.log"), str(tmp_path / "**" / "*.json")])
    assert [Path(p).name for p in globbed] == ["1.log", "2.log", "e.json"]
    again = expand_paths([str(tmp_path / "a.log"), str(tmp_path / "*.log")])
    assert [Path(p).name for p in again] == ["a.log"]
    with pytest.raises(InvalidInput, match="nothing-here"):
        expand_paths([str(tmp_path / "nothing-here")])
    with pytest.raises(InvalidInput, match=r"\*\.pcap"):
        expand_paths([str(tmp_path / "*.pcap")])


def test_a_walked_file_that_is_no_log_is_skipped_but_a_named_one_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "dns.json").write_text('{"_path":"dns","query":"a.example"}\n')
    (tmp_path / "stderr.log").write_text("warning: something odd\n")
    (tmp_path / "empty.log").write_text("")
    batches, reports = _read([tmp_path])
    assert sum(batch.num_rows for batch in batches) == 1
    by_name = {Path(r.source).name: r for r in reports}
    assert by_name["stderr.log"].format == "unsupported"
    assert "not a recognised log" in by_name["stderr.log"].warnings[0].reason
    assert (by_name["empty.log"].format, by_name["empty.log"].records) == ("empty", 0)
    with pytest.raises(UnsupportedFormat, match=r"stderr\.log"):
        _read([tmp_path / "stderr.log"])


def test_log_format_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "http.txt"
    path.write_text('{"host":"h.example","uri":"/x"}\n')
    rows, report = _rows([path], log_format="zeek-json")
    assert report.format == "zeek-json"
    assert rows[0]["url"] == "http://h.example/x"
    assert rows[0]["log"] == "zeek.http"


def test_open_logs_refuses_bad_options_before_reading() -> None:
    sample = str(LOGS / "ocsf" / "events.ndjson")
    with pytest.raises(InvalidInput, match="unknown log format"):
        open_logs([sample], log_format="pcap")
    with pytest.raises(InvalidInput, match="batch_rows"):
        open_logs([sample], batch_rows=0)
    with pytest.raises(InvalidInput, match="threads"):
        open_logs([sample], threads=0)


def test_the_reader_does_no_io_until_iterated(tmp_path: Path) -> None:
    reader = LogReader([str(tmp_path / "gone.json")])
    assert reader.files == (str(tmp_path / "gone.json"),)
    assert reader.reports() == []
    with pytest.raises(InvalidInput, match=r"gone\.json"):
        list(reader)
    reader.close()


def test_fields_carry_their_kinds() -> None:
    batches, _ = _read([ZEEK / "zeek-json" / "x509.json.gz"])
    kinds = {spec.name: (spec.kind, spec.many) for spec in batches[0].fields}
    assert kinds == {"san.dns": (ValueKind.DOMAIN, True), "san.ip": (ValueKind.IP, True)}


def test_more_threads_give_the_same_batches_in_the_same_order() -> None:
    path = ZEEK / "zeek-json" / "dns.json.gz"
    one = _table(path, batch_rows=4096)
    two = _table(path, batch_rows=4096, threads=2)
    assert one.equals(two)


def test_blank_and_white_space_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "eve.json"
    first, second = (json.dumps({"event_type": "dns", "src_ip": f"192.0.2.{n}"}) for n in (1, 2))
    path.write_text(f"\n{first}\n  \n\t\n\n{second}")
    rows, report = _rows([path])
    assert [(r["record"], r["src_ip"]) for r in rows] == [(2, "192.0.2.1"), (6, "192.0.2.2")]
    assert (report.records, report.malformed, report.warnings) == (2, 0, ())


def test_gzip_csv_with_the_format_forced(tmp_path: Path) -> None:
    path = tmp_path / "export.txt.gz"
    path.write_bytes(gzip.compress(b"when;who\n"))  # no such columns: a warning, no records
    mapping = parse_csv_mapping("when=time,dst=ip")
    rows, report = _rows([path], log_format="csv", csv_mapping=mapping)
    assert rows == []
    assert "none of the columns" in report.warnings[-1].reason
    path.write_bytes(gzip.compress(b"when,dst\n1700000000,192.0.2.9\n"))
    rows, report = _rows([path], log_format="csv", csv_mapping=mapping)
    assert [(r["record"], r["ts"], r["dst"]) for r in rows] == [(2, 1700000000.0, "192.0.2.9")]
    assert report.format == "csv"


def test_parquet_ocsf_hashes_are_read_from_nested_lists(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "ocsf.parquet"
    pq.write_table(
        pa.table(
            {
                "class_uid": [1001, 4001],
                "time": [1700000003000, 1700000000123],
                "file": [
                    {
                        "hashes": [
                            {"algorithm_id": 3, "value": "c" * 64},
                            {"algorithm_id": 1, "value": "a" * 32},
                        ]
                    },
                    None,
                ],
                "src_endpoint": [None, {"ip": "192.0.2.10", "port": 1}],
            }
        ),
        path,
    )
    rows, _ = _rows([path])
    assert [r["log"] for r in rows] == ["ocsf.1001", "ocsf.4001"]
    assert (rows[0]["file.hashes.md5"], rows[0]["file.hashes.sha256"]) == ("a" * 32, "c" * 64)
    assert rows[0]["file.hashes.sha1"] is None
    assert rows[1]["src_endpoint.ip"] == "192.0.2.10"
    assert rows[1]["ts"] == 1700000000.123
    batches, _ = _read([path])
    assert "email.to" not in [f.name for f in batches[0].fields]
