"""Property: paged reads agree with their naive twin (conventions §10).

``TaxiiService.read`` examines rows by flags and policy variants, sizes its queries from
what it has shown, and looks ahead for ``more``; the twin reads every version, keeps what
``Visibility`` releases, picks first/last among each object's shown versions, and cuts pages.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entente.bootstrap import Node, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.ingest import Candidate
from entente.services import IngestService, TaxiiService, node_org_id
from entente.services.taxii import DEFAULT_COLLECTIONS
from entente.services.visibility import Visibility
from entente.sharing import Principal, Role
from entente.stix import Tlp, marking_id_for
from entente.store import ObjectQuery, Provenance, SourceKind, StoredVersion

NODE = node_org_id("Entente node")
ORG_B = node_org_id("Org B")
READERS = [
    Principal(id="tok_node", org=NODE, role=Role.ANALYST, is_individual=False),
    Principal(id="tok_b", org=ORG_B, role=Role.READER, is_individual=False),
]
SELECTIONS = [("last",), ("first",), ("all",), ("first", "last")]
_numbers = itertools.count(1)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as opened:
        yield opened


def version(n: int, day: int, tlp: Tlp | None, secret: bool) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": f"2024-01-{day:02d}T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '192.0.2.1']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "created_by_ref": NODE,
        "description": "d",
    }
    if tlp is not None:
        obj["object_marking_refs"] = [marking_id_for(tlp)]
    if secret:
        obj["granular_markings"] = [
            {"marking_ref": marking_id_for(Tlp.RED), "selectors": ["pattern"]}
        ]
    return obj


# Objects, each a list of versions (marking, whether its pattern is under a RED granular
# marking), posted in a shuffled order so that versions arrive out of date order.
objects = st.lists(
    st.lists(st.tuples(st.sampled_from([None, *Tlp]), st.booleans()), min_size=1, max_size=4),
    min_size=1,
    max_size=8,
)


def reference(node: Node, reader: Principal, versions: tuple[str, ...]) -> list[tuple[str, str]]:
    """The twin: every version, those released, selected per object, in date_added order."""
    visibility = Visibility(
        reader,
        TaxiiService(
            store=node.store,
            tokens=node.tokens,
            statuses=node.statuses,
            clock=node.clock,
            collections=(),
            org_name="Entente node",
        ).context(),
    )
    everything = node.store.iter_all(
        ObjectQuery(types=("indicator",), versions=("all",), limit=1000)
    )
    shown: dict[str, list[StoredVersion]] = {}
    for item in everything:
        if visibility.release(item) is not None:
            shown.setdefault(item.id, []).append(item)
    picked: list[StoredVersion] = []
    for items in shown.values():
        keys = sorted(i.version for i in items)
        for item in items:
            if (
                "all" in versions
                or ("first" in versions and item.version == keys[0])
                or ("last" in versions and item.version == keys[-1])
            ):
                picked.append(item)
    picked.sort(key=lambda i: i.date_added_us)
    return [(i.id, i.version) for i in picked]


def test_paged_reads_agree_with_the_naive_twin(node: Node) -> None:
    service = TaxiiService(
        store=node.store,
        tokens=node.tokens,
        statuses=node.statuses,
        clock=node.clock,
        collections=(),
        org_name="Entente node",
    )
    ingest = IngestService(node.store, node.clock, principal="local:test")

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(objects=objects, order=st.randoms(use_true_random=False), data=st.data())
    def check(
        objects: list[list[tuple[Tlp | None, bool]]], order: Any, data: st.DataObject
    ) -> None:
        posted = [
            version(n, day, tlp, secret)
            for n, versions in zip((next(_numbers) for _ in objects), objects, strict=False)
            for day, (tlp, secret) in enumerate(versions, start=1)
        ]
        order.shuffle(posted)
        for obj in posted:  # one at a time: each gets its own date_added, in this order
            summary = ingest.ingest_candidates(
                [Candidate("t", "0", obj)],
                Provenance(SourceKind.FILE, "t", "local:test"),
                source="t",
            )
            assert not summary.rejected
        reader = data.draw(st.sampled_from(READERS))
        versions = data.draw(st.sampled_from(SELECTIONS))
        limit = data.draw(st.integers(1, 7))
        expected = reference(node, reader, versions)
        got: list[tuple[str, str]] = []
        query = ObjectQuery(types=("indicator",), versions=versions, limit=limit)
        for _ in range(1000):
            page = service.read(DEFAULT_COLLECTIONS[0], reader, query)
            got.extend((i.id, i.version) for i in page.items)
            assert len(page.items) <= limit
            # "more" exactly when something the reader may see follows.
            assert page.more is (len(got) < len(expected)), (got, expected)
            if not page.more:
                break
            assert len(page.items) == limit
            query = ObjectQuery(
                types=("indicator",), versions=versions, limit=limit, after_cursor=page.next_cursor
            )
        assert got == expected

    check()
