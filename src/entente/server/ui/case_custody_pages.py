"""A case's custody log (``/cases/{id}/custody``) and its evidence export
(``/cases/{id}/evidence``) in the web UI.

Both are node records, for the node's own admins and analysts only
(``services.case_custody``): anyone else gets one 403 page, the same for every case id (asked
before the case, so it says nothing about which cases exist); an operator gets the case
pages' 404 for a case the policy withholds from it. Object ids in entries that the reader may
not see are left out and counted ("1 object withheld"). Reading either page is not a custody
event (``services.case_custody`` says why); an export is, recorded by
``CaseEvidenceService.export`` on channel ``ui``.

The export form's POST (with the session's CSRF token) answers the package itself as a
download (``Content-Disposition: attachment``, RFC 6266), or a page saying why not: 400 for a
recipient without an agreement or no recipient name, 403 for a refusal, 409 when the node
cannot export (no time-stamping authority configured, one that failed, a custody log that
does not verify), naming the settings to change.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in case_pages).

import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.errors import (
    ConfigurationError,
    InvalidInput,
    ObjectNotFound,
    PermissionDenied,
)
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.case_pages import case_not_found
from entente.server.ui.pages import Pages
from entente.server.ui.paging import page_number, wrong_page
from entente.services.case_custody import CaseCustodyService, CustodyLog, ShownEntry
from entente.services.case_evidence import CaseEvidenceService, TsaConfig
from entente.services.users import SignedIn
from entente.stix import format_timestamp_us

__all__ = ["ENTRIES_PER_PAGE", "case_custody_router"]

# Custody entries per page of ``/cases/{id}/custody``: a case viewed daily for a year has
# hundreds.
ENTRIES_PER_PAGE = 50
# A recipient's name goes into the package's report and CASE document.
_MAX_RECIPIENT_NAME = 200
_NOT_YOURS = (
    "A case's custody log and evidence exports are for this node's own admins and analysts."
)


def _entry(entry: ShownEntry) -> dict[str, Any]:
    withheld = entry.withheld
    return {
        "seq": entry.seq,
        "at": format_timestamp_us(entry.time_us),
        "actor": entry.actor,
        "org": entry.org,
        "role": entry.role,
        "event": entry.event,
        "channel": entry.channel,
        "objects": entry.objects,
        "withheld": f"{withheld} object{'' if withheld == 1 else 's'} withheld" if withheld else "",
        "omitted": entry.omitted,
        "agreements": entry.agreements,
        "details": sorted((k, "" if v is None else str(v)) for k, v in entry.details.items()),
        "recipient": str(entry.details.get("recipient") or ""),
        "reason": str(entry.details.get("reason") or ""),
    }


def _verdict(log: CustodyLog) -> dict[str, Any]:
    verdict = log.verdict
    failure = verdict.failure
    return {
        "ok": failure is None,
        "entries": verdict.entries_checked,
        "checkpoints": verdict.checkpoints_checked,
        "signed_through": verdict.signed_through,
        "failure": "" if failure is None else str(failure),
        "failed_at": None if failure is None else failure.seq,
    }


def case_custody_router(
    custody: CaseCustodyService,
    evidence: CaseEvidenceService,
    tsa: Callable[[], TsaConfig | None],
    auth: UiAuth,
    pages: Pages,
) -> APIRouter:
    """The custody and evidence pages of cases; ``tsa`` reads the node's configured TSA."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias

    message = pages.message

    def not_found(request: Request, signed: SignedIn) -> Response:
        return case_not_found(pages, request, signed)

    def refused(request: Request, signed: SignedIn) -> Response:
        return message(request, signed, 403, "Not for your account", _NOT_YOURS)

    def read(signed: SignedIn, case_id: str, start: int, count: int) -> CustodyLog:
        return custody.show(signed.principal, case_id, start=start, count=count)

    @router.get("/cases/{case_id}/custody")
    def custody_page(request: Request, case_id: str, signed: SignedInUser) -> Response:
        page = page_number(request)
        if page is None:
            return wrong_page(request, signed, pages)
        try:
            log = read(signed, case_id, (page - 1) * ENTRIES_PER_PAGE, ENTRIES_PER_PAGE)
        except PermissionDenied:
            return refused(request, signed)
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        checkpoint = log.checkpoint
        return pages.response(
            "case_custody.html",
            request,
            signed,
            title=f"Custody log: {log.case.case.name}",
            case=log.case.case,
            entries=[_entry(e) for e in log.entries],
            total=log.total,
            page=page,
            pages_total=max(1, math.ceil(log.total / ENTRIES_PER_PAGE)),
            verdict=_verdict(log),
            readable=log.readable,
            checkpoint=None
            if checkpoint is None
            else {
                "seq": checkpoint.seq,
                "at": format_timestamp_us(checkpoint.time_us),
                "head": checkpoint.head,
                "key": checkpoint.key,
            },
        )

    def evidence_page(
        request: Request, signed: SignedIn, log: CustodyLog, *, status: int = 200, error: str = ""
    ) -> Response:
        return pages.response(
            "case_evidence.html",
            request,
            signed,
            status_code=status,
            title=f"Evidence: {log.case.case.name}",
            case=log.case.case,
            recipients=[
                {"org": org, "agreement": a.name, "agreement_id": a.id}
                for org, a in evidence.export_recipients()
            ],
            exports=[_entry(e) for e in reversed(log.exports)],
            error=error,
        )

    @router.get("/cases/{case_id}/evidence")
    def evidence_form(request: Request, case_id: str, signed: SignedInUser) -> Response:
        try:
            log = read(signed, case_id, 0, 0)
        except PermissionDenied:
            return refused(request, signed)
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        return evidence_page(request, signed, log)

    @router.post("/cases/{case_id}/evidence/package")
    async def export(request: Request, case_id: str, signed: CsrfChecked) -> Response:
        principal = signed.principal
        try:
            await run_in_threadpool(read, signed, case_id, 0, 0)
        except PermissionDenied:
            return refused(request, signed)
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        form = await read_form(request)
        recipient_org = form.get("recipient_org", "")
        recipient_name = form.get("recipient_name", "").strip()

        async def failed(status: int, text: str) -> Response:
            # Read again: a failed export leaves its "export-failed" entry to list.
            fresh = await run_in_threadpool(read, signed, case_id, 0, 0)
            return evidence_page(request, signed, fresh, status=status, error=text)

        offered = {org for org, _ in await run_in_threadpool(evidence.export_recipients)}
        if recipient_org not in offered:
            # Not the org asked for: the form's own choices are the only answers.
            return await failed(
                400,
                "No package was made: choose a recipient org that this node has an agreement "
                "with (agreements are added on the node with entente agreement add).",
            )
        if not recipient_name or len(recipient_name) > _MAX_RECIPIENT_NAME:
            return await failed(
                400,
                f"No package was made: name the recipient (1 to {_MAX_RECIPIENT_NAME} "
                "characters), as the package's report and CASE document will address it.",
            )
        try:
            package = await run_in_threadpool(
                lambda: evidence.export(
                    principal,
                    case_id,
                    recipient_org,
                    recipient_name=recipient_name,
                    tsa=tsa(),
                    channel="ui",
                )
            )
        except PermissionDenied as exc:
            return await failed(403, f"No package was made: {exc}.")
        except ObjectNotFound:
            return not_found(request, signed)
        except ConfigurationError as exc:
            return await failed(409, f"No package was made: this node cannot export now: {exc}.")
        except InvalidInput as exc:
            return await failed(400, f"No package was made: {exc}.")
        # The case id is a STIX id (checked by the export) and the org an identity id: both
        # plain ASCII, so the file name needs no RFC 8187 encoding.
        org_part = recipient_org.partition("--")[2][:8]
        filename = f"{case_id}-evidence-{org_part}.tar"
        return Response(
            package,
            media_type="application/x-tar",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    return router
