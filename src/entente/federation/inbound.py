"""What a node accepts from a partner: creator signatures, who may speak for whom, no widening.

Every object version received by sync passes ``screen`` before the versioning rules store it
(architecture §2 Provenance; issue rules):

* a signature of a known org (this node or a partner whose key it holds) must verify: a
  tampered object is rejected;
* a ``created_by_ref`` naming a known org must be backed by that org's signature, or by the
  signature of a known org that redacted it (``derived_from``): a partner may not speak for
  another member of the coalition. Creators unknown here (third-party feeds a partner relays)
  cannot be checked and are attributed to the sender by provenance;
* a version already held is a duplicate when it is the same object, or a signed or redacted
  copy of it; other content at the same ``(id, modified)`` is the creator's correction when
  the creator signed it (publishers correct in place: see ``stix.versioning``), and a tamper
  otherwise (STIX 2.1 §3.6). Two different contents for one ``(id, modified)`` that carry the
  same signer's signature are an equivocation, reported whatever becomes of the object;
* a new version may not widen the markings of the version before it unless its creator signed
  it (architecture §2: markings are never widened except by the creator).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from entente.errors import SignatureError, VersioningError
from entente.federation.keys import PublicKey
from entente.federation.signatures import (
    EXTENSION_ID,
    SignatureInfo,
    VerifiedRoots,
    signature_info,
    verify_object,
)
from entente.sharing import effective_tlp
from entente.stix import StixObject, Tlp

__all__ = ["Accepted", "InboundContext", "screen"]


@dataclass(frozen=True, slots=True)
class InboundContext:
    """What ``screen`` needs to know: who sent it, and the keys of the orgs known here."""

    node_org: str
    sender_org: str
    # Org identity id -> public key: this node's own and every partner's.
    keys: Mapping[str, PublicKey]
    default_marking: Tlp = Tlp.AMBER_STRICT
    # The batch roots verified so far (ADR 0025): each signed batch costs one Ed25519 check
    # per context, which lives as long as one sync run; every object then costs hashing.
    roots: VerifiedRoots = field(default_factory=VerifiedRoots)


@dataclass(frozen=True, slots=True)
class Accepted:
    """An object ``screen`` lets through to the versioning rules."""

    obj: StixObject
    # Its creator's signature verified: a §3.6 break it makes is the creator's correction.
    creator_signed: bool
    # Set when the same signer signed other content for this (id, modified): what was seen.
    equivocation: str | None = None


def screen(obj: StixObject, held: Sequence[StixObject], ctx: InboundContext) -> Accepted | None:
    """``obj`` if it may be stored, ``None`` if it is already held; raises to reject it."""
    info = signature_info(obj.raw)
    creator_signed = _check_signature(obj, info, ctx)
    same = [
        old
        for old in held
        if old.version_key == obj.version_key or (not obj.is_versioned and old.id == obj.id)
    ]
    if same:
        if any(_same_content(old.raw, obj.raw) for old in same):
            return None
        if info is not None and info.derived_from is not None:
            # A redacted copy (by its creator, or by a known org under its agreement with us)
            # of a version held here in full: nothing new to store.
            return None
        if creator_signed is True and any(
            _is_redacted_copy(old.raw) and _is_redaction_of(old.raw, obj.raw) for old in same
        ):
            # Its creator's own, verified version of a redacted copy held here: nothing was
            # altered, and one (id, modified) is stored once (STIX 2.1 §3.6).
            return None
        equivocation = _equivocation(obj, info, same, ctx)
        if creator_signed is True:
            # The creator signed other content for a version held here: its correction.
            return Accepted(obj, True, equivocation)
        reason = (
            "a different object with the same id and modified is already stored (§3.6): "
            "it was altered on the way"
        )
        if equivocation is not None:
            reason = f"{equivocation}; not signed by its creator, so not stored"
        raise VersioningError(reason, "modified", obj.id)
    if held and obj.is_versioned and creator_signed is not True:
        _check_not_widened(obj, held, ctx)
    return Accepted(obj, creator_signed is True)


def _equivocation(
    obj: StixObject,
    info: SignatureInfo | None,
    same: Sequence[StixObject],
    ctx: InboundContext,
) -> str | None:
    """Why ``obj`` is an equivocation: a signer held here signed other content for its key."""
    if info is None:
        return None
    for old in same:
        old_info = signature_info(old.raw)
        if old_info is not None and old_info.signer == info.signer:
            when = obj.raw.get("modified", obj.raw.get("created", ""))
            return (
                f"equivocation: {info.signer} signed two different contents for {obj.id} "
                f"at {when} (served by {ctx.sender_org})"
            )
    return None


def _check_signature(
    obj: StixObject, info: SignatureInfo | None, ctx: InboundContext
) -> bool | None:
    """Verify what can be verified (``info``: the object's signature, if any).

    True if the creator's own signature verified; ``None`` when the creator is unknown here and
    nothing could be checked against it.
    """
    creator = obj.created_by_ref
    if info is not None:
        key = ctx.keys.get(info.signer)
        if key is not None:
            verify_object(obj.raw, key, ctx.roots, info=info)
            if info.signer == creator:
                return True
            if info.derived_from is None:
                raise SignatureError(
                    f"signed by {info.signer}, but created by {creator}: only the creator "
                    "signs an original, and a redacted copy must name what it derives from",
                    "extensions",
                    obj.id,
                )
            # A copy redacted and signed by a known org, naming its original.
            return False
    if creator is not None and creator in ctx.keys:
        speaker = "this node" if creator == ctx.node_org else creator
        raise SignatureError(
            f"created_by_ref {creator} is a known org, but the object carries no valid "
            f"signature of {speaker}: the sending partner {ctx.sender_org} may not speak for it",
            "created_by_ref",
            obj.id,
        )
    return None


def _check_not_widened(obj: StixObject, held: Sequence[StixObject], ctx: InboundContext) -> None:
    """A new version not signed by its creator keeps at least the latest held restriction."""
    latest = max(held, key=lambda old: old.version_key)
    if obj.version_key <= latest.version_key:
        return
    before = effective_tlp(latest.object_marking_refs, ctx.default_marking)
    after = effective_tlp(obj.object_marking_refs, ctx.default_marking)
    if before is None or after is None or after >= before:
        return
    raise VersioningError(
        f"markings widened from TLP:{before.label.upper()} to TLP:{after.label.upper()} by a "
        "version its creator did not sign: only the creator may widen markings",
        "object_marking_refs",
        obj.id,
    )


def _same_content(stored: Mapping[str, Any], received: Mapping[str, Any]) -> bool:
    """Equal, or equal but for our signature extension (a signed copy of the same version)."""
    if stored == received:
        return True
    return _unsigned(stored) == _unsigned(received)


def _is_redacted_copy(raw: Mapping[str, Any]) -> bool:
    """Whether ``raw`` says it is a redacted copy (its signature names what it derives from).

    Copies of a known org's objects are always signed (``_check_signature``), so one held
    here without ``derived_from`` is an original, and other content from its creator is a
    correction, even when it only adds properties (as ATT&CK 17.1 added x_mitre_deprecated).
    """
    info = signature_info(raw)
    return info is not None and info.derived_from is not None


def _is_redaction_of(copy: Mapping[str, Any], original: Mapping[str, Any]) -> bool:
    """Whether ``copy`` is ``original`` less some properties (our signature aside)."""
    kept, full = _unsigned(copy), _unsigned(original)
    return all(name in full and full[name] == value for name, value in kept.items())


def _unsigned(raw: Mapping[str, Any]) -> dict[str, Any]:
    value = dict(raw)
    extensions = value.get("extensions")
    if isinstance(extensions, dict) and EXTENSION_ID in extensions:
        rest = {k: v for k, v in extensions.items() if k != EXTENSION_ID}
        if rest:
            value["extensions"] = rest
        else:
            del value["extensions"]
    return value
