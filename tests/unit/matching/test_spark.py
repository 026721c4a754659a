"""Matching on Spark (``local[2]``) gives the local engine's hits and reports: on the real Zeek,
Suricata and OCSF samples, on generated records in every layout, and on files fetched by URL."""

from __future__ import annotations

import csv
import dataclasses
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.unit.matching.test_real_logs import LOGS, RECORDS, _indicators

from entente.errors import InvalidInput, UnsupportedFormat
from entente.matching.csvflows import CsvMapping, parse_csv_mapping
from entente.matching.engine import Engine
from entente.matching.indicators import select_active
from entente.matching.model import Hit, IndicatorSet
from entente.matching.reports import FileReport
from entente.matching.sources import open_logs
from entente.matching.spark import SparkMatcher, is_remote, parse_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _local(
    paths: list[str], indicators: IndicatorSet, csv_mapping: CsvMapping | None = None
) -> tuple[list[Hit], list[FileReport]]:
    """The local engine's hits (in the order it gives them) and reports."""
    engine = Engine(indicators)
    hits: list[Hit] = []
    with open_logs(paths, csv_mapping=csv_mapping) as reader:
        for batch in reader:
            hits.extend(engine.match(batch))
        return hits, reader.reports()


def _spark(
    spark: SparkSession,
    paths: list[str],
    indicators: IndicatorSet,
    csv_mapping: CsvMapping | None = None,
) -> tuple[list[Hit], list[FileReport]]:
    results = SparkMatcher(spark).match_files(paths, indicators, csv_mapping=csv_mapping)
    return [hit for result in results for hit in result.hits], [r.report for r in results]


def _contexts(hits: list[Hit]) -> list[Any]:
    # ``context`` is left out of Hit equality; identical hits carry identical contexts too.
    return [hit.context for hit in hits]


@pytest.mark.spark
@pytest.mark.integration
def test_spark_finds_the_local_engines_hits_in_the_real_logs(spark: SparkSession) -> None:
    paths = [str(LOGS / name) for name in RECORDS]
    indicators = _indicators()
    local_hits, local_reports = _local(paths, indicators)
    spark_hits, spark_reports = _spark(spark, paths, indicators)
    assert len(local_hits) > 1000  # the planted indicators are found, in several logs
    assert len({hit.source for hit in local_hits}) >= 5
    assert spark_hits == local_hits
    assert _contexts(spark_hits) == _contexts(local_hits)
    assert spark_reports == local_reports


# --------------------------------------------------------------------------- generated logs

_IOC_ADDRESSES = [f"198.51.100.{i}" for i in range(1, 40)]
_IOC_DOMAINS = [f"bad{i}.example" for i in range(30)]
_IOC_PARENTS = [f"evil{i}.test" for i in range(10)]
_IOC_HASHES = [f"{i:032x}" for i in range(1, 20)]


def _generated_indicators() -> IndicatorSet:
    patterns = (
        [f"[ipv4-addr:value = '{v}']" for v in _IOC_ADDRESSES]
        + ["[ipv4-addr:value ISSUBSET '203.0.113.0/25']"]
        + [f"[domain-name:value = '{v}']" for v in _IOC_DOMAINS]
        + [f"[domain-name:value LIKE '%.{v}']" for v in _IOC_PARENTS]
        + [f"[file:hashes.MD5 = '{v}']" for v in _IOC_HASHES]
    )
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--10000000-0000-4000-8000-{i:012d}",
            "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z",
            "name": f"generated {i}",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        }
        for i, pattern in enumerate(patterns)
    ]
    return select_active(objects, now_us=1_800_000_000_000_000)


