"""Preservation requests from a case (issue 15 item 5): draft, render, sign and record.

The data to preserve (Budapest Convention Art. 29(2)(c)) is read from the case's objects as
the requester is shown them: the case through ``CaseService.show`` (its references screened to
what the requester may see) and each object through ``TaxiiService.read_object`` (the one
sharing policy), so a letter never names data its author could not read. The rest of the six
elements comes from the analyst; the addressee is a configured 24/7 point of contact
(Art. 35). Issuing signs the PDF with the node key and records the request on the case (the
case's owner org only, as every change of a case); the caller writes the files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from entente.approvals import ActionType, State
from entente.cases import PreservationRecord
from entente.clock import Clock
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.evidence.model import key_id
from entente.federation.keys import NodeKey
from entente.preservation import (
    MLA_INTENT,
    Contact,
    DataItem,
    PreservationRequest,
    data_to_preserve,
    find_contact,
    followed_refs,
    new_request,
    parse_request_json,
    render_letter_pdf,
    render_markdown,
    render_request_json,
    section_texts,
    sign_letter,
)
from entente.services.approvals import ApprovalService, RequestStatus
from entente.services.cases import CaseService
from entente.services.taxii import TaxiiService
from entente.sharing import Principal
from entente.stix import Tlp, format_timestamp_us, tlp_of
from entente.store import ObjectQuery

__all__ = [
    "IssuedLetter",
    "PreservationInput",
    "PreservationService",
    "TrackedRequest",
    "approval_state",
    "tracked_document",
]


@dataclass(frozen=True, slots=True)
class PreservationInput:
    """What the analyst states of a request (all but the data, read from the case)."""

    country: str
    requesting_authority: str
    offence: str
    facts: str
    data_link: str
    custodian: str
    necessity: str
    signatory: str
    mutual_assistance: str = MLA_INTENT
    reference: str | None = None  # None: one is made from the date and the case


@dataclass(frozen=True, slots=True)
class IssuedLetter:
    """A signed request: the request, its letter (Markdown, PDF) and the DSSE envelope."""

    request: PreservationRequest
    markdown: str
    pdf: bytes
    envelope: bytes

    @property
    def pdf_sha256(self) -> str:
        """The SHA-256 of the PDF, as the case records it."""
        return hashlib.sha256(self.pdf).hexdigest()


@dataclass(frozen=True, slots=True)
class TrackedRequest:
    """A case's preservation request from its approval on: its number on the case (1, 2, ...
    in the order asked), the approval request that carries it, and what the case records once
    it is sent (None before)."""

    number: int
    approval: RequestStatus
    request: PreservationRequest
    record: PreservationRecord | None

    @property
    def state(self) -> str:
        """Where it stands: pending approval, rejected, approved (not sent yet), sent, or the
        addressee's answer."""
        if self.record is not None:
            answer = self.record.answer
            return "sent" if answer is None else answer.value
        decision = self.approval.decision.state
        if decision is State.PENDING:
            return "pending approval"
        return "rejected" if decision is State.REJECTED else "approved"


