"""The sharing policy: one pure function that every read path calls (architecture §2).

TAXII, REST, UI, exports, streams and sync all ask ``decide`` whether one stored object
version may be shown to one audience; none re-implements the rules. Every ``Deny`` is shown
to the caller as "not found", so reasons are for the node's logs and never quote content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from entente.sharing.principals import Principal, Role
from entente.stix.markings import Tlp, tlp_of

__all__ = [
    "Allow",
    "Decision",
    "Deny",
    "NodeContext",
    "VersionFacts",
    "decide",
    "effective_tlp",
    "is_allowed",
    "unknown_markings",
]


@dataclass(frozen=True, slots=True)
class NodeContext:
    """What the policy needs to know about this node itself."""

    # This node's own organization (a STIX identity id).
    node_org: str
    # Orgs of the coalition community known here: every org with principals on this node or
    # under an agreement. TLP:GREEN stops at this boundary (FIRST TLP 2.0, "TLP:GREEN").
    community_orgs: frozenset[str]
    # Unmarked objects read as this level: AMBER+STRICT out of the box (architecture §2, fail
    # closed).
    default_marking: Tlp = Tlp.AMBER_STRICT
    # Statement marking-definitions (STIX 2.1 §7.2.1.3) this node knows: they restrict nothing.
    # Any other non-TLP marking id is unknown and fails closed (architecture §2).
    known_statement_markings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """What the policy needs about one stored object version (its provenance and markings)."""

    id: str
    type: str
    created_by_ref: str | None = None
    # ``object_marking_refs`` of the version (STIX 2.1 §7.2.2); order and duplicates do not matter.
    marking_refs: tuple[str, ...] = ()
    # The org it was received from; ``None`` when created or ingested locally.
    received_from_org: str | None = None
    # False when it came in under an agreement that forbids re-sharing (architecture §2).
    reshare_allowed: bool = True
    # Principal ids named as individual TLP:RED recipients on this node.
    red_recipients: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Allow:
    """The version may be shown; it carries the facts (redacted copies come with agreements)."""

    facts: VersionFacts


@dataclass(frozen=True, slots=True)
class Deny:
    """The version must not be shown; ``reason`` is for logs and names no content."""

    reason: str


Decision: TypeAlias = Allow | Deny
"""The outcome of ``decide``: a value, never an exception."""


def is_allowed(decision: Decision) -> bool:
    """Whether ``decision`` lets the version through."""
    return isinstance(decision, Allow)


def unknown_markings(
    marking_refs: Iterable[str], known_statement_markings: frozenset[str]
) -> tuple[str, ...]:
    """The refs that are neither TLP nor known statement markings, sorted, without duplicates."""
    return tuple(
        sorted(
            {
                ref
                for ref in marking_refs
                if tlp_of(ref) is None and ref not in known_statement_markings
            }
        )
    )


def effective_tlp(
    marking_refs: Iterable[str],
    default: Tlp,
    *,
    known_statement_markings: frozenset[str] = frozenset(),
) -> Tlp | None:
    """Most restrictive TLP of the refs; ``default`` if none is TLP; ``None`` if one is unknown."""
    refs = tuple(marking_refs)
    if unknown_markings(refs, known_statement_markings):
        # Unknown marking ids fail closed (architecture §2): nobody can tell what they restrict.
        return None
    levels = [level for ref in refs if (level := tlp_of(ref)) is not None]
    # Several markings combine as "all must allow": the most restrictive wins (architecture §2).
    # Statement markings restrict nothing, so an object carrying only those is "unmarked".
    return max(levels) if levels else default


def decide(facts: VersionFacts, audience: Principal | None, ctx: NodeContext) -> Decision:
    """Allow or deny showing one stored version to ``audience`` on this node."""
    level = effective_tlp(
        facts.marking_refs,
        ctx.default_marking,
        known_statement_markings=ctx.known_statement_markings,
    )
    if level is None:
        unknown = unknown_markings(facts.marking_refs, ctx.known_statement_markings)
        return Deny(f"unknown marking {', '.join(unknown)}")
    # Extension point: partner nodes reading under an agreement (sync) will be a third kind of
    # audience with its own branch here; this issue covers local reads only.
    return _decide_local(facts, audience, ctx, level)


def _decide_local(
    facts: VersionFacts, audience: Principal | None, ctx: NodeContext, level: Tlp
) -> Decision:
    """The local-read rules: a principal of this node, or the public endpoint."""
    if audience is None:
        # TLP:CLEAR is the only level that may be disclosed publicly (FIRST TLP 2.0).
        if level is Tlp.CLEAR:
            return Allow(facts)
        return Deny(f"not visible to unauthenticated callers above TLP:CLEAR (is {_name(level)})")
    origins = {org for org in (facts.created_by_ref, facts.received_from_org) if org is not None}
    if audience.role is Role.PARTNER and not facts.reshare_allowed and audience.org not in origins:
        # What a node received under "no re-share" it never passes on (architecture §2), except
        # back to whoever created it or sent it here.
        return Deny("not visible to partners: received under a no-re-share agreement")
    # Roles do not widen visibility: an admin manages the node but does not bypass TLP, and sees
    # exactly what an analyst of the node org sees; readers and analysts see the same.
    if level is Tlp.CLEAR:
        return Allow(facts)
    if level is Tlp.GREEN:
        # GREEN: the community, never the public (FIRST TLP 2.0, "TLP:GREEN"). Orgs outside the
        # known community fail closed even if a principal of theirs exists.
        if audience.org == ctx.node_org or audience.org in ctx.community_orgs:
            return Allow(facts)
        return Deny("not visible: TLP:GREEN is limited to the community")
    if level is Tlp.AMBER:
        # AMBER: the recipient org and its clients (FIRST TLP 2.0); here the node org, the
        # creator's org and the org that shared it with us.
        if audience.org == ctx.node_org or audience.org in origins:
            return Allow(facts)
        return Deny("not visible: TLP:AMBER is limited to the holding, creating and sending orgs")
    if level is Tlp.AMBER_STRICT:
        # AMBER+STRICT: the recipient org only (FIRST TLP 2.0); the sender is not the recipient,
        # so only the node org and the creator's org.
        if audience.org in (ctx.node_org, facts.created_by_ref):
            return Allow(facts)
        return Deny("not visible: TLP:AMBER+STRICT is limited to the holding and creating orgs")
    # RED: for the eyes and ears of individual recipients only (FIRST TLP 2.0): named people,
    # never tokens, services or partner nodes, and nobody else, admins included.
    if (
        audience.is_individual
        and audience.role is not Role.PARTNER
        and audience.id in facts.red_recipients
    ):
        return Allow(facts)
    return Deny("not visible: TLP:RED is limited to named individual recipients")


def _name(level: Tlp) -> str:
    return f"TLP:{level.label.upper()}"
