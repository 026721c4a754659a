"""Property: ``decide`` agrees with the table-driven oracle on generated pairs (conventions §10)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.sharing.oracle import TLP_BY_MARKING_ID, level_of, oracle_allows, oracle_view

from entente.sharing import (
    Deny,
    NodeContext,
    Principal,
    Role,
    VersionFacts,
    decide,
    is_allowed,
)
from entente.stix import Tlp

ORGS = [f"identity--{n:08x}-0000-4000-8000-000000000000" for n in range(1, 6)]
PRINCIPAL_IDS = ["alice", "bob", "carol", "token-1", "svc-sync"]
STATEMENTS = [
    "marking-definition--aaaaaaaa-0000-4000-8000-000000000001",
    "marking-definition--aaaaaaaa-0000-4000-8000-000000000002",
]
UNKNOWN = [
    "marking-definition--bbbbbbbb-0000-4000-8000-000000000001",
    "marking-definition--bbbbbbbb-0000-4000-8000-000000000002",
]
MARKING_POOL = sorted(TLP_BY_MARKING_ID) + STATEMENTS + UNKNOWN

orgs = st.sampled_from(ORGS)
principals = st.builds(
    Principal,
    id=st.sampled_from(PRINCIPAL_IDS),
    org=orgs,
    role=st.sampled_from(list(Role)),
    is_individual=st.booleans(),
)
audiences = st.none() | principals
contexts = st.builds(
    NodeContext,
    node_org=orgs,
    community_orgs=st.frozensets(orgs),
    default_marking=st.sampled_from(list(Tlp)),
    known_statement_markings=st.frozensets(st.sampled_from(STATEMENTS + UNKNOWN[:1])),
)
versions = st.builds(
    VersionFacts,
    id=st.just("indicator--11111111-2222-4333-8444-555555555555"),
    type=st.just("indicator"),
    created_by_ref=st.none() | orgs,
    # Lists (not sets) so duplicates, TLP 1.0 + 2.0 mixes and unknown ids all occur.
    marking_refs=st.lists(st.sampled_from(MARKING_POOL), max_size=4).map(tuple),
    received_from_org=st.none() | orgs,
    received_under=st.none() | st.sampled_from(["bilateral", "unknown"]),
    red_recipients=st.frozensets(st.sampled_from(PRINCIPAL_IDS)),
    third_party=st.booleans(),
)
# Selectors that name content a copy may lose, content no copy may lose (common required
# properties, markings) and strings that are not selectors (STIX 2.1 §7.2.3.1).
SELECTORS = [
    "description",
    "name",
    "labels.[0]",
    "labels.[2]",
    "external_references.[1].url",
    "kill_chain_phases.[0].phase_name",
    "x_custom.secret",
    "created_by_ref",
    "id",
    "modified",
    "object_marking_refs.[0]",
    "granular_markings",
    "labels.[x]",
    "a..b",
    "[0]",
]
granulars = st.lists(
    st.tuples(
        st.sampled_from(MARKING_POOL),
        st.lists(st.sampled_from(SELECTORS), min_size=1, max_size=3).map(tuple),
    ),
    max_size=3,
).map(tuple)


@settings(max_examples=2000)
@given(facts=versions, audience=audiences, ctx=contexts)
def test_decide_agrees_with_the_oracle(
    facts: VersionFacts, audience: Principal | None, ctx: NodeContext
) -> None:
    decision = decide(facts, audience, ctx)
    assert is_allowed(decision) == oracle_allows(facts, audience, ctx)
    if level_of(facts, ctx) is None:
        assert isinstance(decision, Deny)
        assert decision.reason.startswith("unknown marking")


@given(facts=versions, audience=audiences, ctx=contexts, data=st.data())
def test_marking_order_and_duplicates_do_not_matter(
    facts: VersionFacts, audience: Principal | None, ctx: NodeContext, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(facts.marking_refs + facts.marking_refs))
    again = dataclasses.replace(facts, marking_refs=tuple(shuffled))
    assert is_allowed(decide(again, audience, ctx)) == is_allowed(decide(facts, audience, ctx))


@settings(max_examples=2000)
@given(facts=versions, granular=granulars, audience=audiences, ctx=contexts)
def test_granular_markings_agree_with_the_oracle(
    facts: VersionFacts,
    granular: tuple[tuple[str, tuple[str, ...]], ...],
    audience: Principal | None,
    ctx: NodeContext,
) -> None:
    """What ``decide`` leaves out (or withholds whole) for granular markings, per the oracle."""
    facts = dataclasses.replace(facts, granular=granular)
    decision = decide(facts, audience, ctx)
    expected = oracle_view(facts, audience, ctx)
    if expected is None:
        assert isinstance(decision, Deny)
    else:
        assert not isinstance(decision, Deny), decision
        assert set(decision.strip) == expected
        assert list(decision.strip) == sorted(decision.strip)
