"""Signed provenance: an Ed25519 signature carried inside the object as a STIX property-extension.

STIX 2.1 §7.3 lets a producer add properties to any object through an ``extension-definition``
whose id keys the object's ``extensions`` dictionary. Entente's definition (``EXTENSION_ID``)
is a property-extension whose content is::

    {"extension_type": "property-extension",          # STIX 2.1 §7.3: required of every extension
     "signer": "identity--...",                       # the signing org
     "algorithm": "Ed25519",                          # RFC 8032
     "canonicalization": "RFC8785",                   # JSON Canonicalization Scheme
     "signature": "<base64url, no padding>",          # RFC 4648 §5 (per-object form)
     "batch": {"id", "tree_size", "leaf_index",       # or: signed batch form (ADR 0025)
               "audit_path", "root_signature"},
     "derived_from": {"id", "version", "sha256"}}     # optional: a redacted copy's original

An object carries either ``signature`` or ``batch``. What is signed is the same in both forms:
the RFC 8785 canonical JSON of the whole object with only the ``signature`` and ``batch``
members removed (the *leaf*), so the signer, algorithm, ``derived_from``, markings and every
other extension are covered; key order and whitespace never matter.

* Per object: ``signature`` is the Ed25519 signature of the leaf.
* Signed batch: the leaves of one batch are the leaves of an RFC 9162 §2.1 Merkle tree;
  ``root_signature`` is the Ed25519 signature of the batch statement (``batch_statement``:
  signer, batch id, tree size and root hash), and ``audit_path`` the leaf's inclusion proof
  (RFC 9162 §2.1.3). A receiver verifies each distinct statement once (``VerifiedRoots``) and
  every other object of the batch by hashing: its leaf, the path, the root.

A property-extension only adds properties under its own key, so a signed object stays a valid
STIX 2.1 object for receivers that do not know the extension.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from entente.errors import InvalidInput, InvalidObject, SignatureError
from entente.federation.keys import NodeKey, PublicKey, decode_base64url, encode_base64url
from entente.federation.merkle import (
    HASH_SIZE,
    PathMemo,
    hash_leaf,
    inclusion_proofs,
)
from entente.stix import canonical_json, is_valid_id, parse_timestamp

__all__ = [
    "ALGORITHM",
    "BATCH_STATEMENT",
    "CANONICALIZATION",
    "EXTENSION_ID",
    "SIGNING_IDENTITY_ID",
    "BatchProof",
    "DerivedFrom",
    "SignatureInfo",
    "VerifiedRoots",
    "batch_statement",
    "derived_from_of",
    "extension_definition",
    "sign_batch",
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
# Version 1.1.0 added the signed-batch form (ADR 0025): a new version of the definition.
_BATCHES_AT = "2026-12-06T00:00:00.000Z"
_SIGNATURE_SIZE = 64  # RFC 8032 §5.1.6
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_MEMBERS = frozenset(
    {
        "extension_type",
        "signer",
        "algorithm",
        "canonicalization",
        "signature",
        "batch",
        "derived_from",
    }
)
_PROOF_MEMBERS = ("signature", "batch")  # what the leaf leaves out
_DERIVED_MEMBERS = frozenset({"id", "version", "sha256"})
_BATCH_MEMBERS = frozenset({"id", "tree_size", "leaf_index", "audit_path", "root_signature"})
_BATCH_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# A batch is at most this many leaves: a path is then at most 20 hashes (RFC 9162 §2.1.3).
_MAX_TREE_SIZE = 1 << 20
BATCH_STATEMENT = "entente signed batch 1.0"
"""What a batch root signature says it is, so that it is never taken for another message."""
_WHERE = f"extensions.{EXTENSION_ID}"

# STIX 2.1 §7.3: ``schema`` is "the normative definition of the extension, either as a URL or
# as plain text explaining the definition"; no URL is reachable from every node, so: text.
_SCHEMA = (
    "Property-extension (STIX 2.1 §7.3) on any STIX object. Members: extension_type "
    '"property-extension"; signer, the identity id of the signing organization; algorithm '
    '"Ed25519" (RFC 8032); canonicalization "RFC8785"; signature, the 64-byte Ed25519 signature '
    "in base64url without padding (RFC 4648 §5) over the RFC 8785 canonical JSON of the whole "
    "object with only this extension's signature and batch members removed (the leaf); or, "
    "instead of signature, batch: {id (1-128 of A-Z a-z 0-9 . _ : -), tree_size, leaf_index, "
    "audit_path (the leaf's RFC 9162 section 2.1.3 inclusion proof: its SHA-256 hashes, leaf to "
    "root, concatenated, in base64url), "
    'root_signature (Ed25519 over the RFC 8785 canonical JSON {statement: "entente signed batch '
    '1.0", signer, batch, tree_size, root (base64url of the RFC 9162 section 2.1 Merkle tree '
    "hash of the batch's leaves)})}; optional derived_from, for a "
    "redacted copy: {id, version (the original's modified, or created), sha256 (lower-case hex "
    "SHA-256 of the original's RFC 8785 canonical JSON without this extension's signature and "
    "batch members)}. No other members."
)


class DerivedFrom(NamedTuple):
    """The original version a redacted copy derives from, and the hash of its content."""

    id: str
    version: str
    sha256: str


@dataclass(frozen=True, slots=True)
class BatchProof:
    """A signed batch's proof that one object is among its leaves (RFC 9162 §2.1.3)."""

    id: str
    tree_size: int
    leaf_index: int
    audit_path: tuple[bytes, ...]
    root_signature: bytes


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """What an object's Entente signature extension says (not yet whether it verifies).

    ``signature`` is the per-object signature, or the batch root signature when ``batch`` is
    set.
    """

    signer: str
    algorithm: str
    canonicalization: str
    signature: bytes
    derived_from: DerivedFrom | None
    batch: BatchProof | None = None


