"""The "Hits and hunts" pages: recent matching runs, and what one run found (issue 13).

Both answer the node org's admins and analysts only (403 for anyone else, with a page that
says so); what a run names passes the sharing policy for the reader in ``services.hits``.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in ui.pages).

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.errors import PermissionDenied
from entente.graph import object_href
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.server.ui.paging import forbidden, not_found, page_number, wrong_page
from entente.server.ui.timestamps import when
from entente.services.hits import HitsService
from entente.services.users import SignedIn

__all__ = ["hits_pages_router"]

# Run ids are positive 64-bit integers (``store.schema.match_runs``).
_MAX_RUN_ID = 2**63 - 1


def _run_id(raw: str) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    run_id = int(raw)
    return run_id if 1 <= run_id <= _MAX_RUN_ID else None


def hits_pages_router(service: HitsService, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /hits (``hits.html``, ``?page=``) and GET /hits/{run_id} (``hit_run.html``)."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    @router.get("/hits")
    async def runs(request: Request, signed: SignedInUser) -> Response:
        page = page_number(request)
        if page is None:
            return wrong_page(request, signed, pages)
        try:
            listed = await run_in_threadpool(service.runs, signed.principal, page)
        except PermissionDenied as exc:
            return forbidden(request, signed, pages, str(exc))
        return pages.response("hits.html", request, signed, listed=listed, when=when)

    @router.get("/hits/{raw_id}")
    async def run(request: Request, raw_id: str, signed: SignedInUser) -> Response:
        run_id = _run_id(raw_id)
        try:
            detail = (
                None
                if run_id is None
                else await run_in_threadpool(service.run, signed.principal, run_id)
            )
        except PermissionDenied as exc:
            return forbidden(request, signed, pages, str(exc))
        if detail is None:
            return not_found(
                request, signed, pages, "No matching run with that number is kept on this node."
            )
        return pages.response(
            "hit_run.html", request, signed, run=detail, when=when, object_href=object_href
        )

    return router
