"""A case's legal hold and preservation requests in the web UI (``/cases/{id}/preservation``).

The page shows the hold (with the forms that place and release it, a reason each), every
preservation request of the case with where it stands (pending approval, approved, sent, the
24/7 point of contact's answer), and a form that drafts a new one: the addressee chosen from
the configured points of contact (Budapest Convention Art. 35), the six elements of Art. 29(2)
with the data to preserve read from the case's objects as the user is shown them. A new
request asks for approval (ADR 0019: it leaves the coalition); "Record as sent" works only
once it is approved for exactly its bytes. The signed PDF and its DSSE envelope download.

Every read is the user's through the services (the one sharing policy): a case the user may
not see is the case pages' one 404. Each POST carries the session's CSRF token
(``UiAuth.csrf_checked``) and answers a 303 back with a fixed message, or a 400/403 page.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in case_pages).

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente.cases import Answer
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.preservation import MLA_INTENT, section_texts
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.case_pages import case_not_found
from entente.server.ui.pages import Pages
from entente.services.approvals import ApprovalService
from entente.services.cases import CaseService
from entente.services.preservation import (
    IssuedLetter,
    PreservationInput,
    PreservationService,
    TrackedRequest,
    approval_state,
)
from entente.services.users import SignedIn
from entente.sharing import Role
from entente.stix import format_timestamp_us, parse_timestamp, timestamp_us_from_key

__all__ = ["PRESERVATION_MESSAGES", "case_preservation_router"]

# The six elements are text of at most 10,000 characters each (``preservation.request``).
_MAX_FORM = 128 * 1024
_DONE = Query(max_length=20)
PRESERVATION_MESSAGES = {
    "hold": "The legal hold was placed: nothing the case names may be deleted.",
    "release": "The legal hold was released.",
    "requested": "The preservation request was drafted and waits for approval.",
    "sent": "The preservation request was recorded as sent.",
    "answer": "The answer was recorded.",
}
_WRITERS = (Role.ADMIN, Role.ANALYST)


def _row(tracked: TrackedRequest) -> dict[str, Any]:
    record = tracked.record
    until = None if record is None else record.preserved_until_us
    return {
        "number": tracked.number,
        "reference": tracked.request.reference,
        "addressee": tracked.request.addressee.label,
        "email": tracked.request.addressee.email,
        "state": tracked.state,
        "approval": approval_state(tracked),
        "approval_id": tracked.approval.request.id,
        "approved": tracked.state == "approved",
        "sent": record is not None,
        "sent_at": "" if record is None else format_timestamp_us(record.sent_us),
        "until": "" if until is None else format_timestamp_us(until),
        "note": "" if record is None else record.answer_note,
        "pdf_sha256": "" if record is None else record.pdf_sha256,
        "elements": section_texts(tracked.request),
    }


def _number(text: str) -> int:
    """A request's number on its case from the path (a wrong one is not found)."""
    if not text.isdigit() or len(text) > 7:
        raise ObjectNotFound("no such preservation request")
    return int(text)


def _until(text: str) -> int | None:
    """The form's "preserved until": empty, a date (the end of that day, UTC) or a STIX
    timestamp."""
    value = text.strip()
    if not value:
        return None
    if len(value) == 10:
        value += "T23:59:59Z"
    return timestamp_us_from_key(parse_timestamp(value, "preserved until").key)


