"""Real third-party STIX data through the whole ingest path into a real store."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from entente.clock import FixedClock
from entente.ingest import InputFormat, discover, open_document
from entente.services import IngestService, IngestSummary
from entente.store import ObjectQuery, ObjectStore, VersionFilter
from entente.store.sql import open_store

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).parent.parent / "data" / "corpus"
ICS = CORPUS / "mitre-attack" / "ics-attack.json"
GREEN = CORPUS / "stix" / "cti-stix-common-objects" / "tlp-2.0-examples" / "using-tlp2.0-green.json"


def _ingest(store: ObjectStore, clock: FixedClock, path: Path | str, **kw: Any) -> IngestSummary:
    service = IngestService(store, clock, principal="test")
    document = open_document(
        str(path),
        fmt=kw.pop("fmt", InputFormat.AUTO),
        source_name=None,
        now="2026-11-26T00:00:00.000Z",
        markings=(),
        **kw,
    )
    return service.ingest_document(document)


def _objects_in(path: Path) -> list[dict[str, Any]]:
    document = orjson.loads(path.read_bytes())
    if isinstance(document, dict) and isinstance(document.get("objects"), list):
        return list(document["objects"])
    return [document]


def _positioned(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The objects of a file with the position the reader gives each."""
    document = orjson.loads(path.read_bytes())
    if isinstance(document, dict) and isinstance(document.get("objects"), list):
        return [(f"objects[{i}]", o) for i, o in enumerate(document["objects"])]
    return [("object", document)]


def test_ics_attack_bundle_stores_exactly_its_objects_and_reingest_adds_nothing(
    store: ObjectStore, clock: FixedClock
) -> None:
    expected = len(_objects_in(ICS))
    before = store.stats().versions
    first = _ingest(store, clock, ICS)
    assert (first.added, first.new_versions, first.rejected) == (expected, 0, [])
    assert store.stats().versions - before == expected
    second = _ingest(store, clock, ICS)
    assert (second.added, second.new_versions, second.duplicates) == (0, 0, expected)
    assert store.stats().versions - before == expected


def test_every_corpus_file_ingests_alone_and_only_invalid_objects_are_refused(
    tmp_path: Path, clock: FixedClock
) -> None:
    files = list(discover([str(CORPUS / "stix")]))
    assert len(files) > 50
    total = IngestSummary()
    for n, path in enumerate(files):
        fresh = open_store(f"sqlite:///{tmp_path / f'{n}.db'}", clock)
        try:
            summary = _ingest(fresh, clock, path)
            objects = _objects_in(Path(path))
            assert summary.added + summary.duplicates + len(summary.rejected) == len(objects)
            rejected = {r.position for r in summary.rejected}
            stored = [v.to_json() for v in fresh.iter_all(ObjectQuery(versions=("all",)))]
            for position, obj in _positioned(Path(path)):
                if position not in rejected:
                    assert obj in stored, f"{path} {position} not stored verbatim"
            total.merge(summary)
        finally:
            fresh.close()
    reasons = {(Path(r.source).name, r.id): r.reason for r in total.rejected}
    # The OASIS TLP 2.0 example has a three-digit month; only that object is refused.
    assert reasons[
        ("using-tlp2.0-green.json", "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111")
    ].startswith("created: '2022-101-27T13:49:54.326Z' is not a valid timestamp")
    # The stix2 test store holds one STIX 2.0-era object without spec_version.
    assert reasons[
        ("20170531213215263882.json", "malware--b42378e0-f147-496f-992a-26a49705395b")
    ].startswith("spec_version: is required")
    assert len(total.rejected) == 2, total.rejected


def test_corpus_files_that_reuse_ids_are_refused_as_versioning_conflicts(
    store: ObjectStore, clock: FixedClock
) -> None:
    # Unrelated sample sets reuse ids with other content; STIX 2.1 §3.6 makes each such
    # object a conflict, reported with its field, never a silent overwrite.
    total = IngestSummary()
    for path in discover([str(CORPUS / "stix")]):
        total.merge(_ingest(store, clock, path))
    conflicts = [r for r in total.rejected if "§3.6" in r.reason]
    assert len(total.rejected) - len(conflicts) == 2
    for rejection in conflicts:
        assert rejection.id and rejection.reason.split(":")[0] in {"created", "modified"}
    assert total.added > 390


def test_valid_siblings_of_a_rejected_object_are_stored(
    store: ObjectStore, clock: FixedClock
) -> None:
    summary = _ingest(store, clock, GREEN)
    assert summary.added == 2
    assert [r.position for r in summary.rejected] == ["objects[2]"]
    stored = {
        v.id
        for v in store.iter_all(ObjectQuery(types=("identity", "threat-actor", "relationship")))
    }
    assert "threat-actor--9a8a0d25-7636-429b-a99e-b2a73cd0f11f" in stored
    assert "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111" not in stored


def test_every_stored_object_equals_the_ingested_json_value(
    store: ObjectStore, clock: FixedClock
) -> None:
    paths = [ICS, *(Path(p) for p in discover([str(CORPUS / "stix" / "cti-documentation")]))]
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for path in paths:
        _ingest(store, clock, path)
        for obj in _objects_in(path):
            expected[(obj["id"], obj.get("modified") or obj.get("created") or "")] = obj
    stored = {
        (v.id, v.modified or v.created or ""): v
        for v in store.iter_all(ObjectQuery(versions=(VersionFilter.ALL,), limit=500))
    }
    for (object_id, _), obj in expected.items():
        match = [v for (i, _), v in stored.items() if i == object_id and v.to_json() == obj]
        assert match, f"{object_id} not stored verbatim"
    # Original timestamp strings survive: e.g. ATT&CK's millisecond precision.
    sample = next(o for o in _objects_in(ICS) if o["type"] == "attack-pattern")
    got = store.get_versions(sample["id"], ("last",))[0].to_json()
    assert got["modified"] == sample["modified"]
    assert list(got) == list(sample)  # property order kept too


def test_truncated_bundle_is_rolled_back_whole(
    store: ObjectStore, clock: FixedClock, tmp_path: Path
) -> None:
    data = ICS.read_bytes()
    broken = tmp_path / "truncated.json"
    broken.write_bytes(data[: len(data) // 2])
    before = store.stats()
    summary = _ingest(store, clock, broken)
    assert summary.added == 0
    assert len(summary.rejected) == 1
    assert "document rejected whole" in summary.rejected[0].reason
    assert store.stats() == before


def test_stdin_bundle_is_streamed_and_stored(store: ObjectStore, clock: FixedClock) -> None:
    summary = _ingest(store, clock, "-", stdin=io.BytesIO(ICS.read_bytes()))
    assert summary.added == len(_objects_in(ICS))
    assert not summary.rejected
