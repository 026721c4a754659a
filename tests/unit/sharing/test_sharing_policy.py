"""Tests for the local-read sharing policy (architecture §2, FIRST TLP 2.0, STIX 2.1 §7.2)."""

from __future__ import annotations

import dataclasses

import pytest

from entente.sharing import (
    Allow,
    Deny,
    NodeContext,
    Principal,
    Role,
    VersionFacts,
    decide,
    effective_tlp,
    is_allowed,
    unknown_markings,
)
from entente.stix import Tlp

# The real marking-definition ids (OASIS TLP 2.0 extension; STIX 2.1 §7.2.1.4 for TLP 1.0).
TLP2_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP2_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP2_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
TLP2_AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
TLP2_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
TLP1_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
TLP1_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
TLP1_RED = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
STATEMENT = "marking-definition--d6a2d33c-5c2b-4d5e-8a34-0f3e3c1e9b10"
UNKNOWN = "marking-definition--0b7d3c1a-9f62-4c0e-bf7b-2d3a6a1c5e77"

NODE = "identity--00000000-0000-4000-8000-00000000000a"
CREATOR = "identity--00000000-0000-4000-8000-00000000000b"
SENDER = "identity--00000000-0000-4000-8000-00000000000c"
OTHER = "identity--00000000-0000-4000-8000-00000000000d"
OUTSIDER = "identity--00000000-0000-4000-8000-00000000000e"

CTX = NodeContext(
    node_org=NODE,
    community_orgs=frozenset({NODE, CREATOR, SENDER, OTHER}),
    known_statement_markings=frozenset({STATEMENT}),
)


def who(
    org: str, role: Role = Role.ANALYST, *, individual: bool = True, pid: str = "p"
) -> Principal:
    """A principal of ``org``."""
    return Principal(id=pid, org=org, role=role, is_individual=individual)


def version(*markings: str, **changes: object) -> VersionFacts:
    """A version created by CREATOR and received from SENDER, marked with ``markings``."""
    base = VersionFacts(
        id="indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        type="indicator",
        created_by_ref=CREATOR,
        marking_refs=markings,
        received_from_org=SENDER,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]  # test builder


def allowed(facts: VersionFacts, audience: Principal | None, ctx: NodeContext = CTX) -> bool:
    return is_allowed(decide(facts, audience, ctx))


@pytest.mark.parametrize("clear", [TLP2_CLEAR, TLP1_WHITE])
def test_public_endpoint_sees_only_clear(clear: str) -> None:
    assert allowed(version(clear), None)
    for marking in (TLP2_GREEN, TLP1_GREEN, TLP2_AMBER, TLP2_AMBER_STRICT, TLP2_RED):
        assert not allowed(version(marking), None)
    assert not allowed(version(), None)


def test_clear_is_visible_to_every_local_principal() -> None:
    # Partner nodes read under agreements only (see the partner test below).
    for org in (NODE, OUTSIDER):
        for role in (Role.ADMIN, Role.ANALYST, Role.READER):
            assert allowed(version(TLP2_CLEAR), who(org, role, individual=False))


@pytest.mark.parametrize("green", [TLP2_GREEN, TLP1_GREEN])
def test_green_is_visible_to_the_community_never_public(green: str) -> None:
    for org in (NODE, CREATOR, SENDER, OTHER):
        assert allowed(version(green), who(org, Role.READER, individual=False))
    assert not allowed(version(green), None)


def test_green_fails_closed_for_an_org_outside_the_community() -> None:
    decision = decide(version(TLP2_GREEN), who(OUTSIDER), CTX)
    assert isinstance(decision, Deny)


@pytest.mark.parametrize("amber", [TLP2_AMBER, TLP1_AMBER])
def test_amber_is_visible_to_node_creator_and_sender_orgs(amber: str) -> None:
    for org in (NODE, CREATOR, SENDER):
        assert allowed(version(amber), who(org))
    assert not allowed(version(amber), who(OTHER))
    assert not allowed(version(amber), None)


def test_amber_without_creator_or_sender_is_node_org_only() -> None:
    local = version(TLP2_AMBER, created_by_ref=None, received_from_org=None)
    assert allowed(local, who(NODE))
    assert not allowed(local, who(CREATOR))
    assert not allowed(local, who(SENDER))


def test_amber_strict_is_visible_to_node_and_creator_orgs_only() -> None:
    facts = version(TLP2_AMBER_STRICT)
    assert allowed(facts, who(NODE))
    assert allowed(facts, who(CREATOR))
    assert not allowed(facts, who(SENDER))
    assert not allowed(facts, who(OTHER))


@pytest.mark.parametrize("red", [TLP2_RED, TLP1_RED])
def test_red_is_visible_only_to_named_individuals(red: str) -> None:
    facts = version(red, red_recipients=frozenset({"alice", "token-1", "partner-node"}))
    assert allowed(facts, who(NODE, pid="alice"))
    assert allowed(facts, who(OTHER, Role.READER, pid="alice"))
    # Named but not a person: a token or a service never reads RED.
    assert not allowed(facts, who(NODE, individual=False, pid="token-1"))
    # Partners never read RED, even when named.
    assert not allowed(facts, who(SENDER, Role.PARTNER, pid="partner-node"))
    # Not named: nobody else, not the creator's org, not the node's admin.
    assert not allowed(facts, who(CREATOR, pid="bob"))
    assert not allowed(facts, who(NODE, Role.ADMIN, pid="root"))
    assert not allowed(facts, None)


