"""TOTP keys sealed under the node secret: they open only for their user and that secret."""

from __future__ import annotations

import pytest

from entente.accounts import TotpSealer
from entente.errors import ConfigurationError

SECRET = b"0123456789abcdef0123456789abcdef"


def test_a_sealed_key_opens_for_its_user_and_hides_the_key() -> None:
    sealer = TotpSealer(SECRET)
    key = bytes(range(20))
    sealed = sealer.seal(key, "usr_000000000001")
    assert key not in sealed
    assert len(sealed) == 1 + 12 + 20 + 16
    assert sealer.unseal(sealed, "usr_000000000001") == key
    # A fresh nonce each time: sealing twice gives two different blobs.
    assert sealer.seal(key, "usr_000000000001") != sealed


def test_a_sealed_key_does_not_open_for_another_user_or_secret_or_altered() -> None:
    sealed = TotpSealer(SECRET).seal(b"k" * 20, "usr_000000000001")
    with pytest.raises(ConfigurationError, match="reset-totp"):
        TotpSealer(SECRET).unseal(sealed, "usr_000000000002")
    with pytest.raises(ConfigurationError, match="reset-totp"):
        TotpSealer(b"another secret of 32 bytes......").unseal(sealed, "usr_000000000001")
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(ConfigurationError):
        TotpSealer(SECRET).unseal(altered, "usr_000000000001")
    with pytest.raises(ConfigurationError, match="format"):
        TotpSealer(SECRET).unseal(b"\x02" + sealed[1:], "usr_000000000001")


def test_the_sealing_key_is_not_the_cursor_key() -> None:
    # Both derive from cursor.key; their HKDF info differs, so a cursor's AEAD cannot open a
    # sealed TOTP key (and the other way round).
    from cryptography.exceptions import InvalidTag

    from entente.taxii.cursors import _cipher

    sealed = TotpSealer(SECRET).seal(b"k" * 20, "u")
    with pytest.raises(InvalidTag):
        _cipher(SECRET).decrypt(sealed[1:13], sealed[13:], b"entente/users/totp-key\x00\x01u")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        TotpSealer(b"short")
