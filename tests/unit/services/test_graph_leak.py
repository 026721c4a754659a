"""Leak differential for the graph and the ATT&CK matrix: for generated objects, markings,
creators and readers, each neighbourhood and each matrix count is what a naive recompute
through the policy oracle (tests/unit/sharing/oracle.py) allows, and the SVG and the table
hold no name or id of anything hidden."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.factories import AMBER, CLEAR, GREEN, RED, ident, new_version, stix
from tests.unit.sharing.oracle import oracle_view

from entente.clock import FixedClock
from entente.errors import ObjectNotFound
from entente.graph import layout_graph, render_graph_svg, render_matrix_html
from entente.services.attack_matrix import AttackMatrixService
from entente.services.graph import GraphService
from entente.sharing import NodeContext, Principal, Role, VersionFacts
from entente.stix import granular_markings_of
from entente.stix.markings import Tlp
from entente.store import Provenance, SourceKind
from entente.store.sql import SqlStore, open_store
from entente.store.sql_search import SqlSearchIndex

NODE_ORG = "identity--00000000-0000-4000-8000-00000000000a"
PARTNER_ORG = "identity--00000000-0000-4000-8000-00000000000b"
OUTSIDE_ORG = "identity--00000000-0000-4000-8000-00000000000c"
AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
FEED = Provenance(SourceKind.FEED, "feed A", "alice")
CONTEXT = NodeContext(
    node_org=NODE_ORG,
    community_orgs=frozenset({NODE_ORG, PARTNER_ORG}),
    default_marking=Tlp.AMBER_STRICT,
    now_us=1,
)
READERS: dict[str, Principal | None] = {
    "operator": Principal(id="alice", org=NODE_ORG, role=Role.ADMIN, is_individual=True),
    "community": Principal(id="bob", org=PARTNER_ORG, role=Role.ANALYST, is_individual=True),
    "outsider": Principal(id="carol", org=OUTSIDE_ORG, role=Role.READER, is_individual=True),
    "public": None,
}
KINDS = ["malware", "tool", "intrusion-set", "campaign", "attack-pattern"]
MARKINGS = [None, CLEAR, GREEN, AMBER, AMBER_STRICT, RED]
CREATORS = [None, PARTNER_ORG]
_numbers = itertools.count(1)

marking = st.sampled_from(MARKINGS)
creator = st.sampled_from(CREATORS)
specs = st.fixed_dictionaries(
    {
        "nodes": st.lists(
            st.tuples(st.sampled_from(KINDS), marking, creator), min_size=2, max_size=7
        ),
        "relationships": st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, 6), marking, creator), max_size=10
        ),
        "reports": st.lists(
            st.tuples(marking, creator, st.lists(st.integers(0, 6), max_size=4), st.booleans()),
            max_size=3,
        ),
    }
)


@dataclass
class Example:
    """One generated set of objects, by id."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, obj: dict[str, Any]) -> str:
        self.objects[obj["id"]] = obj
        return str(obj["id"])


def canary(object_id: str) -> str:
    return f"CANARY-{object_id[-12:]}-"


def build(spec: dict[str, Any]) -> Example:
    example = Example()
    nodes: list[str] = []
    for kind, mark, who in spec["nodes"]:
        n = next(_numbers)
        extra: dict[str, Any] = {"name": canary(ident(n, kind)) + kind}
        if kind == "malware":
            extra["is_family"] = False
        if kind == "attack-pattern":
            extra["kill_chain_phases"] = [
                {"kill_chain_name": "mitre-attack", "phase_name": "execution"}
            ]
        if who is not None:
            extra["created_by_ref"] = who
        nodes.append(example.add(stix(kind, n, mark, **extra)))
    for a, b, mark, who in spec["relationships"]:
        n = next(_numbers)
        rel = stix(
            "relationship",
            n,
            mark,
            relationship_type="uses",
            source_ref=nodes[a % len(nodes)],
            target_ref=nodes[b % len(nodes)],
        )
        if who is not None:
            rel["created_by_ref"] = who
        example.add(rel)
    for mark, who, members, secret_refs in spec["reports"]:
        n = next(_numbers)
        refs = list(dict.fromkeys(nodes[m % len(nodes)] for m in members)) or [nodes[0]]
        report = stix(
            "report",
            n,
            mark,
            name=canary(ident(n, "report")) + "report",
            published="2024-01-01T00:00:00Z",
            object_refs=refs,
        )
        if who is not None:
            report["created_by_ref"] = who
        if secret_refs:
            report["granular_markings"] = [{"marking_ref": RED, "selectors": ["object_refs"]}]
        example.add(report)
    return example


