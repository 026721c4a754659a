"""Request bodies: read under a size limit, and only a few of them held at once.

A POST body is read, decoded and stored while its request holds a slot of the ``BodyGate``:
parallel large POSTs then take at most ``slots`` bodies' worth of memory (the other requests
wait for a slot; none is refused), and after a large body the freed memory is handed back to
the operating system, so a burst of uploads does not leave the server at its peak size.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from entente.errors import InvalidInput
from entente.matching.memory import release_free_memory
from entente.server.problems import HttpProblem
from entente.taxii import is_acceptable_content_type

__all__ = ["BODY_SLOTS", "BodyGate", "read_limited_body"]

# Bodies read, decoded and stored at once. Each takes a few times its size while it is
# decoded and validated (about 5x for STIX JSON), so two bodies of the 10 MiB default
# max_content_length stay near 100 MiB above the server's resting size.
BODY_SLOTS = 2
# A body at least this large is followed by handing freed memory back (glibc malloc_trim).
_LARGE_BODY = 1024 * 1024


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The whole body, or HTTP 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HttpProblem(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise HttpProblem(413, f"the body exceeds max_content_length ({limit} bytes)")
    chunks: list[bytes] = []
    size = 0
    # Counted while streaming: a chunked body has no Content-Length to check up front.
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpProblem(413, f"the body exceeds max_content_length ({limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


class BodyGate:
    """At most ``slots`` request bodies held at once; see the module docstring."""

    def __init__(self, slots: int = BODY_SLOTS) -> None:
        if slots < 1:
            raise ValueError("a body gate needs at least one slot")
        self._slots = slots
        self._semaphore = asyncio.Semaphore(slots)
        self._held = 0
        self.most_held = 0  # the most bodies ever held at once (for operators and tests)

    @property
    def slots(self) -> int:
        """How many bodies may be held at once."""
        return self._slots

    @asynccontextmanager
    async def held(self, request: Request, limit: int) -> AsyncIterator[bytes]:
        """Wait for a slot, then read the body (``read_limited_body``) and hold it in the block."""
        async with self._semaphore:
            self._held += 1
            self.most_held = max(self.most_held, self._held)
            size = 0
            try:
                body = await read_limited_body(request, limit)
                size = len(body)
                yield body
            finally:
                self._held -= 1
                if size >= _LARGE_BODY:
                    await run_in_threadpool(release_free_memory)

    async def json_object(
        self, request: Request, limit: int, *, what: str = "a JSON object", empty: bool = False
    ) -> dict[str, Any]:
        """The body as a JSON object: 415 unless it is sent as application/json, 413 past
        ``limit``, 400 (``InvalidInput``) when it is not JSON or not an object (``what`` names
        the object expected); ``empty`` lets a blank body stand for ``{}``."""
        if not is_acceptable_content_type(request.headers.get("content-type"), "application/json"):
            raise HttpProblem(415, "the body must be application/json")
        async with self.held(request, limit) as raw:
            if empty and not raw.strip():
                return {}
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise InvalidInput("the body is not JSON") from None
        if not isinstance(body, dict):
            raise InvalidInput(f"the body must be {what}")
        return body
