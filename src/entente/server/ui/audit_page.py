"""The "Who saw this?" page: the audit log by object, org and time (issue 14, item 3).

It answers the node org's admins and analysts only (403 for anyone else, with a page that
says so); an object the user may not see is the same 404 as an absent one, and each entry
lists only the objects the user may see, the others counted (``services.audit_queries``).
The ``next`` cursor is sealed as the REST API's (``entente.taxii.cursors``) and bound to the
query and the user.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in ui.pages).

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.audit import parse_since
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.graph import object_href
from entente.server.ui.auth import UiAuth
from entente.server.ui.pages import Pages
from entente.server.ui.paging import forbidden, not_found
from entente.server.ui.timestamps import when
from entente.services.audit_queries import AuditPage, AuditQueries, parse_org
from entente.services.users import SignedIn
from entente.taxii import decode_cursor, encode_cursor

__all__ = ["PAGE_SIZE", "audit_router"]

# Entries per page.
PAGE_SIZE = 50
_FIELD = Query(max_length=300)


def audit_router(service: AuditQueries, secret: bytes, auth: UiAuth, pages: Pages) -> APIRouter:
    """GET /audit (``audit.html``); ``secret`` seals the cursors."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias

    def page(request: Request, signed: SignedIn, status: int, **extra: Any) -> Response:
        values: dict[str, Any] = {
            "object_id": "",
            "org": "",
            "since": "",
            "found": None,
            "next_href": None,
            "error": None,
            "when": when,
            "object_href": object_href,
            **extra,
        }
        return pages.response("audit.html", request, signed, status_code=status, **values)

    def ask(
        signed: SignedIn,
        object_id: str | None,
        org: str | None,
        since: str | None,
        next_token: str | None,
    ) -> tuple[AuditPage, str | None]:
        principal = signed.principal
        service.check(principal)
        since_us = None if since is None else parse_since(since)
        org_id = None if org is None else parse_org(org)
        # The cursor continues this query for this user only.
        digest = "ui-audit/" + repr((principal.id, object_id, org_id, since_us))
        before = None if next_token is None else decode_cursor(next_token, secret, digest)
        found = service.who_saw(
            principal,
            object_id=object_id,
            org=org_id,
            since_us=since_us,
            limit=PAGE_SIZE,
            before_seq=before,
        )
        token = (
            None if found.next_before is None else encode_cursor(found.next_before, digest, secret)
        )
        return found, token

    @router.get("/audit")
    async def audit_page(
        request: Request,
        signed: SignedInUser,
        *,
        object: Annotated[str | None, _FIELD] = None,
        org: Annotated[str | None, _FIELD] = None,
        since: Annotated[str | None, Query(max_length=64)] = None,
        next: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        # An empty form field means no filter, as in the REST API's absent parameter.
        wanted = {"object": object, "org": org, "since": since}
        given = {k: v.strip() for k, v in wanted.items() if v is not None and v.strip()}
        form: dict[str, Any] = {"object_id": given.get("object", ""), "org": given.get("org", ""),
                "since": given.get("since", "")}  # fmt: skip
        try:
            found, token = await run_in_threadpool(
                ask, signed, given.get("object"), given.get("org"), given.get("since"), next
            )
        except PermissionDenied as exc:
            return forbidden(request, signed, pages, str(exc))
        except ObjectNotFound:
            return not_found(request, signed, pages, "No object with that id is visible to you.")
        except InvalidInput as exc:
            return page(request, signed, 400, error=str(exc), **form)
        next_href = None
        if token is not None:
            next_href = "/audit?" + urlencode({**given, "next": token})
        return page(request, signed, 200, found=found, next_href=next_href, **form)

    return router
