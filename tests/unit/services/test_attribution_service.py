"""Attribution over a node holding the real ATT&CK for ICS release and a few hand-made
objects: the overlap index and ACH attributions read through the sharing policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.factories import CLEAR, RED, ident, relationship, stix
from tests.unit.services.test_attack_matrix_service import ICS, ingest_file

from entente.attribution import EVIDENCE_REFS, OverlapIndex, build_profiles
from entente.bootstrap import Node, attribution, open_node
from entente.clock import SystemClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.services import node_org_id
from entente.sharing import Principal, Role

DRIVE_BY = "attack-pattern--7830cfcf-b268-4ac0-a69e-73c6affbae9a"  # T0817
SANDWORM = "intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192"
CREW, SECRET_SET = ident(2, "intrusion-set"), ident(3, "intrusion-set")
INCIDENT, SIGHTING, SECRET_NOTE = ident(1, "incident"), ident(4, "note"), ident(5, "note")
SECRET_TOOL = ident(6, "malware")
EXPLOIT = "attack-pattern--32632a95-6856-47b9-9ab7-fea5cd7dce00"  # T0819


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("attribution")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'node.db'}")
    with open_node(settings, SystemClock()) as opened:
        ingest_file(opened, ICS)
        bundle: dict[str, Any] = {
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000001",
            "objects": [
                stix("incident", 1, CLEAR, name="Plant outage"),
                stix("intrusion-set", 2, CLEAR, name="Turbine crew"),
                stix("intrusion-set", 3, RED, name="SECRET SET"),
                relationship(10, CREW, "uses", DRIVE_BY),
                relationship(11, SECRET_SET, "uses", DRIVE_BY),
                stix("malware", 6, RED, name="SECRET TOOL", is_family=True),
                relationship(12, CREW, "uses", SECRET_TOOL),
                relationship(13, SECRET_TOOL, "uses", EXPLOIT),
                stix("note", 4, CLEAR, content="Beacon to a known C2", object_refs=[INCIDENT]),
                stix("note", 5, RED, content="SECRET SOURCE", object_refs=[INCIDENT]),
            ],
        }
        path = home / "hand-made.json"
        path.write_text(json.dumps(bundle))
        ingest_file(opened, path)
        yield opened


def _principal(node: Node, *, individual: bool = True, role: Role = Role.ANALYST) -> Principal:
    org = node_org_id(node.settings.org_name)
    return Principal(id="analyst", org=org, role=role, is_individual=individual)


def test_the_index_read_through_the_store_is_the_index_of_the_release_itself(node: Node) -> None:
    # The node's own analyst may see all of ATT&CK: the profiles read by type and through
    # the reverse references equal those built from the release file directly.
    index = attribution(node).overlap_index(_principal(node))
    direct = build_profiles(json.loads(ICS.read_text())["objects"])
    seen = {c: u for c, u in index.profiles.uses.items() if c not in (CREW, SECRET_SET)}
    assert seen == direct.uses
    assert index.profiles.external_ids == direct.external_ids


def test_a_case_of_sandworms_techniques_by_attack_id_offers_sandworm_first(node: Node) -> None:
    service = attribution(node)
    index: OverlapIndex = service.overlap_index(_principal(node))
    ids = {t: e for e, ts in index.profiles.external_ids.items() for t in ts}
    case = sorted(ids[t] for t in index.profiles.uses[SANDWORM])
    ranking = service.rank(_principal(node), case)
    assert ranking.candidates[0].id == SANDWORM and ranking.unknown == ()


def test_a_set_the_reader_may_not_see_is_neither_offered_nor_counted(node: Node) -> None:
    # The TLP:RED set (and its relationship) is hidden from the node's analyst, as in
    # test_attack_matrix_service; the CLEAR one is offered.
    index = attribution(node).overlap_index(_principal(node))
    assert SECRET_SET not in index.profiles.uses and SECRET_SET not in index.profiles.names
    # Nor does software it may not see lend the crew a technique.
    assert index.profiles.uses[CREW] == {DRIVE_BY: 1.0}
    offered = {c.id for c in index.rank(["T0817"]).candidates}
    assert CREW in offered and SECRET_SET not in offered
    # Nor does it count as a user of T0817 in the IDF: the release's users plus the crew.
    release = build_profiles(json.loads(ICS.read_text())["objects"])
    users = sum(1 for uses in index.profiles.uses.values() if DRIVE_BY in uses)
    assert users == 1 + sum(1 for uses in release.uses.values() if DRIVE_BY in uses)


def test_a_reader_of_another_org_is_offered_nothing(node: Node) -> None:
    # ATT&CK carries only its copyright statement: it reads as the node's default,
    # TLP:AMBER+STRICT. The hand-made CLEAR set is visible, but its technique is not.
    outsider = Principal(
        id="guest", org=node_org_id("Org B"), role=Role.ANALYST, is_individual=True
    )
    ranking = attribution(node).rank(outsider, ["T0817"])
    assert ranking.candidates == () and ranking.unknown == ("T0817",)


def _matrix(*evidence: str) -> dict[str, Any]:
    return {
        "hypotheses": [CREW, SANDWORM],
        "evidence": [
            {"ref": ref, "reliability": "B", "credibility": "2",
             "cells": {CREW: "consistent", SANDWORM: "inconsistent"}}
            for ref in evidence
        ],
    }  # fmt: skip


def test_an_assessment_makes_an_attributed_to_relationship_citing_the_evidence(
    node: Node,
) -> None:
    principal = _principal(node)
    _, result, made = attribution(node).assess(principal, INCIDENT, _matrix(SIGHTING))
    assert result.leader.hypothesis == CREW
    assert (made["source_ref"], made["target_ref"]) == (INCIDENT, CREW)
    assert made[EVIDENCE_REFS] == [SIGHTING]
    assert made["object_marking_refs"] == [CLEAR]  # the incident's own marking
    assert made["created_by_ref"] == principal.org


def test_evidence_the_reader_may_not_see_answers_as_absent(node: Node) -> None:
    token = _principal(node, individual=False)
    with pytest.raises(ObjectNotFound, match=SECRET_NOTE):
        attribution(node).assess(token, INCIDENT, _matrix(SECRET_NOTE))
    outsider = Principal(
        id="guest", org=node_org_id("Org B"), role=Role.ANALYST, is_individual=True
    )
    with pytest.raises(ObjectNotFound, match=SANDWORM):
        attribution(node).assess(outsider, INCIDENT, _matrix(SIGHTING))


def test_only_admins_and_analysts_attribute_and_only_incidents(node: Node) -> None:
    with pytest.raises(PermissionDenied):
        attribution(node).assess(_principal(node, role=Role.READER), INCIDENT, _matrix(SIGHTING))
    with pytest.raises(InvalidInput, match="incident"):
        attribution(node).assess(_principal(node), SIGHTING, _matrix(SIGHTING))
