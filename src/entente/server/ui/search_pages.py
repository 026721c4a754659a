"""The search page: one box for a value, an id, a name or words, paged; a correlation summary
per result; and a bulk look-up of pasted values.

The query is the one the CLI and the REST search take (``services.search``), read as the
signed-in user through the sharing policy. The ``next`` cursor is sealed as the REST API's
(``entente.taxii.cursors``) and bound to the query, so it neither tells nor resumes anything
else. Correlation runs only for the rows of the page shown, each capped.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency alias at def
# time (as in taxii_routes).

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.errors import InvalidInput
from entente.graph import display_name
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.pages import Pages
from entente.services.search import (
    Correlation,
    SearchRequest,
    SearchService,
    request_fingerprint,
    search_request,
)
from entente.services.users import SignedIn
from entente.sharing import Principal
from entente.stix import format_timestamp_us
from entente.store import SourceKind, StoredVersion
from entente.taxii import decode_cursor, encode_cursor

__all__ = [
    "BULK_MAX_BYTES",
    "BULK_MAX_VALUES",
    "PAGE_SIZE",
    "SUMMARY_CAP",
    "CorrelationSummary",
    "search_pages_router",
    "summarise",
]

PAGE_SIZE = 25
# Objects per value a row's summary counts at most (more: "at least").
SUMMARY_CAP = 50
# A pasted list: this many values at most, in a body of at most this size (500 URLs).
BULK_MAX_VALUES = 500
BULK_MAX_BYTES = 256 * 1024
# Objects listed per pasted value.
BULK_HITS = 5
_DIGEST = "ui-search/"


@dataclass(frozen=True, slots=True)
class CorrelationSummary:
    """ "Seen in N sources, M partners, K sightings" of one object; ``capped``: a value was
    held by more objects than the cap, so the counts are lower bounds."""

    sources: int
    partners: int
    sightings: int
    capped: bool


def summarise(version: StoredVersion, correlation: Correlation) -> CorrelationSummary:
    """The summary of ``correlation`` of the object ``version`` shows: the sources (the
    object's own and those of other objects holding its values) and the partners among them."""
    sources = {(version.provenance.source_kind.value, version.provenance.source_name)}
    for value in correlation.values:
        sources.update((o.source_kind, o.source_name) for o in value.occurrences)
    partners = {name for kind, name in sources if kind == SourceKind.PARTNER.value}
    return CorrelationSummary(
        sources=len(sources),
        partners=len(partners),
        sightings=len(correlation.sightings),
        capped=any(value.common for value in correlation.values),
    )


@dataclass(frozen=True, slots=True)
class _Row:
    id: str
    type: str
    name: str
    source: str
    added: str
    summary: CorrelationSummary | None


def _rows(
    search: SearchService, principal: Principal, versions: Sequence[StoredVersion]
) -> list[_Row]:
    # One node context for the page's correlations; an object withdrawn between the search
    # and its correlation gets no summary.
    correlations = search.correlate_each(principal, [v.id for v in versions], cap=SUMMARY_CAP)
    return [_row(version, correlations.get(version.id)) for version in versions]


def _row(version: StoredVersion, correlation: Correlation | None) -> _Row:
    summary = None if correlation is None else summarise(version, correlation)
    return _Row(
        id=version.id,
        type=version.type,
        name=display_name(version.to_json()),
        source=version.provenance.source_name,
        added=format_timestamp_us(version.date_added_us),
        summary=summary,
    )


def _values_of(text: str) -> list[str]:
    """The pasted values, one a line, blank lines and repeats dropped, in order."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


def search_pages_router(
    search: SearchService, secret: bytes, auth: UiAuth, pages: Pages
) -> APIRouter:
    """GET /search (``search.html``) and POST /search/bulk; ``secret`` seals the cursors."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    def page(request: Request, signed: SignedIn, status: int = 200, **extra: Any) -> Response:
        values: dict[str, Any] = {
            "query": "",
            "rows": None,
            "next_href": None,
            "error": None,
            "bulk": None,
            "bulk_text": "",
            "bulk_error": None,
            "bulk_max": BULK_MAX_VALUES,
            **extra,
        }
        return pages.response("search.html", request, signed, status_code=status, **values)

    @router.get("/search")
    def search_page(
        request: Request,
        signed: SignedInUser,
        q: Annotated[str | None, Query(max_length=1000)] = None,
        next: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        if q is None or not q.strip():
            return page(request, signed)
        principal = signed.principal
        try:
            wanted = search_request(query=q)
            digest = _DIGEST + request_fingerprint(wanted)
            cursor = None if next is None else decode_cursor(next, secret, digest)
            found = search.search(principal, wanted, after_us=cursor, limit=PAGE_SIZE)
        except InvalidInput as exc:
            return page(request, signed, 400, query=q, error=str(exc))
        rows = _rows(search, principal, found.items)
        next_href = None
        if found.next_cursor is not None:
            token = encode_cursor(found.next_cursor, digest, secret)
            next_href = "/search?" + urlencode({"q": q, "next": token})
        return page(request, signed, query=q, rows=rows, next_href=next_href)

    @router.post("/search/bulk")
    async def bulk(request: Request) -> Response:
        # Read the pasted list with its own limit before the CSRF check reads the form
        # (read_form keeps what it read for the request).
        form = await read_form(request, BULK_MAX_BYTES)
        signed = await auth.csrf_checked(request)
        text = form.get("values", "")
        values = _values_of(text)
        if len(values) > BULK_MAX_VALUES:
            error = f"At most {BULK_MAX_VALUES} values at once; {len(values)} were pasted."
            return page(request, signed, 400, bulk_text=text, bulk_error=error)
        results = await run_in_threadpool(_look_up, search, signed.principal, values)
        return page(request, signed, bulk_text=text, bulk=results)

    return router


def _look_up(
    search: SearchService, principal: Principal, values: list[str]
) -> list[dict[str, Any]]:
    """For each value: whether the reader may see an object holding it, and which."""
    results = []
    for value in values:
        try:
            found = search.search(principal, SearchRequest(value=value), limit=BULK_HITS)
        except InvalidInput:
            results.append({"value": value, "valid": False, "hits": [], "more": False})
            continue
        hits = [
            {
                "id": item.id,
                "type": item.type,
                "name": display_name(item.to_json()),
                "source": item.provenance.source_name,
            }
            for item in found.items
        ]
        results.append(
            {"value": value, "valid": True, "hits": hits, "more": found.next_cursor is not None}
        )
    return results
