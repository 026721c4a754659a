"""The outbound rules: what a partner node may read under agreements (architecture §2)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from entente.errors import ConfigurationError
from entente.sharing import (
    Agreement,
    Allow,
    Decision,
    Deny,
    NodeContext,
    OnwardSharing,
    Principal,
    Role,
    SightingsSharing,
    VersionFacts,
    decide,
    redacted_copy,
)
from entente.stix import Tlp, marking_id_for

NODE = "identity--00000000-0000-4000-8000-0000000000a0"
B = "identity--00000000-0000-4000-8000-0000000000b0"
C = "identity--00000000-0000-4000-8000-0000000000c0"
D = "identity--00000000-0000-4000-8000-0000000000d0"
UNKNOWN = "marking-definition--0b7d3c1a-9f62-4c0e-bf7b-2d3a6a1c5e77"
NOW = 1_000_000
CLEAR, GREEN, AMBER = (marking_id_for(t) for t in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER))
AMBER_STRICT, RED = marking_id_for(Tlp.AMBER_STRICT), marking_id_for(Tlp.RED)


def agreement(agreement_id: str = "node-b", **changes: Any) -> Agreement:
    """An AMBER agreement between the node and B, every type, no re-share, no dates."""
    base = Agreement(
        id=agreement_id,
        name=agreement_id,
        parties=frozenset({NODE, B}),
        max_tlp=Tlp.AMBER,
        object_types=None,
        onward=OnwardSharing.NONE,
        onward_orgs=frozenset(),
        redact={},
        sightings=SightingsSharing.NAMED,
        valid_from_us=None,
        valid_until_us=None,
    )
    return dataclasses.replace(base, **changes)


def ctx(*agreements: Agreement, now_us: int | None = NOW) -> NodeContext:
    return NodeContext(
        node_org=NODE,
        community_orgs=frozenset({NODE, B, C, D}),
        agreements=agreements,
        now_us=now_us,
    )


def partner(org: str) -> Principal:
    return Principal(id=f"node-{org[-4:]}", org=org, role=Role.PARTNER, is_individual=False)


def local(
    marking: str | None = AMBER, object_type: str = "indicator", **changes: Any
) -> VersionFacts:
    """A version created on this node, marked ``marking``."""
    facts = VersionFacts(
        id=f"{object_type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        type=object_type,
        created_by_ref=NODE,
        marking_refs=() if marking is None else (marking,),
    )
    return dataclasses.replace(facts, **changes)


def received(marking: str = AMBER, *, creator: str, sender: str, under: str | None) -> VersionFacts:
    """A version created by ``creator`` that ``sender`` sent here under agreement ``under``."""
    return local(marking, created_by_ref=creator, received_from_org=sender, received_under=under)


def denied_because(decision: Decision, words: str) -> bool:
    return isinstance(decision, Deny) and words in decision.reason


def test_a_partner_reads_under_an_agreement_in_force() -> None:
    facts = local(AMBER)
    assert decide(facts, partner(B), ctx(agreement())) == Allow(facts, agreements=("node-b",))


def test_unknown_markings_fail_closed_for_partners() -> None:
    decision = decide(local(UNKNOWN), partner(B), ctx(agreement()))
    assert denied_because(decision, "unknown marking")


def test_red_never_leaves_the_node_by_sync() -> None:
    strict = agreement(max_tlp=Tlp.AMBER_STRICT)
    decision = decide(local(RED), partner(B), ctx(strict))
    assert denied_because(decision, "TLP:RED never leaves the node by sync")


def test_without_a_clock_no_agreement_is_in_force() -> None:
    decision = decide(local(CLEAR), partner(B), ctx(agreement(), now_us=None))
    assert denied_because(decision, "no clock")


def test_a_partner_without_an_agreement_reads_nothing_not_even_clear() -> None:
    decision = decide(local(CLEAR), partner(C), ctx(agreement()))
    assert denied_because(decision, "no agreement with the partner's org")


def test_an_agreement_that_does_not_bind_this_node_does_not_apply() -> None:
    between_others = agreement(parties=frozenset({B, C}))
    assert denied_because(
        decide(local(CLEAR), partner(B), ctx(between_others)), "no agreement with the partner's org"
    )
    # A partner principal of the node's own org is not a party on the other side.
    assert denied_because(
        decide(local(CLEAR), partner(NODE), ctx(agreement())), "no agreement with the partner's org"
    )


def test_an_agreement_is_in_force_from_valid_from_until_before_valid_until() -> None:
    dated = agreement(valid_from_us=NOW, valid_until_us=NOW + 10)
    assert isinstance(decide(local(), partner(B), ctx(dated, now_us=NOW)), Allow)
    assert isinstance(decide(local(), partner(B), ctx(dated, now_us=NOW + 9)), Allow)
    for now in (NOW - 1, NOW + 10):
        decision = decide(local(), partner(B), ctx(dated, now_us=now))
        assert denied_because(decision, "no agreement with the partner's org is in force")


def test_a_level_above_the_agreement_max_tlp_is_denied() -> None:
    green_only = agreement(max_tlp=Tlp.GREEN)
    assert isinstance(decide(local(GREEN), partner(B), ctx(green_only)), Allow)
    decision = decide(local(AMBER), partner(B), ctx(green_only))
    assert denied_because(decision, "TLP:AMBER is above the max TLP")


def test_unmarked_versions_go_out_at_the_node_default_level() -> None:
    # Default AMBER+STRICT (architecture §2): an AMBER agreement does not carry them.
    assert denied_because(decide(local(None), partner(B), ctx(agreement())), "above the max TLP")
    strict = agreement(max_tlp=Tlp.AMBER_STRICT)
    assert isinstance(decide(local(None), partner(B), ctx(strict)), Allow)


def test_a_type_the_agreement_does_not_list_is_denied() -> None:
    indicators = agreement(object_types=frozenset({"indicator"}))
    assert isinstance(decide(local(), partner(B), ctx(indicators)), Allow)
    decision = decide(local(object_type="malware"), partner(B), ctx(indicators))
    assert denied_because(decision, "object type is not allowed")


def test_sightings_do_not_flow_under_an_agreement_that_shares_none() -> None:
    no_sightings = agreement(sightings=SightingsSharing.NONE)
    decision = decide(local(object_type="sighting"), partner(B), ctx(no_sightings))
    assert denied_because(decision, "sightings are not shared")
    assert isinstance(decide(local(), partner(B), ctx(no_sightings)), Allow)


def test_any_one_applicable_agreement_is_enough() -> None:
    narrow = agreement("narrow", max_tlp=Tlp.GREEN)
    wide = agreement("wide", parties=frozenset({NODE, B, C}))
    decision = decide(local(AMBER), partner(B), ctx(narrow, wide))
    assert decision == Allow(local(AMBER), agreements=("wide",))
    decision = decide(local(GREEN), partner(B), ctx(wide, narrow))
    assert decision == Allow(local(GREEN), agreements=("narrow", "wide"))


def test_a_received_version_may_go_back_to_its_creator_and_sender() -> None:
    # Even AMBER+STRICT under "no re-share": sending back discloses nothing new.
    no_reshare = agreement("node-b-c", parties=frozenset({NODE, B, C}), max_tlp=Tlp.AMBER_STRICT)
    facts = received(AMBER_STRICT, creator=B, sender=C, under="node-b-c")
    for org in (B, C):
        assert decide(facts, partner(org), ctx(no_reshare)) == Allow(
            facts, agreements=("node-b-c",)
        )


def test_going_back_still_needs_an_agreement_in_force() -> None:
    facts = received(creator=C, sender=B, under="node-b")
    decision = decide(facts, partner(C), ctx(agreement()))
    assert denied_because(decision, "no agreement with the partner's org")


def test_amber_strict_is_never_re_shared() -> None:
    coalition = agreement(
        "coalition",
        parties=frozenset({NODE, B, C}),
        max_tlp=Tlp.AMBER_STRICT,
        onward=OnwardSharing.COALITION,
    )
    facts = received(AMBER_STRICT, creator=B, sender=B, under="coalition")
    decision = decide(facts, partner(C), ctx(coalition))
    assert denied_because(decision, "TLP:AMBER+STRICT is never re-shared")


def test_what_came_in_under_no_re_share_is_never_passed_on() -> None:
    from_b = agreement(parties=frozenset({NODE, B}))
    to_c = agreement("node-c", parties=frozenset({NODE, C}))
    facts = received(creator=B, sender=B, under="node-b")
    decision = decide(facts, partner(C), ctx(from_b, to_c))
    assert denied_because(decision, "received under an agreement with no re-share")


def test_coalition_re_share_reaches_the_agreement_parties_only() -> None:
    coalition = agreement(
        "coalition", parties=frozenset({NODE, B, C}), onward=OnwardSharing.COALITION
    )
    to_d = agreement("node-d", parties=frozenset({NODE, D}))
    facts = received(creator=B, sender=B, under="coalition")
    both = ctx(coalition, to_d)
    assert decide(facts, partner(C), both) == Allow(facts, agreements=("coalition",))
    assert denied_because(decide(facts, partner(D), both), "limited to the agreement's parties")


def test_named_re_share_reaches_the_named_orgs_only() -> None:
    named = agreement(onward=OnwardSharing.NAMED, onward_orgs=frozenset({C}))
    out = agreement("node-c-d", parties=frozenset({NODE, C, D}))
    facts = received(creator=B, sender=B, under="node-b")
    both = ctx(named, out)
    assert decide(facts, partner(C), both) == Allow(facts, agreements=("node-c-d",))
    assert denied_because(decide(facts, partner(D), both), "limited to the agreement's named orgs")


@pytest.mark.parametrize("under", [None, "forgotten"])
def test_received_under_an_agreement_not_known_here_is_not_passed_on(under: str | None) -> None:
    out = agreement("node-c", parties=frozenset({NODE, C}), onward=OnwardSharing.COALITION)
    facts = received(creator=B, sender=B, under=under)
    decision = decide(facts, partner(C), ctx(out))
    assert denied_because(decision, "received under an agreement not known here")


def test_received_under_an_agreement_no_longer_in_force_is_not_passed_on() -> None:
    expired = agreement(
        "old",
        parties=frozenset({NODE, B, C}),
        onward=OnwardSharing.COALITION,
        valid_until_us=NOW,
    )
    out = agreement("node-c", parties=frozenset({NODE, C}))
    facts = received(creator=B, sender=B, under="old")
    decision = decide(facts, partner(C), ctx(expired, out))
    assert denied_because(decision, "the agreement it was received under is not in force")


def test_a_cycle_of_nodes_ends_as_a_duplicate_back_at_the_creator() -> None:
    # A→B→C→A over one coalition agreement (here from C's point of view): C may pass A's
    # object on to no one but may send it back to A, where it is a duplicate.
    a = "identity--00000000-0000-4000-8000-00000000aaaa"
    coalition = Agreement(
        id="abc",
        name="abc",
        parties=frozenset({a, B, C}),
        max_tlp=Tlp.AMBER,
        object_types=None,
        onward=OnwardSharing.NONE,
        onward_orgs=frozenset(),
        redact={},
        sightings=SightingsSharing.NAMED,
        valid_from_us=None,
        valid_until_us=None,
    )
    at_c = NodeContext(node_org=C, community_orgs=frozenset({a, B, C}), agreements=(coalition,))
    at_c = dataclasses.replace(at_c, now_us=NOW)
    facts = received(creator=a, sender=B, under="abc")
    assert isinstance(decide(facts, partner(a), at_c), Allow)
    assert isinstance(decide(facts, partner(B), at_c), Allow)


def test_locally_created_versions_are_not_bound_by_onward_rules() -> None:
    no_reshare = agreement("node-c", parties=frozenset({NODE, C}))
    facts = local(AMBER_STRICT, created_by_ref=B, received_under="ignored")
    strict = dataclasses.replace(no_reshare, max_tlp=Tlp.AMBER_STRICT)
    assert isinstance(decide(facts, partner(C), ctx(strict)), Allow)


def test_redact_is_the_union_of_type_and_every_type_entries_of_applicable_agreements() -> None:
    first = agreement("first", redact={"incident": ("x_victim_name",), "*": ("x_notes",)})
    second = agreement("second", redact={"incident": ("x_sector",), "indicator": ("x_source",)})
    outside = agreement("outside", parties=frozenset({NODE, C}), redact={"*": ("description",)})
    incident = local(object_type="incident")
    decision = decide(incident, partner(B), ctx(first, second, outside))
    assert decision == Allow(
        incident, redact=("x_notes", "x_sector", "x_victim_name"), agreements=("first", "second")
    )


def test_a_sighting_is_anonymised_when_any_applicable_agreement_says_so() -> None:
    named = agreement("named")
    anonymised = agreement("anon", sightings=SightingsSharing.ANONYMISED)
    sighting = local(object_type="sighting")
    decision = decide(sighting, partner(B), ctx(named, anonymised))
    assert decision == Allow(sighting, anonymise=True, agreements=("anon", "named"))
    assert decide(sighting, partner(B), ctx(named)) == Allow(sighting, agreements=("named",))
    # Only sightings are anonymised.
    assert decide(local(), partner(B), ctx(anonymised)) == Allow(local(), agreements=("anon",))


def test_deny_reasons_name_no_org_and_no_object() -> None:
    cases = [
        (local(RED), partner(B), ctx(agreement())),
        (local(), partner(C), ctx(agreement())),
        (received(creator=B, sender=B, under="node-b"), partner(C), ctx(agreement())),
        (
            received(AMBER_STRICT, creator=B, sender=B, under="x"),
            partner(C),
            ctx(agreement(parties=frozenset({NODE, B, C}), max_tlp=Tlp.AMBER_STRICT)),
        ),
    ]
    for facts, audience, context in cases:
        decision = decide(facts, audience, context)
        assert isinstance(decision, Deny)
        assert decision.reason.startswith("not visible to partners: ")
        for secret in (NODE, B, C, D, facts.id):
            assert secret not in decision.reason


def test_two_agreements_with_one_id_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="two agreements share the id node-b"):
        ctx(agreement(), agreement(parties=frozenset({NODE, C})))


SIGHTING: dict[str, Any] = {
    "type": "sighting",
    "spec_version": "2.1",
    "id": "sighting--ee20065d-2555-424f-ad9e-0f8fd6e2f1a1",
    "created": "2026-01-01T00:00:00.000Z",
    "modified": "2026-01-01T00:00:00.000Z",
    "created_by_ref": NODE,
    "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "where_sighted_refs": [NODE],
    "observed_data_refs": ["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"],
    "count": 3,
    "x_notes": "internal",
}


def test_redacted_copy_is_none_when_nothing_changes() -> None:
    facts = local(object_type="sighting")
    assert redacted_copy(SIGHTING, Allow(facts)) is None
    # Redacting properties the object does not have changes nothing either.
    assert redacted_copy(SIGHTING, Allow(facts, redact=("x_victim_name",))) is None


def test_redacted_copy_drops_the_redacted_top_level_properties() -> None:
    original = dict(SIGHTING)
    copy = redacted_copy(SIGHTING, Allow(local(), redact=("count", "x_notes")))
    assert copy == {k: v for k, v in SIGHTING.items() if k not in {"count", "x_notes"}}
    assert original == SIGHTING


def test_an_anonymised_sighting_says_nothing_about_who_saw_it() -> None:
    copy = redacted_copy(SIGHTING, Allow(local(object_type="sighting"), anonymise=True))
    assert copy is not None
    for name in ("where_sighted_refs", "observed_data_refs", "created_by_ref"):
        assert name not in copy
    # The rest of the sighting (STIX 2.1 §5.7) is intact and still valid.
    assert copy["sighting_of_ref"] == SIGHTING["sighting_of_ref"]
    assert copy["count"] == 3
    assert {"type", "spec_version", "id", "created", "modified"} <= set(copy)
