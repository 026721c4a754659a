"""Property: for partner nodes, ``decide`` agrees with the naive oracle (conventions §10)."""

from __future__ import annotations

import dataclasses
from itertools import combinations
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.unit.sharing.oracle import (
    REFUSAL_RULES,
    TLP_BY_MARKING_ID,
    Refused,
    Sent,
    oracle_outbound,
    oracle_view,
)

from entente.sharing import (
    Agreement,
    Allow,
    Deny,
    NodeContext,
    OnwardSharing,
    Principal,
    Role,
    SightingsSharing,
    ThirdPartySharing,
    VersionFacts,
    decide,
    redacted_copy,
)
from entente.stix import Tlp

# Few orgs, ids, types and instants, so that agreements bind, collide and expire often.
ORGS = [f"identity--{n:08x}-0000-4000-8000-000000000000" for n in range(1, 5)]
AGREEMENT_IDS = ["ab", "abc", "cd", "all"]
TYPES = ["indicator", "sighting", "malware", "incident"]
PROPERTIES = ["x_victim_name", "x_notes", "description", "labels"]
STATEMENT = "marking-definition--aaaaaaaa-0000-4000-8000-000000000001"
UNKNOWN = "marking-definition--bbbbbbbb-0000-4000-8000-000000000001"
# Every non-RED TLP id twice, so RED (which denies before any agreement rule) is rarer.
NOT_RED = sorted(ref for ref, label in TLP_BY_MARKING_ID.items() if label != "red")
MARKINGS = sorted(TLP_BY_MARKING_ID) + NOT_RED + [STATEMENT, UNKNOWN]
INSTANTS = st.integers(0, 12)

# Words in ``Deny.reason`` that show which rule denied, for each oracle rule.
REASON_WORDS = {
    "unknown marking": "unknown marking",
    "red": "TLP:RED never leaves the node by sync",
    "no clock": "no clock",
    "no agreement": "no agreement with the partner's org",
    "none in force": "no agreement with the partner's org is in force",
    "above max tlp": "is above the max TLP",
    "type not allowed": "object type is not allowed",
    "sightings not shared": "sightings are not shared",
    "amber+strict re-share": "TLP:AMBER+STRICT is never re-shared",
    "unknown source agreement": "received under an agreement not known here",
    "source agreement not in force": "the agreement it was received under is not in force",
    "no re-share": "received under an agreement with no re-share",
    "not a coalition party": "re-share is limited to the agreement's parties",
    "not a named org": "re-share is limited to the agreement's named orgs",
    "third-party amber": "needs an agreement with third_party: share",
}
assert set(REASON_WORDS) == set(REFUSAL_RULES)

orgs = st.sampled_from(ORGS)


def every_subset(pool: list[str], min_size: int = 0) -> list[frozenset[str]]:
    """Every subset of ``pool`` with at least ``min_size`` items, smallest first."""
    return [
        frozenset(chosen)
        for size in range(min_size, len(pool) + 1)
        for chosen in combinations(pool, size)
    ]


def subsets(pool: list[str], min_size: int) -> st.SearchStrategy[frozenset[str]]:
    """A subset of a tiny pool, drawn from the precomputed list of all of them.

    Cheaper to generate than ``st.frozensets`` over a tiny pool, which mostly draws repeats.
    """
    return st.sampled_from(every_subset(pool, min_size))


@st.composite
def agreements_with_id(
    draw: st.DrawFn, agreement_id: str, node_org: str, partner_org: str
) -> Agreement:
    """Any valid agreement called ``agreement_id`` over ``ORGS``.

    Usually binding ``node_org`` and often ``partner_org``, so that agreements apply; not
    always, so that the re-share rules meet partners outside an agreement's parties.
    """
    parties = draw(subsets(ORGS, 2))
    if draw(st.sampled_from([True, True, True, False])):
        parties |= {node_org}
    if draw(st.booleans()):
        parties |= {partner_org}
    onward = draw(st.sampled_from(list(OnwardSharing)))
    start = draw(st.none() | INSTANTS)
    length = draw(st.none() | st.integers(1, 8))
    return Agreement(
        id=agreement_id,
        name=agreement_id,
        parties=parties,
        max_tlp=draw(st.sampled_from([t for t in Tlp if t is not Tlp.RED])),
        object_types=draw(st.none() | subsets(TYPES, 1)),
        onward=onward,
        onward_orgs=draw(subsets(ORGS, 1)) if onward is OnwardSharing.NAMED else frozenset(),
        redact={
            key: tuple(sorted(draw(subsets(PROPERTIES, 1))))
            for key in draw(subsets(["*", *TYPES], 0))
        },
        sightings=draw(st.sampled_from(list(SightingsSharing))),
        third_party=draw(st.sampled_from(list(ThirdPartySharing))),
        valid_from_us=start,
        valid_until_us=None if length is None else (start or 0) + length,
    )


