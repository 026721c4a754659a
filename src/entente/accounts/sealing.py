"""TOTP keys sealed at rest: AES-256-GCM-SIV under a key derived from the node's secret.

A TOTP key is a shared secret the node must read back (unlike a password, it cannot be
stored hashed), so a copy of the database alone must not yield it. It is sealed the way TAXII
cursors are (ADR 0005): AES-256-GCM-SIV (RFC 8452) under an HKDF-SHA256 (RFC 5869) key
derived from ``$ENTENTE_HOME/cursor.key`` with an ``info`` of its own (so the two keys are
independent), a random 96-bit nonce per seal, and the user's id as associated data, so that
a sealed key copied onto another user's row does not open (ADR 0009). No I/O.

Stored form: ``version(1) || nonce(12) || ciphertext || tag(16)``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from entente.errors import ConfigurationError

__all__ = ["TotpSealer"]

_VERSION = 1
_DOMAIN = b"entente/users/totp-key\x00"
_HKDF_INFO = b"entente/users/totp-key/aes-256-gcm-siv/v1"
_NONCE_BYTES = 12  # RFC 8452 §4
_MIN_SECRET_BYTES = 16


class TotpSealer:
    """Seals and opens TOTP keys under one node secret."""

    def __init__(self, node_secret: bytes) -> None:
        if len(node_secret) < _MIN_SECRET_BYTES:
            raise ConfigurationError(f"the node secret needs at least {_MIN_SECRET_BYTES} bytes")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            node_secret
        )
        self._aead = AESGCMSIV(key)

    def seal(self, totp_key: bytes, user_id: str) -> bytes:
        """``totp_key`` encrypted and bound to ``user_id``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, totp_key, _associated_data(user_id))
        return bytes([_VERSION]) + nonce + sealed

    def unseal(self, sealed: bytes, user_id: str) -> bytes:
        """The TOTP key in ``sealed``.

        Raises ``ConfigurationError`` when it does not open: sealed under another node secret
        (``cursor.key`` was replaced: reset the users' TOTP) or altered in the database.
        """
        if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[0] != _VERSION:
            raise ConfigurationError(f"the TOTP key of user {user_id} is not in a known format")
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, _associated_data(user_id))
        except InvalidTag:
            raise ConfigurationError(
                f"the TOTP key of user {user_id} does not open under this node's cursor.key "
                "(replaced, or the row was altered): run `entente user reset-totp`"
            ) from None


def _associated_data(user_id: str) -> bytes:
    return _DOMAIN + bytes([_VERSION]) + user_id.encode("utf-8")
