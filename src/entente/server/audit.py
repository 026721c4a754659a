"""The request edge of the audit log: one entry per reader per request (issue 14, item 3).

Each HTTP request gets its own ``ReadNotes``; ``Visibility.release`` notes in them what the
policy released above TLP:CLEAR, and admin routes the actions they took. When the response's
last body chunk is about to go out, the notes become entries submitted to the node's
``AuditRecorder``, which appends them off the request path (``services.audit_recorder`` says
why and what that guarantees).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entente.services.audit_reads import ReadNotes, noting
from entente.services.audit_recorder import AuditRecorder

__all__ = ["AuditedRequests", "channel_of"]


def channel_of(path: str) -> str:
    """The audit channel of a request path: ``taxii``, ``rest``, ``export`` or ``ui``."""
    if path.startswith("/taxii2"):
        return "taxii"
    if path.startswith("/api/"):
        return "rest"
    if path.startswith(("/feeds", "/exports")):
        return "export"
    return "ui"


class AuditedRequests:
    """ASGI middleware: note each request's releases and actions, record them at its end."""

    def __init__(self, app: ASGIApp, *, recorder: AuditRecorder) -> None:
        self._app = app
        self._recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with notes; submit them before its last body chunk goes out."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        notes = ReadNotes(channel_of(path), {"method": scope["method"], "path": path})

        submitted = False

        def submit() -> None:
            nonlocal submitted
            if not submitted:
                submitted = True
                self._recorder.submit(notes.drafts())

        async def send_audited(message: Message) -> None:
            if message["type"] == "http.response.start":
                notes.details["status"] = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                submit()
            await send(message)

        try:
            with noting(notes):
                await self._app(scope, receive, send_audited)
        finally:
            # A response cut short (the client went away, a stream failed) may still have
            # carried some of what was released: it is recorded all the same.
            submit()
