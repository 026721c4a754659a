"""Request bodies read under a size limit, chunked transfer encoding included."""

from __future__ import annotations

from fastapi import Request

from entente.server.problems import HttpProblem

__all__ = ["read_limited_body"]


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
