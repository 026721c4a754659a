"""Signing what this node sends partners: its org's objects once, in signed batches, kept.

ADR 0025. An object this node's org created is signed when it is stored here (each ingest or
add call seals what it added, ``seal_added_after``) or, at the latest, the first time a
partner reads it; the signature extension is kept (``SignatureStore``) and every later read
only attaches it. A batch is one Ed25519 signature over an RFC 9162 Merkle root, so a partner
verifies each batch once and every object by hashing. Without a signature store the node signs
each object on every read (``signed_batches = false``: the per-object form of ADR 0002).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from entente.errors import SignatureError
from entente.federation import (
    EXTENSION_ID,
    NodeKey,
    derived_from_of,
    sign_batch,
    sign_object,
    signature_info,
)
from entente.services.visibility import is_third_party
from entente.store import (
    ObjectQuery,
    ObjectStore,
    SignatureStore,
    StoredSignature,
    StoredVersion,
    VersionFilter,
)

__all__ = ["NodeSigner", "attach_extension", "carries_signature", "with_extension"]

# Leaves per batch: a 20-hash audit path at most, and one signature per ~10,000 objects.
DEFAULT_BATCH_SIZE = 10_000
_SCAN_ROWS = 1_000


def carries_signature(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` carries our signature extension (a malformed one counts: left as is)."""
    try:
        return signature_info(obj) is not None
    except SignatureError:
        return True


def with_extension(raw_json: bytes, extension: Mapping[str, Any]) -> bytes:
    """The stored bytes with our signature extension (as kept) attached to the object."""
    obj: dict[str, Any] = orjson.loads(raw_json)
    extensions = obj.get("extensions")
    obj["extensions"] = {
        **(extensions if isinstance(extensions, dict) else {}),
        EXTENSION_ID: extension,
    }
    return orjson.dumps(obj)


# What ``attach_extension`` appends: the member naming our extension, as orjson writes keys.
_ATTACHED = b',"extensions":{' + orjson.dumps(EXTENSION_ID) + b":"
_JSON_SPACE = b" \t\n\r"  # RFC 8259 §2: insignificant whitespace


def attach_extension(raw_json: bytes, extension_json: str) -> bytes:
    """``with_extension`` for a kept extension's JSON text, without decoding the object.

    When the stored object has no ``extensions`` member the extension is appended to its bytes
    as the last member (partners verify the RFC 8785 canonical form, so byte layout does not
    matter): about half the cost of decoding, merging and re-encoding each object of every
    page a partner reads (``bench/signed_batches.py``, ADR 0025). No ``"extensions"`` and no ``\\u``
    escape in the text means no member of that name: a key can only be spelt otherwise with
    a ``\\u`` escape (RFC 8259 §7). Anything else takes ``with_extension``, its reference
    twin; a property test checks that both give the same object.
    """
    if b'"extensions"' not in raw_json and b"\\u" not in raw_json:
        body = raw_json.strip(_JSON_SPACE)
        inner = body[1:-1].strip(_JSON_SPACE)
        if body[:1] == b"{" and body[-1:] == b"}" and inner:
            return b"".join((body[:-1], _ATTACHED, extension_json.encode("utf-8"), b"}}"))
    extension: dict[str, Any] = orjson.loads(extension_json)
    return with_extension(raw_json, extension)


def _content_sha256(version: StoredVersion) -> str:
    return hashlib.sha256(version.raw_json).hexdigest()


