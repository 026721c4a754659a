"""Sealed ingest drafts: what a user reviewed on the ingest page, carried to its confirmation
and bound to that user's session.

The preview shows what a document would store; the confirmation must store that same
document, and only for the user who reviewed it. Rather than keep drafts on the node (state
that a restart loses and that grows with every abandoned preview), the document travels in
the confirmation form sealed as TAXII cursors are (ADR 0005): zlib-compressed, then
AES-256-GCM-SIV (RFC 8452) under an HKDF-SHA256 (RFC 5869) key derived from the node secret
with an ``info`` of its own, a random 96-bit nonce, and the session's CSRF token and the
issue time as associated data. So a draft opens only in the session that made it, within
``DRAFT_TTL_US``, and unaltered; the confirmation still reads the document again from the
start (its reviewer decides again with the warninglists of that moment), so nothing the
client sends is taken as a list of values. No I/O.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import zlib
from dataclasses import dataclass

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from entente.errors import InvalidInput

__all__ = ["DRAFT_TTL_US", "Draft", "DraftSealer"]

DRAFT_TTL_US = 3600 * 1_000_000  # an hour to read a preview and confirm it
_VERSION = 1
_HKDF_INFO = b"entente/ui/ingest-draft/aes-256-gcm-siv/v1"
_NONCE_BYTES = 12  # RFC 8452 §4
_HEADER = struct.Struct(">BQ")  # version, issue time (µs)
_EXPIRED = "the reviewed document has expired or does not belong to this session"


@dataclass(frozen=True, slots=True)
class Draft:
    """A document as reviewed: its name, its bytes, and the source name and TLP level (its
    label, ``green``) the user gave for what is built from it."""

    name: str
    content: bytes
    source_name: str | None
    marking: str | None = None


class DraftSealer:
    """Seals drafts into form values and opens them again (module docstring)."""

    def __init__(self, node_secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            node_secret
        )
        self._aead = AESGCMSIV(key)

    def seal(self, draft: Draft, session_binding: str, now_us: int) -> str:
        """``draft`` as URL-safe text that opens only with ``session_binding`` until expiry."""
        meta = orjson.dumps(
            {"name": draft.name, "source_name": draft.source_name, "marking": draft.marking}
        )
        plain = struct.pack(">I", len(meta)) + meta + draft.content
        header = _HEADER.pack(_VERSION, now_us)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, zlib.compress(plain, 6), header + session_binding.encode("utf-8")
        )
        return base64.urlsafe_b64encode(header + nonce + sealed).decode("ascii")

    def unseal(self, token: str, session_binding: str, now_us: int) -> Draft:
        """The draft in ``token``; ``InvalidInput`` when it is altered, of another session or
        older than ``DRAFT_TTL_US``."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise InvalidInput(_EXPIRED) from None
        if len(raw) < _HEADER.size + _NONCE_BYTES + 16:
            raise InvalidInput(_EXPIRED)
        header = raw[: _HEADER.size]
        version, issued_us = _HEADER.unpack(header)
        if version != _VERSION or not 0 <= now_us - issued_us <= DRAFT_TTL_US:
            raise InvalidInput(_EXPIRED)
        nonce = raw[_HEADER.size : _HEADER.size + _NONCE_BYTES]
        try:
            packed = self._aead.decrypt(
                nonce, raw[_HEADER.size + _NONCE_BYTES :], header + session_binding.encode()
            )
        except InvalidTag:
            raise InvalidInput(_EXPIRED) from None
        plain = zlib.decompress(packed)
        (size,) = struct.unpack(">I", plain[:4])
        meta = orjson.loads(plain[4 : 4 + size])
        return Draft(meta["name"], plain[4 + size :], meta["source_name"], meta["marking"])
