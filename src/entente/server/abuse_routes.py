"""REST for abuse reports under ``/api/v1/abuse/reports``: list (of a case too), read, the
exact document, draft one from an indicator, ask for approval, send, record the abuse desk's
answer, and re-check the target (issue 15 items 2 and 6).

Every read is the caller's through ``services.abuse`` (the one sharing policy); every write
goes through the node's write path as the caller. Sending goes only through
``approval_gate``: an unapproved send is a 403 problem saying what is missing, and nothing
leaves. A relay or an RDAP server that fails is the network's failure, not the server's: a
502 problem naming it (RFC 9110 §15.6.3), never a 500; a node with no relay or resolver
configured answers 503 (§15.6.4) saying which setting is missing.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from entente.abuse import AbuseReport, ReportFormat, ReportStatus
from entente.errors import ConfigurationError, DeliveryFailed, InvalidInput
from entente.server.bodies import BodyGate
from entente.server.openapi import responses
from entente.server.problems import HttpProblem
from entente.services.abuse import (
    AbuseService,
    DraftRequest,
    approval_gate,
    approval_state,
    report_document,
)
from entente.services.approvals import ApprovalService
from entente.sharing import Principal

__all__ = ["abuse_document", "abuse_router", "unavailable"]

# An action's body is a small JSON object.
_MAX_BODY = 64 * 1024
_STR = {"type": "string"}
_MARKABLE = (ReportStatus.ACKNOWLEDGED.value, ReportStatus.RESOLVED.value)


def _body(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _text(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{key}' must be a string")
    return value


def abuse_document(
    service: AbuseService, desk: ApprovalService, principal: Principal, report: AbuseReport
) -> dict[str, Any]:
    """A report as JSON: its record, its SLA state and where its approval stands."""
    document = report_document(report, service.deadline(report))
    document["approval"] = approval_state(desk, principal, report)
    return document


@contextmanager
def unavailable() -> Iterator[None]:
    """Map what the node could not do to problems: a failed relay or RDAP server is 502, a
    missing setting 503 (never 500)."""
    try:
        yield
    except DeliveryFailed as exc:
        raise HttpProblem(502, f"not delivered: {exc}") from exc
    except ConfigurationError as exc:
        raise HttpProblem(503, str(exc)) from exc


def abuse_router(
    service: AbuseService,
    desk: ApprovalService,
    check_write: Callable[[Principal], None],
    principal_of_request: Callable[[Request], Principal],
    gate: BodyGate,
) -> APIRouter:
    """The abuse-report routes, bound to ``service`` and the node's approval ``desk``."""
    router = APIRouter(prefix="/api/v1/abuse/reports")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    async def read_body(request: Request, principal: Principal) -> dict[str, Any]:
        # The role first: a caller who may not write gets 403 before its body is read.
        check_write(principal)
        return await gate.json_object(request, _MAX_BODY, empty=True)

    def doc(principal: Principal, report: AbuseReport) -> dict[str, Any]:
        return abuse_document(service, desk, principal, report)

    @router.get("", responses=responses(400))
    def list_reports(
        principal: Caller,
        case: Annotated[
            str | None, Query(max_length=64, description="Only the reports of this case.")
        ] = None,
    ) -> dict[str, Any]:
        """Every abuse report the caller may see (of ``case``), the latest change first."""
        found = (
            service.list_reports(principal) if case is None else service.for_case(principal, case)
        )
        return {"reports": [doc(principal, r) for r in found]}

    @router.post(
        "",
        status_code=201,
        responses=responses(400, 403, 404, 413, 415, 502, 503),
        openapi_extra=_body(
            {"indicator": _STR, "case": _STR, "category": _STR, "type": _STR},
            "indicator",
        ),
    )
    async def draft(request: Request, principal: Caller) -> dict[str, Any]:
        """Draft an X-ARF v4 report about ``indicator`` (of ``case``), to the abuse contact
        RDAP names for its target; optional X-ARF ``category`` and ``type``."""
        body = await read_body(request, principal)
        wanted = DraftRequest(
            indicator_id=_text(body, "indicator", required=True) or "",
            report_format=ReportFormat.XARF,
            case_id=_text(body, "case"),
            category=_text(body, "category") or "reputation",
            report_type=_text(body, "type") or "threat_intelligence",
        )
        with unavailable():
            drafted = await run_in_threadpool(service.draft, principal, wanted)
        return doc(principal, drafted)

    @router.get("/{report_id}", responses=responses(400, 404))
    def get_report(report_id: str, principal: Caller) -> dict[str, Any]:
        """One report: its record, SLA and approval state."""
        return doc(principal, service.show(principal, report_id))

    @router.get("/{report_id}/document", responses=responses(400, 404))
    def get_document(report_id: str, principal: Caller) -> Response:
        """The report exactly as it will be sent (its SHA-256: a header)."""
        report = service.show(principal, report_id)
        media = "message/rfc822" if report.report_format is ReportFormat.ARF else "application/json"
        return Response(
            report.document.encode("utf-8"),
            media_type=media,
            headers={
                "X-Content-SHA256": report.sha256,
                "Content-Disposition": "attachment",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.post("/{report_id}/request-approval", responses=responses(400, 403, 404))
    async def request_approval(report_id: str, principal: Caller) -> dict[str, Any]:
        """Ask (again) for approval to send the report exactly as it stands."""
        check_write(principal)
        asked = await run_in_threadpool(
            lambda: service.request_approval(principal, report_id, desk, channel="rest")
        )
        return doc(principal, asked)

    @router.post("/{report_id}/send", responses=responses(400, 403, 404, 502, 503))
    async def send(report_id: str, principal: Caller) -> dict[str, Any]:
        """Send the report once it is approved for exactly its bytes (403 saying what is
        missing otherwise: nothing is sent); 502 when the relay refuses it."""
        check_write(principal)
        with unavailable():
            sent = await run_in_threadpool(
                lambda: service.send(principal, report_id, approval_gate(desk, principal))
            )
        return doc(principal, sent)

    @router.post(
        "/{report_id}/mark",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra=_body(
            {"status": {"type": "string", "enum": list(_MARKABLE)}, "detail": _STR}, "status"
        ),
    )
    async def mark(report_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Record the abuse desk's answer: ``status`` acknowledged or resolved, ``detail``."""
        body = await read_body(request, principal)
        value = _text(body, "status", required=True)
        if value not in _MARKABLE:
            raise InvalidInput(f"'status' must be one of: {', '.join(_MARKABLE)}")
        detail = _text(body, "detail") or ""
        changed = await run_in_threadpool(
            service.mark, principal, report_id, ReportStatus(value), detail
        )
        return doc(principal, changed)

    @router.post("/{report_id}/recheck", responses=responses(400, 404, 503))
    async def recheck(report_id: str, principal: Caller) -> dict[str, Any]:
        """Whether the target still resolves, and its indicator's sightings since."""
        with unavailable():
            found = await run_in_threadpool(service.recheck, principal, report_id)
        return {
            "report": found.report_id,
            "target": found.target,
            "resolves": found.resolves,
            "addresses": list(found.addresses),
            "new_sightings": list(found.new_sightings),
        }

    return router