def test_admin_sees_what_a_node_analyst_sees_and_no_more() -> None:
    for marking in (TLP2_CLEAR, TLP2_GREEN, TLP2_AMBER, TLP2_AMBER_STRICT, TLP2_RED, UNKNOWN):
        facts = version(marking, red_recipients=frozenset({"analyst"}))
        admin = allowed(facts, who(NODE, Role.ADMIN, pid="admin"))
        analyst = allowed(facts, who(NODE, Role.ANALYST, pid="admin"))
        assert admin == analyst
    assert not allowed(version(TLP2_RED), who(NODE, Role.ADMIN))


def test_unmarked_uses_node_default_amber_strict() -> None:
    assert CTX.default_marking is Tlp.AMBER_STRICT
    facts = version()
    assert allowed(facts, who(NODE))
    assert allowed(facts, who(CREATOR))
    assert not allowed(facts, who(SENDER))
    assert not allowed(facts, None)


def test_unmarked_follows_a_configured_default() -> None:
    green_node = dataclasses.replace(CTX, default_marking=Tlp.GREEN)
    assert allowed(version(), who(OTHER), green_node)
    assert allowed(version(STATEMENT), who(OTHER), green_node)
    assert not allowed(version(), None, green_node)


def test_statement_markings_restrict_nothing() -> None:
    assert allowed(version(TLP2_CLEAR, STATEMENT), None)
    assert effective_tlp([STATEMENT], Tlp.RED, known_statement_markings=frozenset({STATEMENT})) is (
        Tlp.RED
    )


def test_most_restrictive_marking_wins() -> None:
    assert effective_tlp([TLP2_CLEAR, TLP2_AMBER, TLP1_GREEN], Tlp.CLEAR) is Tlp.AMBER
    assert effective_tlp([TLP1_WHITE, TLP2_AMBER_STRICT, TLP1_AMBER], Tlp.CLEAR) is (
        Tlp.AMBER_STRICT
    )
    assert effective_tlp([TLP1_RED, TLP2_CLEAR], Tlp.CLEAR) is Tlp.RED
    assert effective_tlp([TLP2_GREEN, TLP2_GREEN], Tlp.RED) is Tlp.GREEN
    assert not allowed(version(TLP2_CLEAR, TLP2_GREEN), None)
    assert not allowed(version(TLP1_GREEN, TLP1_AMBER), who(OTHER))


def test_unknown_marking_fails_closed() -> None:
    assert effective_tlp([TLP2_CLEAR, UNKNOWN], Tlp.CLEAR) is None
    assert unknown_markings([UNKNOWN, TLP2_CLEAR, STATEMENT, UNKNOWN], frozenset({STATEMENT})) == (
        UNKNOWN,
    )
    decision = decide(version(TLP2_CLEAR, UNKNOWN), who(NODE, Role.ADMIN), CTX)
    assert decision == Deny(f"unknown marking {UNKNOWN}")
    # A statement marking the node was not told about is unknown too.
    assert not allowed(
        version(TLP2_CLEAR, STATEMENT),
        None,
        dataclasses.replace(CTX, known_statement_markings=frozenset()),
    )


def test_partner_nodes_get_the_outbound_rules_not_the_local_ones() -> None:
    # CTX has no agreements: a partner node reads nothing, not even CLEAR, and its org being
    # the node's, the creator's or the sender's changes nothing (architecture §2 "Agreement";
    # the outbound rules are tested in test_sharing_outbound.py).
    facts = version(TLP2_CLEAR)
    for org in (NODE, CREATOR, SENDER, OTHER):
        decision = decide(facts, who(org, Role.PARTNER, individual=False), CTX)
        assert isinstance(decision, Deny)
        assert decision.reason.startswith("not visible to partners")
        # The same org's local principals still read it under TLP.
        assert allowed(facts, who(org, Role.READER))


def test_allow_carries_the_facts_and_deny_reasons_quote_no_content() -> None:
    facts = version(TLP2_GREEN)
    assert decide(facts, who(NODE), CTX) == Allow(facts)
    # Local allows redact nothing and name no agreement.
    assert decide(facts, who(NODE), CTX) == Allow(facts, redact=(), anonymise=False, agreements=())
    for audience in (None, who(OUTSIDER), who(OTHER, Role.PARTNER)):
        for marking in (TLP2_GREEN, TLP2_AMBER, TLP2_AMBER_STRICT, TLP2_RED):
            denied = decide(version(marking), audience, CTX)
            assert isinstance(denied, Deny)
            assert "not visible" in denied.reason
            for secret in (facts.id, CREATOR, SENDER, NODE, OTHER, OUTSIDER):
                assert secret not in denied.reason


def test_decisions_are_frozen_values() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Deny("x").reason = "y"  # type: ignore[misc]  # asserting the runtime refusal
