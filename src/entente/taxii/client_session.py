"""One TAXII 2.1 HTTP exchange: media types, auth, retries with backoff, error mapping (§3.6)."""

from __future__ import annotations

import email.utils
import json
from collections.abc import Callable, Generator, Mapping
from typing import Any

import httpx

from entente.clock import Clock
from entente.errors import MalformedDocument, TaxiiError, TaxiiUnavailable
from entente.stix import decode_document
from entente.taxii.media import TAXII_MEDIA_TYPE

__all__ = ["TaxiiSession"]

# 429 Too Many Requests (RFC 6585 §4) and 503 Service Unavailable (RFC 9110 §15.6.4) say "later";
# every other error status is final.
_RETRY_STATUSES = frozenset({429, 503})
_MAX_BACKOFF_S = 60.0
_MAX_RETRY_AFTER_S = 300.0


class _BearerAuth(httpx.Auth):
    """RFC 6750 bearer-token authentication (TAXII 2.1 §1.6.9 leaves the scheme open)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the Authorization header to ``request``."""
        request.headers["Authorization"] = self._header
        yield request


def _error_body(response: httpx.Response) -> dict[str, Any] | None:
    """The §3.6.1 error message when the body is a JSON object; ``None`` for HTML and the like."""
    try:
        value = json.loads(response.content)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _describe(method: str, url: str, response: httpx.Response, body: dict[str, Any] | None) -> str:
    reason = response.reason_phrase or "error"
    if body is not None:
        title = body.get("title")
        description = body.get("description")
        reason = " - ".join(str(part) for part in (title, description) if part) or reason
    return f"{method} {url} -> HTTP {response.status_code}: {reason}"


class TaxiiSession:
    """Sends requests through an httpx client, retrying what TAXII servers say to retry."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        auth: tuple[str, str] | str | None,
        retries: int,
        backoff: float,
        sleep: Callable[[float], None],
        clock: Clock,
    ) -> None:
        if retries < 0 or backoff < 0:
            raise ValueError("retries and backoff cannot be negative")
        self._http = http
        self._auth: httpx.Auth | None
        if isinstance(auth, str):
            self._auth = _BearerAuth(auth)
        elif auth is not None:
            self._auth = httpx.BasicAuth(*auth)
        else:
            self._auth = None
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._clock = clock

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One exchange, retried on 429/503 and connect/read failures; raises on error statuses."""
        # §1.6.8: always the full media type with version=2.1 (medallion 406s anything else).
        headers = {"Accept": TAXII_MEDIA_TYPE}
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = TAXII_MEDIA_TYPE
            content = json.dumps(body).encode("utf-8")  # §1.6.7: UTF-8 JSON
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method, url, params=params, content=content, headers=headers, auth=self._auth
                )
            except (httpx.ConnectError, httpx.TimeoutException) as exc:
                # A retried POST is safe: §5.5 makes re-adding an identical object no error.
                if attempt >= self._retries:
                    raise TaxiiUnavailable(
                        f"{method} {url}: {exc!r} after {attempt + 1} attempts",
                        status=None,
                        url=url,
                    ) from exc
                self._sleep(self.backoff_delay(attempt))
                attempt += 1
                continue
            except httpx.TransportError as exc:
                raise TaxiiUnavailable(f"{method} {url}: {exc!r}", status=None, url=url) from exc
            if response.status_code in _RETRY_STATUSES and attempt < self._retries:
                self._sleep(self._retry_delay(response, attempt))
                attempt += 1
                continue
            if response.status_code >= 400:
                error = _error_body(response)
                message = _describe(method, url, response, error)
                if response.status_code in _RETRY_STATUSES:
                    message += f" (after {attempt + 1} attempts)"
                    raise TaxiiUnavailable(
                        message, status=response.status_code, url=url, body=error
                    )
                raise TaxiiError(message, status=response.status_code, url=url, body=error)
            return response

    def backoff_delay(self, attempt: int) -> float:
        """The exponential delay before retry number ``attempt + 1``: backoff × 2^attempt."""
        return float(min(self._backoff * 2**attempt, _MAX_BACKOFF_S))

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        """RFC 9110 §10.2.3 Retry-After (seconds or an HTTP-date), else exponential backoff."""
        value = response.headers.get("Retry-After", "").strip()
        if value.isdigit():
            return min(float(value), _MAX_RETRY_AFTER_S)
        if value:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None and when.tzinfo is not None:
                wait = when.timestamp() - self._clock.now_us() / 1_000_000
                return min(max(wait, 0.0), _MAX_RETRY_AFTER_S)
        return self.backoff_delay(attempt)

    @staticmethod
    def json_body(response: httpx.Response, url: str) -> dict[str, Any]:
        """The JSON object of a successful response; ``TaxiiError`` for anything else."""
        try:
            # orjson (pages of 1,000 objects decode several times faster than with json); a
            # page with an object nested too deep for it is decoded item by item, that
            # object an ``Unreadable`` (entente.stix.documents): the rest of the page is kept.
            value = decode_document(response.content)
        except MalformedDocument as exc:
            raise TaxiiError(
                f"{url}: HTTP {response.status_code} body is not JSON",
                status=response.status_code,
                url=url,
            ) from exc
        if not isinstance(value, dict):
            raise TaxiiError(
                f"{url}: the body is not a JSON object", status=response.status_code, url=url
            )
        return value
