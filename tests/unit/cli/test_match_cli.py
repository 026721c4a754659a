"""``entente match`` in-process: hit output, the summary, sightings, formats and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from tests.unit.cli.conftest import cli_for, said

from entente.services import org_identity_id

NODE = "US CERT"
DOMAIN = "indicator--d0000000-0000-4000-8000-000000000001"
ADDRESS = "indicator--d0000000-0000-4000-8000-000000000002"
SIGMA = "indicator--d0000000-0000-4000-8000-000000000003"


def _indicator(indicator_id: str, pattern: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id,
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": f"indicator {indicator_id[-1]}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2025-01-01T00:00:00Z",
        **extra,
    }


BUNDLE = {
    "type": "bundle",
    "id": "bundle--d0000000-0000-4000-8000-000000000009",
    "objects": [
        _indicator(DOMAIN, "[domain-name:value LIKE '%.evil.example']"),
        _indicator(ADDRESS, "[ipv4-addr:value = '203.0.113.7']"),
        _indicator(SIGMA, "title: x", pattern_type="sigma"),
    ],
}
DNS = [
    {"ts": 1763000000.5, "uid": "C1", "id.orig_h": "10.0.0.5", "id.resp_h": "203.0.113.7",
     "query": "www.evil.example", "_path": "dns"},
    {"ts": 1763000001.0, "uid": "C2", "id.orig_h": "10.0.0.6", "id.resp_h": "192.0.2.1",
     "query": "good.example", "_path": "dns"},
    {"ts": 1763000002.0, "uid": "C3", "id.orig_h": "10.0.0.6", "id.resp_h": "192.0.2.1",
     "query": "a.b.evil.example", "_path": "dns"},
]  # fmt: skip


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """``entente ARGS`` for a node "US CERT" holding the indicators of ``BUNDLE``."""
    invoke = cli_for(tmp_path / "home", NODE)
    # The shipped RFC 5735 list names the documentation addresses these tests match; the
    # warninglists have tests of their own (test_match_warninglists_cli.py).
    (tmp_path / "home" / "entente.toml").write_text("default_warninglists = false\n")
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(orjson.dumps(BUNDLE))
    assert invoke("ingest", str(bundle)).exit_code == 0
    return invoke


@pytest.fixture
def log(tmp_path: Path) -> str:
    path = tmp_path / "dns.log"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in DNS))
    return str(path)


def test_json_summary_counts_files_records_hits_and_the_undeployable(run: Any, log: str) -> None:
    result = run("match", log, "--json")
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert (summary["records"], summary["hits"], summary["indicators"]) == (3, 3, 2)
    assert summary["by_indicator"] == [
        {"id": DOMAIN, "name": "indicator 1", "hits": 2},
        {"id": ADDRESS, "name": "indicator 2", "hits": 1},
    ]
    [report] = summary["files"]
    assert (report["source"], report["format"], report["malformed"]) == (log, "zeek-json", 0)
    [refused] = summary["not_deployable"]
    assert refused["id"] == SIGMA
    assert "pattern_type" in refused["reason"]
    assert summary["sightings"] == []


def test_hits_go_to_a_jsonl_file(run: Any, log: str, tmp_path: Path) -> None:
    out = tmp_path / "hits.jsonl"
    result = run("match", log, "--out", str(out))
    assert result.exit_code == 0, result.output
    hits = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted((h["record"], h["field"], h["indicator_id"]) for h in hits) == [
        (1, "id.resp_h", ADDRESS),
        (1, "query", DOMAIN),
        (3, "query", DOMAIN),
    ]
    first = next(h for h in hits if h["field"] == "query")
    assert first["ts"] == "2025-11-13T02:13:20.500000Z"
    assert first["context"]["uid"] == "C1"
    assert "3 records, 3 hits on 2 of 2 active indicators" in " ".join(result.stdout.split())


def test_hits_go_to_parquet(run: Any, log: str, tmp_path: Path) -> None:
    out = tmp_path / "hits.parquet"
    result = run("match", log, "--format", "parquet", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert sorted(table.column("record").to_pylist()) == [1, 1, 3]


def test_hits_to_stdout_move_the_summary_to_stderr(run: Any, log: str) -> None:
    result = run("match", log, "--out", "-")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(orjson.loads(line)["source"] == log for line in lines)
    assert "Top indicators" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--json", "--out", "-"), "--json prints the summary on stdout"),
        (("--format", "parquet", "--out", "-"), "--format parquet needs --out FILE"),
        (("--csv-map", "src=colour"), "CSV mapping entry 1"),
    ],
)
def test_conflicting_or_wrong_options_are_usage_errors(
    run: Any, log: str, args: tuple[str, ...], message: str
) -> None:
    result = run("match", log, *args)
    assert result.exit_code == 2
    assert message in said(result)


def test_a_missing_log_is_an_input_error(run: Any, tmp_path: Path) -> None:
    result = run("match", str(tmp_path / "nope.log"))
    assert result.exit_code == 2
    assert "no such file" in said(result)


def test_malformed_records_are_quoted_and_exit_1(run: Any, log: str) -> None:
    with Path(log).open("ab") as handle:
        handle.write(b'{"ts": 1763000003.0, "query": \n')
    result = run("match", log)
    assert result.exit_code == 1
    text = " ".join(result.stdout.split())
    assert f"malformed {log}:4" in text
    assert "1 indicator is not deployable (list them with --show-not-deployable)" in text


def test_show_not_deployable_lists_them_with_the_reason(run: Any, log: str) -> None:
    result = run("match", log, "--show-not-deployable")
    assert result.exit_code == 0
    assert f"not deployable: {SIGMA} (indicator 3): pattern_type 'sigma'" in " ".join(
        result.stdout.split()
    )


def test_sightings_are_stored_for_the_node_org(run: Any, log: str) -> None:
    result = run("match", log, "--sightings", "--json")
    assert result.exit_code == 0, result.output
    assert len(orjson.loads(result.stdout)["sightings"]) == 2
    listed = orjson.loads(run("objects", "list", "--type", "sighting", "--json").stdout)
    sightings = {o["object"]["sighting_of_ref"]: o for o in listed["objects"]}
    assert set(sightings) == {DOMAIN, ADDRESS}
    domain = sightings[DOMAIN]
    assert domain["object"]["count"] == 2
    assert domain["object"]["where_sighted_refs"] == [org_identity_id(NODE)]
    assert domain["provenance"]["source_kind"] == "matching"
    assert domain["provenance"]["source_name"] == "entente match"


def test_csv_logs_are_read_through_a_column_map(run: Any, tmp_path: Path) -> None:
    flows = tmp_path / "flows.csv"
    flows.write_text("time,src,dst,name\n1763000000,10.0.0.1,203.0.113.7,x.evil.example\n")
    result = run(
        "match",
        str(flows),
        "--log-format",
        "csv",
        "--csv-map",
        "time=time,src=ip,dst=ip,name=domain",
        "--json",
    )
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert (summary["records"], summary["hits"]) == (1, 2)
    assert summary["files"][0]["format"] == "csv"


ZEEK_TSV = Path(__file__).parents[2] / "data" / "logs" / "zeek" / "zeekparse-tsv"


GOOGLE = "indicator--d0000000-0000-4000-8000-000000000010"
DOCS = "indicator--d0000000-0000-4000-8000-000000000011"


def test_real_zeek_logs_of_a_directory_are_matched(tmp_path: Path) -> None:
    run = cli_for(tmp_path / "home", NODE)
    bundle = tmp_path / "google.json"
    google, docs = GOOGLE, DOCS
    objects = [
        _indicator(google, "[domain-name:value LIKE '%.google.com']"),
        _indicator(docs, "[ipv4-addr:value = '172.217.0.238']"),
    ]
    bundle.write_bytes(orjson.dumps({**BUNDLE, "objects": objects}))
    assert run("ingest", str(bundle)).exit_code == 0
    out = tmp_path / "hits.jsonl"
    # google.com is on the shipped Tranco list: without the lists its subdomains are hits.
    result = run("match", str(ZEEK_TSV), "--no-warninglists", "--out", str(out), "--json")
    # The damaged #fields name of simple_conn.log is a warning, not a malformed record.
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert {Path(f["source"]).name for f in summary["files"]} == {
        "simple_conn.log", "simple_dns.log", "simple_http.log", "simple_ssl.log", "simple_x509.log"
    }  # fmt: skip
    hits = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(hits) == summary["hits"]
    dns = {(h["record"], h["field"], h["indicator_id"]) for h in hits if h["log"] == "zeek.dns"}
    # docs.google.com on line 10, its answer 172.217.0.238; clientservices.googleapis.com and
    # ssl.gstatic.com are not under google.com.
    assert dns == {(10, "query", google), (10, "answers", docs)}
    ssl = [h for h in hits if h["log"] == "zeek.ssl" and h["field"] == "server_name"]
    assert {h["value"] for h in ssl} >= {"clients4.google.com", "docs.google.com"}
    assert all(h["context"]["uid"] for h in hits)
    [conn] = [f for f in summary["files"] if f["source"].endswith("simple_conn.log")]
    assert "is not a Zeek field name" in conn["warnings"][0]["reason"]


_RUN_TIMES = ("seconds", "scan_seconds", "records_per_second")


@pytest.mark.spark
@pytest.mark.integration
def test_the_spark_engine_writes_the_hits_summary_and_sightings_of_the_local_one(
    tmp_path: Path, spark: object
) -> None:
    del spark  # the session the command joins (it starts its own when none is running)
    runs = {}
    for engine in ("local", "spark"):
        run = cli_for(tmp_path / engine, NODE)
        bundle = tmp_path / "google.json"
        objects = [
            _indicator(GOOGLE, "[domain-name:value LIKE '%.google.com']"),
            _indicator(DOCS, "[ipv4-addr:value = '172.217.0.238']"),
        ]
        bundle.write_bytes(orjson.dumps({**BUNDLE, "objects": objects}))
        assert run("ingest", str(bundle)).exit_code == 0
        out = tmp_path / f"{engine}.jsonl"
        args = ["match", str(ZEEK_TSV), "--no-warninglists", "--sightings", "--json"]
        result = run(*args, "--out", str(out), "--engine", engine)
        assert result.exit_code == 0, result.output
        summary = orjson.loads(result.stdout)
        stored = orjson.loads(run("objects", "list", "--type", "sighting", "--json").stdout)
        runs[engine] = (summary, out.read_bytes(), stored["objects"])
    (local, local_hits, local_stored), (spark_run, spark_hits, spark_stored) = runs.values()
    assert spark_hits == local_hits  # byte for byte, in the same order
    assert len(spark_run["sightings"]) == len(local["sightings"]) > 0
    for key in (*_RUN_TIMES, "sightings"):
        del local[key], spark_run[key]
    assert spark_run == local

    def facts(objects: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (o["object"]["sighting_of_ref"], o["object"]["count"], o["object"]["first_seen"],
             o["object"]["last_seen"]) for o in objects
        )  # fmt: skip

    assert facts(spark_stored) == facts(local_stored)


def test_master_and_conf_without_the_spark_engine_are_usage_errors(run: Any, log: str) -> None:
    result = run("match", log, "--conf", "spark.executor.memory=4g")
    assert result.exit_code == 2
    assert "--master and --conf go with --engine spark" in said(result)
