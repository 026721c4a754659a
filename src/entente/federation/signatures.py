"""Signed provenance: an Ed25519 signature carried inside the object as a STIX property-extension.

STIX 2.1 §7.3 lets a producer add properties to any object through an ``extension-definition``
whose id keys the object's ``extensions`` dictionary. Entente's definition (``EXTENSION_ID``)
is a property-extension whose content is::

    {"extension_type": "property-extension",          # STIX 2.1 §7.3: required of every extension
     "signer": "identity--...",                       # the signing org
     "algorithm": "Ed25519",                          # RFC 8032
     "canonicalization": "RFC8785",                   # JSON Canonicalization Scheme
     "signature": "<base64url, no padding>",          # RFC 4648 §5
     "derived_from": {"id", "version", "sha256"}}     # optional: a redacted copy's original

The signature covers the RFC 8785 canonical JSON of the whole object with only the
``signature`` member removed, so the signer, algorithm, ``derived_from``, markings and every
other extension are signed too; key order and whitespace never matter. A property-extension only
adds properties under its own key, so a signed object stays a valid STIX 2.1 object for
receivers that do not know the extension.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from entente.errors import InvalidInput, InvalidObject, SignatureError
from entente.federation.keys import NodeKey, PublicKey, decode_base64url, encode_base64url
from entente.stix import canonical_json, is_valid_id, parse_timestamp

__all__ = [
    "ALGORITHM",
    "CANONICALIZATION",
    "EXTENSION_ID",
    "SIGNING_IDENTITY_ID",
    "DerivedFrom",
    "SignatureInfo",
    "derived_from_of",
    "extension_definition",
    "sign_object",
    "signature_info",
    "signing_identity",
    "verify_object",
]

EXTENSION_ID = "extension-definition--4edb2a84-3093-510d-9ee6-68ebf6330495"
"""``deterministic_id("extension-definition", "entente", "signed-provenance", "1.0")``."""

SIGNING_IDENTITY_ID = "identity--2c43352b-9525-57f6-9835-58a926517cce"
"""``deterministic_id("identity", "entente", "project")``: the creator of ``EXTENSION_ID``."""

ALGORITHM = "Ed25519"
CANONICALIZATION = "RFC8785"

# Fixed, so that every node holds the byte-identical definition (one version, one id).
_DEFINED_AT = "2025-01-01T00:00:00.000Z"
_SIGNATURE_SIZE = 64  # RFC 8032 §5.1.6
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_MEMBERS = frozenset(
    {"extension_type", "signer", "algorithm", "canonicalization", "signature", "derived_from"}
)
_DERIVED_MEMBERS = frozenset({"id", "version", "sha256"})
_WHERE = f"extensions.{EXTENSION_ID}"

# STIX 2.1 §7.3: ``schema`` is "the normative definition of the extension, either as a URL or
# as plain text explaining the definition"; no URL is reachable from every node, so: text.
_SCHEMA = (
    "Property-extension (STIX 2.1 §7.3) on any STIX object. Members: extension_type "
    '"property-extension"; signer, the identity id of the signing organization; algorithm '
    '"Ed25519" (RFC 8032); canonicalization "RFC8785"; signature, the 64-byte Ed25519 signature '
    "in base64url without padding (RFC 4648 §5) over the RFC 8785 canonical JSON of the whole "
    "object with only this extension's signature member removed; optional derived_from, for a "
    "redacted copy: {id, version (the original's modified, or created), sha256 (lower-case hex "
    "SHA-256 of the original's RFC 8785 canonical JSON without this extension's signature "
    "member)}. No other members."
)


class DerivedFrom(NamedTuple):
    """The original version a redacted copy derives from, and the hash of its content."""

    id: str
    version: str
    sha256: str


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """What an object's Entente signature extension says (not yet whether it verifies)."""

    signer: str
    algorithm: str
    canonicalization: str
    signature: bytes
    derived_from: DerivedFrom | None


