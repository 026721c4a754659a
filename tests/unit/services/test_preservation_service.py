"""Preservation requests from a case through the services: the data only from objects the
requester may see, the letter signed by the node key, the request recorded on the case."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from entente.approvals import Verdict
from entente.bootstrap import Node, approvals, audit_log, cases, open_node, preservation, taxii
from entente.cases import Answer, CaseType
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, NotApproved, ObjectNotFound, PermissionDenied
from entente.preservation import Contact, verify_letter
from entente.services import create_token, node_org_id, principal_of
from entente.services.preservation import PreservationInput
from entente.sharing import Principal, Role
from entente.stix import Tlp, marking_id_for

NL = Contact("NL", "Team High Tech Crime", "24-7@example.nl", "+31 70 000 0000")
GIVEN = PreservationInput(
    country="nl",
    requesting_authority="CERT-X",
    offence="Illegal access (Art. 2)",
    facts="Intrusions in November 2026.",
    data_link="The addresses served command and control.",
    custodian="Example Hosting B.V.",
    necessity="Logs are rotated after 30 days.",
    signatory="J. Doe, Head of CERT-X",
)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        preservation_contacts=(NL,),
    )
    with open_node(settings, FixedClock()) as opened:
        yield opened


def principal(node: Node, org: str, role: str = "analyst") -> Principal:
    token, _ = create_token(node.tokens, node.clock, org_name=org, role=role)
    return principal_of(token)


def indicator(n: int, tlp: Tlp) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "object_marking_refs": [marking_id_for(tlp)],
    }


def _case(node: Node) -> tuple[Principal, str]:
    """A TLP:GREEN case of the node's org referencing a GREEN and an AMBER+STRICT indicator."""
    ours = principal(node, "Entente node")
    objects = [indicator(1, Tlp.GREEN), indicator(2, Tlp.AMBER_STRICT)]
    stored = taxii(node).add(objects, ours, collection=None, source="t", source_name="t")
    assert all(e.outcome == "added" for e in stored)
    service = cases(node)
    case_id = service.create(ours, name="x", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN).case.id
    service.attach(ours, case_id, [o["id"] for o in objects])
    return ours, case_id


def test_the_data_comes_only_from_the_objects_the_requester_may_see(node: Node) -> None:
    ours, case_id = _case(node)
    service = preservation(node)
    mine = service.draft(ours, case_id, GIVEN)
    assert [d.value for d in mine.data] == ["198.51.100.1", "198.51.100.2"]
    assert mine.addressee == NL
    # Org B sees the GREEN case and indicator, never the AMBER+STRICT one.
    theirs = service.draft(principal(node, "Org B"), case_id, GIVEN)
    assert [d.value for d in theirs.data] == ["198.51.100.1"]


def _person(node: Node, name: str) -> Principal:
    """A named analyst of the node's org: approvals are people's (ADR 0019)."""
    return Principal(f"user:{name}", node_org_id("Entente node"), Role.ANALYST, True)


def test_sending_needs_approval_then_signs_the_letter_and_records_it(node: Node) -> None:
    ours, case_id = _case(node)
    desk, service = approvals(node), preservation(node)
    asked = service.request_approval(ours, case_id, GIVEN, desk, channel="cli")
    with pytest.raises(NotApproved, match="pending"):
        service.send(ours, case_id, asked.number, desk, channel="cli")
    assert cases(node).show(ours, case_id).shown.case.preservation == ()
    for name in ("alice", "bob"):
        desk.approve(_person(node, name), asked.approval.request.id, Verdict.APPROVE, "checked")
    letter = service.send(ours, case_id, asked.number, desk, channel="cli")
    assert verify_letter(letter.pdf, letter.envelope, node.key.public_key).passed
    case = cases(node).show(ours, case_id).shown.case
    (record,) = case.preservation
    assert record.reference == letter.request.reference
    assert record.reference.startswith("PR-") and record.reference.endswith("-1")
    assert record.addressee == "Team High Tech Crime (NL)"
    assert record.pdf_sha256 == hashlib.sha256(letter.pdf).hexdigest()
    actions = [e.action for e in audit_log(node).custody_entries(case_id)]
    assert "preservation-requested" in actions
    cases(node).record_answer(ours, case_id, record.reference, Answer.ACKNOWLEDGED)
    answered = cases(node).show(ours, case_id).shown.case.preservation[0]
    assert answered.answer is Answer.ACKNOWLEDGED


def test_a_request_refused_records_nothing(node: Node) -> None:
    ours, case_id = _case(node)
    service = preservation(node)
    before = node.store.stats().versions
    desk = approvals(node)
    with pytest.raises(PermissionDenied, match="only the org that created"):
        service.request_approval(principal(node, "Org B"), case_id, GIVEN, desk)
    with pytest.raises(InvalidInput, match=r"\(e\) the necessity of the preservation"):
        service.request_approval(ours, case_id, replace(GIVEN, necessity=""), desk)
    with pytest.raises(InvalidInput, match="no 24/7 point of contact for 'FR'"):
        service.request_approval(ours, case_id, replace(GIVEN, country="FR"), desk)
    with pytest.raises(ObjectNotFound):
        service.request_approval(
            ours, "grouping--00000000-0000-4000-8000-0000000000ff", GIVEN, desk
        )
    assert node.store.stats().versions == before
