"""The "Partners and agreements" pages: every partner's sync state and the agreements, and one
partner's history and what may flow each way (issue 13).

Both answer the node org's admins and analysts only (403 for anyone else, with a page that
says so). The sparklines are SVG from ``entente.charts`` (which escapes what it writes), each
followed by its numbers as text.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in ui.pages).

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.charts import render_sparkline
from entente.errors import ObjectNotFound, PermissionDenied
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.server.ui.paging import forbidden, not_found, page_number, wrong_page
from entente.server.ui.timestamps import when
from entente.services.partner_overview import PartnerOverviewService, PartnerSummary
from entente.services.users import SignedIn

__all__ = ["partner_href", "partners_pages_router", "sparkline"]


def partner_href(name: str) -> str:
    """The page of a partner (its name percent-encoded, though names are slugs)."""
    return f"/partners/{quote(name, safe='')}"


def sparkline(partner: PartnerSummary) -> Markup:
    """The partner's objects added per recent run, as SVG (escaped by the renderer)."""
    return Markup(
        render_sparkline(f"Objects added per sync run from {partner.name}", partner.added_per_run)
    )


def partners_pages_router(service: PartnerOverviewService, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /partners (``partners.html``) and GET /partners/{name} (``partner.html``), both
    with ``?page=``."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    @router.get("/partners")
    async def overview(request: Request, signed: SignedInUser) -> Response:
        page = page_number(request)
        if page is None:
            return wrong_page(request, signed, pages)
        try:
            listed = await run_in_threadpool(service.overview, signed.principal, page)
        except PermissionDenied as exc:
            return forbidden(request, signed, pages, str(exc))
        return pages.response(
            "partners.html",
            request,
            signed,
            listed=listed,
            when=when,
            sparkline=sparkline,
            partner_href=partner_href,
        )

    @router.get("/partners/{name}")
    async def partner(request: Request, name: str, signed: SignedInUser) -> Response:
        page = page_number(request)
        if page is None:
            return wrong_page(request, signed, pages)
        try:
            detail = await run_in_threadpool(service.partner, signed.principal, name, page)
        except PermissionDenied as exc:
            return forbidden(request, signed, pages, str(exc))
        except ObjectNotFound:
            return not_found(request, signed, pages, "This node has no partner of that name.")
        return pages.response(
            "partner.html",
            request,
            signed,
            detail=detail,
            when=when,
            sparkline=sparkline,
            partner_href=partner_href,
        )

    return router