Case = tuple[VersionFacts, Principal, NodeContext]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A version, a partner node and this node, biased towards the interesting combinations.

    Agreements mostly bind this node, the partner is mostly another org, and received
    versions mostly name an agreement of this node, so every rule gets exercised.
    """
    node_org = draw(orgs)
    others = [org for org in ORGS if org != node_org]
    partner_org = draw(st.sampled_from([node_org, *others, *others]))
    ids = sorted(draw(subsets(AGREEMENT_IDS, 1)))
    ctx = NodeContext(
        node_org=node_org,
        community_orgs=frozenset(ORGS),
        default_marking=draw(st.sampled_from([*Tlp, Tlp.AMBER_STRICT])),
        known_statement_markings=frozenset({STATEMENT}),
        agreements=tuple(draw(agreements_with_id(i, node_org, partner_org)) for i in ids),
        # Mostly a clock: without one every partner read is denied before any agreement rule.
        now_us=draw(st.sampled_from([None, *range(13)])),
    )
    facts = VersionFacts(
        id="indicator--11111111-2222-4333-8444-555555555555",
        type=draw(st.sampled_from(TYPES)),
        created_by_ref=draw(st.none() | orgs),
        # Lists (not sets) so duplicates, TLP 1.0 + 2.0 mixes and unknown ids all occur.
        marking_refs=tuple(draw(st.lists(st.sampled_from(MARKINGS), max_size=2))),
        received_from_org=draw(st.sampled_from([None, *others])),
        received_under=draw(st.sampled_from([None, "gone", *ids, *ids])),
        third_party=draw(st.booleans()),
    )
    partner = Principal(
        id="partner-node",
        org=partner_org,
        role=Role.PARTNER,
        is_individual=draw(st.booleans()),
    )
    return facts, partner, ctx


@st.composite
def reshare_cases(draw: st.DrawFn) -> Case:
    """Cases where a version received from a partner passes the agreement rules.

    Every agreement is widened to every type up to AMBER+STRICT, and all but the one the
    version came under are always in force, so the re-share rules (architecture §2) decide.
    """
    facts, partner, ctx = draw(cases())
    widened = tuple(
        dataclasses.replace(
            a,
            max_tlp=Tlp.AMBER_STRICT,
            object_types=None,
            sightings=SightingsSharing.NAMED,
            valid_from_us=a.valid_from_us if a.id == facts.received_under else None,
            valid_until_us=a.valid_until_us if a.id == facts.received_under else None,
        )
        for a in ctx.agreements
    )
    # Often keep the partner out of the agreement the version came under, so that onward
    # sharing to "coalition" or "named" orgs meets partners it does not cover.
    outside = draw(st.booleans())
    widened = tuple(
        dataclasses.replace(a, parties=a.parties - {partner.org})
        if outside and a.id == facts.received_under and len(a.parties - {partner.org}) >= 2
        else a
        for a in widened
    )
    ctx = dataclasses.replace(ctx, agreements=widened, now_us=draw(INSTANTS))
    sender = draw(orgs)
    facts = dataclasses.replace(
        facts,
        received_from_org=sender,
        marking_refs=tuple(draw(st.lists(st.sampled_from(NOT_RED), max_size=2))),
    )
    return facts, partner, ctx


def check_against_the_oracle(facts: VersionFacts, partner: Principal, ctx: NodeContext) -> None:
    """``decide`` allows exactly what the oracle allows, as it does, or denies by its rule."""
    decision = decide(facts, partner, ctx)
    expected = oracle_outbound(facts, partner, ctx)
    event(f"allowed ({len(expected.agreements)})" if isinstance(expected, Sent) else expected.rule)
    if isinstance(expected, Sent):
        assert decision == Allow(
            facts,
            redact=expected.redact,
            anonymise=expected.anonymise,
            agreements=expected.agreements,
        )
    else:
        assert isinstance(expected, Refused)
        assert isinstance(decision, Deny), decision
        assert REASON_WORDS[expected.rule] in decision.reason, (expected, decision)


@settings(max_examples=1000)
@given(case=cases())
def test_decide_agrees_with_the_oracle_for_partner_nodes(case: Case) -> None:
    check_against_the_oracle(*case)


@settings(max_examples=500)
@given(case=reshare_cases())
def test_decide_agrees_with_the_oracle_on_re_sharing(case: Case) -> None:
    check_against_the_oracle(*case)


@given(case=cases())
def test_what_goes_out_carries_nothing_that_was_to_be_removed(case: Case) -> None:
    facts, partner, ctx = case
    decision = decide(facts, partner, ctx)
    if not isinstance(decision, Allow):
        return
    obj: dict[str, Any] = {
        "type": facts.type,
        "id": facts.id,
        "created_by_ref": "identity--0",
        "where_sighted_refs": [],
        "observed_data_refs": [],
        **dict.fromkeys(PROPERTIES, "secret"),
    }
    copy = redacted_copy(obj, decision)
    sent = obj if copy is None else copy
    assert not set(decision.redact) & set(sent)
    if decision.anonymise:
        assert not {"where_sighted_refs", "observed_data_refs", "created_by_ref"} & set(sent)
    assert {"type", "id"} <= set(sent)


GRANULAR_SELECTORS = ["description", "labels.[1]", "x_victim_name", "name", "id", "x..y"]


@settings(max_examples=500)
@given(case=cases(), data=st.data())
def test_granular_markings_agree_with_the_oracle_for_partner_nodes(
    case: Case, data: st.DataObject
) -> None:
    """Partners are not sent content under a granular marking their agreements do not allow."""
    facts, partner, ctx = case
    granular = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(MARKINGS),
                st.lists(st.sampled_from(GRANULAR_SELECTORS), min_size=1, max_size=2).map(tuple),
            ),
            max_size=2,
        ).map(tuple)
    )
    facts = dataclasses.replace(facts, granular=granular)
    decision = decide(facts, partner, ctx)
    expected = oracle_view(facts, partner, ctx)
    if expected is None:
        assert isinstance(decision, Deny)
    else:
        assert isinstance(decision, Allow), decision
        assert set(decision.strip) == expected
