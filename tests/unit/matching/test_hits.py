"""Hit output: the JSON form of a hit, JSON Lines and Parquet files written as hits come."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entente.matching.hits import (
    HIT_SCHEMA,
    JsonLinesHitWriter,
    ParquetHitWriter,
    hit_to_json,
    hit_ts_us,
)
from entente.matching.model import Hit

INDICATOR = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"


def _hit(record: int = 7, ts: float | None = 1_700_000_000.123456, **extra: object) -> Hit:
    values: dict[str, object] = {
        "source": "logs/dns.log",
        "record": record,
        "field": "query",
        "value": "Evil.Example.COM.",
        "indicator_id": INDICATOR,
        "ts": ts,
        "log": "zeek.dns",
        "kind": "domain",
        "matched": "evil.example.com",
        "indicator_name": "evil domain",
        "labels": ("malicious-activity", "c2"),
        "score": 80,
        "context": {"uid": "CHhAvVGS1DHFjwGM9", "id.orig_h": "10.0.0.5"},
    }
    values.update(extra)
    return Hit(**values)  # type: ignore[arg-type]  # keyword values of the right types


def test_hit_to_json_has_every_key_and_an_iso_utc_time_with_microseconds() -> None:
    assert hit_to_json(_hit()) == {
        "ts": "2023-11-14T22:13:20.123456Z",
        "source": "logs/dns.log",
        "record": 7,
        "log": "zeek.dns",
        "field": "query",
        "value": "Evil.Example.COM.",
        "kind": "domain",
        "matched": "evil.example.com",
        "indicator_id": INDICATOR,
        "indicator_name": "evil domain",
        "labels": ["malicious-activity", "c2"],
        "score": 80,
        "context": {"uid": "CHhAvVGS1DHFjwGM9", "id.orig_h": "10.0.0.5"},
    }


@pytest.mark.parametrize("ts", [None, float("nan"), float("inf"), 1e300, -1e13])
def test_a_missing_or_unrepresentable_time_is_null(ts: float | None) -> None:
    assert hit_ts_us(_hit(ts=ts)) is None
    assert hit_to_json(_hit(ts=ts))["ts"] is None


def test_jsonl_writes_one_object_per_line_and_leaves_the_stream_open() -> None:
    stream = io.BytesIO()
    with JsonLinesHitWriter(stream) as writer:
        writer.write([_hit(1), _hit(2)])
        writer.write([])
        writer.write([_hit(3, ts=None, context=None, indicator_name=None, score=None)])
    assert writer.written == 3
    lines = stream.getvalue().splitlines()
    assert [orjson.loads(line)["record"] for line in lines] == [1, 2, 3]
    last = orjson.loads(lines[2])
    assert (last["ts"], last["context"], last["indicator_name"], last["score"]) == (
        None,
        None,
        None,
        None,
    )
    assert not stream.closed


def test_parquet_round_trips_every_field_with_the_fixed_schema(tmp_path: Path) -> None:
    path = tmp_path / "hits.parquet"
    hits = [_hit(1), _hit(2, ts=None, context=None, indicator_name=None, score=None, log=None)]
    with ParquetHitWriter(path) as writer:
        writer.write(hits)
    table = pq.read_table(path)
    assert table.schema.equals(HIT_SCHEMA)
    rows = table.to_pylist()
    assert rows[0]["ts"].isoformat() == "2023-11-14T22:13:20.123456+00:00"
    assert orjson.loads(rows[0]["context"]) == hits[0].context
    assert rows[0]["labels"] == ["malicious-activity", "c2"]
    assert (rows[0]["record"], rows[0]["matched"], rows[0]["score"]) == (1, "evil.example.com", 80)
    assert rows[1]["ts"] is None
    assert rows[1]["context"] is None
    assert rows[1]["log"] is None


def test_parquet_writes_row_groups_as_hits_come(tmp_path: Path) -> None:
    path = tmp_path / "hits.parquet"
    writer = ParquetHitWriter(path, row_group_rows=4)
    writer.write([_hit(i) for i in range(10)])
    # Two full row groups are out; the last two hits wait for more or for close.
    assert len(writer._pending) == 2
    writer.close()
    writer.close()
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [4, 4, 2]
    assert pq.read_table(path).column("record").to_pylist() == list(range(10))


def test_a_parquet_file_without_hits_is_valid_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "none.parquet"
    ParquetHitWriter(path).close()
    table = pq.read_table(path)
    assert table.num_rows == 0
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
