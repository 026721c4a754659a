"""The graph neighbourhood: references both ways, relationships as edges, through the policy,
capped per expansion with the visible rest counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.factories import AMBER, RED, ident, new_version, relationship, stix

from entente.clock import FixedClock
from entente.errors import InvalidInput, ObjectNotFound
from entente.graph import GraphNode
from entente.services.graph import GraphService, Neighbourhood
from entente.sharing import NodeContext, Principal, Role
from entente.stix.markings import Tlp
from entente.store import Provenance, SourceKind
from entente.store.sql import SqlStore, open_store
from entente.store.sql_search import SqlSearchIndex

NODE_ORG = "identity--00000000-0000-4000-8000-00000000000a"
PARTNER_ORG = "identity--00000000-0000-4000-8000-00000000000b"
FEED = Provenance(SourceKind.FEED, "feed A", "alice")
OPERATOR = Principal(id="alice", org=NODE_ORG, role=Role.ADMIN, is_individual=True)
# In the community, no agreement: it reads TLP:CLEAR and GREEN only.
GUEST = Principal(id="bob", org=PARTNER_ORG, role=Role.ANALYST, is_individual=True)

MAL = ident(1, "malware")
CONTEXT = NodeContext(
    node_org=NODE_ORG,
    community_orgs=frozenset({NODE_ORG, PARTNER_ORG}),
    default_marking=Tlp.AMBER_STRICT,
    now_us=1,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    yield opened
    opened.close()


def service_over(store: SqlStore) -> GraphService:
    return GraphService(store=store, index=SqlSearchIndex(store.engine), context=lambda: CONTEXT)


def put(store: SqlStore, *objects: dict[str, Any], modified: str | None = None) -> None:
    with store.transaction() as tx:
        tx.insert(
            [
                (new_version(obj) if modified is None else new_version(obj, modified), FEED)
                for obj in objects
            ]
        )


def shape(found: Neighbourhood) -> tuple[set[str], set[tuple[str, str, str]]]:
    """(neighbour ids, (source, label, target) of each edge)."""
    return {n.id for n in found.nodes}, {(e.source, e.label, e.target) for e in found.edges}


def test_neighbours_both_ways_with_relationships_as_edges(store: SqlStore) -> None:
    ind, ap, rep, sig, org = (
        ident(2, "indicator"),
        ident(3, "attack-pattern"),
        ident(4, "report"),
        ident(5, "sighting"),
        ident(6, "identity"),
    )
    put(
        store,
        stix("malware", 1, name="Poison Ivy", is_family=True, created_by_ref=org),
        stix("indicator", 2, pattern="[ipv4-addr:value = '10.0.0.1']", pattern_type="stix"),
        stix("attack-pattern", 3, name="Phishing"),
        stix("report", 4, name="PIVY report", object_refs=[MAL, ind]),
        stix("sighting", 5, sighting_of_ref=ind, where_sighted_refs=[org]),
        stix("identity", 6, name="Org"),
        relationship(10, ind, "indicates", MAL),
        relationship(11, MAL, "uses", ap),
    )
    service = service_over(store)
    found = service.neighbourhood(GUEST, MAL)
    assert found.centre.name == "Poison Ivy"
    # created_by_ref is no graph link (store.search_values.NOT_LINKS).
    assert shape(found) == (
        {ind, ap, rep},
        {(ind, "indicates", MAL), (MAL, "uses", ap), (rep, "object_refs", MAL)},
    )
    assert found.more == 0
    relationships = {e.id for e in found.edges if e.label in ("indicates", "uses")}
    assert relationships == {ident(10, "relationship"), ident(11, "relationship")}
    around_indicator = service.neighbourhood(GUEST, ind)
    assert shape(around_indicator)[0] == {MAL, rep, sig}
    assert (sig, "sighting_of_ref", ind) in shape(around_indicator)[1]
    around_sighting = service.neighbourhood(GUEST, sig)
    assert shape(around_sighting) == (
        {ind, org},
        {(sig, "sighting_of_ref", ind), (sig, "where_sighted_refs", org)},
    )


def test_what_the_reader_may_not_see_is_absent_and_not_counted(store: SqlStore) -> None:
    hidden_tool, shown_tool, hidden_edge_tool = (
        ident(2, "tool"),
        ident(3, "tool"),
        ident(4, "tool"),
    )
    put(
        store,
        stix("malware", 1, name="m"),
        stix("tool", 2, AMBER, name="SECRET-TOOL"),
        stix("tool", 3, name="public tool"),
        stix("tool", 4, name="public, hidden link"),
        relationship(10, MAL, "uses", hidden_tool),  # a visible edge to a hidden node
        relationship(11, MAL, "uses", shown_tool),
        relationship(12, MAL, "uses", hidden_edge_tool, AMBER),  # a hidden edge
        stix("report", 5, AMBER, name="SECRET-REPORT", object_refs=[MAL]),
    )
    service = service_over(store)
    guest = service.neighbourhood(GUEST, MAL, cap=1)
    assert shape(guest) == ({shown_tool}, {(MAL, "uses", shown_tool)})
    assert guest.more == 0
    operator = service.neighbourhood(OPERATOR, MAL, cap=1)
    assert len(operator.nodes) == 1 and operator.more == 3
    with pytest.raises(ObjectNotFound) as hidden:
        service.neighbourhood(GUEST, hidden_tool)
    with pytest.raises(ObjectNotFound) as absent:
        service.neighbourhood(GUEST, ident(99, "tool"))
    assert str(hidden.value).replace(hidden_tool, "X") == str(absent.value).replace(
        ident(99, "tool"), "X"
    )
    # Naming the nodes a page draws: only those the reader may see, as it sees them.
    named = service.nodes(GUEST, [shown_tool, hidden_tool, ident(99, "tool"), shown_tool])
    assert named == {shown_tool: GraphNode(shown_tool, "tool", "public tool")}
    assert set(service.nodes(OPERATOR, [shown_tool, hidden_tool])) == {shown_tool, hidden_tool}


def test_an_expansion_is_capped_and_the_next_one_continues(store: SqlStore) -> None:
    tools = [stix("tool", n, name=f"tool {n}") for n in range(100, 160)]
    hidden = [stix("tool", n, AMBER, name=f"secret {n}") for n in range(200, 210)]
    edges = [relationship(1000 + i, MAL, "uses", t["id"]) for i, t in enumerate(tools + hidden)]
    put(store, stix("malware", 1, name="m"), *tools, *hidden, *edges)
    service = service_over(store)
    first = service.neighbourhood(GUEST, MAL)
    assert len(first.nodes) == 50 and first.more == 10
    assert len(first.edges) == 50
    shown = {n.id for n in first.nodes}
    second = service.neighbourhood(GUEST, MAL, shown=shown)
    assert len(second.nodes) == 10 and second.more == 0
    assert not shown & {n.id for n in second.nodes}
    # Edges to what the caller already shows come back with the new ones.
    assert len(second.edges) == 60
    assert {n.id for n in second.nodes} | shown == {t["id"] for t in tools}
    with pytest.raises(InvalidInput):
        service.neighbourhood(GUEST, MAL, cap=0)
    with pytest.raises(InvalidInput):
        service.neighbourhood(GUEST, "not-an-id")


def test_each_object_is_read_as_its_latest_visible_version(store: SqlStore) -> None:
    report = ident(2, "report")
    put(
        store,
        stix("malware", 1, name="m"),
        stix("report", 2, name="old", object_refs=[MAL]),
        stix("report", 3, name="r3", object_refs=[MAL]),
    )
    # Report 2 drops the malware in a later version; report 3 gets a version the guest may
    # not see, so the guest still reads its older one.
    later = "2024-02-01T00:00:00.000000000Z"
    put(store, stix("report", 2, name="new", object_refs=[ident(9, "tool")]), modified=later)
    put(store, stix("report", 3, AMBER, name="r3 secret", object_refs=[MAL]), modified=later)
    service = service_over(store)
    guest = service.neighbourhood(GUEST, MAL)
    assert [(n.id, n.name) for n in guest.nodes] == [(ident(3, "report"), "r3")]
    operator = service.neighbourhood(OPERATOR, MAL)
    assert [(n.id, n.name) for n in operator.nodes] == [(ident(3, "report"), "r3 secret")]
    assert report not in {n.id for n in operator.nodes}


def test_a_reference_under_a_marking_the_reader_may_not_see_is_no_edge(store: SqlStore) -> None:
    org, ind = ident(6, "identity"), ident(2, "indicator")
    secret_place = stix(
        "sighting",
        5,
        sighting_of_ref=ind,
        where_sighted_refs=[org],
        granular_markings=[{"marking_ref": RED, "selectors": ["where_sighted_refs"]}],
    )
    put(
        store,
        stix("indicator", 2, pattern="[ipv4-addr:value = '10.0.0.1']", pattern_type="stix"),
        stix("identity", 6, name="Victim Org"),
        secret_place,
    )
    service = service_over(store)
    assert service.neighbourhood(GUEST, org).nodes == ()
    sighting = service.neighbourhood(GUEST, secret_place["id"])
    assert {n.id for n in sighting.nodes} == {ind}
