"""Naive reference twin of ``entente.sharing.decide``: the rules as tables (conventions §10).

Written apart from the implementation on purpose: its own copy of the nine TLP marking ids
(STIX 2.1 §7.2.1.4 and the OASIS TLP 2.0 extension), its own order, its own audience classes,
and for partner nodes a per-agreement checklist instead of the implementation's narrowing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from entente.sharing import Agreement, NodeContext, Principal, Role, VersionFacts
from entente.stix import granular_markings_of

# marking-definition id -> TLP 2.0 label; TLP 1.0 WHITE reads as CLEAR (FIRST TLP 2.0).
TLP_BY_MARKING_ID: dict[str, str] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}

# Least to most restrictive.
ORDER: list[str] = ["clear", "green", "amber", "amber+strict", "red"]

# Which audience classes may read each level (architecture §2, the local-read rules).
READERS: dict[str, set[str]] = {
    "clear": {"anyone"},
    "green": {"community"},
    "amber": {"node org", "creator org", "sender org"},
    "amber+strict": {"node org", "creator org"},
    "red": {"named individual"},
}


def feed_facts(obj: Mapping[str, Any]) -> VersionFacts:
    """What the policy knows of ``obj`` stored from a feed (third-party content): the facts
    the leak differentials give the oracle for each object they store."""
    return VersionFacts(
        id=obj["id"],
        type=obj["type"],
        created_by_ref=obj.get("created_by_ref"),
        marking_refs=tuple(obj.get("object_marking_refs", ())),
        granular=granular_markings_of(obj),
        third_party=True,
    )


def level_of(facts: VersionFacts, ctx: NodeContext) -> str | None:
    """The level the version reads as, or ``None`` when a marking is unknown."""
    found: list[str] = []
    for ref in facts.marking_refs:
        if ref in TLP_BY_MARKING_ID:
            found.append(TLP_BY_MARKING_ID[ref])
        elif ref in ctx.known_statement_markings:
            pass
        else:
            return None
    if not found:
        return ctx.default_marking.label
    worst = "clear"
    for label in found:
        if ORDER.index(label) > ORDER.index(worst):
            worst = label
    return worst


def classes_of(who: Principal | None, facts: VersionFacts, ctx: NodeContext) -> set[str]:
    """Every audience class ``who`` belongs to for this version."""
    classes = {"anyone"}
    if who is None:
        return classes
    if who.org == ctx.node_org or who.org in ctx.community_orgs:
        classes.add("community")
    if who.org == ctx.node_org:
        classes.add("node org")
    if facts.created_by_ref is not None and who.org == facts.created_by_ref:
        classes.add("creator org")
    if facts.received_from_org is not None and who.org == facts.received_from_org:
        classes.add("sender org")
    if who.is_individual and who.role != Role.PARTNER and who.id in facts.red_recipients:
        classes.add("named individual")
    return classes


def oracle_allows(facts: VersionFacts, who: Principal | None, ctx: NodeContext) -> bool:
    """Whether the rules let ``who`` see the version."""
    if who is not None and who.role == Role.PARTNER:
        return isinstance(oracle_outbound(facts, who, ctx), Sent)
    level = level_of(facts, ctx)
    if level is None:
        return False
    classes = classes_of(who, facts, ctx)
    return bool(classes & READERS[level])


# --- Partner nodes (architecture §2 "Agreement"): what may go out, and how. ---

# Agreement.max_tlp by enum member name -> TLP 2.0 label, so ``ORDER`` compares them.
LABEL_OF_TLP_NAME: dict[str, str] = {
    "CLEAR": "clear",
    "GREEN": "green",
    "AMBER": "amber",
    "AMBER_STRICT": "amber+strict",
    "RED": "red",
}

# Who may receive what a node received under an agreement, by its onward-sharing value.
ONWARD_RECIPIENTS: dict[str, Callable[[Agreement], set[str]]] = {
    "none": lambda a: set(),
    "coalition": lambda a: set(a.parties),
    "named": lambda a: set(a.onward_orgs),
}


@dataclass(frozen=True)
class Sent:
    """The oracle allows it: what to strip and which agreements carried it."""

    redact: tuple[str, ...]
    anonymise: bool
    agreements: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """The oracle denies it; ``rule`` names the rule that did, one of ``REFUSAL_RULES``."""

    rule: str


REFUSAL_RULES = (
    "unknown marking",
    "red",
    "no clock",
    "no agreement",
    "none in force",
    "above max tlp",
    "type not allowed",
    "sightings not shared",
    "amber+strict re-share",
    "unknown source agreement",
    "source agreement not in force",
    "no re-share",
    "not a coalition party",
    "not a named org",
    "third-party amber",
)


def valid_at(a: Agreement, now: int) -> bool:
    """Whether ``now`` is inside the agreement's dates (from inclusive, until exclusive)."""
    after_start = a.valid_from_us is None or a.valid_from_us <= now
    before_end = a.valid_until_us is None or now < a.valid_until_us
    return after_start and before_end


