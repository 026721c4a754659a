"""TAXII 2.1 routes: discovery, API root, collections, objects, manifest, versions, status."""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from entente.bootstrap import Node
from entente.errors import InvalidInput, MalformedDocument
from entente.server.bodies import BodyGate
from entente.server.openapi import responses
from entente.server.problems import HttpProblem
from entente.services import CollectionDef, TaxiiService
from entente.sharing import Principal
from entente.stix import decode_document
from entente.store import ObjectQuery, StatusRecord, VersionFilter
from entente.taxii import (
    MANIFEST_MATCH_FIELDS,
    OBJECT_MATCH_FIELDS,
    OBJECTS_MATCH_FIELDS,
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    VERSIONS_MATCH_FIELDS,
    ObjectFilters,
    ObjectOutcome,
    Outcome,
    build_manifest,
    build_status,
    build_versions,
    date_added_headers,
    decode_cursor,
    fingerprint,
    is_acceptable_content_type,
    negotiate,
    next_token,
    parse_object_filters,
    render_envelope,
)

__all__ = ["API_ROOT_PATH", "LIMIT_DEFAULT", "LIMIT_MAX", "taxii_router"]

API_ROOT_PATH = "/taxii2/api/"
# §3.4 limit: the server's default page size and the most it returns at once.
LIMIT_DEFAULT = 100
LIMIT_MAX = 1000


def taxii_responses(*codes: int) -> dict[int | str, Any]:
    """The OpenAPI responses of a TAXII route: successes are TAXII resources, errors TAXII
    error messages, all of media type application/taxii+json (§1.6.8.1)."""
    errors = responses(*(code for code in codes if code >= 300), media_type=TAXII_MEDIA_TYPE)
    for code in codes:
        if code < 300:
            errors[code] = {
                "description": "A TAXII 2.1 resource.",
                "content": {TAXII_MEDIA_TYPE: {"schema": {"type": "object"}}},
            }
    return errors