def signing_identity() -> dict[str, Any]:
    """The Entente project identity that creates ``extension_definition()`` (§4.5)."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": SIGNING_IDENTITY_ID,
        "created": _DEFINED_AT,
        "modified": _DEFINED_AT,
        "name": "Entente project",
        "description": "The Entente software project, author of the STIX extensions it defines.",
        "identity_class": "organization",
    }


def extension_definition() -> dict[str, Any]:
    """The ``extension-definition`` object (STIX 2.1 §7.3) of Entente signed provenance."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": SIGNING_IDENTITY_ID,
        "created": _DEFINED_AT,
        "modified": _DEFINED_AT,
        "name": "Entente signed provenance",
        "description": (
            "An Ed25519 signature by the organization that created (or redacted) this object "
            "version, over its RFC 8785 canonical JSON, so that any node can check who vouches "
            "for it and that nothing was altered on the way."
        ),
        "schema": _SCHEMA,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def _object_id(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("id")
    return value if isinstance(value, str) else None


def _without_signature(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` with only our extension's ``signature`` member removed.

    Only the path to that member is copied; other values are shared with ``obj``, which is
    never modified.
    """
    value = dict(obj)
    extensions = value.get("extensions")
    if isinstance(extensions, Mapping):
        extensions = dict(extensions)
        ours = extensions.get(EXTENSION_ID)
        if isinstance(ours, Mapping):
            extensions[EXTENSION_ID] = {k: v for k, v in ours.items() if k != "signature"}
        value["extensions"] = extensions
    return value


def _canonical(value: Mapping[str, Any], object_id: str | None) -> bytes:
    try:
        return canonical_json(value)
    except (ValueError, TypeError, RecursionError) as exc:
        # RFC 8785 has no form for NaN, infinities, unsafe integers or lone surrogates.
        raise SignatureError(
            f"the object has no RFC 8785 canonical form, so no signature can cover it: {exc}",
            "",
            object_id,
        ) from exc


def _derived(value: object, object_id: str | None) -> DerivedFrom:
    where = f"{_WHERE}.derived_from"
    if not isinstance(value, Mapping):
        raise SignatureError("must be an object {id, version, sha256}", where, object_id)
    unknown = sorted(map(str, set(value) - _DERIVED_MEMBERS))
    if unknown:
        raise SignatureError(f"unknown member {unknown[0]!r}", where, object_id)
    original = value.get("id")
    if not isinstance(original, str) or not is_valid_id(original):
        raise SignatureError("must be a STIX id (§2.9)", f"{where}.id", object_id)
    version = value.get("version")
    try:
        parse_timestamp(version, f"{where}.version")
    except InvalidObject as exc:
        raise SignatureError(exc.reason, exc.field, object_id) from exc
    digest = value.get("sha256")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise SignatureError(
            "must be 64 lower-case hex digits (SHA-256)", f"{where}.sha256", object_id
        )
    return DerivedFrom(original, str(version), digest)  # parse_timestamp took a str


def signature_info(obj: Mapping[str, Any]) -> SignatureInfo | None:
    """The Entente signature an object carries; ``None`` if it has none.

    A present but malformed extension raises ``SignatureError`` naming the member.
    """
    extensions = obj.get("extensions")
    if not isinstance(extensions, Mapping) or EXTENSION_ID not in extensions:
        return None
    object_id = _object_id(obj)
    ours = extensions[EXTENSION_ID]
    if not isinstance(ours, Mapping):
        raise SignatureError("must be a JSON object", _WHERE, object_id)
    unknown = sorted(map(str, set(ours) - _MEMBERS))
    if unknown:
        raise SignatureError(f"unknown member {unknown[0]!r}", _WHERE, object_id)
    if ours.get("extension_type") != "property-extension":
        raise SignatureError(
            "must be 'property-extension' (§7.3)", f"{_WHERE}.extension_type", object_id
        )
    signer = ours.get("signer")
    if not isinstance(signer, str) or not is_valid_id(signer, "identity"):
        raise SignatureError("must be an identity id (§2.9)", f"{_WHERE}.signer", object_id)
    texts: dict[str, str] = {}
    for member in ("algorithm", "canonicalization", "signature"):
        value = ours.get(member)
        if not isinstance(value, str) or not value:
            raise SignatureError("is required: a string", f"{_WHERE}.{member}", object_id)
        texts[member] = value
    signature = decode_base64url(texts["signature"])
    if signature is None or len(signature) != _SIGNATURE_SIZE:
        raise SignatureError(
            "must be a 64-byte Ed25519 signature (RFC 8032 §5.1.6) in base64url without "
            "padding (RFC 4648 §5)",
            f"{_WHERE}.signature",
            object_id,
        )
    derived = ours.get("derived_from")
    return SignatureInfo(
        signer=signer,
        algorithm=texts["algorithm"],
        canonicalization=texts["canonicalization"],
        signature=signature,
        derived_from=None if derived is None else _derived(derived, object_id),
    )


def sign_object(
    obj: Mapping[str, Any],
    *,
    signer: str,
    key: NodeKey,
    derived_from: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A copy of ``obj`` signed by ``signer`` with ``key``, replacing any earlier Entente one.

    ``derived_from`` (see ``derived_from_of``) marks the copy as a redaction of that original.
    Only the path to the extension is copied; other values are shared with ``obj``.
    """
    object_id = _object_id(obj)
    if not is_valid_id(signer, "identity"):
        raise InvalidInput(f"signer {signer!r} is not an identity id (STIX 2.1 §2.9)")
    ours: dict[str, Any] = {
        "extension_type": "property-extension",
        "signer": signer,
        "algorithm": ALGORITHM,
        "canonicalization": CANONICALIZATION,
    }
    if derived_from is not None:
        ours["derived_from"] = _derived(derived_from, object_id)._asdict()
    signed = dict(obj)
    extensions = signed.get("extensions")
    if extensions is not None and not isinstance(extensions, Mapping):
        raise InvalidObject("must be a JSON object (§7.3)", "extensions", object_id)
    signed["extensions"] = {**(extensions or {}), EXTENSION_ID: ours}
    signature = key.sign(_canonical(signed, object_id))
    ours["signature"] = encode_base64url(signature)
    return signed


def verify_object(obj: Mapping[str, Any], key: PublicKey) -> SignatureInfo:
    """The object's signature information once it verifies under ``key``; else ``SignatureError``.

    ``key`` must be the signer's: the caller looks it up by ``signature_info(obj).signer``.
    """
    object_id = _object_id(obj)
    info = signature_info(obj)
    if info is None:
        raise SignatureError("carries no Entente signature", _WHERE, object_id)
    if info.algorithm != ALGORITHM:
        raise SignatureError(
            f"unsupported algorithm {info.algorithm!r}: only {ALGORITHM} (RFC 8032)",
            f"{_WHERE}.algorithm",
            object_id,
        )
    if info.canonicalization != CANONICALIZATION:
        raise SignatureError(
            f"unsupported canonicalization {info.canonicalization!r}: only {CANONICALIZATION}",
            f"{_WHERE}.canonicalization",
            object_id,
        )
    if not key.verify(info.signature, _canonical(_without_signature(obj), object_id)):
        raise SignatureError(
            f"signature does not verify for signer {info.signer}", f"{_WHERE}.signature", object_id
        )
    return info


def derived_from_of(original: Mapping[str, Any]) -> dict[str, str]:
    """The ``derived_from`` record naming ``original``: its id, version and content hash.

    The hash is SHA-256 over the original's RFC 8785 canonical JSON without its own signature
    member, which is exactly what its signer signed, so an original held signed or unsigned
    gives the same record.
    """
    object_id = _object_id(original)
    if object_id is None or not is_valid_id(object_id):
        raise InvalidObject("is required: a STIX id (§2.9)", "id", object_id)
    version = original.get("modified", original.get("created"))
    if not isinstance(version, str):
        raise InvalidObject(
            "a versioned original needs modified or created (§3.6)", "modified", object_id
        )
    digest = hashlib.sha256(_canonical(_without_signature(original), object_id)).hexdigest()
    return {"id": object_id, "version": version, "sha256": digest}
