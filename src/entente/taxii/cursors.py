"""Stateless, tamper-proof TAXII 2.1 ``next`` cursors (§3.4 ``next``, §3.5 pagination).

A cursor is the ``date_added`` (epoch µs) of the last item of a page: it is unique and strictly
increasing per node, so "continue after it" is exact and needs no server-side state, and it
contains no clock reading, so it never expires. It is bound to the request's filters by an
HMAC-SHA256 under a node secret, so clients can neither forge, alter, nor reuse it elsewhere.

Wire form: base64url, no padding, of ``version(1) || after_us(8, signed big-endian) ||
HMAC-SHA256(secret, domain || version || after_us || fingerprint)[:24]`` = 33 bytes, 44 chars.
33 is a multiple of 3, so every character carries payload bits and no two strings decode alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from entente.errors import ConfigurationError
from entente.store.records import Page
from entente.taxii.params import ObjectFilters
from entente.taxii.problems import InvalidParameter

__all__ = ["MIN_SECRET_BYTES", "decode_cursor", "encode_cursor", "fingerprint", "next_token"]

MIN_SECRET_BYTES = 16
_VERSION = 1
_DOMAIN = b"entente/taxii/next-cursor\x00"
_MAC_BYTES = 24
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{44}")
_INT64 = 2**63


def _check_secret(secret: bytes) -> None:
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"the cursor secret needs at least {MIN_SECRET_BYTES} bytes")


def _mac(secret: bytes, payload: bytes, filters_fingerprint: str) -> bytes:
    message = _DOMAIN + payload + filters_fingerprint.encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]


def fingerprint(filters: ObjectFilters, scope: str = "") -> str:
    """A digest of the filters a cursor is valid for (§3.5: "the same original query options").

    ``scope`` names where the query ran (e.g. ``"<collection-id>/objects"``). ``limit`` and
    ``next`` are left out: changing the page size between pages is harmless. Lists are sorted,
    so ``match[type]=a,b`` and ``match[type]=b,a`` share cursors.
    """
    parts = [
        scope,
        "" if filters.added_after_us is None else str(filters.added_after_us),
        ",".join(sorted(filters.ids)),
        ",".join(sorted(filters.types)),
        ",".join(sorted(filters.versions)),
        ",".join(sorted(filters.spec_versions)),
    ]
    text = "\x1f".join(parts)  # unit separator: never inside an id, type, version or scope
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def encode_cursor(after_us: int, filters_fingerprint: str, secret: bytes) -> str:
    """An opaque, url-safe ``next`` value that continues after ``after_us``."""
    _check_secret(secret)
    if not -_INT64 <= after_us < _INT64:
        raise ValueError("after_us must fit in a signed 64-bit integer")
    payload = bytes([_VERSION]) + after_us.to_bytes(8, "big", signed=True)
    raw = payload + _mac(secret, payload, filters_fingerprint)
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(token: str, secret: bytes, filters_fingerprint: str) -> int:
    """The ``after_us`` inside ``token``; ``InvalidParameter("next")`` if forged or misused."""
    _check_secret(secret)
    if not _TOKEN_RE.fullmatch(token):
        raise InvalidParameter("next", "is not a cursor this server issued")
    raw = base64.urlsafe_b64decode(token)
    payload, mac = raw[:9], raw[9:]
    if payload[0] != _VERSION:
        raise InvalidParameter("next", "is not a cursor this server issued")
    if not hmac.compare_digest(mac, _mac(secret, payload, filters_fingerprint)):
        # Either altered, or valid for other filters: §3.5 pages with "the same original query".
        raise InvalidParameter(
            "next", "was not issued by this server for these filters; repeat the original query"
        )
    return int.from_bytes(payload[1:], "big", signed=True)


def next_token(page: Page, secret: bytes, filters_fingerprint: str) -> str | None:
    """The envelope's ``next`` for ``page`` (§3.7), or ``None`` when no page follows."""
    if page.next_cursor is None:
        return None
    return encode_cursor(page.next_cursor, filters_fingerprint, secret)
