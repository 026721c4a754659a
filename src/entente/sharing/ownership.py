"""Who may store which object versions, and delete them: the write side of the sharing rules.

Provenance is bound to the poster (architecture §2 "Provenance"): a principal may store
objects whose ``created_by_ref`` is its own org (or that name no creator); this node's admins
may also ingest third-party content (created by another org, never by this node's own org),
which the policy then treats as third-party. An object created by a partner org is stored
only as that org signed it. A new version of an object, and the deletion of one, are for
the org that owns it: its creator, or for an object without ``created_by_ref`` the org that
first stored it here; this node's admins may add versions of and delete what their node
holds, except that partner-created objects keep needing their creator's signature.

Every function returns ``None`` when the write may go ahead, else the reason it may not.
Pure: values in, values out.
"""

from __future__ import annotations

from dataclasses import dataclass

from entente.sharing.principals import Principal, Role

__all__ = [
    "HeldObject",
    "WriteContext",
    "creator_refusal",
    "is_node_admin",
    "may_delete",
    "may_store",
    "owner_of",
]


@dataclass(frozen=True, slots=True)
class WriteContext:
    """What the ownership rules need to know about this node."""

    node_org: str
    # Orgs this node federates with (it holds their keys): content they created is theirs to
    # sign, so nobody here may store it unsigned in their name.
    partner_orgs: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class HeldObject:
    """What the rules need of an object already held: who created it and who stored it."""

    # ``created_by_ref`` of its versions (STIX 2.1 §3.6 keeps it across versions).
    creator: str | None
    # The org that stored its first version here; ``None`` for this node's own operator.
    stored_by: str | None


def is_node_admin(principal: Principal, ctx: WriteContext) -> bool:
    """Whether the principal administers this node (an admin of the node's own org)."""
    return principal.role is Role.ADMIN and principal.org == ctx.node_org


def owner_of(held: HeldObject, ctx: WriteContext) -> str:
    """The org an object belongs to: its creator, else whoever stored it (this node: operator)."""
    return held.creator or held.stored_by or ctx.node_org


def may_store(
    creator: str | None,
    held: HeldObject | None,
    poster: Principal,
    ctx: WriteContext,
    *,
    signed_by_creator: bool = False,
) -> str | None:
    """Why ``poster`` may not store a version whose ``created_by_ref`` is ``creator``; or None.

    ``held`` describes the versions of the same object already stored (``None``: a new
    object); ``signed_by_creator`` says whether the version carries a valid signature of its
    creator (checked by the caller, which holds the keys).
    """
    reason = creator_refusal(creator, poster, ctx, signed_by_creator=signed_by_creator)
    if reason is not None:
        return reason
    if held is None:
        return None
    owner = owner_of(held, ctx)
    if owner == poster.org:
        return None
    if owner in ctx.partner_orgs:
        if signed_by_creator and creator == owner:
            return None
        return "this object belongs to a partner org: only versions it signed are stored"
    if is_node_admin(poster, ctx):
        return None
    # The owner is not named: for an object without a creator it is who stored it here,
    # provenance that no reader is shown.
    return "this object belongs to another org: only that org adds versions of it"


def creator_refusal(
    creator: str | None, poster: Principal, ctx: WriteContext, *, signed_by_creator: bool = False
) -> str | None:
    """``may_store``'s ``created_by_ref`` rule alone: it depends on the posted object only,
    so its reason can be told whatever else is held of the object."""
    if creator is None or creator == poster.org:
        return None
    if creator == ctx.node_org:
        return (
            f"created_by_ref {creator} is this node's org, not yours ({poster.org}): "
            "nobody may post in this node's name"
        )
    if creator in ctx.partner_orgs:
        if signed_by_creator:
            return None
        return (
            f"created_by_ref {creator} is a partner org: an object it created is stored only "
            "with its valid signature"
        )
    if is_node_admin(poster, ctx):
        # Third-party content (a feed, a report, another org's intelligence) that this
        # node's admin ingests; the policy treats it as third-party (not ours to pass on).
        return None
    return (
        f"created_by_ref {creator} is not your org ({poster.org}): only this node's admins "
        "may store content created by another org"
    )


def may_delete(held: HeldObject, poster: Principal, ctx: WriteContext) -> str | None:
    """Why ``poster`` may not delete versions of an object described by ``held``; or None.

    Roles are checked by the caller (only admins and analysts delete); this is the org rule:
    an analyst of another org deletes nothing of ours.
    """
    if is_node_admin(poster, ctx):
        return None
    owner = owner_of(held, ctx)
    if owner == poster.org:
        return None
    return "this object belongs to another org: only that org (or this node's admins) deletes it"
