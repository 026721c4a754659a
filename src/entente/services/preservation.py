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
from dataclasses import dataclass
from typing import Any

from entente.clock import Clock
from entente.errors import ObjectNotFound
from entente.evidence.model import key_id
from entente.federation.keys import NodeKey
from entente.preservation import (
    MLA_INTENT,
    Contact,
    PreservationRequest,
    data_to_preserve,
    find_contact,
    followed_refs,
    new_request,
    render_letter_pdf,
    render_markdown,
    sign_letter,
)
from entente.services.cases import CaseService
from entente.services.taxii import TaxiiService
from entente.sharing import Principal
from entente.stix import format_timestamp_us
from entente.store import ObjectQuery

__all__ = ["IssuedLetter", "PreservationInput", "PreservationService"]


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
        number = len(case.preservation) + 1
        reference = given.reference or (
            f"PR-{today.replace('-', '')}-{case.id.removeprefix('grouping--')[:8]}-{number}"
        )
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

    def render(self, request: PreservationRequest) -> IssuedLetter:
        """The letter of ``request``, signed by the node key (nothing is recorded)."""
        keyid = key_id(self._key.public_key)
        markdown = render_markdown(request, sender=self._node_name, signer_keyid=keyid)
        pdf = render_letter_pdf(request, sender=self._node_name, signer_keyid=keyid)
        return IssuedLetter(request, markdown, pdf, sign_letter(pdf, request, self._key))

    def issue(
        self,
        principal: Principal,
        case_id: str,
        given: PreservationInput,
        *,
        channel: str = "rest",
    ) -> IssuedLetter:
        """Draft, render and sign the request, and record it on the case as sent."""
        self._cases.check_write(principal)
        letter = self.render(self.draft(principal, case_id, given))
        self.record(principal, case_id, letter, channel=channel)
        return letter

    def record(
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