class VerifiedRoots:
    """The batch roots already verified, so that each batch costs one Ed25519 check.

    Only roots whose statement signature verified are remembered, keyed by the key and every
    part of the statement and its signature: a tampered object or proof gives another root,
    which is checked (and fails) on its own. One instance lives as long as one sync run.
    ``paths`` remembers the audit paths walked (``merkle.PathMemo``), so that each object of
    a batch costs its leaf hash and a hash or two rather than a whole path.
    """

    __slots__ = ("_seen", "paths")

    def __init__(self) -> None:
        self._seen: set[tuple[PublicKey, str, str, int, bytes, bytes]] = set()
        self.paths = PathMemo()

    def verify(
        self,
        key: PublicKey,
        signer: str,
        batch: BatchProof,
        root: bytes,
    ) -> bool:
        """Whether ``batch.root_signature`` signs this root's statement under ``key`` (once)."""
        entry = (key, signer, batch.id, batch.tree_size, root, batch.root_signature)
        if entry in self._seen:
            return True
        statement = batch_statement(signer, batch.id, batch.tree_size, root)
        if not key.verify(batch.root_signature, statement):
            return False
        self._seen.add(entry)
        return True

    def __len__(self) -> int:
        return len(self._seen)


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
        "modified": _BATCHES_AT,
        "name": "Entente signed provenance",
        "description": (
            "An Ed25519 signature by the organization that created (or redacted) this object "
            "version, over its RFC 8785 canonical JSON, so that any node can check who vouches "
            "for it and that nothing was altered on the way."
        ),
        "schema": _SCHEMA,
        "version": "1.1.0",
        "extension_types": ["property-extension"],
    }


