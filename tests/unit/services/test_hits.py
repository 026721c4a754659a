"""The hits service over a real SQLite node: who may read matching runs, paging, and what a
run names passing the sharing policy for its reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import CLEAR, RED, ident, new_version, stix

from entente.bootstrap import Node, hits, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import PermissionDenied
from entente.services import node_context, org_identity_id
from entente.services.hits import HitsService
from entente.sharing import Principal, Role
from entente.store import MatchRunRecord, Provenance, SourceKind

NODE = "CERT-X"
NODE_ORG = org_identity_id(NODE)
FEED = Provenance(SourceKind.FEED, "feed A", "operator")


def person(org: str, role: Role, *, individual: bool = True) -> Principal:
    return Principal(id=f"user:{org}:{role}", org=org, role=role, is_individual=individual)


ANALYST = person(NODE_ORG, Role.ANALYST)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'node.db'}", org_name=NODE
    )
    with open_node(settings, FixedClock()) as opened:
        yield opened


def _indicator(n: int, marking: str) -> dict[str, object]:
    return stix(
        "indicator",
        n,
        marking,
        name=f"indicator {n}",
        pattern=f"[ipv4-addr:value = '198.51.100.{n}']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
    )


@pytest.mark.parametrize(
    "reader",
    [
        None,
        person(NODE_ORG, Role.READER),
        person(org_identity_id("Org B"), Role.ANALYST),
        person(org_identity_id("Org B"), Role.ADMIN),
    ],
)
def test_only_the_node_orgs_admins_and_analysts_may_read_runs(
    node: Node, reader: Principal | None
) -> None:
    node.match_runs.add(MatchRunRecord(None, "match", 1, 2, {"hits": 1}))
    service = hits(node)
    with pytest.raises(PermissionDenied):
        service.runs(reader)
    with pytest.raises(PermissionDenied):
        service.run(reader, 1)
    for staff in (ANALYST, person(NODE_ORG, Role.ADMIN)):
        assert service.runs(staff).total == 1


def test_runs_are_paged_newest_first(node: Node) -> None:
    for n in range(5):
        node.match_runs.add(MatchRunRecord(None, "hunt", n, n + 1, {"hits": n, "files": 2}))
    service = HitsService(
        store=node.store,
        runs=node.match_runs,
        context=lambda: node_context(
            node_org=NODE_ORG,
            tokens=node.tokens,
            agreements=(),
            default_marking=node.settings.default_marking,
            now_us=node.clock.now_us(),
        ),
        page_size=2,
    )
    first = service.runs(ANALYST)
    assert [r.run_id for r in first.runs] == [5, 4] and (first.pages, first.total) == (3, 5)
    assert [r.hits for r in service.runs(ANALYST, 3).runs] == [0]
    assert service.runs(ANALYST, 4).runs == ()
    assert first.runs[0].files == 2 and first.runs[0].kind == "hunt"


def test_a_run_names_only_what_the_reader_may_see(node: Node) -> None:
    # TLP:RED is for individuals only (FIRST TLP 2.0): a non-individual analyst of the node's
    # org is shown neither the RED indicator nor its value nor its sighting.
    with node.store.transaction() as tx:
        tx.insert(
            [
                (new_version(o), FEED)
                for o in (
                    _indicator(1, CLEAR),
                    _indicator(2, RED),
                    stix("sighting", 3, RED, sighting_of_ref=ident(2, "indicator"), count=1),
                    stix("sighting", 4, CLEAR, sighting_of_ref=ident(1, "indicator"), count=1),
                )
            ]
        )
    node.match_runs.add(
        MatchRunRecord(
            None,
            "match",
            1,
            2,
            {
                "hits": 3,
                "by_indicator": [
                    {"id": ident(2, "indicator"), "hits": 2},
                    {"id": ident(1, "indicator"), "hits": 1},
                ],
                "by_indicator_total": 2,
                "suppressed": [
                    {
                        "kind": "ip",
                        "value": "198.51.100.2",
                        "lists": ["L"],
                        "indicator_ids": [ident(2, "indicator")],
                        "hits": 4,
                    },
                    {
                        "kind": "ip",
                        "value": "198.51.100.1",
                        "lists": ["L"],
                        "indicator_ids": [ident(2, "indicator"), ident(1, "indicator")],
                        "hits": 5,
                    },
                ],
                "suppressed_total": 2,
                "sightings": [ident(3, "sighting"), ident(4, "sighting")],
                "sightings_total": 3,
            },
        )
    )
    service = hits(node)
    machine = person(NODE_ORG, Role.ANALYST, individual=False)
    detail = service.run(machine, 1)
    assert detail is not None
    assert [(i.id, i.name, i.hits) for i in detail.indicators] == [
        (ident(1, "indicator"), "indicator 1", 1)
    ]
    assert [(v.value, v.hits) for v in detail.suppressed] == [("198.51.100.1", 5)]
    assert detail.sightings == (ident(4, "sighting"),)
    assert detail.truncated  # three sightings, two kept
    assert service.run(ANALYST, 2) is None
