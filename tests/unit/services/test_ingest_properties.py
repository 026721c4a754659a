"""Property: what the store holds after ingest depends on the versions, not on their order."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from entente.clock import FixedClock
from entente.ingest import Candidate
from entente.services import IngestService, IngestSummary
from entente.store import ObjectQuery, Provenance, SourceKind
from entente.store.sql import open_store

PROV = Provenance(SourceKind.FILE, "prop", "tester")
IDS = [f"indicator--{n:08x}-0000-4000-8000-000000000000" for n in range(4)]


def _version(object_id: str, day: int) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id,
        "created": "2026-01-01T00:00:00Z",
        "modified": f"2026-01-{day:02d}T00:00:00.5Z",
        "pattern": f"[domain-name:value = 'v{day}.example.org']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


versions = st.lists(
    st.tuples(st.sampled_from(IDS), st.integers(min_value=1, max_value=28)), max_size=25
)


def _ingest_all(docs: list[list[dict[str, Any]]]) -> tuple[IngestSummary, set[bytes]]:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock()
        store = open_store(f"sqlite:///{Path(tmp) / 's.db'}", clock)
        try:
            service = IngestService(store, clock, principal="tester", batch_size=3)
            total = IngestSummary()
            for doc in docs:
                candidates = [Candidate("p", f"[{i}]", o) for i, o in enumerate(doc)]
                total.merge(service.ingest_candidates(candidates, PROV, source="p"))
            held = {v.raw_json for v in store.iter_all(ObjectQuery(versions=("all",), limit=7))}
            return total, held
        finally:
            store.close()


@settings(max_examples=25, deadline=None)
@given(versions, st.randoms(use_true_random=False), st.integers(min_value=1, max_value=4))
def test_any_order_and_repetition_store_the_same_versions(
    picks: list[tuple[str, int]], rnd: Any, documents: int
) -> None:
    objs = [_version(i, d) for i, d in picks]
    distinct = {(o["id"], o["modified"]) for o in objs}
    forward, held_forward = _ingest_all([objs])
    shuffled = objs + objs[: len(objs) // 2]  # with repeats
    rnd.shuffle(shuffled)
    docs = [shuffled[k::documents] for k in range(documents)]
    backward, held_backward = _ingest_all(docs)
    assert held_forward == held_backward
    assert len(held_forward) == len(distinct)
    for summary, count in ((forward, len(objs)), (backward, len(shuffled))):
        assert not summary.rejected
        assert summary.added == len({object_id for object_id, _ in distinct})
        assert summary.added + summary.new_versions == len(distinct)
        assert summary.added + summary.new_versions + summary.duplicates == count
