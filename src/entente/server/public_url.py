"""Redirects name the node's configured ``public_url``, never the client's Host header.

Starlette answers a path that differs from a route only by its trailing slash with a 307 to
the other form (``GET /taxii2`` -> ``/taxii2/``), and builds that ``Location`` from the Host
header: a client that sends ``Host: evil.example`` would get the node to point at any site
it names, and a cache or proxy in front would hand that link on (host-header injection,
OWASP WSTG-INPV-17). Turning those redirects off would break clients that leave the slash
out; rewriting ``Location`` here keeps them, for every redirect the app makes, now or later.

The one redirect that leaves the node on purpose, single sign-on's to the identity provider
(``ui.oidc_login``, built from the provider's discovery document and never from the Host
header), carries ``EXTERNAL_REDIRECT_HEADER``: its ``Location`` is kept and the marker header
is dropped before the response leaves.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["EXTERNAL_REDIRECT_HEADER", "PublicUrlRedirects", "public_location"]

EXTERNAL_REDIRECT_HEADER = "x-entente-external-redirect"
_MARKER = EXTERNAL_REDIRECT_HEADER.encode("latin-1")


def public_location(location: str, public_url: str) -> str:
    """``location``'s path, query and fragment under ``public_url`` (its scheme and host go).

    Every redirect this app makes is to itself, so only where on the node it points is kept.
    """
    parts = urlsplit(location)
    rebuilt = public_url.rstrip("/") + (parts.path or "/")
    if parts.query:
        rebuilt += "?" + parts.query
    if parts.fragment:
        rebuilt += "#" + parts.fragment
    return rebuilt


class PublicUrlRedirects:
    """ASGI middleware: the ``Location`` of every 3xx response is rebuilt on ``public_url``."""

    def __init__(self, app: ASGIApp, public_url: str) -> None:
        self._app = app
        self._public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; rewrite the redirect headers of the response it starts."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_public(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                headers = message.get("headers", [])
                external = any(name.lower() == _MARKER for name, _ in headers)
                message = {
                    **message,
                    "headers": [
                        (
                            name,
                            self._rewrite(value)
                            if name.lower() == b"location" and not external
                            else value,
                        )
                        for name, value in headers
                        if name.lower() != _MARKER
                    ],
                }
            await send(message)

        await self._app(scope, receive, send_public)

    def _rewrite(self, value: bytes) -> bytes:
        # Header values are bytes in ASGI; Starlette encodes them as Latin-1.
        return public_location(value.decode("latin-1"), self._public_url).encode("latin-1")
