"""The joint advisory pages: the advisories kept on this node (``/advisories``) with the form
that drafts one, one advisory (``/advisories/{id}``: its Markdown, its PDF, its STIX report id,
who signed and who approved) and the button that publishes it (issue 15 items 4 and 6).

Every read is ``AdvisoryDesk.list_drafts``/``show`` as the signed-in user: only the node's
own admins and analysts see advisories, and of them only the author or one the one sharing
policy shows every object of the advisory (``services.advisory_desk``); an advisory the user
may not see and an absent one get the same 404 page, which does not repeat the id.

The Markdown is shown as preformatted text (escaped by Jinja2, never rendered as HTML from
the text). Each POST carries the session's CSRF token (``UiAuth.csrf_checked``) and answers
a 303 (RFC 9110 §15.4.4) to the advisory with a fixed message, a refusal a 403 page with the
reason (``NotApproved`` names what is missing), bad input a 400 page; none stores anything
then. Approving is on ``/approvals`` (a named person; four-eyes by default).
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in case_pages).

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente.advisory.package import MARKDOWN, PDF
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.pages import Pages
from entente.services.advisories import AdvisoryRequest
from entente.services.advisory_desk import AdvisoryDesk, Draft, advisory_file_stem
from entente.services.users import SignedIn

__all__ = ["ADVISORY_MESSAGES", "advisory_pages_router"]

# What a 303 says on the advisory's page: fixed text, so that no link can make it say more.
ADVISORY_MESSAGES = {
    "drafted": "The advisory was drafted, signed by this node and sent for approval.",
    "published": "The advisory's report was published to its collection.",
}
_DONE = Query(max_length=20)
# How long each field of the draft form may be (the whole form: ``MAX_FORM_BYTES``).
_MAX_TEXT = 8000


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _row(draft: Draft) -> dict[str, Any]:
    return {
        "id": draft.report_id,
        "title": draft.predicate.get("title", ""),
        "created": draft.predicate.get("created", ""),
        "collection": draft.collection,
        "state": _state(draft),
    }


def _state(draft: Draft) -> str:
    if draft.published:
        return "published"
    if not draft.requests:
        return "not asked"
    if any(s.decision.state.value == "rejected" for s in draft.requests):
        return "rejected"
    if not draft.approved:
        return "pending approval"
    return "approved" if not draft.unsigned else "approved, awaiting co-signatures"


def advisory_pages_router(desk: AdvisoryDesk, auth: UiAuth, pages: Pages) -> APIRouter:
    """The advisory pages and forms over the node's one ``desk``."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias

    message = pages.message

    def not_found(request: Request, signed: SignedIn) -> Response:
        return pages.no_such(request, signed, "advisory")

    @router.get("/advisories")
    def advisory_list(request: Request, signed: SignedInUser) -> Response:
        try:
            desk.check_operator(signed.principal)
        except PermissionDenied:
            return message(
                request,
                signed,
                403,
                "Not allowed",
                "Only the node's own admins and analysts draft and publish advisories.",
            )
        drafts = desk.list_drafts(signed.principal)
        return pages.response(
            "advisories.html",
            request,
            signed,
            title="Advisories",
            rows=[_row(d) for d in drafts],
            partners=desk.coauthor_choices(signed.principal),
            collections=desk.collection_choices(signed.principal),
        )

    @router.post("/advisories")
    async def draft(request: Request, signed: CsrfChecked) -> Response:
        try:
            desk.check_operator(signed.principal)
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was drafted: {exc}.")
        form = await read_form(request)
        title = form.get("title", "").strip()
        summary = form.get("summary", "").strip()
        collection = form.get("collection", "").strip()
        if not title or not summary or not collection:
            return message(
                request,
                signed,
                400,
                "Not drafted",
                "Nothing was drafted: an advisory needs a title, a summary and a collection.",
            )
        if any(len(value) > _MAX_TEXT for value in form.values()):
            return message(
                request,
                signed,
                400,
                "Not drafted",
                f"Nothing was drafted: a field has at most {_MAX_TEXT} characters.",
            )
        asked = AdvisoryRequest(
            title=title,
            summary=summary,
            technical_details=form.get("technical_details", "").strip(),
            coauthors=_lines(form.get("coauthors", "")),
            case_id=form.get("case_id", "").strip() or None,
            object_ids=_lines(form.get("object_ids", "")),
            mitigations=_lines(form.get("mitigations", "")),
        )
        try:
            drafted = await run_in_threadpool(
                lambda: desk.draft(signed.principal, asked, collection, channel="ui")
            )
        except ObjectNotFound as exc:
            return message(request, signed, 404, "Not drafted", f"Nothing was drafted: {exc}.")
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was drafted: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not drafted", f"Nothing was drafted: {exc}")
        return RedirectResponse(f"/advisories/{drafted.report_id}?done=drafted", status_code=303)

    @router.get("/advisories/{report_id}")
    def advisory_page(
        request: Request,
        report_id: str,
        signed: SignedInUser,
        *,
        done: Annotated[str | None, _DONE] = None,
    ) -> Response:
        try:
            shown = desk.show(signed.principal, report_id)
        except ObjectNotFound:
            return not_found(request, signed)
        files = shown.files
        predicate = shown.predicate
        agencies = [predicate.get("author") or {}, *(predicate.get("coauthors") or [])]
        return pages.response(
            "advisory.html",
            request,
            signed,
            title=f"Advisory: {predicate.get('title', '')}",
            advisory=_row(shown),
            report_id=shown.report_id,
            sha256=shown.sha256,
            tlp=str(predicate.get("tlp", "")).upper(),
            agencies=[str(a.get("name", "")) for a in agencies if isinstance(a, dict)],
            unsigned=shown.unsigned,
            requests=[
                {
                    "id": s.request.id,
                    "action": s.request.action_type.value,
                    "state": s.decision.state.value,
                    "missing": s.decision.missing(),
                    "approvers": [
                        f"{a.approver} ({a.approver_org}): {a.verdict.value}" for a in s.approvals
                    ],
                }
                for s in shown.requests
            ],
            may_publish=shown.approved and not shown.unsigned and not shown.published,
            markdown=files[MARKDOWN].decode("utf-8", errors="replace"),
            done=ADVISORY_MESSAGES.get(done or ""),
        )

    @router.get("/advisories/{report_id}/advisory.pdf")
    def pdf(request: Request, report_id: str, signed: SignedInUser) -> Response:
        try:
            shown = desk.show(signed.principal, report_id)
        except ObjectNotFound:
            return not_found(request, signed)
        name = f"advisory-{advisory_file_stem(shown.report_id)}.pdf"
        return Response(
            shown.files[PDF],
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.post("/advisories/{report_id}/publish")
    async def publish(request: Request, report_id: str, signed: CsrfChecked) -> Response:
        try:
            stem = advisory_file_stem(report_id)
            await run_in_threadpool(lambda: desk.publish(signed.principal, report_id, channel="ui"))
        except ObjectNotFound:
            return not_found(request, signed)
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not published", f"Nothing was published: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not published", f"Nothing was published: {exc}")
        return RedirectResponse(f"/advisories/report--{stem}?done=published", status_code=303)

    return router
