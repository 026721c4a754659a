"""The values of an approval: action types, policies, requests, approvals and decisions.

Issue 15 item 1: actions that leave the coalition need approval, four-eyes by default, m-of-n
per action type, approvers from named orgs. A request states exactly what will be sent (its
bytes and their SHA-256); an approval is for one digest, so a changed payload needs new ones.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass

from entente.errors import InvalidInput
from entente.stix import is_valid_id

# RFC 6838 §4.2 restricted names, type/subtype, then RFC 9110 §5.6.6 parameters: what may be
# sent as a Content-Type (a request from a partner names it; no CR, LF or other control).
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
    r'(?: ?; ?[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[ -!#-~]*"))*'
)

__all__ = [
    "APPROVER_ROLES",
    "ActionType",
    "Approval",
    "Decision",
    "Ignored",
    "Policy",
    "Request",
    "State",
    "Verdict",
    "payload_digest",
]

# Who may approve (issue 15: "admins/analysts approve; readers never"); partner principals
# are nodes, not people, and approve on their own node under their own key.
APPROVER_ROLES = frozenset({"admin", "analyst"})


class ActionType(enum.StrEnum):
    """An action that leaves the coalition and so needs approval."""

    ABUSE_REPORT = "abuse-report"
    ADVISORY = "advisory"
    REFERRAL = "referral"
    PRESERVATION_REQUEST = "preservation-request"
    PUBLISH_PUBLIC = "publish-public"


class Verdict(enum.StrEnum):
    """What one approver decided; STIX 2.1 §10.8 opinion-enum ``agree``/``disagree``."""

    APPROVE = "approve"
    REJECT = "reject"


class State(enum.StrEnum):
    """Where a request stands."""

    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"


def payload_digest(payload: bytes) -> str:
    """The SHA-256 (lower-case hex) of the exact bytes that will be sent."""
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True, slots=True)
class Policy:
    """How many approvals an action type needs, and from whom.

    ``min_approvals`` distinct approvers (an org and user id pair counts once); each org of
    ``required_orgs`` must be among them; when ``approver_orgs`` is not empty, only those orgs
    (and the required ones) may approve. The requester never counts unless
    ``requester_may_approve`` (four-eyes: never; the default).
    """

    min_approvals: int = 2
    required_orgs: tuple[str, ...] = ()
    approver_orgs: tuple[str, ...] = ()
    requester_may_approve: bool = False

    def __post_init__(self) -> None:
        if type(self.min_approvals) is not int or self.min_approvals < 1:
            raise InvalidInput(
                f"min_approvals must be a positive integer, not {self.min_approvals!r}"
            )
        for org in (*self.required_orgs, *self.approver_orgs):
            if not is_valid_id(org, "identity"):
                raise InvalidInput(f"an approving org is a STIX identity id, not {org!r}")
        if len(self.required_orgs) > self.min_approvals:
            raise InvalidInput(
                f"{len(self.required_orgs)} required orgs cannot each approve within "
                f"min_approvals = {self.min_approvals}"
            )

    def may_approve(self, org: str, required: tuple[str, ...] = ()) -> bool:
        """Whether an approver of ``org`` may approve (``required``: the request's own)."""
        if not self.approver_orgs:
            return True
        return org in self.approver_orgs or org in self.required_orgs or org in required


@dataclass(frozen=True, slots=True)
class Request:
    """An action waiting for approval: exactly what will be sent, and by whom.

    ``payload`` is the bytes that will leave (an X-ARF JSON document, an e-mail, a PDF, a STIX
    bundle); ``digest`` its SHA-256. ``targets`` say to whom or where (an abuse mailbox, a
    collection), ``refs`` the STIX objects it concerns (a case, indicators), ``required_orgs``
    the orgs that must approve this one besides the policy's (a joint advisory's co-authors).
    """

    id: str
    action_type: ActionType
    payload: bytes
    media_type: str
    summary: str
    requester: str
    requester_org: str
    created_us: int
    targets: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    required_orgs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not is_valid_id(self.id, "grouping"):
            raise InvalidInput(f"an approval request's id is a grouping id, not {self.id!r}")
        if not self.summary.strip():
            raise InvalidInput("an approval request needs a summary of what will be sent")
        if not _MEDIA_TYPE.fullmatch(self.media_type):
            raise InvalidInput(f"media type {self.media_type!r} is not type/subtype")
        if not self.refs:
            raise InvalidInput("an approval request concerns at least one STIX object (refs)")
        for ref in self.refs:
            if not is_valid_id(ref):
                raise InvalidInput(f"refs: {ref!r} is not a STIX id")
        for org in self.required_orgs:
            if not is_valid_id(org, "identity"):
                raise InvalidInput(f"required_orgs: {org!r} is not a STIX identity id")

    @property
    def digest(self) -> str:
        """The SHA-256 of the payload: what every approval names."""
        return payload_digest(self.payload)


@dataclass(frozen=True, slots=True)
class Approval:
    """One approver's signed decision on one request's digest.

    ``envelope`` is the DSSE envelope (``entente.approvals.statement``) the approving node's
    key signed; ``decide`` counts the approval only when it verifies and states these fields.
    """

    request_id: str
    digest: str
    verdict: Verdict
    approver: str
    approver_org: str
    approver_role: str
    time_us: int
    envelope: bytes
    comment: str = ""
    id: str = ""  # the STIX opinion's id, once stored


@dataclass(frozen=True, slots=True)
class Ignored:
    """An approval that does not count, and why (shown, never silently dropped)."""

    approval: Approval
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a request stands under its policy, and what is still missing."""

    state: State
    request_id: str
    digest: str
    counted: tuple[Approval, ...]
    rejected_by: tuple[Approval, ...]
    ignored: tuple[Ignored, ...]
    approvals_needed: int  # how many more distinct approvers, at least
    orgs_missing: tuple[str, ...]  # required orgs that have not approved yet

    @property
    def approved(self) -> bool:
        """Whether the action may go."""
        return self.state is State.APPROVED

    def missing(self) -> str:
        """What is missing, in words ("" when approved or rejected)."""
        if self.state is not State.PENDING:
            return ""
        parts = []
        if self.approvals_needed:
            parts.append(f"{self.approvals_needed} more approval(s)")
        if self.orgs_missing:
            parts.append("an approval from " + ", ".join(self.orgs_missing))
        return "; ".join(parts)
