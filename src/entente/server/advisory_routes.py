"""REST for joint advisories under ``/api/v1/advisories``: draft, list, read, download, publish.

Issue 15 items 4 and 6. ``POST`` drafts an advisory as the caller (a node admin or analyst)
from a case or chosen objects, keeps its package on this node (``services.advisory_desk``)
and asks every co-authoring agency to approve publishing it to the chosen collection; the
answer names the report, the package's SHA-256 and the approval requests. ``.../publish``
publishes it once approved and signed by every agency (``NotApproved``: a 403 problem naming
what is missing). Co-signing is not offered here: it is done on the co-author's node, where
approving and signing are one step by a named person (``entente advisory cosign``); an API
token never approves (``services.approvals``).
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from entente.errors import InvalidInput
from entente.server.bodies import BodyGate
from entente.server.openapi import responses
from entente.server.problems import HttpProblem
from entente.services.advisories import AdvisoryRequest
from entente.services.advisory_desk import AdvisoryDesk, Draft
from entente.services.approvals import status_document
from entente.sharing import Principal
from entente.taxii import is_acceptable_content_type

__all__ = ["advisory_document", "advisory_router", "parse_advisory_request"]

# A draft's body is a small JSON object: texts and ids.
_MAX_BODY = 256 * 1024
# A co-signed package: the bundle, the Markdown and the PDF of one advisory.
_MAX_PACKAGE = 32 * 1024 * 1024
_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}
_DRAFT_FIELDS: dict[str, Any] = {
    "title": _STR,
    "summary": _STR,
    "technical_details": _STR,
    "case_id": _STR,
    "object_ids": _STRS,
    "coauthors": _STRS,
    "mitigations": _STRS,
    "collection": _STR,
}
_DRAFT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["title", "summary", "collection"],
                    "properties": _DRAFT_FIELDS,
                }
            }
        },
    }
}


def _text(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None or (value == "" and not required):
        if required:
            raise InvalidInput(f"'{key}' is required")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(f"'{key}' must be a non-empty string")
    return value


def _strings(body: dict[str, Any], key: str) -> tuple[str, ...]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"'{key}' must be a list of strings")
    return tuple(value)


def parse_advisory_request(body: dict[str, Any]) -> tuple[AdvisoryRequest, str]:
    """The advisory asked for by a JSON body, and the collection to publish it to."""
    unknown = sorted(set(body) - set(_DRAFT_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}")
    title = _text(body, "title", required=True)
    summary = _text(body, "summary", required=True)
    collection = _text(body, "collection", required=True)
    assert title is not None and summary is not None and collection is not None
    request = AdvisoryRequest(
        title=title,
        summary=summary,
        technical_details=_text(body, "technical_details", required=False) or "",
        coauthors=_strings(body, "coauthors"),
        case_id=_text(body, "case_id", required=False),
        object_ids=_strings(body, "object_ids"),
        mitigations=_strings(body, "mitigations"),
    )
    return request, collection


def advisory_document(draft: Draft) -> dict[str, Any]:
    """An advisory as the API shows it: what it is, where it goes and where it stands."""
    predicate = draft.predicate
    return {
        "id": draft.report_id,
        "title": predicate.get("title"),
        "tlp": predicate.get("tlp"),
        "created": predicate.get("created"),
        "author": predicate.get("author"),
        "coauthors": predicate.get("coauthors"),
        "case_id": predicate.get("case_id"),
        "collection": draft.collection,
        "drafted_by": draft.drafted_by,
        "sha256": draft.sha256,
        "approved": draft.approved,
        "published": draft.published,
        "approval_requests": [status_document(s) for s in draft.requests],
    }


def advisory_router(
    desk: AdvisoryDesk, principal_of_request: Callable[[Request], Principal], gate: BodyGate
) -> APIRouter:
    """The advisory routes, bound to ``desk``."""
    router = APIRouter(prefix="/api/v1/advisories")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    async def read_body(request: Request, principal: Principal) -> dict[str, Any]:
        # The role first: a caller who may not draft gets 403 before its body is read.
        desk.check_operator(principal)
        return await gate.json_object(request, _MAX_BODY)

    @router.get("", responses=responses(400))
    def list_advisories(principal: Caller) -> dict[str, Any]:
        """Every advisory kept here that the caller may see, newest first."""
        return {"advisories": [advisory_document(d) for d in desk.list_drafts(principal)]}

    @router.post(
        "", status_code=201, responses=responses(400, 403, 404, 413, 415), openapi_extra=_DRAFT_BODY
    )
    async def draft_advisory(request: Request, principal: Caller) -> dict[str, Any]:
        """Draft an advisory, keep it, and ask for the approvals publishing it needs."""
        body = await read_body(request, principal)
        asked, collection = parse_advisory_request(body)
        drafted = await run_in_threadpool(
            lambda: desk.draft(principal, asked, collection, channel="rest")
        )
        return {
            "id": drafted.report_id,
            "sha256": drafted.sha256,
            "statement_sha256": drafted.statement_sha256,
            "approval_requests": [r.id for r in drafted.requests],
            "package": f"/api/v1/advisories/{drafted.report_id}/package",
        }

    @router.get("/{report_id}", responses=responses(404))
    def get_advisory(report_id: str, principal: Caller) -> dict[str, Any]:
        """One advisory: what it is, its approval requests and whether it is published."""
        return advisory_document(desk.show(principal, report_id))

    @router.get("/{report_id}/package", responses=responses(404))
    def get_package(report_id: str, principal: Caller) -> Response:
        """The advisory's package (a tar: STIX bundle, Markdown, PDF, DSSE envelope)."""
        draft = desk.show(principal, report_id)
        return Response(
            draft.package,
            media_type="application/x-tar",
            headers={
                "X-Content-SHA256": draft.sha256,
                "Content-Disposition": 'attachment; filename="advisory.tar"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.put(
        "/{report_id}/package",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-tar": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def put_package(request: Request, report_id: str, principal: Caller) -> dict[str, Any]:
        """Keep a co-signed copy (``entente advisory cosign`` on a co-author's node) in place
        of the package kept: only one with the very Statement kept, every file checking."""
        desk.check_operator(principal)
        if not is_acceptable_content_type(request.headers.get("content-type"), "application/x-tar"):
            raise HttpProblem(415, "the body must be application/x-tar")
        async with gate.held(request, _MAX_PACKAGE) as raw:
            package = bytes(raw)
        kept = await run_in_threadpool(lambda: desk.replace_package(principal, report_id, package))
        return advisory_document(kept)

    @router.post("/{report_id}/publish", responses=responses(400, 403, 404))
    async def publish(report_id: str, principal: Caller) -> dict[str, Any]:
        """Publish the advisory to its collection once approved and signed by every agency."""
        desk.check_operator(principal)
        done = await run_in_threadpool(lambda: desk.publish(principal, report_id, channel="rest"))
        return {
            "id": done.report_id,
            "collection": done.collection.title,
            "stored": list(done.stored),
            "held": list(done.held),
            "approval_requests": list(done.requests),
        }

    return router
