"""Deciding a request: m-of-n, orgs, four-eyes, and every signature and digest checked."""

from __future__ import annotations

import base64
import dataclasses

import orjson
import pytest

from entente.approvals import (
    ActionType,
    Approval,
    Policy,
    Request,
    State,
    Verdict,
    decide,
    sign_approval,
)
from entente.errors import InvalidInput
from entente.federation import NodeKey, PublicKey, generate_key

ORG_A = "identity--00000000-0000-4000-8000-00000000000a"
ORG_B = "identity--00000000-0000-4000-8000-00000000000b"
ORG_C = "identity--00000000-0000-4000-8000-00000000000c"
CASE = "grouping--11111111-1111-4111-8111-111111111111"
T0 = 1_700_000_000_000_000
KEY_A = generate_key()
KEY_B = generate_key()
CHANGED = "what was signed is not this approval of this request (changed since)"
KEYS: dict[str, PublicKey] = {ORG_A: KEY_A.public_key, ORG_B: KEY_B.public_key}


def request(payload: bytes = b'{"report": 1}', **changes: object) -> Request:
    base = Request(
        id="grouping--22222222-2222-4222-8222-222222222222",
        action_type=ActionType.ABUSE_REPORT,
        payload=payload,
        media_type="application/json",
        summary="X-ARF report to abuse@example.net",
        requester="alice",
        requester_org=ORG_A,
        created_us=T0,
        targets=("abuse@example.net",),
        refs=(CASE,),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]  # test overrides


def approve(
    req: Request,
    user: str,
    *,
    org: str = ORG_A,
    key: NodeKey = KEY_A,
    verdict: Verdict = Verdict.APPROVE,
    role: str = "analyst",
    at: int = 1,
) -> Approval:
    return sign_approval(
        key,
        req,
        verdict=verdict,
        approver=user,
        approver_org=org,
        approver_role=role,
        time_us=T0 + at,
    )


def test_four_eyes_needs_two_distinct_approvers_besides_the_requester() -> None:
    req = request()
    one = decide(req, [approve(req, "bob")], Policy(), KEYS)
    assert one.state is State.PENDING
    assert one.approvals_needed == 1
    assert "1 more approval" in one.missing()
    two = decide(req, [approve(req, "bob"), approve(req, "carol", at=2)], Policy(), KEYS)
    assert two.approved
    assert {a.approver for a in two.counted} == {"bob", "carol"}


def test_the_requester_does_not_approve_their_own_request() -> None:
    req = request()
    decision = decide(req, [approve(req, "alice"), approve(req, "bob")], Policy(), KEYS)
    assert decision.state is State.PENDING
    assert [i.reason for i in decision.ignored] == [
        "the requester does not approve their own request (four-eyes)"
    ]


def test_a_policy_may_let_the_requester_approve() -> None:
    req = request()
    policy = Policy(requester_may_approve=True)
    assert decide(req, [approve(req, "alice"), approve(req, "bob")], policy, KEYS).approved


def test_the_same_user_twice_counts_once() -> None:
    req = request()
    decision = decide(req, [approve(req, "bob"), approve(req, "bob", at=2)], Policy(), KEYS)
    assert decision.state is State.PENDING
    assert len(decision.counted) == 1
    assert decision.ignored[0].reason.startswith("the same approver decided again")


def test_a_user_of_another_org_with_the_same_id_is_another_approver() -> None:
    req = request()
    approvals = [approve(req, "bob"), approve(req, "bob", org=ORG_B, key=KEY_B)]
    assert decide(req, approvals, Policy(), KEYS).approved


def test_a_rejection_rejects_and_a_later_approval_by_the_same_user_replaces_it() -> None:
    req = request()
    no = approve(req, "bob", verdict=Verdict.REJECT)
    rejected = decide(req, [no, approve(req, "carol", at=2), approve(req, "dave")], Policy(), KEYS)
    assert rejected.state is State.REJECTED
    assert [a.approver for a in rejected.rejected_by] == ["bob"]
    assert rejected.missing() == ""
    yes = approve(req, "bob", at=3)
    assert decide(req, [no, yes, approve(req, "carol", at=2)], Policy(), KEYS).approved


def test_a_changed_payload_needs_new_approvals() -> None:
    req = request()
    approvals = [approve(req, "bob"), approve(req, "carol")]
    changed = request(payload=b'{"report": 2}')
    decision = decide(changed, approvals, Policy(), KEYS)
    assert decision.state is State.PENDING
    assert decision.approvals_needed == 2
    assert all("what will be sent has changed" in i.reason for i in decision.ignored)


def test_a_request_sent_elsewhere_since_needs_new_approvals() -> None:
    req = request()
    approvals = [approve(req, "bob"), approve(req, "carol")]
    elsewhere = request(targets=("abuse@attacker.example",))
    decision = decide(elsewhere, approvals, Policy(), KEYS)
    assert decision.state is State.PENDING
    assert [i.reason for i in decision.ignored] == [CHANGED, CHANGED]


