"""Node keys (Ed25519, RFC 8032) and the ``ed25519:<base64url>`` public key text."""

from __future__ import annotations

import base64
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from entente.errors import ConfigurationError, InvalidInput
from entente.federation import (
    NodeKey,
    decode_base64url,
    encode_base64url,
    generate_key,
    load_or_create_key,
    parse_public_key,
)

# RFC 8032 §7.1, TEST 1: secret key, public key, empty message, signature.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def _rfc8032_key() -> NodeKey:
    return NodeKey(Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET))


def test_signing_matches_the_rfc_8032_test_vector() -> None:
    key = _rfc8032_key()
    assert key.sign(b"") == RFC8032_SIGNATURE
    assert key.public_key_text == "ed25519:" + encode_base64url(RFC8032_PUBLIC)
    assert parse_public_key(key.public_key_text).verify(RFC8032_SIGNATURE, b"")


def test_public_key_text_is_prefix_and_43_base64url_characters() -> None:
    text = generate_key().public_key_text
    assert text.startswith("ed25519:")
    encoded = text.removeprefix("ed25519:")
    assert len(encoded) == 43 and "=" not in encoded
    assert base64.urlsafe_b64decode(encoded + "=") != b""


def test_parsed_public_key_round_trips_and_compares_by_value() -> None:
    key = generate_key()
    parsed = parse_public_key(key.public_key_text)
    assert parsed.text == key.public_key_text
    assert parsed == key.public_key
    assert hash(parsed) == hash(key.public_key)
    assert parsed != parse_public_key(generate_key().public_key_text)


def test_verify_rejects_another_message_another_key_and_bad_lengths() -> None:
    key = generate_key()
    signature = key.sign(b"message")
    public = key.public_key
    assert public.verify(signature, b"message")
    assert not public.verify(signature, b"messagE")
    assert not generate_key().public_key.verify(signature, b"message")
    assert not public.verify(signature[:-1], b"message")
    assert not public.verify(signature + b"\0", b"message")
    assert not public.verify(b"", b"message")


def test_repr_never_shows_the_private_key() -> None:
    key = _rfc8032_key()
    assert RFC8032_SECRET.hex() not in repr(key)
    assert encode_base64url(RFC8032_SECRET) not in repr(key)
    assert key.public_key_text in repr(key)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must start with 'ed25519:'"),
        ("ED25519:" + "A" * 43, "must start with 'ed25519:'"),
        ("ssh-ed25519 AAAA", "must start with 'ed25519:'"),
        ("ed25519:" + "A" * 42 + "=", "base64url"),
        ("ed25519:" + "A" * 42 + "+", "base64url"),
        ("ed25519:" + "A" * 42 + "B", "base64url"),  # non-zero trailing bits: not canonical
        ("ed25519:" + "A" * 41, "base64url"),  # 41 % 4 == 1: never valid base64
        ("ed25519:" + "A" * 42, "holds 31 bytes"),
        ("ed25519:" + encode_base64url(bytes(33)), "holds 33 bytes"),
        ("ed25519:", "holds 0 bytes"),
    ],
)
def test_bad_public_key_text_is_invalid_input_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason.replace("(", r"\(")):
        parse_public_key(text)


def test_a_non_string_public_key_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="must be a string"):
        parse_public_key(42)  # type: ignore[arg-type]  # the check exists for untyped callers


@given(st.binary(max_size=80))
def test_base64url_round_trips_and_has_one_text_per_value(data: bytes) -> None:
    text = encode_base64url(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert decode_base64url(text) == data


@pytest.mark.parametrize("text", ["A", "AB=", "A B", "AB+/", "AR", "AAB", "é"])
def test_base64url_refuses_padding_foreign_alphabet_and_non_canonical_forms(text: str) -> None:
    assert decode_base64url(text) is None


# -- the key file --------------------------------------------------------------------------


def test_a_new_key_is_created_with_mode_0600_and_loaded_again(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    key, created = load_or_create_key(path)
    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created_again = load_or_create_key(path)
    assert not created_again
    assert again.public_key_text == key.public_key_text
    assert again.sign(b"x") == key.sign(b"x")  # Ed25519 is deterministic (RFC 8032 §5.1.6)
    assert [p.name for p in tmp_path.iterdir()] == ["node.key"]  # no temporary file is left


def test_the_key_file_is_unencrypted_pkcs8_pem(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    key, _ = load_or_create_key(path)
    data = path.read_bytes()
    assert data.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    private = serialization.load_pem_private_key(data, password=None)
    assert isinstance(private, Ed25519PrivateKey)
    assert NodeKey(private).public_key_text == key.public_key_text


def test_the_key_is_private_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        load_or_create_key(tmp_path / "node.key")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "node.key").stat().st_mode) == 0o600


def test_missing_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "home" / "keys" / "node.key"
    _, created = load_or_create_key(path)
    assert created and path.is_file()


def test_an_openssl_written_key_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    path.write_bytes(_rfc8032_key_pem())
    key, created = load_or_create_key(path)
    assert not created
    assert key.sign(b"") == RFC8032_SIGNATURE


def _rfc8032_key_pem() -> bytes:
    return Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a key at all",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        ),
    ],
    ids=["empty", "text", "bad-der", "ec-key", "encrypted"],
)
def test_a_corrupt_key_file_is_a_configuration_error_and_is_kept(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "node.key"
    path.write_bytes(content)
    with pytest.raises(ConfigurationError, match=str(path)):
        load_or_create_key(path)
    assert path.read_bytes() == content  # never overwritten


def test_an_unreadable_key_file_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    path.mkdir()  # a directory where the key should be: reading it fails for every user
    with pytest.raises(ConfigurationError, match=str(path)):
        load_or_create_key(path)


def test_an_unwritable_directory_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file, not a directory")
    with pytest.raises(ConfigurationError, match="cannot write the node key"):
        load_or_create_key(blocker / "node.key")


def test_a_dangling_symlink_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    path.symlink_to(tmp_path / "elsewhere.key")
    with pytest.raises(ConfigurationError, match=str(path)):
        load_or_create_key(path)
    assert path.is_symlink()


def test_concurrent_creators_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    barrier = threading.Barrier(8)

    def create() -> tuple[str, bool]:
        barrier.wait()
        key, created = load_or_create_key(path)
        return key.public_key_text, created

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: create(), range(8)))
    on_disk, _ = load_or_create_key(path)
    # Whoever wrote first wins; every caller ends up with the key that is on disk.
    assert {text for text, _ in results} == {on_disk.public_key_text}
    assert sum(created for _, created in results) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["node.key"]
