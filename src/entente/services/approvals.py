"""Approval use cases: request an outbound action, approve or reject it, see where it stands,
and refuse to send what is not approved (issue 15 item 1).

Requests and approvals are STIX (``entente.approvals.extension``) posted through
``TaxiiService.add`` as the acting principal, as cases are (ADR 0015): versioning,
provenance, ownership, search and federation apply unchanged, so a co-author's node reads a
request over TAXII under its agreement and its users' approvals come back the same way. Every
read goes through ``TaxiiService.read``/``read_object`` as the reader, so a request and its
approvals are shown only to whom the sharing policy releases them.

An approval is signed by the node of the approver's org; ``decide`` checks each against the
node keys this node knows (its own and its partners', ``org_keys``), so an approval from a
partner counts only when that partner's node signed it for the exact payload digest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from entente.approvals import (
    APPROVER_ROLES,
    ActionType,
    Approval,
    Decision,
    Policy,
    Request,
    State,
    Verdict,
    check_signature,
    decide,
    extension_definitions,
    is_approval,
    is_request,
    parse_approval,
    parse_request,
    payload_digest,
    render_approval,
    render_request,
    sign_approval,
)
from entente.audit import Actor, EntryDraft
from entente.clock import Clock
from entente.errors import (
    InvalidInput,
    InvalidObject,
    NotApproved,
    ObjectNotFound,
    PermissionDenied,
)
from entente.federation import NodeKey, PublicKey
from entente.ingest import Candidate
from entente.services.ingest import IngestService
from entente.services.taxii import TaxiiService
from entente.sharing import Principal
from entente.stix import Tlp, is_valid_id, marking_id_for, parse_object
from entente.store import ObjectQuery, ObjectStore, Provenance, SourceKind, StoredVersion

__all__ = [
    "ApprovalService",
    "AuditRecorder",
    "RequestStatus",
    "ensure_approval_extensions",
    "status_document",
]

_SOURCE = "approvals"
_EXTENSION_SOURCE = "entente built-in approval extension-definitions"
_PAGE = 1000
# Requests go to co-authors under agreements: TLP:AMBER unless the requester says otherwise
# (FIRST TLP 2.0: recipients' organisations, need to know).
DEFAULT_TLP = Tlp.AMBER

# Appends drafts to the node's audit log (``AuditLog.record``); None: not recorded.
AuditRecorder = Callable[[Sequence[EntryDraft]], object]


def ensure_approval_extensions(store: ObjectStore, clock: Clock) -> None:
    """Store Entente's approval ``extension-definition`` objects if missing (idempotent)."""
    candidates = [
        Candidate(source=_EXTENSION_SOURCE, position=f"[{n}]", data=definition)
        for n, definition in enumerate(extension_definitions())
    ]
    service = IngestService(store, clock, principal="system")
    provenance = Provenance(SourceKind.BUILTIN, _EXTENSION_SOURCE, "system")
    service.ingest_candidates(candidates, provenance, source=_EXTENSION_SOURCE)


@dataclass(frozen=True, slots=True)
class RequestStatus:
    """A request as one reader is shown it, its markings, the approvals shown and the decision."""

    request: Request
    marking_refs: tuple[str, ...]
    approvals: tuple[Approval, ...]
    decision: Decision
    policy: Policy
    # Why each approval's envelope does not verify under its org's node key, in the order of
    # ``approvals`` (None: it verifies): the UI shows it beside each approval.
    signatures: tuple[str | None, ...] = ()


def _check_request_id(request_id: str) -> None:
    if not is_valid_id(request_id, "grouping"):
        raise InvalidInput(f"{request_id!r} is not an approval request id (grouping--uuid)")


def _actor(principal: Principal) -> Actor:
    return Actor(principal.id, principal.org, principal.role.value)