def test_an_approval_signed_by_an_unknown_key_does_not_count() -> None:
    req = request()
    forged = approve(req, "mallory", key=generate_key())
    decision = decide(req, [forged, approve(req, "bob")], Policy(), KEYS)
    assert decision.state is State.PENDING
    assert decision.ignored[0].reason == f"no valid signature by the node key of {ORG_A}"


def test_an_approval_of_an_org_whose_key_is_unknown_does_not_count() -> None:
    req = request()
    key_c = generate_key()
    decision = decide(req, [approve(req, "x", org=ORG_C, key=key_c)], Policy(1), KEYS)
    assert decision.ignored[0].reason == f"no node key is known for {ORG_C}"


def test_an_org_cannot_sign_for_another_org() -> None:
    req = request()
    # Node B's key, claiming node A's org: the org's own key is the one that must sign.
    decision = decide(req, [approve(req, "bob", org=ORG_A, key=KEY_B)], Policy(1), KEYS)
    assert decision.state is State.PENDING


def test_a_stored_field_changed_after_signing_does_not_verify() -> None:
    req = request()
    signed = approve(req, "bob", role="reader")
    promoted = dataclasses.replace(signed, approver_role="admin")
    decision = decide(req, [promoted], Policy(1), KEYS)
    assert decision.ignored[0].reason == CHANGED
    flipped = dataclasses.replace(
        approve(req, "bob", verdict=Verdict.REJECT), verdict=Verdict.APPROVE
    )
    assert not decide(req, [flipped], Policy(1), KEYS).approved


def test_a_tampered_signature_does_not_verify() -> None:
    req = request()
    signed = approve(req, "bob")
    document = orjson.loads(signed.envelope)
    sig = bytearray(base64.b64decode(document["signatures"][0]["sig"]))
    sig[0] ^= 1
    document["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode("ascii")
    tampered = dataclasses.replace(signed, envelope=orjson.dumps(document))
    assert not decide(req, [tampered], Policy(1), KEYS).approved
    garbage = dataclasses.replace(signed, envelope=b"not json")
    reason = decide(req, [garbage], Policy(1), KEYS).ignored[0].reason
    assert reason.startswith("not a DSSE envelope")


def test_readers_never_approve() -> None:
    req = request()
    decision = decide(req, [approve(req, "rita", role="reader")], Policy(1), KEYS)
    assert decision.ignored[0].reason == "a reader does not approve; admins and analysts do"


def test_an_approval_for_another_request_does_not_count() -> None:
    req = request()
    other = request(id="grouping--33333333-3333-4333-8333-333333333333")
    decision = decide(req, [approve(other, "bob")], Policy(1), KEYS)
    assert decision.ignored[0].reason.startswith("it is for another request")


def test_each_required_org_must_approve() -> None:
    req = request(required_orgs=(ORG_B,))
    ours = [approve(req, "bob"), approve(req, "carol")]
    pending = decide(req, ours, Policy(), KEYS)
    assert pending.state is State.PENDING
    assert pending.orgs_missing == (ORG_B,)
    assert pending.approvals_needed == 1
    assert ORG_B in pending.missing()
    theirs = approve(req, "bert", org=ORG_B, key=KEY_B)
    assert decide(req, [*ours, theirs], Policy(), KEYS).approved


def test_policy_required_orgs_and_approver_orgs_bind() -> None:
    req = request()
    policy = Policy(min_approvals=2, required_orgs=(ORG_B,), approver_orgs=(ORG_A,))
    decision = decide(req, [approve(req, "bob"), approve(req, "carol")], policy, KEYS)
    assert decision.orgs_missing == (ORG_B,)
    only_b = Policy(min_approvals=1, approver_orgs=(ORG_B,))
    refused = decide(req, [approve(req, "bob")], only_b, KEYS)
    assert refused.ignored[0].reason == f"{ORG_A} is not among the orgs that approve this action"


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"min_approvals": 0}, "min_approvals must be a positive integer"),
        ({"required_orgs": ("acme",)}, "a STIX identity id"),
        ({"min_approvals": 1, "required_orgs": (ORG_A, ORG_B)}, "cannot each approve"),
    ],
)
def test_a_policy_that_cannot_work_is_refused(policy: dict[str, object], message: str) -> None:
    from entente.errors import InvalidInput

    with pytest.raises(InvalidInput, match=message):
        Policy(**policy)  # type: ignore[arg-type]  # the point is the bad values


@pytest.mark.parametrize(
    "media_type",
    ["application/json", "message/rfc822", "application/x-tar", "text/plain; charset=utf-8"],
)
def test_a_media_type_that_may_be_a_content_type_is_accepted(media_type: str) -> None:
    assert request(media_type=media_type).media_type == media_type


@pytest.mark.parametrize(
    "media_type",
    ["", "json", "text/plain\r\nX-Injected: 1", "text/plain\n", "a/b/c", "text /plain"],
)
def test_a_media_type_that_is_no_header_value_is_refused(media_type: str) -> None:
    # A partner's request names it and the payload route sends it as the Content-Type.
    with pytest.raises(InvalidInput, match="is not type/subtype"):
        request(media_type=media_type)
