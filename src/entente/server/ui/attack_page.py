"""The ATT&CK matrix page: one loaded domain at a time, chosen with a selector.

The domains offered are those with a technique the signed-in user may see; the matrix and
its counts come from ``services.attack_matrix`` for that user (through the sharing policy),
drawn as a table by ``entente.graph.render_matrix_html`` with its legend.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in ui.pages).

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from entente.graph import ATTACK_DOMAINS, render_matrix_html
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.services.attack_matrix import AttackMatrixService
from entente.services.users import SignedIn

__all__ = ["DOMAIN_NAMES", "attack_router"]

# What the selector calls each domain (MITRE's names for them).
DOMAIN_NAMES = {
    "enterprise-attack": "Enterprise",
    "mobile-attack": "Mobile",
    "ics-attack": "ICS",
}


def attack_router(service: AttackMatrixService, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /attack (``attack.html``), ``?domain=`` one of ``graph.ATTACK_DOMAINS``."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    @router.get("/attack")
    def attack(request: Request, signed: SignedInUser) -> Response:
        domains = service.domains(signed.principal)
        asked = request.query_params.get("domain")
        if asked is not None and asked not in ATTACK_DOMAINS:
            return pages.response(
                "message.html",
                request,
                signed,
                status_code=400,
                title="Unknown ATT&CK domain",
                message=f"The domain must be one of {', '.join(sorted(ATTACK_DOMAINS))}.",
            )
        domain = asked if asked is not None else (domains[0] if domains else None)
        table = None
        if domain is not None:
            # Markup: graph.matrix_html escapes every string it writes.
            table = Markup(render_matrix_html(service.matrix(signed.principal, domain)))
        return pages.response(
            "attack.html",
            request,
            signed,
            domains=[(d, DOMAIN_NAMES.get(d, d)) for d in domains],
            domain=domain,
            table=table,
        )

    return router
