"""REST for legal holds and preservation requests of a case, under ``/api/v1/cases/{id}``.

``POST /hold`` and ``/release`` (a reason each) place and lift the legal hold (ADR 0022).
``POST /preservation`` drafts a Budapest Convention Art. 29 request from the case and asks for
its approval (action type preservation-request, ADR 0019): the request leaves the coalition,
so it is recorded as sent only by ``POST /preservation/{n}/send`` once approved for exactly
its bytes. ``GET /preservation/{n}/letter.pdf`` and ``/letter.dsse.json`` give the signed
letter; ``POST /preservation/{n}/answer`` records the 24/7 point of contact's answer. Every
read is the caller's through the sharing policy (a case it may not see is a 404); a write's
role is checked before its body is read.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from entente.cases import Answer
from entente.clock import Clock
from entente.errors import InvalidInput
from entente.preservation import MLA_INTENT
from entente.server.bodies import BodyGate
from entente.server.openapi import responses
from entente.server.problems import HttpProblem
from entente.services.approvals import ApprovalService
from entente.services.cases import CaseService, ShownCase, case_document
from entente.services.preservation import (
    IssuedLetter,
    PreservationInput,
    PreservationService,
    TrackedRequest,
    tracked_document,
)
from entente.sharing import Principal
from entente.stix import parse_timestamp, timestamp_us_from_key

__all__ = ["preservation_router"]

# A request's six elements are text of at most 10,000 characters each.
_MAX_BODY = 256 * 1024

_STR = {"type": "string"}
_ELEMENTS = {
    "contact": {"type": "string", "description": "Country (ISO 3166 alpha-2) of the contact"},
    "requesting_authority": _STR,
    "offence": _STR,
    "facts": _STR,
    "data_link": _STR,
    "custodian": _STR,
    "necessity": _STR,
    "mutual_assistance": _STR,
    "signatory": _STR,
    "reference": _STR,
}


def _body(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if value is None:
        raise InvalidInput(f"'{key}' is required")
    if not isinstance(value, str):
        raise InvalidInput(f"'{key}' must be a string")
    return value


def given_of(body: dict[str, Any]) -> PreservationInput:
    """The analyst's part of a request from a JSON body (a missing element is left empty:
    ``new_request`` then names every missing one of Art. 29(2) at once)."""
    reference = body.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise InvalidInput("'reference' must be a string")
    return PreservationInput(
        country=_text(body, "contact"),
        requesting_authority=_text(body, "requesting_authority", ""),
        offence=_text(body, "offence", ""),
        facts=_text(body, "facts", ""),
        data_link=_text(body, "data_link", ""),
        custodian=_text(body, "custodian", ""),
        necessity=_text(body, "necessity", ""),
        signatory=_text(body, "signatory", ""),
        mutual_assistance=_text(body, "mutual_assistance", MLA_INTENT),
        reference=reference or None,
    )


def preservation_router(
    *,
    cases: CaseService,
    service: PreservationService,
    approvals: ApprovalService,
    clock: Clock,
    principal_of_request: Callable[[Request], Principal],
    gate: BodyGate,
) -> APIRouter:
    """The hold and preservation routes of cases, bound to the services."""
    router = APIRouter(prefix="/api/v1/cases/{case_id}")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias
    Number = Annotated[int, Path(ge=1, le=1_000_000)]  # noqa: N806 - a type alias

    async def read_body(request: Request, principal: Principal) -> dict[str, Any]:
        # The role first: a caller who may not write gets 403 before its body is read.
        cases.check_write(principal)
        return await gate.json_object(request, _MAX_BODY)

    def doc(shown: ShownCase) -> dict[str, Any]:
        return case_document(shown, clock.now_us())

    @router.post(
        "/hold",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"reason": _STR}, "reason"),
    )
    async def hold(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Place a legal hold on the case (``reason``): nothing it references is deleted."""
        reason = _text(await read_body(request, principal), "reason")
        return doc(await run_in_threadpool(cases.place_hold, principal, case_id, reason))

    @router.post(
        "/release",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body({"reason": _STR}, "reason"),
    )
    async def release(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Release the case's legal hold (``reason``)."""
        reason = _text(await read_body(request, principal), "reason")
        return doc(await run_in_threadpool(cases.release_hold, principal, case_id, reason))

    @router.get("/preservation", responses=responses(400, 404))
    def list_requests(case_id: str, principal: Caller) -> dict[str, Any]:
        """The case's preservation requests, oldest first, with where each stands."""
        found = service.tracked(principal, case_id, approvals)
        return {"requests": [tracked_document(t) for t in found]}

    @router.post(
        "/preservation",
        status_code=201,
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body(_ELEMENTS, "contact"),
    )
    async def new_request(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Draft a preservation request (the data to preserve from the case's objects) and
        ask for its approval; it is sent by ``/preservation/{n}/send`` once approved."""
        given = given_of(await read_body(request, principal))
        tracked = await run_in_threadpool(
            lambda: service.request_approval(principal, case_id, given, approvals)
        )
        return tracked_document(tracked)

    @router.get("/preservation/{number}", responses=responses(400, 404))
    def get_request(case_id: str, number: Number, principal: Caller) -> dict[str, Any]:
        """One preservation request of the case."""
        return tracked_document(service.find(principal, case_id, number, approvals))

    @router.post("/preservation/{number}/send", responses=responses(400, 403, 404, 409))
    async def send(case_id: str, number: Number, principal: Caller) -> dict[str, Any]:
        """Record the request as sent: only once approved for exactly its bytes (403
        otherwise); the caller then delivers the letter to the 24/7 point of contact."""
        cases.check_write(principal)

        def sending() -> TrackedRequest:
            tracked = service.find(principal, case_id, number, approvals)
            if tracked.record is not None:
                raise HttpProblem(409, f"{tracked.request.reference} is already sent")
            service.send(principal, case_id, number, approvals)
            return service.find(principal, case_id, number, approvals)

        return tracked_document(await run_in_threadpool(sending))

    def letter(case_id: str, number: int, principal: Principal) -> IssuedLetter:
        return service.letter(principal, case_id, number, approvals)

    @router.get("/preservation/{number}/letter.pdf", responses=responses(400, 404))
    def letter_pdf(case_id: str, number: Number, principal: Caller) -> Response:
        """The signed letter as PDF (its SHA-256 in a header, as the case records it)."""
        issued = letter(case_id, number, principal)
        return Response(
            issued.pdf,
            media_type="application/pdf",
            headers={
                "X-Content-SHA256": issued.pdf_sha256,
                "Content-Disposition": f'attachment; filename="{_file(issued)}.pdf"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.get("/preservation/{number}/letter.dsse.json", responses=responses(400, 404))
    def letter_signature(case_id: str, number: Number, principal: Caller) -> Response:
        """The letter's DSSE envelope (``entente preservation verify`` checks it offline)."""
        issued = letter(case_id, number, principal)
        return Response(
            issued.envelope,
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{_file(issued)}.dsse.json"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.post(
        "/preservation/{number}/answer",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body(
            {
                "answer": {"type": "string", "enum": [a.value for a in Answer]},
                "preserved_until": {"type": "string", "format": "date-time"},
                "note": _STR,
            },
            "answer",
        ),
    )
    async def answer(
        case_id: str, number: Number, request: Request, principal: Caller
    ) -> dict[str, Any]:
        """Record the contact's ``answer`` (``preserved_until``, a ``note``) on a sent request."""
        body = await read_body(request, principal)
        outcome = parse_answer(_text(body, "answer"))
        until = body.get("preserved_until")
        until_us = (
            None
            if until is None
            else timestamp_us_from_key(parse_timestamp(until, "preserved_until").key)
        )
        note = _text(body, "note", "")

        def answering() -> TrackedRequest:
            tracked = service.find(principal, case_id, number, approvals)
            if tracked.record is None:
                raise InvalidInput(f"{tracked.request.reference} is not sent yet")
            cases.record_answer(
                principal,
                case_id,
                tracked.request.reference,
                outcome,
                preserved_until_us=until_us,
                note=note,
            )
            return service.find(principal, case_id, number, approvals)

        return tracked_document(await run_in_threadpool(answering))

    return router


def parse_answer(value: str) -> Answer:
    """An answer by its name (``InvalidInput`` naming the choices)."""
    try:
        return Answer(value)
    except ValueError:
        allowed = ", ".join(a.value for a in Answer)
        raise InvalidInput(f"'answer' must be one of: {allowed}") from None


def _file(issued: IssuedLetter) -> str:
    """A safe file name from the letter's reference (letters, digits, '.', '_', '-')."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in issued.request.reference)
