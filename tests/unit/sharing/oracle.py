"""Naive reference twin of ``entente.sharing.decide``: the rules as tables (conventions §10).

Written apart from the implementation on purpose: its own copy of the nine TLP marking ids
(STIX 2.1 §7.2.1.4 and the OASIS TLP 2.0 extension), its own order, its own audience classes.
"""

from __future__ import annotations

from entente.sharing import NodeContext, Principal, Role, VersionFacts

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
    level = level_of(facts, ctx)
    if level is None:
        return False
    classes = classes_of(who, facts, ctx)
    if (
        who is not None
        and who.role == Role.PARTNER
        and not facts.reshare_allowed
        and not classes & {"creator org", "sender org"}
    ):
        return False
    return bool(classes & READERS[level])
