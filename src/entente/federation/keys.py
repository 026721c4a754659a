"""A node's Ed25519 signing key (RFC 8032) and partners' public keys in their text form.

A public key travels as ``ed25519:`` followed by the 32 raw public-key octets of RFC 8032
§5.1.5 in base64url without padding (RFC 4648 §5, §3.2). The private key lives in one file,
PEM-encoded unencrypted PKCS#8 (RFC 8410 §7), readable by its owner only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from entente.errors import ConfigurationError, InvalidInput

__all__ = [
    "PUBLIC_KEY_PREFIX",
    "NodeKey",
    "PublicKey",
    "decode_base64url",
    "encode_base64url",
    "generate_key",
    "load_or_create_key",
    "parse_public_key",
]

PUBLIC_KEY_PREFIX = "ed25519:"
_PUBLIC_KEY_SIZE = 32  # RFC 8032 §5.1.5: the public key is 32 octets
_SIGNATURE_SIZE = 64  # RFC 8032 §5.1.6: the signature is 64 octets
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def encode_base64url(data: bytes) -> str:
    """``data`` in base64url without padding (RFC 4648 §5, §3.2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(text: str) -> bytes | None:
    """The bytes of unpadded base64url ``text``; ``None`` unless it is their one canonical form.

    Only the canonical form is accepted (RFC 4648 §3.5: unused trailing bits zero), so each
    byte string has exactly one text: a key or signature cannot be re-spelled.
    """
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if encode_base64url(data) == text else None


class PublicKey:
    """An Ed25519 public key (RFC 8032) and its ``ed25519:<base64url>`` text."""

    __slots__ = ("_key", "_raw")

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key
        self._raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def text(self) -> str:
        """The key as partner cards and configuration write it: ``ed25519:<base64url>``."""
        return PUBLIC_KEY_PREFIX + encode_base64url(self._raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is a valid Ed25519 signature of ``data`` (RFC 8032 §5.1.7)."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        try:
            self._key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self._raw == other._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"PublicKey({self.text!r})"


class NodeKey:
    """This node's Ed25519 private key: it signs; it never prints its secret."""

    __slots__ = ("_private", "_public")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self._public = PublicKey(private.public_key())

    def sign(self, data: bytes) -> bytes:
        """The 64-octet Ed25519 signature of ``data`` (RFC 8032 §5.1.6; deterministic)."""
        return self._private.sign(data)

    @property
    def public_key(self) -> PublicKey:
        """The matching public key."""
        return self._public

    @property
    def public_key_text(self) -> str:
        """The public key as ``ed25519:<base64url of the 32 raw octets, no padding>``."""
        return self._public.text

    def __repr__(self) -> str:
        return f"NodeKey(public_key={self.public_key_text!r})"


def generate_key() -> NodeKey:
    """A new random Ed25519 key (RFC 8032 §5.1.5)."""
    return NodeKey(Ed25519PrivateKey.generate())


def parse_public_key(text: str) -> PublicKey:
    """The public key written as ``ed25519:<base64url>``; ``InvalidInput`` says what is wrong."""
    if not isinstance(text, str):
        raise InvalidInput(f"a public key must be a string, not {type(text).__name__}")
    if not text.startswith(PUBLIC_KEY_PREFIX):
        shown = text[:16] + ("..." if len(text) > 16 else "")
        raise InvalidInput(f"public key {shown!r} must start with {PUBLIC_KEY_PREFIX!r}")
    raw = decode_base64url(text[len(PUBLIC_KEY_PREFIX) :])
    if raw is None:
        raise InvalidInput(
            f"public key {text!r}: after {PUBLIC_KEY_PREFIX!r} comes canonical base64url "
            "without padding (RFC 4648 §5)"
        )
    if len(raw) != _PUBLIC_KEY_SIZE:
        raise InvalidInput(
            f"public key {text!r} holds {len(raw)} bytes; an Ed25519 public key is "
            f"{_PUBLIC_KEY_SIZE} (RFC 8032 §5.1.5)"
        )
    try:
        return PublicKey(Ed25519PublicKey.from_public_bytes(raw))
    except ValueError as exc:
        raise InvalidInput(f"public key {text!r} is not an Ed25519 public key: {exc}") from exc


def _load_key(path: Path) -> NodeKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigurationError(f"cannot read the node key {path}: {reason}") from exc
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # TypeError: the PEM is encrypted; ValueError: not a PEM private key at all.
        raise ConfigurationError(
            f"the node key {path} is not an unencrypted PEM PKCS#8 private key: {exc}"
        ) from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigurationError(
            f"the node key {path} is a {type(private).__name__}, not an Ed25519 key (RFC 8032)"
        )
    return NodeKey(private)


def _fsync_directory(directory: Path) -> None:
    # POSIX: a rename or link is durable only once its directory is synced; some platforms
    # cannot open a directory, which is then the best that can be done.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publish(temporary: Path, path: Path) -> bool:
    """Put ``temporary`` at ``path`` atomically unless a key is there; True if it was placed."""
    try:
        # link(2) is atomic and never replaces: a key another process wrote first survives.
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError:
        # Filesystems without hard links: rename(2) is atomic too, but would replace a key
        # written since the check, so look once more right before it.
        if path.exists():
            return False
        temporary.replace(path)
    return True


def _unwritable(path: Path, exc: OSError) -> ConfigurationError:
    return ConfigurationError(f"cannot write the node key {path}: {exc.strerror or exc}")


def load_or_create_key(path: Path) -> tuple[NodeKey, bool]:
    """The key stored at ``path``, or a new one written there; True if it was created.

    A new key is written to a temporary file in the same directory, created with mode 0o600
    and synced, then moved into place atomically: a crash leaves either no key or a whole one.
    An existing key is never overwritten, not even one written by a concurrent process; one
    that cannot be read or parsed is a ``ConfigurationError`` naming the path.
    """
    if path.exists() or path.is_symlink():
        return _load_key(path), False
    private = Ed25519PrivateKey.generate()
    # RFC 8410 §7 / RFC 7468 §10: unencrypted PKCS#8 PEM, as `openssl genpkey` writes it.
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    directory = path.parent
    temporary = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Mode 0o600 from creation: the secret is never readable by others, not even briefly.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        placed = _publish(temporary, path)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    if not placed:
        return _load_key(path), False  # another process created it first: use theirs
    _fsync_directory(directory)
    return NodeKey(private), True
