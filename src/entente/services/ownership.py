"""The ownership rules (``entente.sharing.ownership``) applied to one poster's writes.

The rules are pure; this adapter gives them what they read from elsewhere: who stored the
versions already held (their provenance) and whether a version carries its creator's valid
signature (the partner keys this node holds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from entente.errors import SignatureError, VersioningError
from entente.federation import PublicKey, signature_info, verify_object
from entente.sharing import (
    HeldObject,
    Principal,
    Role,
    WriteContext,
    creator_refusal,
    may_delete,
    may_store,
)
from entente.stix import StixObject
from entente.store import StoredVersion

__all__ = ["OwnershipScreen", "held_object", "operator_principal"]


def operator_principal(principal_id: str, node_org: str) -> Principal:
    """The node's own operator (the CLI): an admin of the node's org, a named person."""
    return Principal(id=principal_id, org=node_org, role=Role.ADMIN, is_individual=True)


def held_object(versions: Sequence[StoredVersion]) -> HeldObject | None:
    """What the rules need of the stored versions of one object; ``None`` when there are none."""
    if not versions:
        return None
    first_stored = min(versions, key=lambda v: v.date_added_us)
    creator = next((v.created_by_ref for v in versions if v.created_by_ref is not None), None)
    return HeldObject(creator=creator, stored_by=first_stored.provenance.org)


class OwnershipScreen:
    """Applies the ownership rules to what ``poster`` writes (``IngestService(ownership=...)``)."""

    def __init__(self, poster: Principal, ctx: WriteContext, keys: Mapping[str, PublicKey]) -> None:
        self._poster = poster
        self._ctx = ctx
        self._keys = keys

    @property
    def poster(self) -> Principal:
        """Whose writes this screen judges."""
        return self._poster

    def signed_by(self, obj: Mapping[str, Any], org: str | None) -> bool:
        """Whether ``obj`` carries a valid signature of ``org`` (a partner whose key is held)."""
        key = None if org is None else self._keys.get(org)
        if key is None:
            return False
        try:
            info = signature_info(obj)
            if info is None or info.signer != org:
                return False
            verify_object(obj, key)
        except SignatureError:
            return False
        return True

    def creator_refusal(self, data: Mapping[str, Any]) -> str | None:
        """Why the poster may not post this object whatever is stored; ``None`` if it may.

        It depends on the posted object alone, so a status may say it even for an object
        whose stored versions the poster may not see.
        """
        creator = data.get("created_by_ref")
        if not isinstance(creator, str):
            return None
        return creator_refusal(
            creator, self._poster, self._ctx, signed_by_creator=self.signed_by(data, creator)
        )

    def __call__(self, obj: StixObject, held: Sequence[StoredVersion]) -> None:
        """Raise ``VersioningError`` when the poster may not store ``obj`` beside ``held``."""
        creator = obj.created_by_ref
        reason = may_store(
            creator,
            held_object(held),
            self._poster,
            self._ctx,
            signed_by_creator=self.signed_by(obj.raw, creator),
        )
        if reason is not None:
            raise VersioningError(reason, "created_by_ref", obj.id)

    def version_refusal(self, versions: Sequence[StoredVersion]) -> str | None:
        """Why the poster may not add an unsigned version of the object held as ``versions``
        (keeping its ``created_by_ref``, STIX 2.1 §3.6); ``None`` if it may.

        What a page asks before it offers forms that write one (the ingest asks again).
        """
        held = held_object(versions)
        creator = None if held is None else held.creator
        return may_store(creator, held, self._poster, self._ctx)

    def delete_refusal(self, versions: Sequence[StoredVersion]) -> str | None:
        """Why the poster may not delete these versions of one object; ``None`` if it may."""
        held = held_object(versions)
        if held is None:
            return None
        return may_delete(held, self._poster, self._ctx)
