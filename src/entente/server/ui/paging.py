"""The ``?page=`` of the UI's paged lists, and the answers a page gives a client's mistake."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from entente.server.ui.pages import Pages
from entente.services.users import SignedIn

__all__ = ["MAX_PAGE", "forbidden", "not_found", "page_number", "wrong_page"]

# Past this no list has pages (they hold at most a few thousand entries); a larger number is
# a client's mistake rather than an offset the store should compute.
MAX_PAGE = 100_000


def page_number(request: Request) -> int | None:
    """The ``page`` query parameter (1 when absent), or None when it is not a page number."""
    raw = request.query_params.get("page")
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        return None
    page = int(raw)
    return page if 1 <= page <= MAX_PAGE else None


def wrong_page(request: Request, signed: SignedIn, pages: Pages) -> Response:
    """400: ``?page=`` is not a page number."""
    return pages.response(
        "message.html",
        request,
        signed,
        status_code=400,
        title="No such page",
        message=f"The page must be a whole number from 1 to {MAX_PAGE}.",
    )


def forbidden(request: Request, signed: SignedIn, pages: Pages, message: str) -> Response:
    """403: the page is not for this user's org or role; ``message`` says who it is for."""
    return pages.response(
        "message.html", request, signed, status_code=403, title="Not for your account",
        message=message,
    )  # fmt: skip


def not_found(request: Request, signed: SignedIn, pages: Pages, message: str) -> Response:
    """404, saying what was not found."""
    return pages.response(
        "message.html", request, signed, status_code=404, title="Not found", message=message
    )
