"""The neutral input of an evidence package and the trust root it declares.

The case export fills ``EvidenceInput`` from a case (only what the recipient's agreement
allows); this package does not read the store, so it can be built and tested on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from entente.errors import InvalidInput
from entente.federation.keys import PublicKey, parse_public_key

__all__ = [
    "Authorization",
    "EvidenceInput",
    "Exhibit",
    "InvestigativeAction",
    "TrustRoot",
    "TrustedKey",
    "key_id",
]


@dataclass(frozen=True, slots=True)
class Authorization:
    """What authorises the investigation and the sharing: the sharing agreement."""

    agreement_id: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class InvestigativeAction:
    """One thing an investigator did; ``exhibits`` are the numbers of what it produced."""

    name: str
    performer: str
    start_time: str  # RFC 3339 UTC, as STIX writes timestamps
    end_time: str
    description: str = ""
    exhibits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Exhibit:
    """A numbered item of evidence: an artifact file of the package (``artifacts/<name>``)."""

    number: str
    artifact: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    """Everything one package holds, already filtered for its recipient."""

    case_id: str
    title: str
    case_type: str
    authorization: Authorization
    actions: tuple[InvestigativeAction, ...]
    exhibits: tuple[Exhibit, ...]
    stix_objects: tuple[Mapping[str, Any], ...]
    artifacts: Mapping[str, bytes]
    custody: tuple[Mapping[str, Any], ...]  # already hash-chained by the caller (custody.py)
    report_markdown: str
    created: str  # RFC 3339 UTC: the package's one timestamp, so the same input gives same bytes
    recipient: str = ""


def key_id(public_key: PublicKey) -> str:
    """A key's DSSE ``keyid``: the SHA-256 (hex) of its ``ed25519:`` text."""
    return hashlib.sha256(public_key.text.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One key the package trusts, and whose key it is."""

    name: str
    public_key: PublicKey

    @property
    def keyid(self) -> str:
        """The key's DSSE keyid."""
        return key_id(self.public_key)


@dataclass(frozen=True, slots=True)
class TrustRoot:
    """``trust.json``: the keys that may sign, how many must, and which one is the node's."""

    keys: tuple[TrustedKey, ...]
    threshold: int
    node_keyid: str

    def __post_init__(self) -> None:
        ids = [key.keyid for key in self.keys]
        if len(set(ids)) != len(ids):
            raise InvalidInput("trust root: a key is listed twice")
        if not 1 <= self.threshold <= len(ids):
            raise InvalidInput(
                f"trust root: threshold {self.threshold} must be between 1 and {len(ids)}"
            )
        if self.node_keyid not in ids:
            raise InvalidInput("trust root: the node's key is not among the keys")

    def key(self, keyid: str) -> TrustedKey | None:
        """The trusted key with this keyid, if any."""
        return next((key for key in self.keys if key.keyid == keyid), None)

    def to_json(self) -> dict[str, Any]:
        """The ``trust.json`` document."""
        return {
            "threshold": self.threshold,
            "node_keyid": self.node_keyid,
            "keys": [
                {"keyid": key.keyid, "name": key.name, "public_key": key.public_key.text}
                for key in self.keys
            ],
        }

    @classmethod
    def from_json(cls, data: object) -> TrustRoot:
        """Read ``trust.json``; ``InvalidInput`` says what is wrong."""
        if not isinstance(data, dict):
            raise InvalidInput("trust.json must hold a JSON object")
        threshold, node_keyid, keys = (
            data.get("threshold"),
            data.get("node_keyid"),
            data.get("keys"),
        )
        if type(threshold) is not int or not isinstance(node_keyid, str):
            raise InvalidInput("trust.json: threshold (integer) and node_keyid (string) needed")
        if not isinstance(keys, list):
            raise InvalidInput("trust.json: keys must be a list")
        trusted = []
        for entry in keys:
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(name), str) for name in ("name", "public_key")
            ):
                raise InvalidInput("trust.json: each key needs a name and a public_key")
            key = TrustedKey(entry["name"], parse_public_key(entry["public_key"]))
            if entry.get("keyid") != key.keyid:
                raise InvalidInput(f"trust.json: keyid of {key.name!r} is not its key's")
            trusted.append(key)
        return cls(tuple(trusted), threshold, node_keyid)
