"""The exports page: each feed the node renders, its size and what it left out, and a download.

Every figure is of the signed-in user's own export, selected through the sharing policy for
that user's principal exactly as ``/feeds/{format}`` selects it for a token
(``services.export``): what the policy hides is not described, except the one ``policy``
count the export service gives the node's own org (its operators). The page shows only counts
by reason, never the ids or values left out.

Rendering every format on every view costs a render per format; the selection is made once
per view and each format's summary is kept by the selection's entity tag (which covers the
format, the producer, every item and every left-out entry: ``Selection.etag``), so a view
whose data has not changed renders nothing again. A download renders its one format.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency alias at def
# time (as in taxii_routes).

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.errors import ObjectNotFound
from entente.export import LeftOutReason
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.services.export import ExportService, Selection
from entente.services.users import SignedIn

__all__ = ["SUMMARY_CACHE_SIZE", "FeedSummaries", "FeedSummary", "exports_router"]

# Summaries kept (one per format and distinct selection): a few users' views of every format.
SUMMARY_CACHE_SIZE = 256

# What each reason is called on the page, in the order shown.
_REASONS: tuple[tuple[LeftOutReason, str], ...] = (
    (LeftOutReason.WARNINGLIST, "on a warninglist"),
    (LeftOutReason.SCORE, "score below the minimum"),
    (LeftOutReason.UNSUPPORTED, "not expressible in this format"),
    (LeftOutReason.NOT_DEPLOYABLE, "pattern not deployable"),
    (LeftOutReason.POLICY, "withheld by the sharing policy"),
)


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """One format of one user's export: its size and its left-out counts by reason."""

    format: str
    filename: str
    media_type: str
    entries: int
    size: int
    # (reason label, count), in the order of ``_REASONS``, reasons with no entry left out.
    left_out: tuple[tuple[str, int], ...]
    companions: tuple[str, ...]


def _left_out_counts(counts: Counter[LeftOutReason]) -> tuple[tuple[str, int], ...]:
    return tuple((label, counts[r]) for r, label in _REASONS if counts[r])


class FeedSummaries:
    """Summaries of the formats of ``exports``, rendered once per selection (module docstring).

    The cache is keyed by the selection's entity tag of each format; it holds sizes and
    counts only, never a body, and is bounded (least recently used goes first).
    """

    def __init__(self, exports: ExportService, size: int = SUMMARY_CACHE_SIZE) -> None:
        self._exports = exports
        self._size = size
        self._cache: OrderedDict[str, FeedSummary] = OrderedDict()
        self._lock = threading.Lock()

    def summaries(self, selection: Selection, producer: str) -> list[FeedSummary]:
        """Each format's summary for ``selection``, rendering only the ones not cached."""
        return [self.summary(fmt, selection, producer) for fmt in self._exports.formats]

    def summary(self, fmt: str, selection: Selection, producer: str) -> FeedSummary:
        """The summary of ``fmt`` for ``selection``."""
        key = selection.etag(fmt, producer)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        rendered = self._exports.render(fmt, selection)
        counts = Counter(entry.reason for entry in rendered.left_out)
        made = FeedSummary(
            format=fmt,
            filename=rendered.filename,
            media_type=rendered.media_type,
            entries=rendered.count,
            size=len(rendered.body),
            left_out=_left_out_counts(counts),
            companions=tuple(self._exports.companions(fmt, selection)),
        )
        with self._lock:
            self._cache[key] = made
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return made


def _size_text(size: int) -> str:
    """A byte count as people read it (``812 bytes``, ``14.2 KiB``, ``3.1 MiB``)."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _download(body: bytes, media_type: str, filename: str) -> Response:
    # No Cache-Control here: every UI answer is ``no-store`` (``ui.headers``), and this file
    # holds what this user may read.
    headers = {
        # The renderers' file names are fixed ASCII names (entente.export), so the quoted
        # form needs no escaping (RFC 6266 §4.1).
        "Content-Disposition": f'attachment; filename="{filename}"',
        # As the renderer names it: Starlette would add a charset to text/dns and text/x-yara.
        "Content-Type": media_type,
    }
    return Response(body, headers=headers)


def exports_router(exports: ExportService, producer: str, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /exports (``exports.html``), /exports/{format} and /exports/{format}/{file}."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    summaries = FeedSummaries(exports)

    def not_found(request: Request, signed: SignedIn) -> Response:
        return pages.response(
            "message.html",
            request,
            signed,
            status_code=404,
            title="No such export",
            message="This node renders no such export. The exports page lists those it does.",
        )

    @router.get("/exports")
    async def exports_page(request: Request, signed: SignedInUser) -> Response:
        def summarise() -> list[FeedSummary]:
            selection = exports.select(signed.principal)
            return summaries.summaries(selection, producer)

        feeds = await run_in_threadpool(summarise)
        return pages.response(
            "exports.html",
            request,
            signed,
            feeds=feeds,
            size_text=_size_text,
            min_score=exports.min_score,
        )

    @router.get("/exports/{fmt}")
    def download(fmt: str, request: Request, signed: SignedInUser) -> Response:
        if fmt not in exports.formats:
            return not_found(request, signed)
        rendered = exports.export(fmt, signed.principal)
        return _download(rendered.body, rendered.media_type, rendered.filename)

    @router.get("/exports/{fmt}/{name}")
    def companion(fmt: str, name: str, request: Request, signed: SignedInUser) -> Response:
        if fmt not in exports.formats:
            return not_found(request, signed)
        try:
            feed = exports.companion_feed(fmt, name, signed.principal)
        except ObjectNotFound:
            return not_found(request, signed)
        assert feed.rendered is not None  # no If-None-Match was given
        rendered = feed.rendered
        return _download(rendered.body, rendered.media_type, rendered.filename)

    return router
