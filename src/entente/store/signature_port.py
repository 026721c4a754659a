"""The signature port: this node's signatures of its own object versions, made once, kept.

A node signs what its org created once (ADR 0025: in signed batches) and serves the kept
signature to every partner afterwards, instead of signing on every read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["SignatureStore", "StoredSignature"]


@dataclass(frozen=True, slots=True)
class StoredSignature:
    """This node's signature extension for one stored version, and what content it covers.

    ``content_sha256`` is the lower-case hex SHA-256 of the stored version's ``raw_json``: a
    signature kept for other bytes (a version corrected in place) is not served.
    ``extension`` is the JSON text of the signature extension's content.
    """

    id: str
    version: str
    content_sha256: str
    extension: str


class SignatureStore(Protocol):
    """Where this node keeps the signatures it made of its own versions."""

    def put(self, signatures: Sequence[StoredSignature]) -> None:
        """Keep these signatures (replacing any kept for the same version), durably."""
        ...

    def get(self, keys: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], StoredSignature]:
        """The signatures kept for these ``(id, version)`` keys; missing ones are left out."""
        ...