def _object_id(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("id")
    return value if isinstance(value, str) else None


def _without_signature(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The leaf: a copy of ``obj`` with only our extension's proof members removed.

    Only the path to that member is copied; other values are shared with ``obj``, which is
    never modified.
    """
    value = dict(obj)
    extensions = value.get("extensions")
    if isinstance(extensions, Mapping):
        extensions = dict(extensions)
        ours = extensions.get(EXTENSION_ID)
        if isinstance(ours, Mapping):
            extensions[EXTENSION_ID] = {k: v for k, v in ours.items() if k not in _PROOF_MEMBERS}
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
    for member in ("algorithm", "canonicalization"):
        value = ours.get(member)
        if not isinstance(value, str) or not value:
            raise SignatureError("is required: a string", f"{_WHERE}.{member}", object_id)
        texts[member] = value
    batch: BatchProof | None = None
    if "batch" in ours:
        if "signature" in ours:
            raise SignatureError(
                "carries both signature and batch: one form or the other",
                f"{_WHERE}.signature",
                object_id,
            )
        batch = _batch(ours["batch"], object_id)
        signature = batch.root_signature
    else:
        text = ours.get("signature")
        if not isinstance(text, str) or not text:
            raise SignatureError(
                "is required: a string (or a batch proof)", f"{_WHERE}.signature", object_id
            )
        signature = _signature_bytes(text, f"{_WHERE}.signature", object_id)
    derived = ours.get("derived_from")
    return SignatureInfo(
        signer=signer,
        algorithm=texts["algorithm"],
        canonicalization=texts["canonicalization"],
        signature=signature,
        derived_from=None if derived is None else _derived(derived, object_id),
        batch=batch,
    )


# A batch's root signature is the same text in each of its (up to 2^20) objects: decoded once.
_root_signature = functools.lru_cache(maxsize=64)(decode_base64url)


def _signature_bytes(
    text: object, where: str, object_id: str | None, *, shared: bool = False
) -> bytes:
    if not isinstance(text, str):
        signature = None
    else:
        signature = _root_signature(text) if shared else decode_base64url(text)
    if signature is None or len(signature) != _SIGNATURE_SIZE:
        raise SignatureError(
            "must be a 64-byte Ed25519 signature (RFC 8032 §5.1.6) in base64url without "
            "padding (RFC 4648 §5)",
            where,
            object_id,
        )
    return signature


def _count(value: object, where: str, object_id: str | None, low: int, high: int) -> int:
    # bool is an int in Python, never in JSON.
    if type(value) is not int or not low <= value <= high:
        raise SignatureError(f"must be an integer from {low} to {high}", where, object_id)
    return value


def _batch(value: object, object_id: str | None) -> BatchProof:
    where = f"{_WHERE}.batch"
    if not isinstance(value, Mapping):
        raise SignatureError(
            "must be an object {id, tree_size, leaf_index, audit_path, root_signature}",
            where,
            object_id,
        )
    unknown = sorted(map(str, set(value) - _BATCH_MEMBERS))
    if unknown:
        raise SignatureError(f"unknown member {unknown[0]!r}", where, object_id)
    batch_id = value.get("id")
    if not isinstance(batch_id, str) or not _BATCH_ID.fullmatch(batch_id):
        raise SignatureError("must be 1-128 of A-Z a-z 0-9 . _ : -", f"{where}.id", object_id)
    size = _count(value.get("tree_size"), f"{where}.tree_size", object_id, 1, _MAX_TREE_SIZE)
    index = _count(value.get("leaf_index"), f"{where}.leaf_index", object_id, 0, size - 1)
    # RFC 9162 §2.1.3: a path is at most ceil(log2(tree_size)) hashes; they travel as one
    # base64url text of the hashes concatenated, leaf to root (one decoding per object).
    text = value.get("audit_path")
    joined = decode_base64url(text) if isinstance(text, str) else None
    if joined is None or len(joined) % HASH_SIZE or len(joined) > HASH_SIZE * size.bit_length():
        raise SignatureError(
            "must be SHA-256 hashes, concatenated, in base64url without padding (RFC 4648 §5)",
            f"{where}.audit_path",
            object_id,
        )
    hashes = [joined[at : at + HASH_SIZE] for at in range(0, len(joined), HASH_SIZE)]
    signature = _signature_bytes(
        value.get("root_signature"), f"{where}.root_signature", object_id, shared=True
    )
    return BatchProof(batch_id, size, index, tuple(hashes), signature)


def batch_statement(signer: str, batch_id: str, tree_size: int, root: bytes) -> bytes:
    """The bytes a batch root signature covers: RFC 8785 JSON naming signer, batch and root."""
    return canonical_json(
        {
            "statement": BATCH_STATEMENT,
            "signer": signer,
            "batch": batch_id,
            "tree_size": tree_size,
            "root": encode_base64url(root),
        }
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
    signed, ours = _unsigned_leaf(obj, signer, derived_from)
    signature = key.sign(_canonical(signed, _object_id(obj)))
    ours["signature"] = encode_base64url(signature)
    return signed


def _unsigned_leaf(
    obj: Mapping[str, Any], signer: str, derived_from: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of ``obj`` with our extension but no proof yet (the leaf), and that extension."""
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
    return signed, ours


def sign_batch(
    objects: Sequence[Mapping[str, Any]],
    *,
    signer: str,
    key: NodeKey,
    batch_id: str,
    derived_from: Sequence[Mapping[str, Any] | None] | None = None,
) -> list[dict[str, Any]]:
    """Copies of ``objects`` signed by ``signer`` as one batch: one Ed25519 signature in all.

    Each copy carries its leaf's RFC 9162 §2.1.3 audit path and the root signature; any
    earlier Entente signature is replaced. ``derived_from`` gives, per object, the original of
    a redacted copy (or ``None``).
    """
    if not objects:
        return []
    if not _BATCH_ID.fullmatch(batch_id):
        raise InvalidInput(f"batch id {batch_id!r}: use 1-128 of A-Z a-z 0-9 . _ : -")
    if len(objects) > _MAX_TREE_SIZE:
        raise InvalidInput(f"a batch holds at most {_MAX_TREE_SIZE} objects")
    origins = derived_from if derived_from is not None else [None] * len(objects)
    if len(origins) != len(objects):
        raise InvalidInput("derived_from: one entry (or None) per object")
    leaves = [
        _unsigned_leaf(obj, signer, origin) for obj, origin in zip(objects, origins, strict=True)
    ]
    hashes = [
        hash_leaf(_canonical(signed, _object_id(obj)))
        for (signed, _), obj in zip(leaves, objects, strict=True)
    ]
    root, paths = inclusion_proofs(hashes)
    size = len(objects)
    root_signature = encode_base64url(key.sign(batch_statement(signer, batch_id, size, root)))
    for index, ((_, ours), path) in enumerate(zip(leaves, paths, strict=True)):
        ours["batch"] = {
            "id": batch_id,
            "tree_size": size,
            "leaf_index": index,
            "audit_path": encode_base64url(b"".join(path)),
            "root_signature": root_signature,
        }
    return [signed for signed, _ in leaves]


def verify_object(
    obj: Mapping[str, Any],
    key: PublicKey,
    roots: VerifiedRoots | None = None,
    *,
    info: SignatureInfo | None = None,
) -> SignatureInfo:
    """The object's signature information once it verifies under ``key``; else ``SignatureError``.

    ``key`` must be the signer's: the caller looks it up by ``signature_info(obj).signer``.
    A batch-signed object is checked by hashing its leaf up its audit path to the root, whose
    statement's signature ``roots`` checks once per batch (a fresh one when not given).
    """
    object_id = _object_id(obj)
    if info is None:
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
    leaf = _canonical(_without_signature(obj), object_id)
    batch = info.batch
    if batch is None:
        if not key.verify(info.signature, leaf):
            raise SignatureError(
                f"signature does not verify for signer {info.signer}",
                f"{_WHERE}.signature",
                object_id,
            )
        return info
    # RFC 9162 §2.1.3.2: from the leaf hash up the audit path to the root the signer signed.
    checker = roots if roots is not None else VerifiedRoots()
    root = checker.paths.root(batch.leaf_index, batch.tree_size, hash_leaf(leaf), batch.audit_path)
    if root is None:
        raise SignatureError(
            f"the audit path does not fit leaf {batch.leaf_index} of a tree of "
            f"{batch.tree_size} (RFC 9162 §2.1.3.2)",
            f"{_WHERE}.batch.audit_path",
            object_id,
        )
    if not checker.verify(key, info.signer, batch, root):
        raise SignatureError(
            f"signature does not verify for signer {info.signer}: the object, or its audit "
            f"path, does not hash to a root it signed for batch {batch.id}",
            f"{_WHERE}.batch.root_signature",
            object_id,
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