def visible(obj: dict[str, Any], who: Principal | None) -> bool:
    """The oracle's word; a report whose object_refs it hides is withheld (STIX 2.1 §4.14
    requires them)."""
    facts = VersionFacts(
        id=obj["id"],
        type=obj["type"],
        created_by_ref=obj.get("created_by_ref"),
        marking_refs=tuple(obj.get("object_marking_refs", ())),
        granular=granular_markings_of(obj),
        third_party=True,  # read from a feed: not authored here
    )
    hidden = oracle_view(facts, who, CONTEXT)
    return hidden is not None and not (obj["type"] == "report" and "object_refs" in hidden)


def naive_neighbours(example: Example, centre: str, who: Principal | None) -> set[str]:
    objects = example.objects
    found: set[str] = set()
    for obj in objects.values():
        if not visible(obj, who):
            continue
        if obj["type"] == "relationship" and obj["source_ref"] != obj["target_ref"]:
            ends = (obj["source_ref"], obj["target_ref"])
            if centre in ends:
                other = ends[1] if ends[0] == centre else ends[0]
                if visible(objects[other], who):
                    found.add(other)
        if obj["type"] == "report" and centre in obj["object_refs"]:
            found.add(obj["id"])
    centre_obj = objects[centre]
    if centre_obj["type"] == "report":
        found |= {r for r in centre_obj["object_refs"] if visible(objects[r], who) and r != centre}
    if centre_obj["type"] == "relationship":
        found |= {
            r
            for r in (centre_obj["source_ref"], centre_obj["target_ref"])
            if r != centre and visible(objects[r], who)
        }
    return found


def naive_counts(example: Example, who: Principal | None) -> dict[str, int]:
    objects = example.objects
    users: dict[str, set[str]] = {
        oid: set()
        for oid, obj in objects.items()
        if obj["type"] == "attack-pattern" and visible(obj, who)
    }
    for obj in objects.values():
        if not visible(obj, who):
            continue
        if obj["type"] == "relationship":
            source, target = obj["source_ref"], obj["target_ref"]
            if (
                target in users
                and objects[source]["type"] != "attack-pattern"
                and visible(objects[source], who)
            ):
                users[target].add(source)
        if obj["type"] == "report":
            for ref in obj["object_refs"]:
                if ref in users:
                    users[ref].add(obj["id"])
    return {t: len(u) for t, u in users.items()}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    yield opened
    opened.close()


def _hidden_marks(example: Example, who: Principal | None) -> set[str]:
    return {
        mark
        for oid, obj in example.objects.items()
        if not visible(obj, who)
        for mark in (canary(oid), oid)
    }


def test_neighbourhoods_and_matrix_counts_are_what_the_oracle_allows(store: SqlStore) -> None:
    graph = GraphService(store=store, index=SqlSearchIndex(store.engine), context=lambda: CONTEXT)
    matrices = AttackMatrixService(store=store, graph=graph, context=lambda: CONTEXT)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(spec=specs)
    def check(spec: dict[str, Any]) -> None:
        example = build(spec)
        with store.transaction() as tx:
            tx.insert([(new_version(obj), FEED) for obj in example.objects.values()])
        for name, who in READERS.items():
            hidden = _hidden_marks(example, who)
            for oid, obj in example.objects.items():
                if not visible(obj, who):
                    with pytest.raises(ObjectNotFound):
                        graph.neighbourhood(who, oid)
                    continue
                expected = naive_neighbours(example, oid, who)
                whole = graph.neighbourhood(who, oid, cap=1000)
                assert {n.id for n in whole.nodes} == expected, (name, oid)
                assert whole.more == 0
                capped = graph.neighbourhood(who, oid, cap=2)
                assert len(capped.nodes) + capped.more == len(expected), (name, oid)
                assert {n.id for n in capped.nodes} <= expected
                drawn = [whole.centre, *whole.nodes]
                layout = layout_graph(
                    [n.id for n in drawn], [(e.source, e.target) for e in whole.edges]
                )
                svg = render_graph_svg(drawn, whole.edges, layout, title=whole.centre.name)
                leaked = {mark for mark in hidden if mark in svg}
                assert not leaked, (name, oid, leaked)
            matrix = matrices.matrix(who, "enterprise-attack")
            shown = {
                t.id: t.count
                for tactic in matrix.tactics
                for t in tactic.techniques
                if t.id in example.objects
            }
            assert shown == naive_counts(example, who), name
            html = render_matrix_html(matrix)
            leaked = {mark for mark in hidden if mark in html}
            assert not leaked, (name, leaked)

    check()
