"""The abuse-report pages: the reports a user may see (``/abuse``), one report exactly as it
will be sent with its SHA-256, its approval and its lifecycle (``/abuse/{id}``), and the forms
that draft one from a case's indicator, ask for approval, send it, record the abuse desk's
answer and re-check the target (issue 15 items 2 and 6).

Every read is ``AbuseService.list_reports``/``show``/``for_case`` as the signed-in user (the
one sharing policy); a report the user may not see and an absent one get the same 404 page,
which does not repeat the id asked for. The document is shown from the stored text, never a
re-encoding, with control and bidirectional characters made visible
(``approval_pages.render_payload``), as on the approval request that will let it go.

Each change is a POST with the session's CSRF token (``UiAuth.csrf_checked``) through the
node's one ``AbuseService``, which checks the role and that the user's org drafted the report
whatever the page showed; sending goes only through ``approval_gate``. The answer is a 303
back to the report with a fixed message; a refusal (an unapproved send says what is missing)
is a 403 page, bad input a 400 page, a relay or RDAP server that fails a 502 page, and none of
them half-applies anything.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in case_pages).

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente.abuse import AbuseReport, Recheck, ReportFormat, ReportStatus
from entente.errors import (
    ConfigurationError,
    DeliveryFailed,
    InvalidInput,
    ObjectNotFound,
    PermissionDenied,
)
from entente.server.ui.approval_pages import render_payload
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.pages import Pages
from entente.services.abuse import AbuseService, DraftRequest, approval_gate, approval_state
from entente.services.approvals import ApprovalService
from entente.services.users import SignedIn
from entente.sharing import Principal, Role
from entente.stix import format_timestamp_us, is_valid_id

__all__ = ["ABUSE_MESSAGES", "abuse_pages_router", "case_abuse_rows"]

# What each action's 303 says on the report's page: fixed text, so that no link can make the
# page say something else.
ABUSE_MESSAGES = {
    "drafted": "The report was drafted and its approval requested.",
    "request-approval": "Approval was requested for the report exactly as it stands.",
    "send": "The report was sent to the abuse contact.",
    "acknowledged": "The report was marked acknowledged.",
    "resolved": "The report was marked resolved.",
}
_ACTIONS = frozenset({"request-approval", "send", "acknowledged", "resolved", "recheck"})
_WRITERS = (Role.ADMIN, Role.ANALYST)
_DONE = Query(max_length=20)
_MAX_DETAIL = 2000


def _row(
    service: AbuseService, desk: ApprovalService, principal: Principal, report: AbuseReport
) -> dict[str, Any]:
    due = service.deadline(report)
    return {
        "id": report.id,
        "target": report.target.value,
        "contact": report.contact.email,
        "provider": due.provider or report.contact.provider or "",
        "status": report.status.value,
        "approval": approval_state(desk, principal, report),
        "sla": due.state.value,
        "due": "" if due.due_us is None else format_timestamp_us(due.due_us),
        "overdue": due.overdue,
        "updated": format_timestamp_us(report.modified_us),
    }


def case_abuse_rows(
    service: AbuseService, desk: ApprovalService
) -> Callable[[Principal, str], list[dict[str, Any]]]:
    """The rows of a case's abuse reports that a principal may see (for the case page)."""

    def rows(principal: Principal, case_id: str) -> list[dict[str, Any]]:
        return [_row(service, desk, principal, r) for r in service.for_case(principal, case_id)]

    return rows


