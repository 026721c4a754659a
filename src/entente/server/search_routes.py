"""REST search and correlation: ``GET /api/v1/search``, ``GET /api/v1/objects/{id}/correlations``.

Both read through the sharing policy (``services.search``); the ``next`` cursor is sealed as
TAXII's are (``entente.taxii.cursors``) and bound to the query and filters it continues.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StringConstraints

from entente.server.openapi import responses
from entente.services.search import (
    COMMON_CAP,
    SearchService,
    describe_correlation,
    request_fingerprint,
    search_request,
)
from entente.sharing import Principal
from entente.stix import format_timestamp_us
from entente.taxii import decode_cursor, encode_cursor

__all__ = ["search_router"]

_TYPE_NAME = r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$"
_CURSOR = r"^[A-Za-z0-9_-]{52}$"
_TEXT = StringConstraints(min_length=1, max_length=1000)
Texts = list[Annotated[str, _TEXT]] | None


def search_router(
    service: SearchService,
    secret: bytes,
    principal_of_request: Callable[[Request], Principal],
) -> APIRouter:
    """The search routes, bound to ``service``; ``secret`` seals the ``next`` cursors."""
    router = APIRouter(prefix="/api/v1")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    @router.get("/search", responses=responses(400))
    def search(
        principal: Caller,
        *,
        q: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=1000,
                description="An IP address or CIDR block (containment), a domain (and its "
                "subdomains), URL, e-mail address, hash (any algorithm), STIX id, or words "
                "(name, aliases, description, labels; all must occur).",
            ),
        ] = None,
        value: Annotated[
            str | None, Query(min_length=1, max_length=1000, description="A value only.")
        ] = None,
        text: Annotated[
            str | None, Query(min_length=1, max_length=1000, description="Words only.")
        ] = None,
        id: Annotated[Texts, Query(description="STIX ids.")] = None,
        type: Annotated[
            list[Annotated[str, StringConstraints(pattern=_TYPE_NAME)]] | None,
            Query(description="STIX object types."),
        ] = None,
        label: Annotated[Texts, Query(description="Labels (each must be present).")] = None,
        source: Annotated[Texts, Query(description="Source names as ingested.")] = None,
        creator: Annotated[Texts, Query(description="created_by_ref identity ids.")] = None,
        marking: Annotated[Texts, Query(description="Marking-definition ids.")] = None,
        added_after: Annotated[
            str | None, Query(max_length=40, description="Date or STIX timestamp.")
        ] = None,
        added_before: Annotated[str | None, Query(max_length=40)] = None,
        modified_after: Annotated[str | None, Query(max_length=40)] = None,
        modified_before: Annotated[str | None, Query(max_length=40)] = None,
        all_versions: Annotated[
            bool, Query(description="Every version, not the latest only.")
        ] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        next: Annotated[
            str | None,
            Query(pattern=_CURSOR, description="The 'next' of the previous page (same query)."),
        ] = None,
    ) -> dict[str, Any]:
        """Objects the caller may see that match the query and every filter, paged."""
        request = search_request(
            query=q,
            value=value,
            text=text,
            ids=id,
            types=type,
            labels=label,
            sources=source,
            creators=creator,
            markings=marking,
            added_after=added_after,
            added_before=added_before,
            modified_after=modified_after,
            modified_before=modified_before,
            all_versions=all_versions,
        )
        digest = "search/" + request_fingerprint(request)
        cursor = None if next is None else decode_cursor(next, secret, digest)
        page = service.search(principal, request, after_us=cursor, limit=limit)
        return {
            "objects": [
                {
                    "object": item.to_json(),
                    "date_added": format_timestamp_us(item.date_added_us),
                    "source_name": item.provenance.source_name,
                }
                for item in page.items
            ],
            "next": None
            if page.next_cursor is None
            else encode_cursor(page.next_cursor, digest, secret),
        }

    @router.get("/objects/{object_id}/correlations", responses=responses(400, 404))
    def correlations(
        object_id: str,
        principal: Caller,
        cap: Annotated[
            int,
            Query(ge=1, le=10_000, description="Values held by more objects are 'common'."),
        ] = COMMON_CAP,
    ) -> dict[str, Any]:
        """Where else the object's values appear (sources, partners), its sightings, and
        entities with the same name or alias (possibly the same; never merged)."""
        return describe_correlation(service.correlate(principal, object_id, cap=cap))

    return router
