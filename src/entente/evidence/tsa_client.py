"""The one I/O of a package's making: asking the configured time-stamping authority.

RFC 3161 §3.4: the TimeStampReq is POSTed as ``application/timestamp-query`` and the
TimeStampResp comes back as ``application/timestamp-reply``.
"""

from __future__ import annotations

import httpx

from entente.errors import ConfigurationError
from entente.evidence.timestamp import TIMESTAMP_QUERY, TIMESTAMP_REPLY

__all__ = ["HttpTimestamper"]


class HttpTimestamper:
    """Posts time-stamp requests to one TSA URL."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self._url = url
        self._timeout = timeout

    def __call__(self, request: bytes) -> bytes:
        """The TSA's DER TimeStampResp to ``request``."""
        try:
            answer = httpx.post(
                self._url,
                content=request,
                headers={"Content-Type": TIMESTAMP_QUERY, "Accept": TIMESTAMP_REPLY},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise ConfigurationError(f"time-stamping authority {self._url}: {exc}") from exc
        if answer.status_code != 200:
            raise ConfigurationError(
                f"time-stamping authority {self._url} answered HTTP {answer.status_code}"
            )
        return answer.content
