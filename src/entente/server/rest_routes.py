"""REST API under ``/api/v1/``: object search, detail and posting, stats, tokens.

The same policy as TAXII on every read, and the same ownership rules on every write.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StringConstraints
from starlette.concurrency import run_in_threadpool

from entente.errors import InvalidInput, MalformedDocument
from entente.server.bodies import BodyGate
from entente.server.openapi import responses
from entente.server.problems import HttpProblem
from entente.services import TaxiiService
from entente.sharing import Principal
from entente.stix import decode_document
from entente.store import ObjectQuery, VersionFilter
from entente.taxii import (
    ObjectFilters,
    decode_cursor,
    fingerprint,
    is_acceptable_content_type,
    next_token,
)

__all__ = ["rest_router"]

_SCOPE = "rest/objects"
# STIX 2.1 §3.1 type names (3-250 of a-z, 0-9, '-'), and the shape of a next cursor.
_TYPE_NAME = r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$"
_CURSOR = r"^[A-Za-z0-9_-]{52}$"


# What POST /api/v1/objects reads: JSON, STIX (a bundle or an object) or a TAXII envelope.
_POST_MEDIA_TYPES = (
    "application/json",
    "application/stix+json;version=2.1",
    "application/taxii+json;version=2.1",
)


# What the OpenAPI says POST /api/v1/objects reads (the route reads the raw body itself, so
# that it is authorised first and decoded under the body gate).
_STIX_DOCUMENT = {
    "oneOf": [
        {
            "type": "object",
            "description": (
                "A STIX 2.1 bundle or a TAXII envelope (with an 'objects' list), or one object. "
                "Each object is validated on its own: one that is not a valid STIX 2.1 object "
                "is a 'failed' result, not an error of the request."
            ),
            "properties": {"objects": {"type": "array"}},
        },
        {"type": "array", "description": "Objects, each validated on its own."},
    ]
}
_POST_BODY = {
    "required": True,
    "content": {media: {"schema": _STIX_DOCUMENT} for media in _POST_MEDIA_TYPES},
}


def _posted_objects(document: Any) -> list[Any]:
    """The objects of a posted document: a bundle or envelope (an object with an ``objects``
    list), an array of objects, or one object. Each item is then judged on its own."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if "objects" in document or document.get("type") == "bundle":
            # STIX 2.1 §8 bundle (its objects are optional), TAXII 2.1 §3.7 envelope.
            objects = document.get("objects", [])
            if isinstance(objects, list):
                return objects
            raise InvalidInput("'objects' must be a list of STIX objects")
        return [document]
    raise InvalidInput(
        "the body must be a STIX bundle, a TAXII envelope, an array of objects or one object"
    )


def rest_router(
    service: TaxiiService,
    secret: bytes,
    principal_of_request: Callable[[Request], Principal],
    max_content_length: int,
    gate: BodyGate,
) -> APIRouter:
    """The REST routes, bound to ``service``; bodies up to ``max_content_length``, through
    the body ``gate``."""
    router = APIRouter(prefix="/api/v1")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    @router.get("/objects", responses=responses(400))
    def search(
        principal: Caller,
        type: Annotated[
            list[Annotated[str, StringConstraints(pattern=_TYPE_NAME)]] | None,
            Query(description="STIX object types."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        next: Annotated[
            str | None,
            Query(
                pattern=_CURSOR,
                description="The 'next' of the previous page (valid for the same types only).",
            ),
        ] = None,
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

    @router.post(
        "/objects",
        responses=responses(400, 403, 413, 415),
        openapi_extra={"requestBody": _POST_BODY},
    )
    async def post_objects(request: Request, principal: Caller) -> dict[str, Any]:
        """Store STIX objects as the caller: one result per object, in order.

        Each object is validated and stored on its own (a bad one is refused with its
        position and reason, its siblings are stored); ``created_by_ref`` must be the caller's
        org (this node's admins may also store third-party content) and new versions of an
        object come from the org that owns it. The results say of stored versions only what
        the caller may read, as a TAXII status does.
        """
        # Authorised before the body is read: a caller who may not write gets 403 at once.
        service.check_write(None, principal)
        content_type = request.headers.get("content-type")
        if not any(is_acceptable_content_type(content_type, m) for m in _POST_MEDIA_TYPES):
            raise HttpProblem(415, f"the body must be one of {', '.join(_POST_MEDIA_TYPES)}")
        async with gate.held(request, max_content_length) as raw:
            try:
                # An object nested too deep to decode with its siblings is refused alone.
                document = await run_in_threadpool(decode_document, raw)
            except MalformedDocument as exc:
                raise InvalidInput(f"the body is {exc}") from None
            del raw
            objects = _posted_objects(document)
            del document
            entries = await run_in_threadpool(
                service.add, objects, principal, collection=None, source="rest", source_name="rest"
            )
            del objects
        results = [
            {
                "position": index,
                "id": entry.id,
                "version": entry.version,
                "outcome": entry.outcome,
                "message": entry.message,
            }
            for index, entry in enumerate(entries)
        ]
        failed = sum(1 for entry in entries if entry.outcome == "failed")
        return {
            "total_count": len(entries),
            "success_count": len(entries) - failed,
            "failure_count": failed,
            "objects": results,
        }

    @router.get("/objects/{object_id}", responses=responses(404))
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

    @router.get("/tokens", responses=responses(403))
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
