"""REST API under ``/api/v1/``: object search and detail, stats, tokens; same policy as TAXII."""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from entente.services import TaxiiService
from entente.sharing import Principal
from entente.store import ObjectQuery, VersionFilter
from entente.taxii import ObjectFilters, decode_cursor, fingerprint, next_token

__all__ = ["rest_router"]

_SCOPE = "rest/objects"


def rest_router(
    service: TaxiiService, secret: bytes, principal_of_request: Callable[[Request], Principal]
) -> APIRouter:
    """The REST routes, bound to ``service``."""
    router = APIRouter(prefix="/api/v1")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    @router.get("/objects")
    def search(
        principal: Caller,
        type: Annotated[list[str] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        next: Annotated[str | None, Query()] = None,
    ) -> dict[str, Any]:
        """The latest versions the caller may see, optionally of some types, paged."""
        types = tuple(sorted(set(type or ())))
        digest = fingerprint(ObjectFilters(types=types), _SCOPE)
        cursor = None if next is None else decode_cursor(next, secret, digest)
        query = ObjectQuery(
            types=types, versions=(VersionFilter.LAST.value,), after_cursor=cursor, limit=limit
        )
        page = service.read(None, principal, query)
        return {
            "objects": [item.to_json() for item in page.items],
            "next": next_token(page, secret, digest),
        }

    @router.get("/objects/{object_id}")
    def detail(object_id: str, principal: Caller) -> dict[str, Any]:
        """Every version of one object the caller may see; 404 when none."""
        query = ObjectQuery(versions=(VersionFilter.ALL.value,), limit=1000)
        page = service.read_object(None, principal, object_id, query)
        return {"id": object_id, "versions": [item.to_json() for item in page.items]}

    @router.get("/stats")
    def stats(principal: Caller) -> dict[str, Any]:
        """Counts of what the caller may see."""
        counts = service.visible_stats(principal)
        return {
            "objects": counts.objects,
            "versions": counts.versions,
            "by_type": dict(sorted(counts.by_type.items())),
        }

    @router.get("/tokens")
    def tokens(principal: Caller) -> list[dict[str, Any]]:
        """Every API token (admins only); secrets are never stored, so never listed."""
        return [
            {
                "token_id": t.token_id,
                "name": t.name,
                "org": t.org,
                "org_name": t.org_name,
                "role": t.role,
                "created_us": t.created_us,
                "expires_us": t.expires_us,
                "revoked_us": t.revoked_us,
                "last_used_us": t.last_used_us,
            }
            for t in service.list_tokens(principal)
        ]

    return router
