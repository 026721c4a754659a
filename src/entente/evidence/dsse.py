"""in-toto Statement v1 in a DSSE envelope, signed with Ed25519.

DSSE (secure-systems-lab/dsse, envelope.md and protocol.md): the signature covers
``PAE(payloadType, payload)`` =
``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` with LEN the decimal byte length, so the
payload type cannot be swapped. The payload is an in-toto Statement v1 (in-toto attestation
spec, v1/statement.md): ``_type``, ``subject`` (name + digest), ``predicateType``, ``predicate``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from entente.errors import MalformedDocument
from entente.evidence.model import key_id
from entente.federation.keys import NodeKey

__all__ = [
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "SEAL_TYPE",
    "STATEMENT_TYPE",
    "envelope",
    "pae",
    "read_envelope",
    "sign",
    "statement",
]

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:entente:evidence-package:v1"
# The node's seal over the timestamp files, made after the TSA answers (see writer).
SEAL_TYPE = "application/vnd.entente.timestamp-seal+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding (protocol.md)."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def statement(
    files: Mapping[str, bytes],
    predicate: Mapping[str, Any],
    predicate_type: str = PREDICATE_TYPE,
) -> bytes:
    """The Statement listing the SHA-256 of every file (sorted by name), as canonical bytes;
    ``predicate_type`` says what the predicate is (an evidence package's, by default)."""
    subject = [
        {"name": name, "digest": {"sha256": hashlib.sha256(files[name]).hexdigest()}}
        for name in sorted(files)
    ]
    document = {
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def sign(key: NodeKey, payload: bytes, payload_type: str = PAYLOAD_TYPE) -> dict[str, str]:
    """One DSSE signature entry of ``payload`` by ``key`` (Ed25519 is deterministic)."""
    signature = key.sign(pae(payload_type, payload))
    return {"keyid": key_id(key.public_key), "sig": base64.b64encode(signature).decode("ascii")}


def envelope(
    payload: bytes, signatures: list[dict[str, str]], payload_type: str = PAYLOAD_TYPE
) -> bytes:
    """The DSSE envelope (envelope.md: payload and sig in standard base64)."""
    document = {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": signatures,
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def _decode(text: object) -> bytes:
    # Only the canonical base64 of the bytes (RFC 4648 §3.5, unused bits zero): otherwise a
    # flipped low bit of a last character would decode to the same bytes and go unseen.
    if not isinstance(text, str):
        raise TypeError("base64 text expected")
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode("ascii") != text:
        raise binascii.Error("not the canonical base64 of its bytes")
    return data


def read_envelope(
    data: bytes, payload_type: str = PAYLOAD_TYPE
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The payload and the (keyid, signature) pairs of an envelope; refuses any other shape."""
    try:
        document = orjson.loads(data)
        if document.get("payloadType") != payload_type:
            raise MalformedDocument(f"payloadType is not {payload_type}")
        payload = _decode(document["payload"])
        signatures = [
            (str(entry["keyid"]), _decode(entry["sig"])) for entry in document["signatures"]
        ]
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, binascii.Error) as exc:
        raise MalformedDocument(f"not a DSSE envelope: {exc}") from exc
    return payload, signatures
