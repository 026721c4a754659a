"""REST API for federation status under ``/api/v1/``: partners, agreements, sync reports.

Operators' views: admins and analysts of this node only. Partner nodes (role ``partner``) and
readers get 403: who this node shares with, and on what terms, is itself sensitive.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from entente.errors import PermissionDenied
from entente.server.openapi import responses
from entente.services.federation import FederationService, partner_status, report_json
from entente.sharing import Principal, Role

__all__ = ["federation_router"]

_OPERATORS = frozenset({Role.ADMIN, Role.ANALYST})


def federation_router(
    federation: Callable[[], FederationService],
    principal_of_request: Callable[[Request], Principal],
) -> APIRouter:
    """The federation status routes; ``federation`` gives the node's federation service."""
    router = APIRouter(prefix="/api/v1")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    def operator(principal: Principal) -> FederationService:
        if principal.role not in _OPERATORS:
            raise PermissionDenied("only admins and analysts of this node see federation status")
        return federation()

    @router.get("/partners", responses=responses(403))
    def partners(principal: Caller) -> dict[str, Any]:
        """Every partner with its sync status, last sync and objects received."""
        return {"partners": [partner_status(p) for p in operator(principal).partners()]}

    @router.get("/agreements", responses=responses(403))
    def agreements(principal: Caller) -> dict[str, Any]:
        """Every agreement this node holds, as stored."""
        return {"agreements": [a.to_json() for a in operator(principal).agreements()]}

    @router.get("/sync/reports", responses=responses(400, 403))
    def sync_reports(
        principal: Caller,
        partner: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    ) -> dict[str, Any]:
        """The latest sync runs, newest first: counts, errors and rejections with reasons."""
        reports = operator(principal).reports(partner, limit)
        return {"reports": [report_json(r) for r in reports]}

    return router
