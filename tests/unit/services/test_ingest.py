"""The ingest service: versioning outcomes, derived objects, atomicity."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from entente.clock import FixedClock
from entente.errors import MalformedDocument
from entente.ingest import (
    Candidate,
    Finding,
    InputFormat,
    LeftOutReason,
    OwnAddresses,
    TypedValue,
    ValueType,
    Verdict,
    open_document,
    review_value,
)
from entente.scoring import WarninglistSet, default_warninglists
from entente.services import IngestService
from entente.store import ObjectStore, Provenance, SourceKind
from entente.store.sql import open_store

DATA = Path(__file__).parents[2] / "data"
NOW = "2026-01-01T00:00:00.000000Z"
PROV = Provenance(SourceKind.FILE, "test", "tester")
IDENTITY = "identity--8ce3f695-d5a4-4dc8-9e93-a65af453a31a"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[ObjectStore]:
    opened = open_store(f"sqlite:///{tmp_path / 's.db'}", clock)
    yield opened
    opened.close()


def _indicator(modified: str = "2026-01-01T00:00:00.000Z", **extra: Any) -> dict[str, Any]:
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--0f2bb9d8-2c55-4b5c-9a0c-5b8f7b1d3f11",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "created_by_ref": IDENTITY,
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    obj.update(extra)
    return obj


def _ingest(
    store: ObjectStore, clock: FixedClock, *objs: dict[str, Any], derived: bool = False
) -> Any:
    service = IngestService(store, clock, principal="tester", batch_size=2)
    candidates = [Candidate("t", f"[{i}]", o, derived=derived) for i, o in enumerate(objs)]
    return service.ingest_candidates(candidates, PROV, source="t")


def test_new_version_duplicate_and_rule_breaks_are_counted_apart(
    store: ObjectStore, clock: FixedClock
) -> None:
    s = _ingest(
        store,
        clock,
        _indicator(),
        _indicator(),
        _indicator("2026-02-01T00:00:00.000Z"),
        _indicator("2026-03-01T00:00:00.000Z", created="2025-01-01T00:00:00.000Z"),
    )
    assert (s.added, s.duplicates, s.new_versions) == (1, 1, 1)
    [rejected] = s.rejected
    assert rejected.position == "[3]"
    assert rejected.reason.startswith("created:")


def test_revoked_object_takes_no_new_version(store: ObjectStore, clock: FixedClock) -> None:
    s = _ingest(
        store,
        clock,
        _indicator("2026-02-01T00:00:00.000Z", revoked=True),
        _indicator("2026-03-01T00:00:00.000Z"),
    )
    assert s.new_versions == 0 and s.added == 1
    assert "revoked" in s.rejected[0].reason


def test_derived_object_reingested_unchanged_is_a_duplicate(
    store: ObjectStore, clock: FixedClock
) -> None:
    _ingest(store, clock, _indicator(), derived=True)
    clock.advance(3_600_000_000)
    later = _indicator(
        "2026-05-01T00:00:00.000Z",
        created="2026-05-01T00:00:00.000Z",
        valid_from="2026-05-01T00:00:00Z",
    )
    s = _ingest(store, clock, later, derived=True)
    assert (s.added, s.duplicates, s.new_versions) == (0, 1, 0)


def test_derived_object_with_changed_content_becomes_a_version_keeping_created(
    store: ObjectStore, clock: FixedClock
) -> None:
    _ingest(store, clock, _indicator(confidence=30), derived=True)
    changed = _indicator(
        "2026-05-01T00:00:00.000Z", created="2026-05-01T00:00:00.000Z", confidence=80
    )
    s = _ingest(store, clock, changed, derived=True)
    assert s.new_versions == 1, s.rejected
    versions = store.get_versions(changed["id"], ("all",))
    assert [v.to_json()["confidence"] for v in versions] == [30, 80]
    assert versions[1].to_json()["created"] == "2026-01-01T00:00:00.000Z"
    assert (versions[1].modified or "") > (versions[0].modified or "")


def test_reader_failure_mid_document_rolls_everything_back(
    store: ObjectStore, clock: FixedClock
) -> None:
    def candidates() -> Iterator[Candidate]:
        for i in range(5):
            yield Candidate("t", f"[{i}]", _indicator(f"2026-0{i + 1}-02T00:00:00.000Z"))
        raise MalformedDocument("t: broken JSON at byte 999")

    service = IngestService(store, clock, principal="tester", batch_size=2)
    s = service.ingest_candidates(candidates(), PROV, source="t")
    assert s.added == 0 and s.new_versions == 0
    assert "broken JSON" in s.rejected[0].reason
    assert store.stats().versions == 0


def test_unreadable_candidate_is_reported_with_the_reader_reason(
    store: ObjectStore, clock: FixedClock
) -> None:
    service = IngestService(store, clock, principal="tester")
    s = service.ingest_candidates(
        [Candidate("f.txt", "line 3", None, error="not an IOC: 'foo'")], PROV, source="f.txt"
    )
    assert s.rejected[0].to_json() == {
        "source": "f.txt",
        "position": "line 3",
        "id": None,
        "reason": "not an IOC: 'foo'",
    }


def test_a_dry_run_reports_what_would_be_stored_and_stores_nothing(
    store: ObjectStore, clock: FixedClock
) -> None:
    _ingest(store, clock, _indicator())
    service = IngestService(store, clock, principal="tester", batch_size=2)
    candidates = [
        Candidate("t", "[0]", _indicator()),  # held already
        Candidate("t", "[1]", _indicator("2026-02-01T00:00:00.000Z")),
        # Judged against [1], written earlier in the same (rolled back) transaction.
        Candidate("t", "[2]", _indicator("2026-02-01T00:00:00.000Z")),
        Candidate("t", "[3]", _indicator(id="indicator--6b7e1ef5-4a0c-4d5e-9d57-f3f7f0d9a3b1")),
    ]
    s = service.ingest_candidates(candidates, PROV, source="t", dry_run=True)
    assert (s.added, s.duplicates, s.new_versions, s.rejected) == (1, 2, 1, [])
    assert store.stats().versions == 1
    real = service.ingest_candidates(candidates, PROV, source="t")
    assert (real.added, real.duplicates, real.new_versions) == (s.added, s.duplicates, 1)
    assert store.stats().versions == 3


def test_values_the_review_left_out_are_counted_by_reason_not_rejected(
    store: ObjectStore, clock: FixedClock
) -> None:
    report = DATA / "feeds" / "handwritten" / "incident_report.txt"
    own = OwnAddresses.parse(["198.51.100.0/24"], ["csirt-nordland.eu"])
    review = functools.partial(
        review_value, warninglists=WarninglistSet(default_warninglists()), own=own
    )
    document = open_document(
        str(report), fmt=InputFormat.TEXT, source_name=None, now=NOW, markings=(), review=review
    )
    service = IngestService(store, clock, principal="tester")
    s = service.ingest_document(document)
    assert (s.added, s.rejected) == (6, [])  # the report's identity and five indicators
    assert s.left_out_by_reason() == {"own domain": 2, "own network": 1, "warninglist": 5}
    first = s.left_out[0].to_json()
    assert first == {
        "source": str(report),
        "position": "line 5",
        "type": "domain-name",
        "value": "google.com",
        "reason": "warninglist",
        "detail": "Top 10K most-used sites from Tranco",
        "entry": "google.com",
    }
    assert store.stats().by_type["indicator"] == 5


def test_a_snapshot_whose_review_left_values_out_still_withdraws(
    store: ObjectStore, clock: FixedClock
) -> None:
    # A value left out has no id, but is no unreadable object: the snapshot still knows what
    # it holds, and withdraws what it no longer does.
    _ingest(store, clock, _indicator())
    value = TypedValue(ValueType.IPV4, "10.0.0.5")
    verdict = Verdict(kept=False, finding=Finding(LeftOutReason.WARNINGLIST, "RFC 1918"))
    left_out = Candidate("t", "line 1", None, value=value, verdict=verdict)
    service = IngestService(store, clock, principal="tester")
    s = service.ingest_candidates([left_out], PROV, source="t", snapshot=True)
    assert (s.withdrawn, s.snapshot_note, s.rejected, len(s.left_out)) == (1, None, [], 1)
