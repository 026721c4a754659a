"""Approvals over a real SQLite node: requests and signed approvals stored through the write
path, four-eyes and roles enforced, audited, and ``require_approved`` refusing what is not."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from entente.approvals import (
    APPROVAL_EXTENSION_ID,
    REQUEST_EXTENSION_ID,
    ActionType,
    Policy,
    State,
    Verdict,
    render_approval,
)
from entente.bootstrap import Node, approvals, audit_log, open_node, taxii
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, NotApproved, ObjectNotFound, PermissionDenied
from entente.services import node_org_id
from entente.services.approvals import ApprovalService, status_document
from entente.sharing import Principal, Role
from entente.stix import Tlp, marking_id_for
from entente.store import SourceKind

ORG = node_org_id("Entente node")
OTHER = node_org_id("Org B")
CASE = "grouping--11111111-1111-4111-8111-111111111111"
PAYLOAD = b'{"Category": "fraud", "Report": {"Source": "198.51.100.7"}}'


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as opened:
        yield opened


def person(name: str, role: Role = Role.ANALYST, org: str = ORG) -> Principal:
    return Principal(f"user:{name}", org, role, True)


ALICE, BOB, CAROL = person("alice"), person("bob"), person("carol", Role.ADMIN)


def ask(service: ApprovalService, payload: bytes = PAYLOAD) -> str:
    return service.request(
        ALICE,
        ActionType.ABUSE_REPORT,
        payload,
        summary="X-ARF fraud report on 198.51.100.7 to abuse@example.net",
        targets=["abuse@example.net"],
        refs=[CASE],
    ).id


def test_a_request_and_its_approvals_are_stix_stored_as_their_principals(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    [stored] = node.store.get_versions(rid, ("all",))
    assert stored.provenance.source_kind is SourceKind.USER
    assert (stored.provenance.principal, stored.created_by_ref) == (ALICE.id, ORG)
    assert stored.marking_refs == (marking_id_for(Tlp.AMBER),)
    assert REQUEST_EXTENSION_ID in stored.to_json()["extensions"]
    node.clock.advance(1_000_000)  # type: ignore[attr-defined]  # a FixedClock
    approval = service.approve(BOB, rid, Verdict.APPROVE, "checked the evidence")
    [opinion] = node.store.get_versions(approval.id, ("all",))
    obj = opinion.to_json()
    assert (obj["opinion"], obj["object_refs"]) == ("agree", [rid])
    assert obj["extensions"][APPROVAL_EXTENSION_ID]["approver"] == BOB.id
    assert opinion.marking_refs == stored.marking_refs
    for definition in (REQUEST_EXTENSION_ID, APPROVAL_EXTENSION_ID):
        assert len(node.store.get_versions(definition, ("all",))) == 1


def test_four_eyes_two_approvals_then_require_approved_passes(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    with pytest.raises(NotApproved, match="is pending: 2 more approval"):
        service.require_approved(ALICE, rid, PAYLOAD)
    service.approve(BOB, rid, Verdict.APPROVE)
    assert service.status(ALICE, rid).decision.approvals_needed == 1
    service.approve(CAROL, rid, Verdict.APPROVE)
    decision = service.require_approved(ALICE, rid, PAYLOAD)
    assert decision.state is State.APPROVED
    assert {a.approver for a in decision.counted} == {BOB.id, CAROL.id}
    document = status_document(service.status(BOB, rid))
    assert document["payload_text"] == PAYLOAD.decode()
    assert document["state"] == "approved"


def test_a_changed_payload_is_refused_even_when_approved(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    service.approve(BOB, rid, Verdict.APPROVE)
    service.approve(CAROL, rid, Verdict.APPROVE)
    with pytest.raises(NotApproved, match="a changed payload needs a new request"):
        service.require_approved(ALICE, rid, PAYLOAD + b" ")


def test_a_rejection_refuses_the_send(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    service.approve(BOB, rid, Verdict.APPROVE)
    service.approve(CAROL, rid, Verdict.REJECT, "wrong provider")
    with pytest.raises(NotApproved, match=f"rejected by {CAROL.id}"):
        service.require_approved(ALICE, rid, PAYLOAD)


def test_the_requester_and_readers_do_not_approve(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    before = node.store.stats().versions
    with pytest.raises(PermissionDenied, match="four-eyes"):
        service.approve(ALICE, rid, Verdict.APPROVE)
    with pytest.raises(PermissionDenied, match="only admins and analysts"):
        service.approve(person("rita", Role.READER), rid, Verdict.APPROVE)
    token = Principal("tok_0123456789ab", ORG, Role.ADMIN, False)
    with pytest.raises(PermissionDenied, match="named people, not API tokens"):
        service.approve(token, rid, Verdict.APPROVE)
    assert service.pending_for(token) == []
    with pytest.raises(PermissionDenied, match="only admins and analysts"):
        service.request(
            person("rita", Role.READER),
            ActionType.REFERRAL,
            b"x",
            summary="s",
            targets=[],
            refs=[CASE],
        )
    assert node.store.stats().versions == before


def test_the_same_user_twice_counts_once(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    service.approve(BOB, rid, Verdict.APPROVE)
    node.clock.advance(1)  # type: ignore[attr-defined]  # a FixedClock
    service.approve(BOB, rid, Verdict.APPROVE)
    shown = service.status(ALICE, rid)
    assert len(shown.approvals) == 2
    assert len(shown.decision.counted) == 1
    assert shown.decision.state is State.PENDING


def test_only_the_orgs_the_policy_names_approve(node: Node) -> None:
    policies = {ActionType.ADVISORY: Policy(1, approver_orgs=(OTHER,))}
    service = dataclasses.replace(node.settings, approvals=policies)
    with open_node(service, node.clock) as reopened:
        limited = approvals(reopened)
        rid = limited.request(
            ALICE,
            ActionType.ADVISORY,
            b"# Advisory",
            summary="joint advisory",
            targets=["public"],
            refs=[CASE],
            media_type="text/markdown",
        ).id
        with pytest.raises(PermissionDenied, match="is not among the orgs that approve advisory"):
            limited.approve(BOB, rid, Verdict.APPROVE)
        with pytest.raises(PermissionDenied, match="on the approver's own node"):
            limited.approve(person("bert", org=OTHER), rid, Verdict.APPROVE)


def test_pending_lists_what_a_user_may_still_approve(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    assert [s.request.id for s in service.pending_for(BOB)] == [rid]
    assert service.pending_for(ALICE) == []  # their own
    assert service.pending_for(person("rita", Role.READER)) == []
    service.approve(BOB, rid, Verdict.APPROVE)
    assert service.pending_for(BOB) == []
    assert [s.request.id for s in service.pending_for(CAROL)] == [rid]
    assert [s.request.id for s in service.list_requests(BOB, state=State.PENDING)] == [rid]
    assert service.list_requests(BOB, state=State.APPROVED) == []


def test_requests_about_an_object_are_those_listing_it_in_their_refs(node: Node) -> None:
    service = approvals(node)
    other_case = "grouping--22222222-2222-4222-8222-222222222222"
    about = [ask(service), ask(service, b'{"another": "report"}')]
    service.request(
        ALICE,
        ActionType.ADVISORY,
        b"elsewhere",
        summary="about another case",
        targets=["public"],
        refs=[other_case],
    )
    service.approve(BOB, about[0], Verdict.APPROVE)  # an opinion refers to it too
    for who in (ALICE, BOB, person("rita", Role.READER), person("olaf", org=OTHER)):
        # The graph index finds what filtering every request finds (its reference twin).
        twin = [s for s in service.list_requests(who) if CASE in s.request.refs]
        assert service.requests_about(who, CASE) == twin
    assert {s.request.id for s in service.requests_about(BOB, CASE)} == set(about)
    # A partner org's user sees none of the node's AMBER requests.
    assert service.requests_about(person("olaf", org=OTHER), CASE) == []


def test_requests_and_decisions_are_audited(node: Node) -> None:
    service = approvals(node)
    rid = ask(service)
    service.approve(BOB, rid, Verdict.APPROVE)
    service.approve(CAROL, rid, Verdict.REJECT, "no")
    log = audit_log(node)
    entries = [e for e in log.who_saw(object_id=rid) if e.action.startswith("approval.")]
    assert sorted((e.action, e.actor.id) for e in entries) == [
        ("approval.approve", BOB.id),
        ("approval.reject", CAROL.id),
        ("approval.request", ALICE.id),
    ]
    assert {e.details["sha256"] for e in entries} == {service.status(ALICE, rid).request.digest}
    assert log.verify().ok


def test_bad_input_is_a_clear_error_that_writes_nothing(node: Node) -> None:
    service = approvals(node)
    before = node.store.stats().versions
    with pytest.raises(InvalidInput, match="at least one STIX object"):
        service.request(ALICE, ActionType.REFERRAL, b"x", summary="s", targets=[], refs=[])
    with pytest.raises(InvalidInput, match="needs a summary"):
        service.request(ALICE, ActionType.REFERRAL, b"x", summary=" ", targets=[], refs=[CASE])
    with pytest.raises(InvalidInput, match="not an approval request id"):
        service.status(ALICE, "opinion--x")
    with pytest.raises(ObjectNotFound, match="no approval request"):
        service.status(ALICE, "grouping--00000000-0000-4000-8000-000000000099")
    assert node.store.stats().versions == before


def test_an_opinion_from_an_org_whose_key_is_unknown_is_shown_but_does_not_count(
    node: Node,
) -> None:
    service = approvals(node)
    rid = ask(service)
    service.approve(BOB, rid, Verdict.APPROVE)
    # Org C copies Bob's signed approval as its own opinion: stored (it is valid STIX), shown,
    # and ignored with the reason, as a forged or unknown signature must be.
    [mine] = service.status(ALICE, rid).approvals
    stranger = Principal("user:eve", node_org_id("Org C"), Role.ANALYST, True)
    forged = dataclasses.replace(mine, approver="user:eve", approver_org=stranger.org)
    obj = render_approval(forged, approval_id="opinion--55555555-5555-4555-8555-555555555555")
    taxii(node).add([obj], stranger, collection=None, source="t", source_name="t")
    shown = service.status(ALICE, rid)
    assert len(shown.approvals) == 2
    [ignored] = shown.decision.ignored
    assert ignored.reason == f"no node key is known for {stranger.org}"
    assert shown.decision.approvals_needed == 1
