"""The sharing policy: one pure function that every read path calls (architecture §2).

TAXII, REST, UI, exports, streams and sync all ask ``decide`` whether one stored object
version may be shown to one audience; none re-implements the rules. Local principals and
the public endpoint get the TLP rules; partner nodes get the outbound rules of the agreements
in force, and an ``Allow`` tells what to redact before sending. Every ``Deny`` is shown to the
caller as "not found", so reasons are for the node's logs and never quote content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, TypeAlias

from entente.errors import ConfigurationError, InvalidObject
from entente.sharing.agreements import (
    Agreement,
    OnwardSharing,
    SightingsSharing,
    ThirdPartySharing,
)
from entente.sharing.granular import UNSTRIPPABLE, GranularMarking, parse_selector, strip_selected
from entente.sharing.principals import Principal, Role
from entente.stix import parse_object
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
    "is_shareable",
    "redacted_copy",
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
    # The agreements this node's org is party to; partner reads need one in force (§2).
    agreements: tuple[Agreement, ...] = ()
    # Now, in epoch microseconds, for agreement validity. ``None`` (no clock given) denies every
    # partner read: an agreement whose dates cannot be checked is not in force (fail closed).
    now_us: int | None = None

    def __post_init__(self) -> None:
        # Versions record the agreement they came under by id (architecture §2 "Provenance"),
        # so two agreements with one id would make the onward rule ambiguous.
        ids = [agreement.id for agreement in self.agreements]
        if len(ids) != len(set(ids)):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ConfigurationError(f"two agreements share the id {', '.join(dup)}")


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
    # The id of the agreement it was received under; ``None`` when created or ingested locally.
    # Its onward-sharing rule decides whether it may be passed on (architecture §2).
    received_under: str | None = None
    # Principal ids named as individual TLP:RED recipients on this node.
    red_recipients: frozenset[str] = frozenset()
    # Its STIX 2.1 §7.2.3 granular markings that name a marking-definition: content under
    # one the audience may not read is left out of what it is shown (``Allow.strip``).
    granular: tuple[GranularMarking, ...] = ()
    # Whether this node holds it only because it ingested someone else's content: stored
    # here (not received from a partner) but not created by this node's org. Such content is
    # not this node's to pass on at TLP:AMBER or AMBER+STRICT unless an agreement says so.
    third_party: bool = False


@dataclass(frozen=True, slots=True)
class Allow:
    """The version may be shown; to a partner, possibly as a redacted copy (``redacted_copy``).

    Local reads leave ``redact``, ``anonymise`` and ``agreements`` empty.
    """

    facts: VersionFacts
    # Top-level properties to remove before sending, sorted.
    redact: tuple[str, ...] = ()
    # Send a sighting without the properties that say who saw it (STIX 2.1 §5.7).
    anonymise: bool = False
    # Ids of the agreements that allow it, sorted.
    agreements: tuple[str, ...] = ()
    # Granular-marking selectors (STIX 2.1 §7.2.3.1) whose content must be left out, sorted.
    strip: tuple[str, ...] = ()


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
    """Allow or deny showing one stored version to ``audience`` on this node.

    An ``Allow`` lists in ``strip`` the selectors of the granular markings (STIX 2.1 §7.2.3)
    whose content the audience may not see: content under a granular marking is governed by
    that marking together with the object's own (all must allow, architecture §2), so each
    is decided as the object would be if it also carried that marking. When such content is
    a property no copy may lack (``UNSTRIPPABLE``), the version is denied whole.
    """
    decision = _decide_object(facts, audience, ctx)
    if not facts.granular or not isinstance(decision, Allow):
        return decision
    strip: set[str] = set()
    for ref, selectors in facts.granular:
        covered = replace(facts, marking_refs=(*facts.marking_refs, ref), granular=())
        if isinstance(_decide_object(covered, audience, ctx), Deny):
            strip.update(selectors)
    for selector in strip:
        path = parse_selector(selector)
        if path is None or path[0] in UNSTRIPPABLE:
            named = "a malformed selector" if path is None else f"{path[0]!r}"
            return Deny(f"not visible: a granular marking hidden from the reader covers {named}")
    return replace(decision, strip=tuple(sorted(strip))) if strip else decision


def _decide_object(facts: VersionFacts, audience: Principal | None, ctx: NodeContext) -> Decision:
    """``decide`` on the object's own markings, its granular markings aside."""
    level = effective_tlp(
        facts.marking_refs,
        ctx.default_marking,
        known_statement_markings=ctx.known_statement_markings,
    )
    if level is None:
        unknown = unknown_markings(facts.marking_refs, ctx.known_statement_markings)
        return Deny(f"unknown marking {', '.join(unknown)}")
    if audience is not None and audience.role is Role.PARTNER:
        # A partner node reads over TAXII or sync only under an agreement (architecture §2):
        # the outbound rules, whatever the local TLP rules would say about its org.
        return _decide_outbound(facts, audience, ctx, level)
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
    # Partner principals never get here: ``decide`` sends them to the outbound rules.
    if audience.is_individual and audience.id in facts.red_recipients:
        return Allow(facts)
    return Deny("not visible: TLP:RED is limited to named individual recipients")


