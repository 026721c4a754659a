"""The request edge of the audit log: one entry per reader per request, written before the
response ends (issue 14, item 3).

Each HTTP request gets its own ``ReadNotes``; ``Visibility.release`` notes in them what the
policy released above TLP:CLEAR, and admin routes the actions they took. When the response's
last body chunk is about to go out, the notes are appended to the audit log (one transaction)
and only then is the chunk sent: a client never holds all of a response whose reads were not
recorded. Should the append fail, the exception ends the response unfinished.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entente.services.audit_log import AuditLog
from entente.services.audit_reads import ReadNotes, noting

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

    def __init__(self, app: ASGIApp, *, log: AuditLog) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with notes; append them before its last body chunk goes out."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        notes = ReadNotes(channel_of(path), {"method": scope["method"], "path": path})

        async def send_audited(message: Message) -> None:
            if message["type"] == "http.response.start":
                notes.details["status"] = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                drafts = notes.drafts()
                if drafts:
                    await run_in_threadpool(self._log.record, drafts)
            await send(message)

        with noting(notes):
            await self._app(scope, receive, send_audited)
