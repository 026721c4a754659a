"""Properties of ``decide`` on generated approvals: the order they are read in never matters,
and what it counts obeys the policy's rules whatever the mix."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.approvals.test_decision import KEY_A, KEY_B, KEYS, ORG_A, ORG_B, approve, request

from entente.approvals import Approval, Policy, State, Verdict, decide
from entente.federation import generate_key

STRANGER = generate_key()
REQUEST = request()
OTHER_PAYLOAD = request(payload=b"other bytes")


# One approval: who (org, user), verdict, role, time, and whether it is forged or stale.
@st.composite
def one(draw: st.DrawFn) -> Approval:
    org = draw(st.sampled_from([ORG_A, ORG_B]))
    flaw = draw(st.sampled_from(["none", "none", "none", "forged", "stale"]))
    key = {ORG_A: KEY_A, ORG_B: KEY_B}[org] if flaw != "forged" else STRANGER
    return approve(
        OTHER_PAYLOAD if flaw == "stale" else REQUEST,
        draw(st.sampled_from(["alice", "bob", "carol"])),
        org=org,
        key=key,
        verdict=draw(st.sampled_from(list(Verdict))),
        role=draw(st.sampled_from(["analyst", "admin", "reader"])),
        at=draw(st.integers(0, 2)),
    )


policies = st.builds(
    Policy,
    min_approvals=st.integers(1, 3),
    required_orgs=st.sampled_from([(), (ORG_B,)]),
    requester_may_approve=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(one(), max_size=8), policies, st.randoms(use_true_random=False))
def test_the_order_of_the_approvals_does_not_matter(
    approvals: list[Approval], policy: Policy, shuffler: object
) -> None:
    shuffled = list(approvals)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]  # a random.Random
    first, second = (
        decide(REQUEST, approvals, policy, KEYS),
        decide(REQUEST, shuffled, policy, KEYS),
    )
    assert (first.state, first.approvals_needed, first.orgs_missing) == (
        second.state,
        second.approvals_needed,
        second.orgs_missing,
    )
    assert set(first.counted) == set(second.counted)


@settings(max_examples=200, deadline=None)
@given(st.lists(one(), max_size=8), policies)
def test_only_valid_distinct_eligible_approvals_count(
    approvals: list[Approval], policy: Policy
) -> None:
    decision = decide(REQUEST, approvals, policy, KEYS)
    counted = decision.counted + decision.rejected_by
    who = [(a.approver_org, a.approver) for a in counted]
    assert len(who) == len(set(who))  # the same user twice counts once
    for approval in counted:
        assert approval.digest == REQUEST.digest
        assert approval.approver_role != "reader"
        assert policy.requester_may_approve or (approval.approver_org, approval.approver) != (
            REQUEST.requester_org,
            REQUEST.requester,
        )
    assert len(counted) + len(decision.ignored) == len(approvals)
    if decision.state is State.APPROVED:
        assert len(decision.counted) >= policy.min_approvals
        assert set(policy.required_orgs) <= {a.approver_org for a in decision.counted}
        assert not decision.rejected_by