def checklist(
    a: Agreement, facts: VersionFacts, org: str, ctx: NodeContext, level: str
) -> list[str]:
    """Every outbound condition ``a`` fails for this version and partner org, in rule order."""
    assert ctx.now_us is not None
    failed = []
    both_parties = ctx.node_org in a.parties and org in a.parties and ctx.node_org != org
    if not both_parties:
        failed.append("no agreement")
    if not valid_at(a, ctx.now_us):
        failed.append("none in force")
    if ORDER.index(LABEL_OF_TLP_NAME[a.max_tlp.name]) < ORDER.index(level):
        failed.append("above max tlp")
    if a.object_types is not None and facts.type not in a.object_types:
        failed.append("type not allowed")
    if facts.type == "sighting" and a.sightings.value == "none":
        failed.append("sightings not shared")
    if facts.third_party and level in ("amber", "amber+strict") and a.third_party.value != "share":
        failed.append("third-party amber")
    return failed


def oracle_outbound(facts: VersionFacts, who: Principal, ctx: NodeContext) -> Sent | Refused:
    """What the rules say about sending the version to the partner node ``who``."""
    level = level_of(facts, ctx)
    if level is None:
        return Refused("unknown marking")
    if level == "red":
        return Refused("red")
    if ctx.now_us is None:
        return Refused("no clock")
    lists = {a.id: checklist(a, facts, who.org, ctx, level) for a in ctx.agreements}
    usable = [a for a in ctx.agreements if not lists[a.id]]
    if not usable:
        # The reason is the furthest any agreement got: the earliest rule some agreement
        # passed everything before (the implementation narrows in this order).
        furthest = "no agreement"
        later_rules = (
            "none in force",
            "above max tlp",
            "type not allowed",
            "sightings not shared",
            "third-party amber",
        )
        for rule in later_rules:
            earlier = REFUSAL_RULES[REFUSAL_RULES.index("no agreement") : REFUSAL_RULES.index(rule)]
            if any(not set(earlier) & set(failed) for failed in lists.values()):
                furthest = rule
        return Refused(furthest)
    came_from_partner = facts.received_from_org is not None
    going_home = who.org in {facts.created_by_ref, facts.received_from_org}
    if came_from_partner and not going_home:
        if level == "amber+strict":
            return Refused("amber+strict re-share")
        sources = [a for a in ctx.agreements if a.id == facts.received_under]
        if len(sources) != 1:
            return Refused("unknown source agreement")
        source = sources[0]
        if not valid_at(source, ctx.now_us):
            return Refused("source agreement not in force")
        onward = source.onward.value
        if who.org not in ONWARD_RECIPIENTS[onward](source):
            return Refused(
                {"none": "no re-share", "coalition": "not a coalition party"}.get(
                    onward, "not a named org"
                )
            )
    stripped: set[str] = set()
    for a in usable:
        for key, names in a.redact.items():
            if key in ("*", facts.type):
                stripped.update(names)
    anonymise = facts.type == "sighting" and any(a.sightings.value == "anonymised" for a in usable)
    return Sent(tuple(sorted(stripped)), anonymise, tuple(sorted(a.id for a in usable)))


# --- Granular markings (STIX 2.1 §7.2.3): content under a marking is read as if the whole
# object also carried it; what the audience may not read of it is left out, and an object
# whose required common properties or markings would have to go is not shown at all.

NEVER_LEFT_OUT = {
    "id",
    "type",
    "spec_version",
    "created",
    "modified",
    "object_marking_refs",
    "granular_markings",
}


def top_property(selector: str) -> str | None:
    """The property a well-formed selector starts with, else ``None``."""
    parts = selector.split(".")
    if not parts or not all(parts):
        return None
    if parts[0].startswith("["):
        return None
    for part in parts[1:]:
        inner = part[1:-1] if part.startswith("[") and part.endswith("]") else None
        if inner is not None and not (inner.isascii() and inner.isdigit()):
            return None
        if inner is None and ("[" in part or "]" in part):
            return None
    return parts[0] if "[" not in parts[0] and "]" not in parts[0] else None


def oracle_view(facts: VersionFacts, who: Principal | None, ctx: NodeContext) -> set[str] | None:
    """The selectors whose content ``who`` is not shown, or ``None`` if the object is hidden."""
    whole = dataclasses.replace(facts, granular=())
    if not oracle_allows(whole, who, ctx):
        return None
    hidden: set[str] = set()
    for ref, selectors in facts.granular:
        covered = dataclasses.replace(whole, marking_refs=(*facts.marking_refs, ref))
        if not oracle_allows(covered, who, ctx):
            hidden.update(selectors)
    for selector in hidden:
        prop = top_property(selector)
        if prop is None or prop in NEVER_LEFT_OUT:
            return None
    return hidden
