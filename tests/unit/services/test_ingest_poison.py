"""Bad input cannot stop an ingest: a deep or unserialisable object is refused alone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from entente.clock import FixedClock
from entente.ingest import Candidate
from entente.ingest.stix_bundle import read_stix
from entente.services import IngestService, ensure_builtin_markings
from entente.store import ObjectQuery, ObjectStore, Provenance, SourceKind
from entente.store.sql import open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ObjectStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'node.db'}", FixedClock())
    ensure_builtin_markings(opened, FixedClock())
    yield opened
    opened.close()


def indicator(n: int) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
    }


def deep_text(obj: dict[str, Any], depth: int) -> bytes:
    """``obj`` with a property ``depth`` levels deep, written by hand."""
    return orjson.dumps(obj)[:-1] + b',"x_deep":' + b"[" * depth + b"]" * depth + b"}"


def bundle(parts: list[bytes]) -> bytes:
    return b'{"type":"bundle","id":"bundle--1","objects":[' + b",".join(parts) + b"]}"


def ingest(store: ObjectStore, data: bytes, *, streamed: bool) -> Any:
    stream = io.BytesIO(data)
    candidates = read_stix(stream, source="bad.json", size=None if streamed else len(data))
    service = IngestService(store, FixedClock(), principal="local:test")
    return service.ingest_candidates(
        candidates, Provenance(SourceKind.FILE, "bad.json", "local:test"), source="bad.json"
    )


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("depth", [70, 300, 2000])
def test_an_object_nested_too_deep_is_refused_alone_with_its_position(
    store: ObjectStore, depth: int, streamed: bool
) -> None:
    # Enough siblings that the streamed reader streams (it reads the first 64 KiB whole).
    siblings = [orjson.dumps(indicator(n)) for n in range(1, 400)]
    poison = indicator(1000)
    data = bundle([*siblings[:200], deep_text(poison, depth), *siblings[200:]])
    summary = ingest(store, data, streamed=streamed)
    assert summary.added == 399
    [rejection] = summary.rejected
    assert rejection.position == "objects[200]"
    assert "nested deeper than 64 levels" in rejection.reason
    assert rejection.id in (poison["id"], None)
    held = {v.id for v in store.iter_all(ObjectQuery(types=("indicator",), limit=1000))}
    assert poison["id"] not in held and len(held) == 399


def test_an_object_that_cannot_be_serialised_is_refused_alone(store: ObjectStore) -> None:
    # A lone surrogate: readers that stream may hand it over, but it is no UTF-8 text.
    broken = {**indicator(2), "name": "\ud800"}
    service = IngestService(store, FixedClock(), principal="local:test")
    summary = service.ingest_candidates(
        [Candidate("t", "[0]", indicator(1)), Candidate("t", "[1]", broken)],
        Provenance(SourceKind.FILE, "t", "local:test"),
        source="t",
    )
    assert summary.added == 1
    [rejection] = summary.rejected
    assert rejection.position == "[1]" and rejection.id == broken["id"]
    assert "could not be processed" in rejection.reason