class NodeSigner:
    """Signs objects as this node's org (``services.taxii.Signer``).

    With ``signatures``, the org's own versions are signed once in signed batches and the
    signatures kept there; without, every read signs each object (the per-object form).
    """

    def __init__(
        self,
        org_id: str,
        key: NodeKey,
        *,
        signatures: SignatureStore | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self._org_id = org_id
        self._key = key
        self._signatures = signatures
        self._new_id = new_id
        self._batch_size = batch_size

    @property
    def org_id(self) -> str:
        """The org the signatures are made for."""
        return self._org_id

    @property
    def batches(self) -> bool:
        """Whether this signer makes signed batches (and keeps them) rather than signing reads."""
        return self._signatures is not None

    def sign(
        self, obj: Mapping[str, Any], derived_from: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """``obj`` signed by this node; ``derived_from`` names the original of a redacted copy."""
        return sign_object(obj, signer=self._org_id, key=self._key, derived_from=derived_from)

    def sign_copies(
        self, copies: Sequence[Mapping[str, Any]], originals: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Redacted copies signed by this node, each naming its original (``derived_from``).

        A copy depends on its reader, so it is never kept: one signed batch per call, or one
        signature per copy without batches.
        """
        origins = [derived_from_of(original) for original in originals]
        if not self.batches:
            return [self.sign(c, o) for c, o in zip(copies, origins, strict=True)]
        return sign_batch(
            copies,
            signer=self._org_id,
            key=self._key,
            batch_id=self._new_id(),
            derived_from=origins,
        )

    def sign_own(self, versions: Sequence[StoredVersion]) -> list[StoredVersion]:
        """This org's own versions as partners get them: with this node's signature.

        A version that already carries an Entente signature is sent as stored. With batches,
        the kept signature is attached, and versions without one are signed now as one batch
        and kept (so each is signed once).
        """
        if self._signatures is None:
            out = []
            for version in versions:
                obj = version.to_json()
                if carries_signature(obj):
                    out.append(version)
                else:
                    out.append(version.with_raw_json(orjson.dumps(self.sign(obj))))
            return out
        kept = self._signatures.get([(v.id, v.version) for v in versions])
        result: list[StoredVersion | None] = []
        missing: list[int] = []
        for version in versions:
            signature = kept.get((version.id, version.version))
            if signature is not None and signature.content_sha256 == _content_sha256(version):
                raw = attach_extension(version.raw_json, signature.extension)
                result.append(version.with_raw_json(raw))
            elif carries_signature(version.to_json()):
                result.append(version)  # stored signed (as received or restored): as is
            else:
                result.append(None)
                missing.append(len(result) - 1)
        if missing:
            sealed = self._seal([versions[i] for i in missing])
            for i in missing:
                version = versions[i]
                extension = sealed[(version.id, version.version)]
                result[i] = version.with_raw_json(with_extension(version.raw_json, extension))
        return [version for version in result if version is not None]

    def seal(self, versions: Sequence[StoredVersion]) -> int:
        """Sign, in batches, and keep what of ``versions`` is this org's and not yet signed.

        Returns how many were signed. Without batches, nothing is kept (reads sign).
        """
        if self._signatures is None:
            return 0
        own = [v for v in versions if self.is_own(v)]
        kept = self._signatures.get([(v.id, v.version) for v in own])
        todo = []
        for version in own:
            signature = kept.get((version.id, version.version))
            if signature is None or signature.content_sha256 != _content_sha256(version):
                todo.append(version)
        return len(self._seal(todo))

    def seal_added_after(self, store: ObjectStore, after_us: int | None) -> int:
        """``seal`` every version stored after ``after_us`` (a ``date_added``): one ingest call."""
        if self._signatures is None:
            return 0
        query = ObjectQuery(
            added_after_us=after_us, versions=(VersionFilter.ALL.value,), limit=_SCAN_ROWS
        )
        signed = 0
        chunk: list[StoredVersion] = []
        for version in store.iter_all(query):
            chunk.append(version)
            if len(chunk) >= self._batch_size:
                signed += self.seal(chunk)
                chunk = []
        return signed + self.seal(chunk)

    def is_own(self, version: StoredVersion) -> bool:
        """Whether ``version`` is this org's own (created and stored by it) and unsigned."""
        if version.created_by_ref != self._org_id or is_third_party(version, self._org_id):
            return False
        return not carries_signature(version.to_json())

    def _seal(self, versions: Sequence[StoredVersion]) -> dict[tuple[str, str], dict[str, Any]]:
        """Sign ``versions`` in batches of at most ``batch_size``; keep and return the
        signature extension of each."""
        assert self._signatures is not None  # only called with batches
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(versions), self._batch_size):
            chunk = versions[start : start + self._batch_size]
            signed = sign_batch(
                [v.to_json() for v in chunk],
                signer=self._org_id,
                key=self._key,
                batch_id=self._new_id(),
            )
            keep = []
            for version, obj in zip(chunk, signed, strict=True):
                extension = obj["extensions"][EXTENSION_ID]
                keep.append(
                    StoredSignature(
                        version.id,
                        version.version,
                        _content_sha256(version),
                        orjson.dumps(extension).decode(),
                    )
                )
                out[(version.id, version.version)] = extension
            self._signatures.put(keep)
        return out
