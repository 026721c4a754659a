"""REST "who saw this?": ``GET /api/v1/audit``, the audit log as the caller may be shown it.

For the admins and analysts of the node's own org only (403 for anyone else); an object the
caller may not see is the same 404 as an absent one, and each entry lists only the objects the
caller may see (``services.audit_queries``). The ``next`` cursor is sealed as TAXII's are
(``entente.taxii.cursors``, ADR 0005) and bound to the query and the caller it continues: the
entry number it holds may be one the caller was not shown.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from entente.audit import parse_since
from entente.server.openapi import responses
from entente.services.audit_queries import (
    MAX_LIMIT,
    AuditPage,
    AuditQueries,
    ShownEntry,
    parse_org,
)
from entente.sharing import Principal
from entente.stix import format_timestamp_us
from entente.taxii import decode_cursor, encode_cursor

__all__ = ["audit_router", "describe_page", "query_fingerprint"]

# A sealed cursor (ADR 0005): 52 characters of base64url; anything else is refused early.
_CURSOR = r"^[A-Za-z0-9_-]{1,200}$"


def query_fingerprint(
    principal: Principal, object_id: str | None, org: str | None, since_us: int | None
) -> str:
    """What a ``next`` cursor is bound to: the asker and the query it continues."""
    return (
        f"audit/{principal.id}/{object_id or ''}/{org or ''}/{'' if since_us is None else since_us}"
    )


def _entry(entry: ShownEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": format_timestamp_us(entry.time_us),
        "actor": {"id": entry.actor.id, "org": entry.actor.org, "role": entry.actor.role},
        "action": entry.action,
        "channel": entry.channel,
        "objects": list(entry.object_ids),
        "objects_withheld": entry.withheld,
        "tlp": entry.tlp,
        "agreements": list(entry.agreements),
        "details": dict(entry.details),
        "hash": entry.hash,
    }


def describe_page(page: AuditPage, next_token: str | None) -> dict[str, Any]:
    """The JSON of one page of entries."""
    document: dict[str, Any] = {
        "entries": [_entry(e) for e in page.entries],
        "next": next_token,
    }
    if page.verdict is not None:
        document["verification"] = page.verdict.to_json()
    return document


def audit_router(
    service: AuditQueries,
    secret: bytes,
    principal_of_request: Callable[[Request], Principal],
) -> APIRouter:
    """The audit query route, bound to ``service``; ``secret`` seals the cursors."""
    router = APIRouter(prefix="/api/v1")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    @router.get("/audit", responses=responses(400, 403, 404))
    def who_saw(
        principal: Caller,
        *,
        object: Annotated[
            str | None, Query(max_length=300, description="Only entries naming this STIX id.")
        ] = None,
        org: Annotated[
            str | None,
            Query(max_length=300, description="Only entries of this org (identity id or name)."),
        ] = None,
        since: Annotated[
            str | None,
            Query(max_length=64, description="Only entries from this time on (RFC 3339)."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        next: Annotated[
            str | None,
            Query(pattern=_CURSOR, description="The 'next' of the previous page (same query)."),
        ] = None,
        verify: Annotated[
            bool, Query(description="Also verify the audit log's hash chain and checkpoints.")
        ] = False,
    ) -> dict[str, Any]:
        """Who saw this? The newest audit entries matching every filter, newest first, as
        the caller may see them: hidden objects are counted in ``objects_withheld``."""
        service.check(principal)
        since_us = None if since is None else parse_since(since)
        org_id = None if org is None else parse_org(org)
        digest = query_fingerprint(principal, object, org_id, since_us)
        before = None if next is None else decode_cursor(next, secret, digest)
        page = service.who_saw(
            principal,
            object_id=object,
            org=org_id,
            since_us=since_us,
            limit=limit,
            before_seq=before,
            verify=verify,
        )
        token = (
            None if page.next_before is None else encode_cursor(page.next_before, digest, secret)
        )
        return describe_page(page, token)

    return router
