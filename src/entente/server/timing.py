"""The ``Server-Timing`` header on each web UI response: how long the app took to answer.

W3C Server Timing §3 defines the header (``app;dur=12.3``, milliseconds). ``bench/ui.py`` reads
it beside the time it measures itself on loopback, which also counts the HTTP exchange and
uvicorn; a browser's developer tools show it too. The duration runs from the request entering
this middleware to the response's start, the moment a page has been rendered (the UI renders
whole pages before it answers). Only UI paths carry it: the TAXII and REST responses keep
the headers their specifications and the OpenAPI document name. Its figure says no more than
a client's own clock does, so it tells an outsider nothing new.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entente.server.ui.headers import is_ui_path

__all__ = ["SERVER_TIMING_METRIC", "ServerTiming"]

SERVER_TIMING_METRIC = "app"


class ServerTiming:
    """ASGI middleware: ``Server-Timing: app;dur=<ms>`` on each UI response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; stamp the time it took on the response it starts."""
        if scope["type"] != "http" or not is_ui_path(scope["path"]):
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000
                value = f"{SERVER_TIMING_METRIC};dur={elapsed_ms:.1f}".encode("ascii")
                headers = [
                    (name, v)
                    for name, v in message.get("headers", [])
                    if name.lower() != b"server-timing"
                ]
                message = {**message, "headers": [*headers, (b"server-timing", value)]}
            await send(message)

        await self._app(scope, receive, send_with_timing)