class ApprovalService:
    """Approvals over the node's TAXII service (its one write path and policy-bound reads)."""

    def __init__(
        self,
        *,
        taxii: TaxiiService,
        store: ObjectStore,
        clock: Clock,
        key: NodeKey,
        org_id: str,
        policies: Mapping[ActionType, Policy],
        org_keys: Callable[[], Mapping[str, PublicKey]],
        referrers: Callable[[str], Sequence[str]],
        audit: AuditRecorder | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._taxii = taxii
        self._store = store
        self._clock = clock
        self._key = key
        self._org_id = org_id
        self._policies = dict(policies)
        # The node key of each partner org, by org id (this node's own is ``key``).
        self._org_keys = org_keys
        # Ids of the objects that reference an id (the graph index): where approvals are found.
        self._referrers = referrers
        self._audit = audit
        self._new_id = new_id

    def policy(self, action_type: ActionType) -> Policy:
        """The policy ``action_type`` is decided under (four-eyes unless configured)."""
        return self._policies.get(action_type, Policy())

    # -- writes --------------------------------------------------------------------------

    def request(
        self,
        principal: Principal,
        action_type: ActionType,
        payload: bytes,
        *,
        summary: str,
        targets: Sequence[str],
        refs: Sequence[str],
        media_type: str = "application/json",
        required_orgs: Sequence[str] = (),
        tlp: Tlp = DEFAULT_TLP,
        channel: str = "cli",
    ) -> Request:
        """Ask for approval to send exactly ``payload`` to ``targets``; the request made.

        ``refs`` are the STIX objects the action concerns (a case, indicators, a report);
        ``required_orgs`` the orgs that must approve besides the policy's (co-authors).
        """
        self._may_act(principal, "request outbound actions")
        self._taxii.check_write(None, principal)
        request = Request(
            id=f"grouping--{self._new_id()}",
            action_type=action_type,
            payload=payload,
            media_type=media_type,
            summary=summary.strip(),
            requester=principal.id,
            requester_org=principal.org,
            created_us=self._clock.now_us(),
            targets=tuple(targets),
            refs=tuple(dict.fromkeys(refs)),
            required_orgs=tuple(dict.fromkeys(required_orgs)),
        )
        ensure_approval_extensions(self._store, self._clock)
        self._write(principal, render_request(request, marking_refs=(marking_id_for(tlp),)))
        self._record(
            principal,
            "approval.request",
            channel,
            (request.id, *request.refs),
            {
                "action_type": action_type.value,
                "sha256": request.digest,
                "targets": ", ".join(request.targets),
            },
        )
        return request

    def approve(
        self,
        principal: Principal,
        request_id: str,
        verdict: Verdict,
        comment: str = "",
        *,
        channel: str = "cli",
    ) -> Approval:
        """``principal``'s decision on the request as it stands, signed by this node.

        Only admins and analysts of this node's own org decide here, as named people (a
        partner's people decide on their own node, under its key); only the orgs the policy
        names; never the requester (four-eyes) unless the policy allows it.
        """
        self._may_act(principal, "approve outbound actions")
        refused = self._refusal(principal)
        if refused is not None:
            raise PermissionDenied(refused)
        found = self.status(principal, request_id)
        request = found.request
        refused = self.refusal(principal, found)
        if refused is not None:
            raise PermissionDenied(refused)
        approval = sign_approval(
            self._key,
            request,
            verdict=verdict,
            approver=principal.id,
            approver_org=principal.org,
            approver_role=principal.role.value,
            time_us=self._clock.now_us(),
            comment=comment.strip(),
        )
        approval_id = f"opinion--{self._new_id()}"
        # The approval goes where the request went: the same markings as the request shown.
        obj = render_approval(approval, approval_id=approval_id, marking_refs=found.marking_refs)
        ensure_approval_extensions(self._store, self._clock)  # a co-author's node may lack them
        self._write(principal, obj)
        self._record(
            principal,
            f"approval.{verdict.value}",
            channel,
            (request.id, approval_id),
            {"action_type": request.action_type.value, "sha256": request.digest},
        )
        return replace(approval, id=approval_id)

    # -- reads ---------------------------------------------------------------------------

    def status(self, principal: Principal, request_id: str) -> RequestStatus:
        """The request as ``principal`` is shown it, every approval shown, and the decision."""
        _check_request_id(request_id)
        query = ObjectQuery(versions=("last",), limit=1)
        try:
            version = self._taxii.read_object(None, principal, request_id, query).items[0]
        except (ObjectNotFound, IndexError):
            raise ObjectNotFound(f"no approval request {request_id}") from None
        return self._status(principal, version)

    def list_requests(
        self, principal: Principal, *, state: State | None = None
    ) -> list[RequestStatus]:
        """Every request ``principal`` may see (of ``state``), newest first."""
        query = ObjectQuery(types=("grouping",), versions=("last",), limit=_PAGE)
        found: list[RequestStatus] = []
        while True:
            page = self._taxii.read(None, principal, query)
            for version in page.items:
                try:
                    shown = self._status(principal, version)
                except ObjectNotFound:
                    continue
                if state is None or shown.decision.state is state:
                    found.append(shown)
            if page.next_cursor is None:
                break
            query = replace(query, after_cursor=page.next_cursor)
        return sorted(found, key=lambda s: (-s.request.created_us, s.request.id))

    def requests_about(self, principal: Principal, object_id: str) -> list[RequestStatus]:
        """The requests ``principal`` may see that name ``object_id`` among their refs,
        newest first: found by the graph index of references, not by reading every request
        (``list_requests`` filtered by refs is its reference twin, and a test holds them equal)."""
        found: list[RequestStatus] = []
        for oid in self._referrers(object_id):
            if not oid.startswith("grouping--"):
                continue
            try:
                shown = self.status(principal, oid)
            except (ObjectNotFound, InvalidInput):
                continue  # not visible, or a grouping that is not a request
            if object_id in shown.request.refs:
                found.append(shown)
        return sorted(found, key=lambda s: (-s.request.created_us, s.request.id))

    def pending_for(self, principal: Principal) -> list[RequestStatus]:
        """The pending requests ``principal`` could approve and has not decided yet."""
        if self.refusal(principal) is not None:
            return []
        return [
            shown
            for shown in self.list_requests(principal, state=State.PENDING)
            if self.is_waiting_for(principal, shown)
        ]

    def refusal(self, principal: Principal, shown: RequestStatus | None = None) -> str | None:
        """Why ``approve`` would refuse ``principal``'s decision (on ``shown``, if given); None
        when it would sign it. The pages offer their forms by it; ``approve`` decides by it."""
        if principal.role.value not in APPROVER_ROLES:
            return "only admins and analysts approve outbound actions"
        refused = self._refusal(principal)
        if refused is not None or shown is None:
            return refused
        request, policy = shown.request, shown.policy
        if not policy.may_approve(principal.org, request.required_orgs):
            return f"{principal.org} is not among the orgs that approve {request.action_type.value}"
        if (principal.org, principal.id) == (request.requester_org, request.requester) and (
            not policy.requester_may_approve
        ):
            return "the requester does not approve their own request (four-eyes)"
        return None

    def is_waiting_for(self, principal: Principal, shown: RequestStatus) -> bool:
        """Whether ``shown`` is pending and ``principal`` may decide it and has not yet."""
        request = shown.request
        decided = any(
            (a.approver_org, a.approver) == (principal.org, principal.id)
            and a.digest == request.digest
            for a in shown.approvals
        )
        return (
            shown.decision.state is State.PENDING
            and self.refusal(principal, shown) is None
            and not decided
        )

    def may_see(self, principal: Principal, object_id: str) -> bool:
        """Whether ``principal`` may see ``object_id``, as a page asks it for each object a
        request concerns: through the one policy (``TaxiiService.read_object``)."""
        query = ObjectQuery(versions=("last",), limit=1)
        try:
            self._taxii.read_object(None, principal, object_id, query)
        except ObjectNotFound:
            return False
        return True

    def require_approved(self, principal: Principal, request_id: str, payload: bytes) -> Decision:
        """The decision on ``request_id`` if it approves sending exactly ``payload``; else
        ``NotApproved`` says why (pending and what is missing, rejected, or other bytes).

        Callers that send (abuse reports, advisories, referrals, publishing) call this
        right before sending, with the bytes they are about to send.
        """
        shown = self.status(principal, request_id)
        request, decision = shown.request, shown.decision
        digest = payload_digest(payload)
        if digest != request.digest:
            raise NotApproved(
                f"request {request_id} approves other bytes (sha256 {request.digest}) than "
                f"those to be sent (sha256 {digest}): a changed payload needs a new request"
            )
        if decision.state is State.REJECTED:
            names = ", ".join(a.approver for a in decision.rejected_by)
            raise NotApproved(f"request {request_id} was rejected by {names}")
        if decision.state is State.PENDING:
            raise NotApproved(f"request {request_id} is pending: {decision.missing()}")
        return decision

    # -- internals -----------------------------------------------------------------------

    def _status(self, principal: Principal, version: StoredVersion) -> RequestStatus:
        obj = version.to_json()
        if not is_request(obj):
            raise ObjectNotFound(f"no approval request {version.id}")
        try:
            request = parse_request(obj)
        except InvalidObject:
            # A copy without its payload (redacted for this reader) cannot be decided on.
            raise ObjectNotFound(f"no approval request {version.id}") from None
        approvals = tuple(self._approvals(principal, request.id))
        policy = self.policy(request.action_type)
        keys = {**self._org_keys(), self._org_id: self._key.public_key}
        decision = decide(request, approvals, policy, keys)
        signatures = tuple(check_signature(a, request, keys) for a in approvals)
        return RequestStatus(request, version.marking_refs, approvals, decision, policy, signatures)

    def _approvals(self, principal: Principal, request_id: str) -> list[Approval]:
        query = ObjectQuery(versions=("last",), limit=1)
        found = []
        for oid in self._referrers(request_id):
            if not oid.startswith("opinion--"):
                continue
            try:
                items = self._taxii.read_object(None, principal, oid, query).items
            except ObjectNotFound:
                continue
            for version in items:
                obj = version.to_json()
                if not is_approval(obj):
                    continue
                try:
                    found.append(parse_approval(obj))
                except InvalidObject:
                    continue  # malformed: not an approval anyone can count
        return found

    def _refusal(self, principal: Principal) -> str | None:
        if not principal.is_individual:
            # Four eyes are people's: an API token or a service is nobody's second pair.
            return "approvals are made by named people, not API tokens"
        if principal.org != self._org_id:
            return "approvals are made on the approver's own node"
        return None

    def _may_act(self, principal: Principal, what: str) -> None:
        if principal.role.value not in APPROVER_ROLES:
            raise PermissionDenied(f"only admins and analysts {what}")

    def _write(self, principal: Principal, obj: dict[str, Any]) -> None:
        parse_object(obj)
        entries = self._taxii.add(
            [obj], principal, collection=None, source=_SOURCE, source_name=_SOURCE
        )
        failed = [e for e in entries if e.outcome == "failed"]
        if failed:
            reasons = "; ".join(f"{e.id}: {e.message}" for e in failed)
            raise InvalidInput(f"not stored: {reasons}")

    def _record(
        self,
        principal: Principal,
        action: str,
        channel: str,
        object_ids: Sequence[str],
        details: dict[str, str | int | bool | None],
    ) -> None:
        if self._audit is not None:
            draft = EntryDraft(
                _actor(principal), action, channel, tuple(object_ids), details=details
            )
            self._audit([draft])


def status_document(shown: RequestStatus) -> dict[str, Any]:
    """A request, its approvals and its decision as JSON (CLI, REST): what will be sent too."""
    request, decision = shown.request, shown.decision
    try:
        text: str | None = request.payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    ignored = {i.approval.id: i.reason for i in decision.ignored}
    return {
        "id": request.id,
        "action_type": request.action_type.value,
        "summary": request.summary,
        "requester": request.requester,
        "requester_org": request.requester_org,
        "targets": list(request.targets),
        "refs": list(request.refs),
        "required_orgs": list(request.required_orgs),
        "media_type": request.media_type,
        "sha256": request.digest,
        "size": len(request.payload),
        "payload_text": text,
        "state": decision.state.value,
        "missing": decision.missing(),
        "min_approvals": shown.policy.min_approvals,
        "approvals": [
            {
                "id": a.id,
                "approver": a.approver,
                "approver_org": a.approver_org,
                "verdict": a.verdict.value,
                "comment": a.comment,
                "counts": a.id not in ignored,
                "reason": ignored.get(a.id, ""),
            }
            for a in shown.approvals
        ],
    }
