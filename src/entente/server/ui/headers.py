"""Security headers on every UI response (the API keeps its own).

The policy allows the node's own scripts, styles and images only (``data:`` images for
icons inlined in CSS), no plugins, no ``<base>``, no framing (clickjacking: CSP Level 3
``frame-ancestors``), and forms that post back to the node only. ``nosniff`` stops a browser
from reading a response as another type than it says (Fetch §3.5.2); ``no-referrer`` keeps
the node's URLs (object ids, searches) out of the logs of any site a page links to; pages say
``no-store`` so that nothing of a signed-in page stays in a shared browser's cache.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_PREFIXES", "UI_CSP", "UiSecurityHeaders", "is_ui_path"]

UI_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Everything else the app serves is the UI.
API_PREFIXES = ("/taxii2", "/api/", "/feeds")
STATIC_PREFIX = "/static/"


def is_ui_path(path: str) -> bool:
    """Whether ``path`` belongs to the web UI rather than TAXII, REST or the feeds."""
    return not path.startswith(API_PREFIXES)


class UiSecurityHeaders:
    """ASGI middleware: the headers above on each response to a UI path."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response it starts."""
        if scope["type"] != "http" or not is_ui_path(scope["path"]):
            await self._app(scope, receive, send)
            return
        added = [
            (b"content-security-policy", UI_CSP.encode("ascii")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if not scope["path"].startswith(STATIC_PREFIX):
            added.append((b"cache-control", b"no-store"))
        names = {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in names
                ]
                message = {**message, "headers": kept + added}
            await send(message)

        await self._app(scope, receive, send_with_headers)