def case_preservation_router(
    *,
    cases: CaseService,
    service: PreservationService,
    approvals: ApprovalService,
    auth: UiAuth,
    pages: Pages,
) -> APIRouter:
    """The hold and preservation page of cases and its forms."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias
    message = pages.message

    def back(case_id: str, done: str) -> Response:
        return RedirectResponse(f"/cases/{case_id}/preservation?done={done}", status_code=303)

    async def acting(
        request: Request, signed: SignedIn, case_id: str, change: Callable[[], object], done: str
    ) -> Response:
        try:
            await run_in_threadpool(change)
        except ObjectNotFound:
            return case_not_found(pages, request, signed)
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was stored: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not stored", f"Nothing was stored: {exc}")
        return back(case_id, done)

    @router.get("/cases/{case_id}/preservation")
    def preservation_page(
        request: Request,
        case_id: str,
        signed: SignedInUser,
        *,
        done: Annotated[str | None, _DONE] = None,
    ) -> Response:
        principal = signed.principal
        try:
            shown = cases.show(principal, case_id).shown
            tracked = service.tracked(principal, case_id, approvals)
            data = service.data_for(principal, case_id)
        except (ObjectNotFound, InvalidInput):
            return case_not_found(pages, request, signed)
        case = shown.case
        may_change = (
            principal.role in _WRITERS
            and shown.created_by_ref == principal.org
            and not case.read_only
        )
        hold = case.hold
        return pages.response(
            "case_preservation.html",
            request,
            signed,
            title=f"Preservation: {case.name}",
            case=case,
            may_change=may_change,
            hold=None
            if hold is None
            else {
                "by": hold.placed_by,
                "at": format_timestamp_us(hold.placed_us),
                "reason": hold.reason,
            },
            released=[
                {
                    "at": format_timestamp_us(h.released_us or 0),
                    "by": h.released_by or "",
                    "reason": h.release_reason or "",
                    "placed_reason": h.reason,
                }
                for h in case.holds
                if h.released_us is not None
            ],
            requests=[_row(t) for t in tracked],
            contacts=service.contacts,
            data=[{"kind": d.kind, "value": d.value, "period": d.period} for d in data],
            authority=pages.node_name,
            mla=MLA_INTENT,
            answers=[a.value for a in Answer],
            done=PRESERVATION_MESSAGES.get(done or ""),
        )

    @router.post("/cases/{case_id}/preservation/hold")
    async def hold(request: Request, case_id: str, signed: CsrfChecked) -> Response:
        reason = (await read_form(request)).get("reason", "")

        def change() -> object:
            return cases.place_hold(signed.principal, case_id, reason, channel="ui")

        return await acting(request, signed, case_id, change, "hold")

    @router.post("/cases/{case_id}/preservation/release")
    async def release(request: Request, case_id: str, signed: CsrfChecked) -> Response:
        reason = (await read_form(request)).get("reason", "")

        def change() -> object:
            return cases.release_hold(signed.principal, case_id, reason, channel="ui")

        return await acting(request, signed, case_id, change, "release")

    @router.post("/cases/{case_id}/preservation/new")
    async def new(request: Request, case_id: str, signed: CsrfChecked) -> Response:
        form = await read_form(request, _MAX_FORM)
        given = PreservationInput(
            country=form.get("contact", ""),
            requesting_authority=form.get("requesting_authority", ""),
            offence=form.get("offence", ""),
            facts=form.get("facts", ""),
            data_link=form.get("data_link", ""),
            custodian=form.get("custodian", ""),
            necessity=form.get("necessity", ""),
            signatory=form.get("signatory", ""),
            mutual_assistance=form.get("mutual_assistance", MLA_INTENT),
        )

        def change() -> object:
            return service.request_approval(
                signed.principal, case_id, given, approvals, channel="ui"
            )

        return await acting(request, signed, case_id, change, "requested")

    @router.post("/cases/{case_id}/preservation/{number}/send")
    async def send(request: Request, case_id: str, number: str, signed: CsrfChecked) -> Response:
        def change() -> object:
            n = _number(number)
            return service.send(signed.principal, case_id, n, approvals, channel="ui")

        return await acting(request, signed, case_id, change, "sent")

    @router.post("/cases/{case_id}/preservation/{number}/answer")
    async def answer(request: Request, case_id: str, number: str, signed: CsrfChecked) -> Response:
        form = await read_form(request)
        principal = signed.principal

        def change() -> object:
            try:
                outcome = Answer(form.get("answer", ""))
            except ValueError:
                raise InvalidInput("choose the answer") from None
            until = _until(form.get("until", ""))
            tracked = service.find(principal, case_id, _number(number), approvals)
            if tracked.record is None:
                raise InvalidInput(f"{tracked.request.reference} is not sent yet")
            return cases.record_answer(
                principal,
                case_id,
                tracked.request.reference,
                outcome,
                preserved_until_us=until,
                note=form.get("note", ""),
                channel="ui",
            )

        return await acting(request, signed, case_id, change, "answer")

    def download(
        request: Request,
        signed: SignedIn,
        case_id: str,
        number: str,
        what: Callable[[IssuedLetter], tuple[bytes, str, str]],
    ) -> Response:
        try:
            letter = service.letter(signed.principal, case_id, _number(number), approvals)
        except (ObjectNotFound, InvalidInput):
            return case_not_found(pages, request, signed)
        body, media_type, suffix = what(letter)
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in letter.request.reference)
        return Response(
            body,
            media_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{name}{suffix}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.get("/cases/{case_id}/preservation/{number}/letter.pdf")
    def letter_pdf(request: Request, case_id: str, number: str, signed: SignedInUser) -> Response:
        return download(
            request, signed, case_id, number, lambda x: (x.pdf, "application/pdf", ".pdf")
        )

    @router.get("/cases/{case_id}/preservation/{number}/letter.dsse.json")
    def letter_signature(
        request: Request, case_id: str, number: str, signed: SignedInUser
    ) -> Response:
        return download(
            request,
            signed,
            case_id,
            number,
            lambda x: (x.envelope, "application/json", ".dsse.json"),
        )

    return router
