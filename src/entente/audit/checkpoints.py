"""Signed checkpoints: the node's Ed25519 signature (RFC 8032) over (chain, sequence, head, time).

A checkpoint commits to every entry up to its sequence number, because the head hash covers
them all; whoever holds the node's public key can check that nothing before it was changed,
dropped or reordered since it was signed, without trusting the store.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Final, Protocol

import orjson

__all__ = [
    "CHECKPOINT_TYPE",
    "Checkpoint",
    "Signer",
    "Verifier",
    "checkpoint_message",
    "decode_signature",
    "sign_checkpoint",
]

# Domain separation: a checkpoint signature can never be taken for any other signed document.
CHECKPOINT_TYPE: Final = "entente-audit-checkpoint"


class Signer(Protocol):
    """A key that signs (``federation.keys.NodeKey``)."""

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of ``data``."""
        ...

    @property
    def public_key_text(self) -> str:
        """The public key as ``ed25519:<base64url>``."""
        ...


class Verifier(Protocol):
    """A public key that checks signatures (``federation.keys.PublicKey``)."""

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is a valid signature of ``data``."""
        ...


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that ``chain`` had head ``head`` at entry ``seq`` at ``time_us``.

    ``key`` is the signer's public key text; ``signature`` is base64url without padding.
    """

    chain: str
    seq: int
    head: str
    time_us: int
    key: str
    signature: str


def checkpoint_message(chain: str, seq: int, head: str, time_us: int) -> bytes:
    """The bytes a checkpoint signs: canonical JSON of its type and its four facts."""
    document = {
        "type": CHECKPOINT_TYPE,
        "chain": chain,
        "seq": seq,
        "head": head,
        "time_us": time_us,
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_signature(text: str) -> bytes | None:
    """The signature bytes of unpadded base64url ``text`` (RFC 4648 §5), or None."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _encode(data) == text else None


def sign_checkpoint(chain: str, seq: int, head: str, time_us: int, signer: Signer) -> Checkpoint:
    """A checkpoint of ``chain`` at ``seq`` signed by ``signer``."""
    signature = signer.sign(checkpoint_message(chain, seq, head, time_us))
    return Checkpoint(chain, seq, head, time_us, signer.public_key_text, _encode(signature))