def abuse_pages_router(
    service: AbuseService, desk: ApprovalService, auth: UiAuth, pages: Pages
) -> APIRouter:
    """The abuse-report pages and their forms over the node's one ``service``."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias
    message = pages.message

    def not_found(request: Request, signed: SignedIn) -> Response:
        return pages.no_such(request, signed, "abuse report")

    def report_page(
        request: Request,
        signed: SignedIn,
        report: AbuseReport,
        *,
        done: str | None = None,
        rechecked: Recheck | None = None,
    ) -> Response:
        principal = signed.principal
        row = _row(service, desk, principal, report)
        media = "message/rfc822" if report.report_format is ReportFormat.ARF else "application/json"
        approved = row["approval"] == "approved"
        return pages.response(
            "abuse_report.html",
            request,
            signed,
            title=f"Abuse report: {report.target.value}",
            report=report,
            row=row,
            # The document's exact text (its JSON is not re-encoded: the bytes sent are these).
            document=render_payload(report.document.encode("utf-8"), "text/plain"),
            media_type=media,
            history=[
                {
                    "status": c.status.value,
                    "at": format_timestamp_us(c.at_us),
                    "by": c.by,
                    "detail": c.detail,
                }
                for c in report.history
            ],
            may_change=principal.role in _WRITERS,
            may_send=report.status in (ReportStatus.DRAFT, ReportStatus.FAILED),
            may_mark=report.status in (ReportStatus.SENT, ReportStatus.ACKNOWLEDGED),
            refusal=None if approved else f"not approved ({row['approval']})",
            rechecked=rechecked,
            max_detail=_MAX_DETAIL,
            done=done,
        )

    @router.get("/abuse")
    def abuse_list(request: Request, signed: SignedInUser) -> Response:
        principal = signed.principal
        rows = [_row(service, desk, principal, r) for r in service.list_reports(principal)]
        return pages.response("abuse.html", request, signed, title="Abuse reports", rows=rows)

    @router.get("/abuse/{report_id}")
    def abuse_page(
        request: Request,
        report_id: str,
        signed: SignedInUser,
        *,
        done: Annotated[str | None, _DONE] = None,
    ) -> Response:
        try:
            report = service.show(signed.principal, report_id)
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        return report_page(request, signed, report, done=ABUSE_MESSAGES.get(done or ""))

    @router.post("/abuse")
    async def draft(request: Request, signed: CsrfChecked) -> Response:
        principal = signed.principal
        form = await read_form(request)
        indicator_id = form.get("indicator_id", "")
        case_id = form.get("case_id", "") or None
        if not is_valid_id(indicator_id, "indicator"):
            return message(
                request, signed, 400, "Not drafted", "Nothing was drafted: choose an indicator."
            )
        wanted = DraftRequest(indicator_id=indicator_id, case_id=case_id)
        try:
            drafted = await run_in_threadpool(service.draft, principal, wanted)
            drafted = await run_in_threadpool(
                lambda: service.request_approval(principal, drafted.id, desk, channel="ui")
            )
        except ObjectNotFound as exc:
            # RDAP naming no contact is worth saying; a hidden indicator is not.
            text = str(exc) if "RDAP" in str(exc) else "no such indicator or case"
            return message(request, signed, 404, "Not drafted", f"Nothing was drafted: {text}.")
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was drafted: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not drafted", f"Nothing was drafted: {exc}")
        except DeliveryFailed as exc:
            return message(request, signed, 502, "Not drafted", f"Nothing was drafted: {exc}")
        except ConfigurationError as exc:
            return message(request, signed, 503, "Not configured", f"Nothing was drafted: {exc}")
        return RedirectResponse(f"/abuse/{drafted.id}?done=drafted", status_code=303)

    @router.post("/abuse/{report_id}/{action}")
    async def act(request: Request, report_id: str, action: str, signed: CsrfChecked) -> Response:
        principal = signed.principal
        if action not in _ACTIONS or not is_valid_id(report_id, "note"):
            return not_found(request, signed)
        form = await read_form(request)
        detail = form.get("detail", "").strip()
        if len(detail) > _MAX_DETAIL:
            return message(
                request,
                signed,
                400,
                "Not changed",
                f"Nothing was changed: a detail has at most {_MAX_DETAIL} characters.",
            )
        try:
            if action == "recheck":
                found = await run_in_threadpool(service.recheck, principal, report_id)
                report = await run_in_threadpool(service.show, principal, report_id)
                return report_page(request, signed, report, rechecked=found)
            if action == "request-approval":
                await run_in_threadpool(
                    lambda: service.request_approval(principal, report_id, desk, channel="ui")
                )
            elif action == "send":
                await run_in_threadpool(
                    lambda: service.send(principal, report_id, approval_gate(desk, principal))
                )
            else:
                status = ReportStatus(action)
                await run_in_threadpool(service.mark, principal, report_id, status, detail)
        except ObjectNotFound:
            return not_found(request, signed)
        except PermissionDenied as exc:
            verb = "sent" if action == "send" else "changed"
            return message(request, signed, 403, "Not allowed", f"Nothing was {verb}: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not changed", f"Nothing was changed: {exc}")
        except DeliveryFailed as exc:
            return message(request, signed, 502, "Not delivered", f"Not delivered: {exc}")
        except ConfigurationError as exc:
            return message(request, signed, 503, "Not configured", f"Nothing was done: {exc}")
        return RedirectResponse(f"/abuse/{report_id}?done={action}", status_code=303)

    return router
