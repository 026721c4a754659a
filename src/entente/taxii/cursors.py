"""Stateless, encrypted TAXII 2.1 ``next`` cursors (§3.4 ``next``, §3.5 pagination).

A cursor holds the ``date_added`` (epoch µs) right before the next object a page will show:
unique and strictly increasing per node, so "continue after it" is exact and needs no server
state, and it holds no clock reading, so it never expires. That instant may be the one of an
object the caller may not see, so the cursor is encrypted, not merely signed: an AEAD
(AES-256-GCM-SIV, RFC 8452) under a key derived from the node's cursor secret (HKDF-SHA256,
RFC 5869) with a fresh random nonce, the request's filter fingerprint as associated data so
that a cursor is valid for the query that issued it only (§3.5: "the same original query").
A client learns nothing from a cursor but its length (ADR 0005).

Wire form: base64url, no padding, of ``version(1) || nonce(12) || AES-GCM-SIV(after_us(8,
signed big-endian) || 0x0000, aad = domain || version || fingerprint)`` = 39 bytes, 52
characters. 39 is a multiple of 3, so every character carries payload bits and no two strings
decode alike. Encryption and decryption need no I/O: this module stays in the sans-IO core.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from entente.errors import ConfigurationError
from entente.store.records import Page
from entente.taxii.params import ObjectFilters
from entente.taxii.problems import InvalidParameter

__all__ = ["MIN_SECRET_BYTES", "decode_cursor", "encode_cursor", "fingerprint", "next_token"]

MIN_SECRET_BYTES = 16
_VERSION = 2
_DOMAIN = b"entente/taxii/next-cursor\x00"
_HKDF_INFO = b"entente/taxii/next-cursor/aes-256-gcm-siv/v2"
_NONCE_BYTES = 12  # RFC 8452 §4
_PADDING = b"\x00\x00"  # makes the token a whole number of base64 quanta
_TOKEN_BYTES = 1 + _NONCE_BYTES + 8 + len(_PADDING) + 16
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{52}")
_INT64 = 2**63
_NOT_OURS = "is not a cursor this server issued; repeat the original query without it"


def _check_secret(secret: bytes) -> None:
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"the cursor secret needs at least {MIN_SECRET_BYTES} bytes")


@functools.lru_cache(maxsize=8)
def _cipher(secret: bytes) -> AESGCMSIV:
    """The AEAD for a node secret; derived once per secret (HKDF costs more than a cursor)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)
    return AESGCMSIV(key)


def _associated_data(filters_fingerprint: str) -> bytes:
    return _DOMAIN + bytes([_VERSION]) + filters_fingerprint.encode("utf-8")


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
    nonce = os.urandom(_NONCE_BYTES)
    plaintext = after_us.to_bytes(8, "big", signed=True) + _PADDING
    sealed = _cipher(secret).encrypt(nonce, plaintext, _associated_data(filters_fingerprint))
    return base64.urlsafe_b64encode(bytes([_VERSION]) + nonce + sealed).decode("ascii")


def decode_cursor(token: str, secret: bytes, filters_fingerprint: str) -> int:
    """The ``after_us`` inside ``token``; ``InvalidParameter("next")`` if forged or misused."""
    _check_secret(secret)
    if not _TOKEN_RE.fullmatch(token):
        raise InvalidParameter("next", _NOT_OURS)
    raw = base64.urlsafe_b64decode(token)
    if len(raw) != _TOKEN_BYTES or raw[0] != _VERSION:
        raise InvalidParameter("next", _NOT_OURS)
    nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    try:
        plaintext = _cipher(secret).decrypt(nonce, sealed, _associated_data(filters_fingerprint))
    except InvalidTag:
        # Altered, made under another secret, or valid for other filters: §3.5 pages with
        # "the same original query".
        raise InvalidParameter(
            "next", "was not issued by this server for these filters; repeat the original query"
        ) from None
    if plaintext[8:] != _PADDING:
        raise InvalidParameter("next", _NOT_OURS)
    return int.from_bytes(plaintext[:8], "big", signed=True)


def next_token(page: Page, secret: bytes, filters_fingerprint: str) -> str | None:
    """The envelope's ``next`` for ``page`` (§3.7), or ``None`` when no page follows."""
    if page.next_cursor is None:
        return None
    return encode_cursor(page.next_cursor, filters_fingerprint, secret)