class PreservationService:
    """Preservation requests over the node's cases, policy-bound reads and node key."""

    def __init__(
        self,
        *,
        cases: CaseService,
        taxii: TaxiiService,
        contacts: Sequence[Contact],
        node_key: NodeKey,
        node_name: str,
        clock: Clock,
    ) -> None:
        self._cases = cases
        self._taxii = taxii
        self._contacts = tuple(contacts)
        self._key = node_key
        self._node_name = node_name
        self._clock = clock

    @property
    def contacts(self) -> tuple[Contact, ...]:
        """The configured 24/7 points of contact."""
        return self._contacts

    def draft(
        self, principal: Principal, case_id: str, given: PreservationInput
    ) -> PreservationRequest:
        """The request for ``case_id`` as ``principal`` may make it (``InvalidInput`` naming
        each missing element of Art. 29(2); ``ObjectNotFound`` for a case it may not see)."""
        contact = find_contact(self._contacts, given.country)
        case = self._cases.show(principal, case_id).shown.case
        objects = self._visible_objects(principal, case.refs)
        today = format_timestamp_us(self._clock.now_us())[:10]
        reference = given.reference or _reference(today, case.id, len(case.preservation) + 1)
        return new_request(
            reference=reference,
            case_id=case.id,
            date=today,
            addressee=contact,
            requesting_authority=given.requesting_authority,
            offence=given.offence,
            facts=given.facts,
            data=data_to_preserve(case.refs, objects),
            data_link=given.data_link,
            custodian=given.custodian,
            necessity=given.necessity,
            mutual_assistance=given.mutual_assistance,
            signatory=given.signatory,
        )

    def data_for(self, principal: Principal, case_id: str) -> tuple[DataItem, ...]:
        """The data a request for ``case_id`` would ask to preserve, as ``principal`` is shown
        the case's objects (what the form shows before a request is drafted)."""
        case = self._cases.show(principal, case_id).shown.case
        return data_to_preserve(case.refs, self._visible_objects(principal, case.refs))

    def render(self, request: PreservationRequest) -> IssuedLetter:
        """The letter of ``request``, signed by the node key (nothing is recorded)."""
        keyid = key_id(self._key.public_key)
        markdown = render_markdown(request, sender=self._node_name, signer_keyid=keyid)
        pdf = render_letter_pdf(request, sender=self._node_name, signer_keyid=keyid)
        return IssuedLetter(request, markdown, pdf, sign_letter(pdf, request, self._key))

    def _record(
        self, principal: Principal, case_id: str, letter: IssuedLetter, *, channel: str = "rest"
    ) -> None:
        """Record ``letter`` on the case as sent (reference, addressee, the PDF's SHA-256)."""
        self._cases.record_preservation(
            principal,
            case_id,
            reference=letter.request.reference,
            addressee=letter.request.addressee.label,
            pdf_sha256=letter.pdf_sha256,
            channel=channel,
        )

    # -- approval between render and record (issue 15 item 1, ADR 0019) --------------------

    def request_approval(
        self,
        principal: Principal,
        case_id: str,
        given: PreservationInput,
        approvals: ApprovalService,
        *,
        channel: str = "rest",
    ) -> TrackedRequest:
        """Draft the request and ask for its approval (action type preservation-request):
        the approval covers the request's JSON (``render_request_json``), from which the
        letter is rendered again when sent. Nothing is recorded on the case yet."""
        self._cases.check_write(principal)
        tracked = self.tracked(principal, case_id, approvals)
        shown = self._cases.show(principal, case_id).shown
        if shown.created_by_ref != principal.org:
            # Refused before anything is asked: only the case's org records it as sent.
            raise PermissionDenied(f"only the org that created case {case_id} may change it")
        number = len(tracked) + 1
        if given.reference is None:
            today = format_timestamp_us(self._clock.now_us())[:10]
            given = replace(given, reference=_reference(today, case_id, number))
        elif any(t.request.reference == given.reference for t in tracked):
            raise InvalidInput(f"the case already has a preservation request {given.reference}")
        request = self.draft(principal, case_id, given)
        markings = shown.marking_refs
        status = approvals.request(
            principal,
            ActionType.PRESERVATION_REQUEST,
            render_request_json(request),
            summary=(
                f"Send the preservation request {request.reference} (Budapest Convention "
                f"Art. 29) to {request.addressee.label}, {request.addressee.email}"
            ),
            targets=[request.addressee.email],
            refs=[case_id, *(d.source_id for d in request.data)],
            # The request names the case's data: never less restricted than the case.
            tlp=max([Tlp.AMBER, *(t for m in markings if (t := tlp_of(m)) is not None)]),
            channel=channel,
        )
        return TrackedRequest(number, approvals.status(principal, status.id), request, None)

    def tracked(
        self, principal: Principal, case_id: str, approvals: ApprovalService
    ) -> list[TrackedRequest]:
        """The case's preservation requests ``principal`` may see, oldest first
        (``ObjectNotFound`` for a case it may not see)."""
        case = self._cases.show(principal, case_id).shown.case
        found: list[tuple[RequestStatus, PreservationRequest]] = []
        for shown in approvals.requests_about(principal, case.id):
            asked = shown.request
            if asked.action_type is not ActionType.PRESERVATION_REQUEST or (
                case.id not in asked.refs
            ):
                continue
            try:
                request = parse_request_json(asked.payload)
            except InvalidInput:
                continue  # not one of ours: a request this service did not write
            if request.case_id == case.id:
                found.append((shown, request))
        found.sort(key=lambda pair: (pair[0].request.created_us, pair[0].request.id))
        return [
            TrackedRequest(n, shown, request, case.request(request.reference))
            for n, (shown, request) in enumerate(found, start=1)
        ]

    def find(
        self, principal: Principal, case_id: str, number: int, approvals: ApprovalService
    ) -> TrackedRequest:
        """The case's request ``number`` (``ObjectNotFound`` if there is none to see)."""
        for tracked in self.tracked(principal, case_id, approvals):
            if tracked.number == number:
                return tracked
        raise ObjectNotFound(f"no preservation request {number} on case {case_id}")

    def letter(
        self, principal: Principal, case_id: str, number: int, approvals: ApprovalService
    ) -> IssuedLetter:
        """The signed letter of the case's request ``number`` (rendered again from what was
        approved: the rendering is deterministic, so its SHA-256 is the one recorded)."""
        return self.render(self.find(principal, case_id, number, approvals).request)

    def send(
        self,
        principal: Principal,
        case_id: str,
        number: int,
        approvals: ApprovalService,
        *,
        channel: str = "rest",
    ) -> IssuedLetter:
        """Record the case's request ``number`` as sent, once approved m-of-n for exactly
        its bytes (``NotApproved`` otherwise); the caller hands the letter to the contact."""
        self._cases.check_write(principal)
        tracked = self.find(principal, case_id, number, approvals)
        if tracked.record is not None:
            raise InvalidInput(f"preservation request {tracked.request.reference} is already sent")
        approvals.require_approved(
            principal, tracked.approval.request.id, render_request_json(tracked.request)
        )
        letter = self.render(tracked.request)
        self._record(principal, case_id, letter, channel=channel)
        return letter

    def _visible_objects(
        self, principal: Principal, refs: Sequence[str]
    ) -> Mapping[str, Mapping[str, Any]]:
        """The latest version ``principal`` is shown of each ref and of what sightings and
        observed data among them point to (two steps: sighting, observed data, SCO)."""
        found: dict[str, Mapping[str, Any]] = {}
        wanted = list(refs)
        for _step in range(3):
            following: list[str] = []
            for object_id in dict.fromkeys(wanted):
                if object_id in found:
                    continue
                obj = self._latest(principal, object_id)
                if obj is not None:
                    found[object_id] = obj
                    following.extend(followed_refs(obj))
            wanted = following
        return found

    def _latest(self, principal: Principal, object_id: str) -> dict[str, Any] | None:
        query = ObjectQuery(versions=("last",), limit=1)
        try:
            page = self._taxii.read_object(None, principal, object_id, query)
        except ObjectNotFound:
            return None
        return page.items[-1].to_json() if page.items else None


