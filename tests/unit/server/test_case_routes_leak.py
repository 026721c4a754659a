"""Leak differential for cases: every principal lists and reads exactly the cases the policy
oracle (tests/unit/sharing/oracle.py) lets it see, and no hidden case's content anywhere."""

from __future__ import annotations

import itertools
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.server.conftest import PRINCIPALS, Harness
from tests.unit.server.test_server_policy import principals_of
from tests.unit.sharing.oracle import oracle_view

from entente.bootstrap import federation
from entente.services import node_org_id
from entente.sharing import NodeContext, VersionFacts
from entente.stix import Tlp, marking_id_for

NODE = node_org_id("Entente node")
AGREEMENT = {
    "id": "node-c",
    "name": "node and Org C",
    "parties": ["Entente node", "Org C"],
    "max_tlp": "amber",
    "onward_sharing": "none",
}
# Who opens each case: the node's own analyst or an analyst of Org B.
CREATORS = {"analyst": "Entente node", "analyst_b": "Org B"}
CANARY = re.compile(r"CANARY-\d+")
_numbers = itertools.count(1)
specs = st.lists(
    st.tuples(st.sampled_from(sorted(CREATORS)), st.sampled_from([None, *Tlp])),
    min_size=1,
    max_size=4,
)


def facts(case_id: str, creator: str, tlp: Tlp | None) -> VersionFacts:
    org = node_org_id(CREATORS[creator])
    return VersionFacts(
        id=case_id,
        type="grouping",
        created_by_ref=org,
        marking_refs=() if tlp is None else (marking_id_for(tlp),),
        third_party=org != NODE,
    )


def test_cases_are_listed_and_read_exactly_as_the_oracle_allows(harness: Harness) -> None:
    federation(harness.node).add_agreement(AGREEMENT)
    principals = principals_of(harness)
    made: list[tuple[str, str, VersionFacts]] = []

    def context() -> NodeContext:
        return NodeContext(
            node_org=NODE,
            community_orgs=frozenset(node_org_id(org) for org, _ in PRINCIPALS.values()),
            agreements=tuple(federation(harness.node).agreements()),
            now_us=harness.node.clock.now_us(),
        )

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(specs=specs)
    def check(specs: list[tuple[str, Tlp | None]]) -> None:
        for creator, tlp in specs:
            canary = f"CANARY-{next(_numbers)}"
            body: dict[str, Any] = {"name": canary, "case_type": "takedown"}
            if tlp is not None:
                body["tlp"] = tlp.label
            created = harness.client.post(
                "/api/v1/cases", json=body, headers=harness.headers[creator]
            )
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            made.append((case_id, canary, facts(case_id, creator, tlp)))
            note = harness.client.post(
                f"/api/v1/cases/{case_id}/notes",
                json={"text": f"{canary} note"},
                headers=harness.headers[creator],
            )
            # A token is no individual: even its creator may not read (so change) a RED case.
            sees = oracle_view(made[-1][2], principals[creator], context()) is not None
            assert note.status_code == (200 if sees else 404), note.text
        for name, principal in principals.items():
            allowed = {
                cid for cid, _, f in made if oracle_view(f, principal, context()) is not None
            }
            hidden = {canary for cid, canary, _ in made if cid not in allowed}
            listed = harness.client.get("/api/v1/cases", headers=harness.headers[name])
            assert listed.status_code == 200, (name, listed.text)
            assert {c["id"] for c in listed.json()["cases"]} == allowed, name
            assert not set(CANARY.findall(listed.text)) & hidden, name
            for case_id, _, _ in made:
                one = harness.client.get(f"/api/v1/cases/{case_id}", headers=harness.headers[name])
                assert (one.status_code == 200) is (case_id in allowed), (name, case_id)
                assert not set(CANARY.findall(one.text)) & hidden, (name, case_id)

    check()
