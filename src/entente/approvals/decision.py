"""Decide whether a request is approved: every signature checked, every digest compared.

An approval counts only when its envelope verifies under the node key of the org it names,
it is for this request and for the exact payload digest the request states now (a changed
payload needs new approvals), its approver holds a role that approves, comes from an org the
policy lets approve, and is not the requester (four-eyes) unless the policy allows it. The
latest decision of each approver (org and user id) is the one that counts, so the same user
twice counts once. Any counted rejection rejects the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from entente.approvals.model import (
    APPROVER_ROLES,
    Approval,
    Decision,
    Ignored,
    Policy,
    Request,
    State,
    Verdict,
)
from entente.approvals.statement import check_signature
from entente.federation.keys import PublicKey

__all__ = ["decide", "required_orgs"]


def required_orgs(request: Request, policy: Policy) -> tuple[str, ...]:
    """The orgs that must each approve: the policy's, then the request's own (co-authors)."""
    return tuple(dict.fromkeys((*policy.required_orgs, *request.required_orgs)))


def _problem(
    approval: Approval, request: Request, policy: Policy, org_keys: Mapping[str, PublicKey]
) -> str | None:
    if approval.request_id != request.id:
        return f"it is for another request ({approval.request_id})"
    if approval.digest != request.digest:
        return (
            f"it approves another payload (sha256 {approval.digest[:16]}...); "
            "what will be sent has changed since"
        )
    signature = check_signature(approval, request, org_keys)
    if signature is not None:
        return signature
    if approval.approver_role not in APPROVER_ROLES:
        return f"a {approval.approver_role} does not approve; admins and analysts do"
    if not policy.may_approve(approval.approver_org, request.required_orgs):
        return f"{approval.approver_org} is not among the orgs that approve this action"
    requester = (approval.approver_org, approval.approver) == (
        request.requester_org,
        request.requester,
    )
    if requester and not policy.requester_may_approve:
        return "the requester does not approve their own request (four-eyes)"
    return None


def _order(approval: Approval) -> tuple[int, int, str, bytes]:
    # Later decisions replace earlier ones; at the same microsecond a rejection comes last (so
    # it stands: fail closed), and the rest of the key makes the order total, so the decision
    # does not depend on the order the approvals were read in.
    rejection = 1 if approval.verdict is Verdict.REJECT else 0
    return (approval.time_us, rejection, approval.id, approval.envelope)


def decide(
    request: Request,
    approvals: Iterable[Approval],
    policy: Policy,
    org_keys: Mapping[str, PublicKey],
) -> Decision:
    """Where ``request`` stands under ``policy`` given ``approvals`` (in any order).

    ``org_keys`` holds the node key of each org this node trusts, by org id: its own and
    its partners' (``FederationService.partner_keys``).
    """
    ignored: list[Ignored] = []
    latest: dict[tuple[str, str], Approval] = {}
    for approval in sorted(approvals, key=_order):
        problem = _problem(approval, request, policy, org_keys)
        if problem is not None:
            ignored.append(Ignored(approval, problem))
            continue
        who = (approval.approver_org, approval.approver)
        earlier = latest.get(who)
        if earlier is not None:
            ignored.append(Ignored(earlier, "the same approver decided again; the latest counts"))
        latest[who] = approval
    decided = list(latest.values())
    counted = tuple(a for a in decided if a.verdict is Verdict.APPROVE)
    rejected = tuple(a for a in decided if a.verdict is Verdict.REJECT)
    approving_orgs = {a.approver_org for a in counted}
    orgs_missing = tuple(org for org in required_orgs(request, policy) if org not in approving_orgs)
    needed = max(policy.min_approvals - len(counted), len(orgs_missing), 0)
    if rejected:
        state = State.REJECTED
    elif needed == 0:
        state = State.APPROVED
    else:
        state = State.PENDING
    return Decision(
        state=state,
        request_id=request.id,
        digest=request.digest,
        counted=counted,
        rejected_by=rejected,
        ignored=tuple(ignored),
        approvals_needed=0 if state is not State.PENDING else needed,
        orgs_missing=orgs_missing if state is State.PENDING else (),
    )