def _reference(today: str, case_id: str, number: int) -> str:
    """A letter's default reference: its date, the case and its number on the case."""
    return f"PR-{today.replace('-', '')}-{case_id.removeprefix('grouping--')[:8]}-{number}"


def approval_state(tracked: TrackedRequest) -> str:
    """Where its approval stands, in words ("pending: 1 more approval(s)", "approved")."""
    decision = tracked.approval.decision
    if decision.state is State.PENDING:
        return f"pending: {decision.missing()}"
    return decision.state.value


def tracked_document(tracked: TrackedRequest) -> dict[str, Any]:
    """One preservation request of a case as JSON: its state, approval and six elements."""
    request, record = tracked.request, tracked.record
    return {
        "number": tracked.number,
        "reference": request.reference,
        "state": tracked.state,
        "approval_request": tracked.approval.request.id,
        "approval": approval_state(tracked),
        "addressee": request.addressee.label,
        "addressee_email": request.addressee.email,
        "date": request.date,
        "sent": None if record is None else format_timestamp_us(record.sent_us),
        "pdf_sha256": None if record is None else record.pdf_sha256,
        "answer": None if record is None or record.answer is None else record.answer.value,
        "preserved_until": (
            None
            if record is None or record.preserved_until_us is None
            else format_timestamp_us(record.preserved_until_us)
        ),
        "answer_note": None if record is None else record.answer_note,
        "elements": [{"heading": h, "text": t} for h, t in section_texts(request)],
    }