def taxii_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A TAXII resource (§1.6.8.1: application/taxii+json;version=2.1)."""
    return Response(
        orjson.dumps(body), status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers
    )


def check_accept(request: Request) -> None:
    """§1.6.8: 406 unless the Accept header allows the TAXII 2.1 media type."""
    if negotiate(request.headers.get("accept"), TAXII_MEDIA_TYPE) is None:
        raise HttpProblem(406, f"this endpoint answers with {TAXII_MEDIA_TYPE} only")


def collection_resource(collection: CollectionDef, principal: Principal) -> dict[str, Any]:
    """The §5.2.1 ``collection`` resource as the principal sees it."""
    body: dict[str, Any] = {"id": str(collection.id), "title": collection.title}
    if collection.description:
        body["description"] = collection.description
    body["can_read"] = collection.may_read(principal)
    body["can_write"] = collection.may_write(principal)
    body["media_types"] = [STIX_MEDIA_TYPE]
    return body


def status_resource(record: StatusRecord) -> dict[str, Any]:
    """The §4.3.1 ``status`` resource of one add-objects request."""
    outcomes = [
        ObjectOutcome(e.id, e.version, Outcome(e.outcome), e.message) for e in record.entries
    ]
    return build_status(record.status_id, outcomes, request_timestamp_us=record.request_us)


def taxii_router(
    node: Node,
    service: TaxiiService,
    secret: bytes,
    principal_of_request: Callable[[Request], Principal],
    gate: BodyGate,
) -> APIRouter:
    """The TAXII 2.1 routes, bound to ``service``, the cursor ``secret`` and the body ``gate``."""
    # Authentication first, then negotiation: an anonymous caller learns nothing.
    router = APIRouter(dependencies=[Depends(principal_of_request), Depends(check_accept)])
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    def filters_of(request: Request, fields: frozenset[str]) -> ObjectFilters:
        return parse_object_filters(list(request.query_params.multi_items()), match_fields=fields)

    def query_of(filters: ObjectFilters, scope: str) -> tuple[ObjectQuery, str]:
        digest = fingerprint(filters, scope)
        cursor = None if filters.next is None else decode_cursor(filters.next, secret, digest)
        return filters.to_query(LIMIT_DEFAULT, LIMIT_MAX, cursor), digest

    @router.get("/taxii2/", responses=taxii_responses(200, 406))
    def discovery() -> Response:
        """§4.1 server discovery."""
        # The configured public URL, never the request's Host header: a client could name any
        # host there, and the API roots it got back would send others to it (issue 11 §5).
        root = node.settings.public_url + API_ROOT_PATH
        return taxii_response(
            {
                "title": "Entente TAXII 2.1 server",
                "description": f"Coalition threat-intelligence node of {node.settings.org_name}",
                "default": root,
                "api_roots": [root],
            }
        )

    @router.get(API_ROOT_PATH, responses=taxii_responses(200, 406))
    def api_root() -> Response:
        """§4.2 API root information."""
        return taxii_response(
            {
                "title": f"{node.settings.org_name} API root",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": node.settings.max_content_length,
            }
        )

    @router.get(API_ROOT_PATH + "status/{status_id}/", responses=taxii_responses(200, 404, 406))
    def status(status_id: str, principal: Caller) -> Response:
        """§4.3 status of an add-objects request."""
        return taxii_response(status_resource(service.status(status_id, principal)))

    @router.get(API_ROOT_PATH + "collections/", responses=taxii_responses(200, 406))
    def collections(principal: Caller) -> Response:
        """§5.1 the collections the caller may read or write."""
        listed = [collection_resource(c, principal) for c in service.collections_for(principal)]
        # §2 list: an empty list is omitted rather than sent.
        return taxii_response({"collections": listed} if listed else {})

    @router.get(
        API_ROOT_PATH + "collections/{collection_id}/",
        responses=taxii_responses(200, 404, 406),
    )
    def collection(collection_id: str, principal: Caller) -> Response:
        """§5.2 one collection."""
        return taxii_response(
            collection_resource(service.collection(collection_id, principal), principal)
        )

    @router.get(
        API_ROOT_PATH + "collections/{collection_id}/manifest/",
        responses=taxii_responses(200, 400, 403, 404, 406),
    )
    def manifest(collection_id: str, request: Request, principal: Caller) -> Response:
        """§5.3 the manifest of the versions the caller may see."""
        found = service.collection(collection_id, principal)
        filters = filters_of(request, MANIFEST_MATCH_FIELDS)
        query, _ = query_of(filters, f"{collection_id}/manifest")
        page = service.read(found, principal, query)
        return taxii_response(build_manifest(page), headers=date_added_headers(page))

    @router.get(
        API_ROOT_PATH + "collections/{collection_id}/objects/",
        responses=taxii_responses(200, 400, 403, 404, 406),
    )
    def get_objects(collection_id: str, request: Request, principal: Caller) -> Response:
        """§5.4 the objects the caller may see, paged with a signed ``next`` (§3.7)."""
        found = service.collection(collection_id, principal)
        filters = filters_of(request, OBJECTS_MATCH_FIELDS)
        query, digest = query_of(filters, f"{collection_id}/objects")
        page = service.read(found, principal, query)
        body = render_envelope(page, next_token=next_token(page, secret, digest))
        return Response(body, media_type=TAXII_MEDIA_TYPE, headers=date_added_headers(page))

    @router.post(
        API_ROOT_PATH + "collections/{collection_id}/objects/",
        status_code=202,
        responses=taxii_responses(202, 400, 403, 404, 406, 413, 415),
    )
    async def add_objects(collection_id: str, request: Request, principal: Caller) -> Response:
        """§5.5 add objects; answers 202 with a §4.3.1 status resource."""
        found = await run_in_threadpool(service.collection, collection_id, principal)
        # Authorised before the body is read: a caller who may not write gets 403 at once.
        service.check_write(found, principal)
        if not is_acceptable_content_type(request.headers.get("content-type"), TAXII_MEDIA_TYPE):
            raise HttpProblem(415, f"the body must be {TAXII_MEDIA_TYPE}")
        async with gate.held(request, node.settings.max_content_length) as raw:
            try:
                # An object nested too deep to decode with its siblings is refused alone.
                envelope = await run_in_threadpool(decode_document, raw)
            except MalformedDocument as exc:
                raise InvalidInput(f"the body is {exc}") from None
            del raw
            record = await run_in_threadpool(service.add_objects, found, principal, envelope)
            del envelope
        return taxii_response(status_resource(record), status=202)

    @router.get(
        API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/",
        responses=taxii_responses(200, 400, 403, 404, 406),
    )
    def get_object(
        collection_id: str, object_id: str, request: Request, principal: Caller
    ) -> Response:
        """§5.6 one object's versions; 404 when the caller may see none of them."""
        found = service.collection(collection_id, principal)
        filters = filters_of(request, OBJECT_MATCH_FIELDS)
        scope = f"{collection_id}/objects/{object_id}"
        query, digest = query_of(filters, scope)
        page = service.read_object(found, principal, object_id, query)
        body = render_envelope(page, next_token=next_token(page, secret, digest))
        return Response(body, media_type=TAXII_MEDIA_TYPE, headers=date_added_headers(page))

    @router.delete(
        API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/",
        # §5.7: the 200 has no body, so neither a schema nor a media type for one.
        response_class=Response,
        responses={
            **taxii_responses(400, 403, 404, 406),
            200: {"description": "The matching versions were deleted; no body."},
        },
    )
    def delete_object(
        collection_id: str, object_id: str, request: Request, principal: Caller
    ) -> Response:
        """§5.7 delete the matching versions of one object."""
        found = service.collection(collection_id, principal)
        filters = filters_of(request, OBJECT_MATCH_FIELDS)
        service.delete_object(
            found,
            principal,
            object_id,
            versions=filters.versions,
            spec_versions=filters.spec_versions,
        )
        # No Content-Type: an empty body is not application/taxii+json (found by schemathesis).
        return Response(status_code=200)

    @router.get(
        API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/versions/",
        responses=taxii_responses(200, 400, 403, 404, 406),
    )
    def versions(
        collection_id: str, object_id: str, request: Request, principal: Caller
    ) -> Response:
        """§5.8 the versions of one object the caller may see."""
        found = service.collection(collection_id, principal)
        filters = filters_of(request, VERSIONS_MATCH_FIELDS)
        query, _ = query_of(filters, f"{collection_id}/versions/{object_id}")
        query = replace(query, versions=(VersionFilter.ALL.value,))
        page = service.read_object(found, principal, object_id, query)
        return taxii_response(build_versions(page), headers=date_added_headers(page))

    return router