def _address(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(_IOC_ADDRESSES)
    if roll < 0.04:
        return f"203.0.113.{rng.randrange(256)}"  # half inside the /25, half just outside
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _domain(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(_IOC_DOMAINS).upper()
    if roll < 0.04:
        return f"www.{rng.choice(_IOC_PARENTS)}"
    if roll < 0.05:
        return rng.choice(_IOC_PARENTS)  # the bare parent of a subdomain pattern: no hit
    return f"host{rng.randrange(10_000)}.example.org"


def _records(rng: random.Random, count: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for index in range(count):
        record: dict[str, Any] = {
            "ts": 1_700_000_000 + index / 100,
            "uid": f"C{index:012x}",
            "id.orig_h": _address(rng),
            "id.resp_h": _address(rng),
        }
        if index % 3 == 0:
            record.update(_path="dns", query=_domain(rng), answers=[_address(rng), _address(rng)])
        elif index % 3 == 1:
            record.update(_path="http", host=_domain(rng))
        else:
            md5 = rng.choice(_IOC_HASHES) if rng.random() < 0.03 else f"{rng.getrandbits(128):032x}"
            record.update(_path="files", md5=md5)
        records.append(record)
    return records


def _write_logs(directory: Path, count: int) -> tuple[list[str], CsvMapping]:
    """``count`` seeded records spread over Zeek JSON (one with a malformed line), Parquet and
    CSV files, and a file no reader knows (found by walking, so reported and skipped)."""
    rng = random.Random(20261206)
    records = _records(rng, count)
    quarter = count // 4
    directory.mkdir()
    first = directory / "conn-a.log"
    lines = [orjson.dumps(r) for r in records[:quarter]]
    lines.insert(7, b'{"ts": 1, "id.resp_h": "198.51.100.1"')  # truncated: malformed
    first.write_bytes(b"\n".join(lines) + b"\n")
    second = directory / "conn-b.json"
    second.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records[quarter : 2 * quarter]))
    flat = [
        {key: value for key, value in r.items() if key != "answers"} | {"answers": r.get("answers")}
        for r in records[2 * quarter : 3 * quarter]
    ]
    pq.write_table(pa.Table.from_pylist(flat), directory / "zeek.parquet")
    with (directory / "flows.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time", "src", "dst", "name"])
        for r in records[3 * quarter :]:
            writer.writerow([r["ts"], r["id.orig_h"], r["id.resp_h"], r.get("query", "")])
    (directory / "notes.bin").write_bytes(bytes(range(256)))
    mapping = parse_csv_mapping("ts=time,src=ip,dst=ip,name=domain")
    return [str(directory / "conn-a.log"), str(directory / "conn-b.json"),
            str(directory / "zeek.parquet")], mapping  # fmt: skip


@pytest.mark.spark
@pytest.mark.integration
def test_spark_finds_the_local_engines_hits_in_generated_records(
    spark: SparkSession, tmp_path: Path
) -> None:
    named, mapping = _write_logs(tmp_path / "logs", 20_000)
    indicators = _generated_indicators()
    # The JSON and Parquet files by name, then the whole directory with its mapping (CSV is
    # read through it, Parquet with it, the unknown file skipped with a warning).
    for paths, csv_mapping in ((named, None), ([str(tmp_path / "logs")], mapping)):
        local_hits, local_reports = _local(paths, indicators, csv_mapping)
        spark_hits, spark_reports = _spark(spark, paths, indicators, csv_mapping)
        assert len(local_hits) > 500
        assert spark_hits == local_hits
        assert _contexts(spark_hits) == _contexts(local_hits)
        assert spark_reports == local_reports
    assert sum(report.malformed for report in local_reports) == 1
    assert any(report.format == "unsupported" for report in local_reports)


@pytest.mark.spark
@pytest.mark.integration
def test_files_fetched_by_url_give_the_hits_of_the_same_files_read_locally(
    spark: SparkSession,
) -> None:
    directory = LOGS / "zeek" / "zeek-default"
    indicators = _indicators()
    local_hits, local_reports = _local([str(directory)], indicators)
    results = SparkMatcher(spark).match_files([directory.as_uri()], indicators)
    # Spark names fetched files by its own form of their URL (file:/path).
    renamed = {f"file:{path}": path for path in (r.source for r in local_reports)}
    assert [renamed[r.source] for r in results] == [r.source for r in local_reports]
    fetched = [dataclasses.replace(h, source=renamed[h.source]) for r in results for h in r.hits]
    assert fetched == local_hits
    assert [(r.report.records, r.report.malformed) for r in results] == [
        (r.records, r.malformed) for r in local_reports
    ]


@pytest.mark.spark
@pytest.mark.integration
def test_a_named_file_no_reader_knows_is_refused_as_the_local_engine_refuses_it(
    spark: SparkSession, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    indicators = _indicators()
    with pytest.raises(UnsupportedFormat) as local:
        _local([str(junk)], indicators)
    with pytest.raises(UnsupportedFormat) as remote:
        _spark(spark, [str(junk)], indicators)
    assert str(remote.value) == str(local.value)


def test_conf_items_are_key_value_pairs_and_a_malformed_one_is_refused() -> None:
    assert parse_conf(["spark.executor.memory=4g", "fs.s3a.endpoint=http://127.0.0.1:9000"]) == {
        "spark.executor.memory": "4g",
        "fs.s3a.endpoint": "http://127.0.0.1:9000",
    }
    assert parse_conf(["a.b="]) == {"a.b": ""}
    for bad in ("novalue", "=value"):
        with pytest.raises(InvalidInput, match="key=value"):
            parse_conf([bad])


def test_urls_with_a_scheme_are_fetched_by_spark_and_paths_are_read_locally() -> None:
    assert is_remote("s3a://bucket/logs/dns.log.gz")
    assert is_remote("file:///var/log/zeek/dns.log")
    assert not is_remote("/var/log/zeek/dns.log")
    assert not is_remote("logs/*.json")
    assert not is_remote("C:dns.log")
