"""REST for approvals under ``/api/v1/approvals``: list, read, and the exact bytes to be sent.

Read-only: requests are made by the flows that send (abuse reports, advisories, referrals,
publishing), and decisions are made by named people on the web UI or the command line, never
by an API token (``services.approvals``). Every read is the caller's, through the sharing
policy: a request the caller may not see is the same 404 as an absent one.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from entente.approvals import State
from entente.server.openapi import responses
from entente.services.approvals import ApprovalService, status_document
from entente.sharing import Principal

__all__ = ["approval_router"]


def approval_router(
    service: ApprovalService, principal_of_request: Callable[[Request], Principal]
) -> APIRouter:
    """The approval routes, bound to ``service``."""
    router = APIRouter(prefix="/api/v1/approvals")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    @router.get("", responses=responses(400))
    def list_requests(
        principal: Caller,
        state: Annotated[State | None, Query(description="Only requests in this state.")] = None,
    ) -> dict[str, Any]:
        """Every approval request the caller may see (of ``state``), newest first."""
        found = service.list_requests(principal, state=state)
        return {"requests": [status_document(s) for s in found]}

    @router.get("/{request_id}", responses=responses(400, 404))
    def get_request(request_id: str, principal: Caller) -> dict[str, Any]:
        """One request: what will be sent, to whom, every decision and where it stands."""
        return status_document(service.status(principal, request_id))

    @router.get("/{request_id}/payload", responses=responses(400, 404))
    def get_payload(request_id: str, principal: Caller) -> Response:
        """Exactly the bytes that will be sent, as their media type (SHA-256: a header)."""
        request = service.status(principal, request_id).request
        return Response(
            request.payload,
            media_type=request.media_type,
            headers={
                "X-Content-SHA256": request.digest,
                "Content-Disposition": "attachment",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router
