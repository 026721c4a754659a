"""Leak differential for cases: every principal lists and reads exactly the cases the policy
oracle (tests/unit/sharing/oracle.py) lets it see, no hidden case's content anywhere, and no
id of an object the case references that the oracle hides from it."""

from __future__ import annotations

import itertools
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.server.conftest import PRINCIPALS, Harness, indicator
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
    st.tuples(
        st.sampled_from(sorted(CREATORS)),
        st.sampled_from([None, *Tlp]),
        st.sampled_from([None, *Tlp]),
    ),
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
    refs: list[tuple[str, VersionFacts]] = []
    referenced: dict[str, str] = {}

    def context() -> NodeContext:
        return NodeContext(
            node_org=NODE,
            community_orgs=frozenset(node_org_id(org) for org, _ in PRINCIPALS.values()),
            agreements=tuple(federation(harness.node).agreements()),
            now_us=harness.node.clock.now_us(),
        )

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(specs=specs)
    def check(specs: list[tuple[str, Tlp | None, Tlp | None]]) -> None:
        for creator, tlp, ref_tlp in specs:
            number = next(_numbers)
            canary = f"CANARY-{number}"
            # An indicator of the node's, which the case references when its creator may see it.
            ref = indicator(number, tlp=ref_tlp)
            posted = harness.client.post(
                "/api/v1/objects", json=[ref], headers=harness.headers["admin"]
            )
            assert posted.json()["failure_count"] == 0, posted.text
            ref_facts = VersionFacts(
                id=ref["id"],
                type="indicator",
                created_by_ref=None,
                marking_refs=() if ref_tlp is None else (marking_id_for(ref_tlp),),
            )
            refs.append((ref["id"], ref_facts))
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
            if sees and oracle_view(ref_facts, principals[creator], context()) is not None:
                attached = harness.client.post(
                    f"/api/v1/cases/{case_id}/attach",
                    json={"objects": [ref["id"]]},
                    headers=harness.headers[creator],
                )
                assert attached.status_code == 200, attached.text
                referenced[case_id] = ref["id"]
        for name, principal in principals.items():
            allowed = {
                cid for cid, _, f in made if oracle_view(f, principal, context()) is not None
            }
            hidden = {canary for cid, canary, _ in made if cid not in allowed}
            unseen = {r for r, f in refs if oracle_view(f, principal, context()) is None}
            listed = harness.client.get("/api/v1/cases", headers=harness.headers[name])
            assert listed.status_code == 200, (name, listed.text)
            assert {c["id"] for c in listed.json()["cases"]} == allowed, name
            assert not set(CANARY.findall(listed.text)) & hidden, name
            assert not {r for r in unseen if r in listed.text}, name
            for case_id, _, _ in made:
                one = harness.client.get(f"/api/v1/cases/{case_id}", headers=harness.headers[name])
                assert (one.status_code == 200) is (case_id in allowed), (name, case_id)
                assert not set(CANARY.findall(one.text)) & hidden, (name, case_id)
                assert not {r for r in unseen if r in one.text}, (name, case_id)
                # Hypotheses read the case as the caller: a hidden case answers as absent.
                hypotheses = harness.client.get(
                    f"/api/v1/cases/{case_id}/hypotheses", headers=harness.headers[name]
                )
                assert hypotheses.status_code == (400 if case_id in allowed else 404), name
                assert not set(CANARY.findall(hypotheses.text)) & hidden, (name, case_id)
                if one.status_code == 200:
                    shown_refs = one.json()["refs"]
                    ref_id = referenced.get(case_id)
                    expected = [] if ref_id is None or ref_id in unseen else [ref_id]
                    assert shown_refs == expected, (name, case_id)

    check()
