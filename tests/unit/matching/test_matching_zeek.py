"""Zeek's TSV header, escapes, log names and per-log fields."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from entente.matching import zeek

LOGS = Path(__file__).parents[2] / "data" / "logs" / "zeek"


def test_the_header_of_a_real_log_is_read() -> None:
    header = zeek.read_tsv_header(str(LOGS / "zeek-default" / "dns.log.gz"), gzip_stream=True)
    assert header.separator == "\t"
    assert (header.set_separator, header.empty_field, header.unset_field) == (",", "(empty)", "-")
    assert header.path == "dns"
    assert header.fields[:3] == ("ts", "uid", "id.orig_h")
    assert len(header.types) == len(header.fields) == 24
    assert header.end == 8
    assert header.problems == ()


def test_a_damaged_field_name_is_a_problem_of_its_line() -> None:
    header = zeek.read_tsv_header(
        str(LOGS / "zeekparse-tsv" / "simple_conn.log"), gzip_stream=False
    )
    assert header.problems == (
        (7, "#fields: 'resp_ip_    bytes' is not a Zeek field name; its column is ignored"),
    )


def test_a_later_block_keeps_what_it_does_not_repeat() -> None:
    first = zeek.parse_tsv_header(
        [
            "#separator \\x7c",
            "#set_separator|;",
            "#path|conn",
            "#fields|ts|uid",
            "#types|time|string",
        ]
    )
    assert (first.separator, first.set_separator, first.fields) == ("|", ";", ("ts", "uid"))
    later = zeek.parse_tsv_header(["#path|dns", "#fields|ts|query", "data"], 20, first)
    assert (later.separator, later.set_separator, later.path) == ("|", ";", "dns")
    assert later.fields == ("ts", "query")
    assert later.end == 21
    assert later.types == ("time", "string")
    assert later.problems == ()
    assert first.changed_by("#path|dns")
    assert not first.changed_by("#path|conn")
    assert not first.changed_by("#separator \\x7c")
    assert first.changed_by("#separator \\x09")
    assert not first.changed_by("#close|2024")


def test_escapes_are_undone() -> None:
    assert zeek.unescape("plain") == "plain"
    assert zeek.unescape("a\\x2cb") == "a,b"
    assert zeek.unescape("back\\\\slash\\\\x41") == "back\\slash\\x41"
    assert zeek.unescape("caf\\xc3\\xa9") == "café"
    assert zeek.unescape("bad\\xff") == "bad\\xff"
    batch = pa.record_batch(
        {
            "query": pa.array(["a\\x2cb", None, "c"]),
            "answers": pa.array([["x\\x2cy", "z"], None, []], pa.list_(pa.string())),
        }
    )
    fixed = zeek.unescape_batch(batch, ["query", "answers"])
    assert fixed.column("query").to_pylist() == ["a,b", None, "c"]
    assert fixed.column("answers").to_pylist() == [["x,y", "z"], None, []]


def test_log_names_come_from_file_names() -> None:
    assert zeek.log_from_filename("/var/log/zeek/dns.log") == "dns"
    assert zeek.log_from_filename("dns.json.gz") == "dns"
    assert zeek.log_from_filename("conn.00:00:00-01:00:00.log.gz") == "conn"
    assert zeek.log_from_filename("known_hosts.log") == "known_hosts"
    assert zeek.log_from_filename("Capture-1.json") is None
    assert zeek.log_from_filename("log.json") is None


def test_each_log_reads_its_own_fields() -> None:
    dns = [f.spec.name for f in zeek.fields_for(frozenset({"dns"}))]
    assert dns == ["id.orig_h", "id.resp_h", "query", "answers"]
    x509 = [f.spec.name for f in zeek.fields_for(frozenset({"x509"}))]
    assert x509 == ["san.dns", "san.ip"]
    both = {f.spec.name for f in zeek.fields_for(frozenset({"http", "smtp"}))}
    assert {"host", "url", "mailfrom", "rcptto", "from", "to"} <= both
    assert zeek.fields_for(None) == zeek.FIELDS
    assert zeek.context_keys_for(frozenset({"x509"})) == ()
    assert "fuid" in zeek.context_keys_for(frozenset({"files"}))
    assert "fuid" not in zeek.context_keys_for(frozenset({"dns"}))
