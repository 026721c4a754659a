"""The exports page: each feed the node renders, its size and what it left out, and a download.

Every figure is of the signed-in user's own export, selected through the sharing policy for
that user's principal exactly as ``/feeds/{format}`` selects it for a token
(``services.export``): what the policy hides is not described, except the one ``policy``
count the export service gives the node's own org (its operators). The page shows only counts
by reason, never the ids or values left out.

Rendering every format on every view costs a render per format; each format's summary is
kept by the selection's entity tag (which covers the format, the producer, every item and
every left-out entry: ``Selection.etag``), so figures whose data has not changed are not
rendered again. The selection itself reads and scores every indicator the store holds (about
a minute for half a million), so a view never waits for it longer than ``WAIT_S``: the
figures are worked out in the background for that user (``FigureBoard``), and the page shows
the newest it has with the time they were made, until they are older than ``FRESH_S``. A
download renders its one format, now.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency alias at def
# time (as in taxii_routes).

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.errors import EntenteError, ObjectNotFound
from entente.export import LeftOutReason
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.services.export import ExportService, Selection
from entente.services.users import SignedIn
from entente.sharing import Principal

__all__ = [
    "FRESH_S",
    "SUMMARY_CACHE_SIZE",
    "WAIT_S",
    "FeedSummaries",
    "FeedSummary",
    "FigureBoard",
    "Figures",
    "exports_router",
]

# How long a view waits for figures being worked out, and how old figures may be before a
# view has them worked out again (the page says when they were made).
WAIT_S = 2.0
FRESH_S = 300.0
# Users whose figures are kept (one entry each, least recently viewed dropped first).
BOARD_SIZE = 256

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


@dataclass(frozen=True, slots=True)
class Figures:
    """One user's figures as last worked out: the summaries, or why they could not be."""

    made_at: float
    feeds: tuple[FeedSummary, ...] = ()
    error: str | None = None


class _Entry:
    __slots__ = ("done", "figures", "started_at")

    def __init__(self) -> None:
        self.figures: Figures | None = None
        self.started_at: float | None = None
        self.done = threading.Event()


class FigureBoard:
    """Each user's export figures, worked out in the background, one user at a time.

    Keyed by the whole principal (id, org, role, individual), never shared between users:
    what goes in an export is decided for its reader. A view starts the work when its
    user's figures are missing or older than ``fresh_s`` (and none is running) and waits up to
    ``wait_s`` for it; every view is given whatever figures there are then (``None``: none
    yet).
    """

    def __init__(
        self,
        work: Callable[[Principal], list[FeedSummary]],
        *,
        wait_s: float = WAIT_S,
        fresh_s: float = FRESH_S,
        size: int = BOARD_SIZE,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._work = work
        self._wait_s = wait_s
        self._fresh_s = fresh_s
        self._size = size
        self._now = now
        self._entries: OrderedDict[Principal, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        # One selection at a time: each reads the whole store.
        self._running = threading.Lock()

    def view(self, principal: Principal) -> tuple[Figures | None, float | None]:
        """The user's newest figures and, while new ones are being worked out, since when."""
        with self._lock:
            entry = self._entries.get(principal)
            if entry is None:
                entry = self._entries[principal] = _Entry()
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(principal)
            stale = entry.figures is None or self._now() - entry.figures.made_at > self._fresh_s
            # Only the view that starts the work waits for it: small stores' figures are then
            # shown at once, and later views while it runs are not held up.
            waiting = stale and entry.started_at is None
            if waiting:
                entry.started_at = self._now()
                entry.done.clear()
                # A daemon thread: a node stopping mid-selection does not wait for it.
                threading.Thread(
                    target=self._run, args=(principal, entry), name="export-figures", daemon=True
                ).start()
        if waiting:
            entry.done.wait(self._wait_s)
        with self._lock:
            return entry.figures, entry.started_at

    def _run(self, principal: Principal, entry: _Entry) -> None:
        with self._running:
            try:
                figures = Figures(self._now(), feeds=tuple(self._work(principal)))
            except EntenteError as exc:
                figures = Figures(self._now(), error=str(exc))
        with self._lock:
            entry.figures = figures
            entry.started_at = None
            entry.done.set()


def _size_text(size: int) -> str:
    """A byte count as people read it (``812 bytes``, ``14.2 KiB``, ``3.1 MiB``)."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _clock_text(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


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

    def work(principal: Principal) -> list[FeedSummary]:
        return summaries.summaries(exports.select(principal), producer)

    board = FigureBoard(work)

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
        figures, started_at = await run_in_threadpool(board.view, signed.principal)
        return pages.response(
            "exports.html",
            request,
            signed,
            feeds=None if figures is None else figures.feeds,
            figures_error=None if figures is None else figures.error,
            made_at=None if figures is None else _clock_text(figures.made_at),
            started_at=None if started_at is None else _clock_text(started_at),
            formats=exports.formats,
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
