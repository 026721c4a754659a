"""Export feeds under ``/feeds/{format}``: what a firewall, IDS or resolver pulls, per token.

Any valid API token may pull a feed; what it holds is what the sharing policy lets that
token's principal read (a partner token gets the partner branch of the policy, as over
TAXII). The feed carries an entity tag (``ETag``) of its data; a client that sends it back
in ``If-None-Match`` gets ``304 Not Modified`` without the feed being rendered again
(RFC 9110 §13.1.2, §15.4.5). ``X-Entente-Left-Out`` says how many values the export left out
(warninglists, score, what the format cannot express; for the node's own org also the
indicators the policy withholds); the reasons are in ``entente export --json``.

Files a format's main file refers to (Suricata's dataset and hash-list files, which its rules
load from the rule directory) are served beside it: ``/feeds/suricata/entente-md5.lst``.
"""

# No "from __future__ import annotations": FastAPI reads the local Caller alias at def time.

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from entente.errors import ObjectNotFound
from entente.server.openapi import responses
from entente.services.export import ExportService, Feed
from entente.sharing import Principal

__all__ = ["LEFT_OUT_HEADER", "feed_router"]

LEFT_OUT_HEADER = "X-Entente-Left-Out"
# The feed body's media type is the format's own (text/plain, text/csv, ...).
_FEED_RESPONSES = {
    200: {"description": "The export, in the format's media type.", "content": {"*/*": {}}},
    **responses(304, 400, 404),
}


def feed_router(
    exports: ExportService, principal_of_request: Callable[[Request], Principal]
) -> APIRouter:
    """The feed routes, bound to ``exports``."""
    router = APIRouter(prefix="/feeds")
    Caller = Annotated[Principal, Depends(principal_of_request)]  # noqa: N806 - a type alias

    @router.get("/{fmt}", response_class=Response, responses=_FEED_RESPONSES)
    def feed(
        fmt: str,
        principal: Caller,
        min_score: Annotated[int | None, Query(ge=0, le=100)] = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The caller's export in one format; 304 when ``If-None-Match`` names its tag."""
        if fmt not in exports.formats:
            raise ObjectNotFound(f"no feed {fmt!r}")
        return _response(
            exports.feed(fmt, principal, min_score=min_score, if_none_match=if_none_match)
        )

    @router.get("/{fmt}/{name}", response_class=Response, responses=_FEED_RESPONSES)
    def companion(
        fmt: str,
        name: str,
        principal: Caller,
        min_score: Annotated[int | None, Query(ge=0, le=100)] = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """A file the format's main file refers to (``/feeds/suricata/entente-md5.lst``)."""
        if fmt not in exports.formats:
            raise ObjectNotFound(f"no feed {fmt!r}")
        return _response(
            exports.companion_feed(
                fmt, name, principal, min_score=min_score, if_none_match=if_none_match
            )
        )

    return router


def _response(result: Feed) -> Response:
    # The feed depends on who asks: shared caches must not serve it to someone else, and
    # every use revalidates (RFC 9111 §5.2.2.7 private, §5.2.2.4 no-cache).
    headers = {
        "ETag": result.etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Authorization",
    }
    rendered = result.rendered
    if rendered is None:
        return Response(status_code=304, headers=headers)
    headers[LEFT_OUT_HEADER] = str(len(rendered.left_out))
    headers["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    # As the renderer names it: Starlette would add a charset to text/dns and text/x-yara.
    headers["Content-Type"] = rendered.media_type
    return Response(rendered.body, headers=headers)