def _decide_outbound(
    facts: VersionFacts, partner: Principal, ctx: NodeContext, level: Tlp
) -> Decision:
    """The outbound rules: a partner node reading over TAXII or sync, under agreements (§2)."""
    if level is Tlp.RED:
        return Deny("not visible to partners: TLP:RED never leaves the node by sync")
    if ctx.now_us is None:
        # Validity dates cannot be checked without a clock: no agreement is in force.
        return Deny("not visible to partners: no clock, so no agreement is in force")
    applicable, failed = _applicable(facts, partner.org, ctx, level, ctx.now_us)
    if not applicable:
        return Deny(f"not visible to partners: {failed}")
    if facts.received_from_org is not None:
        denied = _onward_denied(facts, partner.org, ctx, level, ctx.now_us)
        if denied is not None:
            return denied
    return Allow(
        facts,
        redact=_redacted_names(applicable, facts.type),
        # A sighting goes out anonymised if any agreement under which it goes says so: the
        # most protective reading wins, as markings do.
        anonymise=facts.type == "sighting"
        and any(a.sightings is SightingsSharing.ANONYMISED for a in applicable),
        agreements=tuple(sorted(a.id for a in applicable)),
    )


def _applicable(
    facts: VersionFacts, org: str, ctx: NodeContext, level: Tlp, now_us: int
) -> tuple[list[Agreement], str]:
    """The agreements that let this version go to ``org``, or ``[]`` and the rule that failed.

    The conditions narrow in a fixed order, so the reason names the first one that left no
    agreement standing.
    """
    found = [a for a in ctx.agreements if a.binds(ctx.node_org, org)]
    if not found:
        return [], "no agreement with the partner's org"
    found = [a for a in found if a.in_force(now_us)]
    if not found:
        return [], "no agreement with the partner's org is in force"
    found = [a for a in found if a.max_tlp >= level]
    if not found:
        return [], f"{_name(level)} is above the max TLP of every agreement with the partner's org"
    found = [a for a in found if a.object_types is None or facts.type in a.object_types]
    if not found:
        return [], "the object type is not allowed by any agreement with the partner's org"
    if facts.type == "sighting":
        found = [a for a in found if a.sightings is not SightingsSharing.NONE]
        if not found:
            return [], "sightings are not shared under any agreement with the partner's org"
    if facts.third_party and level in (Tlp.AMBER, Tlp.AMBER_STRICT):
        # TLP:AMBER(+STRICT) limits sharing to the recipient org (and for AMBER its clients):
        # what a third party gave this node is not this node's to pass on to its partners
        # unless an agreement says so explicitly (FIRST TLP 2.0; the rule).
        found = [a for a in found if a.third_party is ThirdPartySharing.SHARE]
        if not found:
            return [], (
                f"{_name(level)} content created by a third party and only ingested here "
                "needs an agreement with third_party: share"
            )
    return found, ""


def _onward_denied(
    facts: VersionFacts, org: str, ctx: NodeContext, level: Tlp, now_us: int
) -> Deny | None:
    """The ``Deny`` if passing on a version received from a partner breaks a re-share rule (§2).

    ``None`` when it may go: back to where it came from, or onward as its agreement allows.
    """
    if org in (facts.created_by_ref, facts.received_from_org):
        # Back to its creator or sender discloses nothing new, and lets a cycle A→B→C→A end
        # in a duplicate instead of a refusal.
        return None
    if level is Tlp.AMBER_STRICT:
        # AMBER+STRICT: the recipient org only (FIRST TLP 2.0); never re-shared (§2).
        return Deny("not visible to partners: TLP:AMBER+STRICT is never re-shared")
    under = [a for a in ctx.agreements if a.id == facts.received_under]
    if not under:
        # Received from a partner under no agreement known here: its onward rule is unknown,
        # and what a node received under "no re-share" it never passes on (fail closed).
        return Deny("not visible to partners: received under an agreement not known here")
    source = under[0]
    if not source.in_force(now_us):
        return Deny("not visible to partners: the agreement it was received under is not in force")
    if source.onward is OnwardSharing.NONE:
        return Deny("not visible to partners: received under an agreement with no re-share")
    if source.onward is OnwardSharing.COALITION and org not in source.parties:
        return Deny("not visible to partners: re-share is limited to the agreement's parties")
    if source.onward is OnwardSharing.NAMED and org not in source.onward_orgs:
        return Deny("not visible to partners: re-share is limited to the agreement's named orgs")
    return None


def _redacted_names(agreements: Iterable[Agreement], object_type: str) -> tuple[str, ...]:
    """The sorted union of what ``agreements`` redact from an object of ``object_type``."""
    names: set[str] = set()
    for agreement in agreements:
        names.update(agreement.redact.get(object_type, ()))
        names.update(agreement.redact.get("*", ()))
    return tuple(sorted(names))


# STIX 2.1 §5.7: the sighting properties that say who saw it (and the creator, who reported it).
_SIGHTER_PROPERTIES: Final = ("where_sighted_refs", "observed_data_refs", "created_by_ref")


def redacted_copy(obj: Mapping[str, Any], allow: Allow) -> dict[str, Any] | None:
    """A copy of ``obj`` without what ``allow`` redacts or strips; ``None`` if nothing changes.

    The copy may no longer be valid STIX (an agreement that redacts a property its type
    requires, a granular marking over one): ``is_shareable`` tells, and what is not must be
    withheld rather than sent.
    """
    drop = set(allow.redact)
    if allow.anonymise:
        drop.update(_SIGHTER_PROPERTIES)
    copy: Mapping[str, Any] = obj
    if allow.strip:
        stripped = strip_selected(obj, allow.strip)
        if stripped is None:
            raise ValueError("decide never allows stripping what no copy may lack")
        if stripped == obj:
            stripped = None
        if stripped is not None:
            copy = stripped
    if drop.isdisjoint(copy):
        return None if copy is obj else dict(copy)
    return {name: value for name, value in copy.items() if name not in drop}


def is_shareable(copy: Mapping[str, Any]) -> bool:
    """Whether a redacted copy is still a valid STIX 2.1 object (else it is withheld whole)."""
    try:
        parse_object(dict(copy))
    except InvalidObject:
        return False
    return True


def _name(level: Tlp) -> str:
    return f"TLP:{level.label.upper()}"
