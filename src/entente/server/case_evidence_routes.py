"""REST for a case's attribution and hypotheses under ``/api/v1/cases/{id}``.

``POST /attribute`` takes an ACH matrix (``attribution.parse_matrix``'s JSON) and stores the
``attributed-to`` relationship with the case; ``GET /hypotheses`` ranks intrusion sets by the
techniques the case references (hypotheses, never asserted). Both through
``services.case_evidence``, as the caller and through the sharing policy; a client mistake
is a 400/403/404 problem (``server.problems``), never a 500.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from entente.server.bodies import BodyGate
from entente.server.openapi import responses
from entente.services.case_evidence import CaseEvidenceService
from entente.sharing import Principal

__all__ = ["case_evidence_router"]

# An ACH matrix: a few hypotheses and up to some hundreds of items of evidence.
_MAX_BODY = 1024 * 1024
_HYPOTHESES_SHOWN = 20


def case_evidence_router(
    service: CaseEvidenceService,
    principal_of_request: Callable[[Request], Principal],
    gate: BodyGate,
    check_write: Callable[[Principal], None],
) -> APIRouter:
    """The attribution routes of cases, bound to ``service``."""
    router = APIRouter(prefix="/api/v1/cases")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    @router.post(
        "/{case_id}/attribute",
        responses=responses(400, 403, 404, 413, 415),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def attribute(case_id: str, request: Request, principal: Caller) -> dict[str, Any]:
        """Score the ACH matrix in the body for the case's incident; store the
        ``attributed-to`` relationship it makes and reference it from the case."""
        # The role first: a caller who may not write gets 403 before its body is read.
        check_write(principal)
        body = await gate.json_object(request, _MAX_BODY, what="a JSON object (an ACH matrix)")
        made = await run_in_threadpool(
            lambda: service.attribute(principal, case_id, body, channel="rest")
        )
        return {
            "confidence": made.result.confidence,
            "ranking": [
                {"hypothesis": s.hypothesis, "inconsistency": round(s.inconsistency, 6)}
                for s in made.result.ranking
            ],
            "relationship": made.relationship,
        }

    @router.get("/{case_id}/hypotheses", responses=responses(400, 404))
    def hypotheses(case_id: str, principal: Caller) -> dict[str, Any]:
        """Intrusion sets ranked by the ATT&CK techniques the case references."""
        ranking = service.hypotheses(principal, case_id)
        return {
            "asserted": False,
            "techniques": list(ranking.techniques),
            "unknown": list(ranking.unknown),
            "hypotheses": [
                {"id": c.id, "name": c.name, "score": round(c.score, 6)}
                for c in ranking.candidates[:_HYPOTHESES_SHOWN]
            ],
        }

    return router
