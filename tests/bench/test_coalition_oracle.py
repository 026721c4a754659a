"""The coalition bench's oracle: the rules by example, and its search against simulated races."""

from __future__ import annotations

import heapq
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coalition_oracle import LEVELS, Reach, Rules, State, reach
from coalition_topology import generate

NOW = "2026-06-01T00:00:00Z"


def _agreement(
    ident: str, parties: list[str], max_tlp: str, onward: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": ident,
        "parties": parties,
        "max_tlp": max_tlp,
        "onward_sharing": onward,
        **extra,
    }


def _chain(
    onward: Any, max_tlp: str = "amber", **extra: Any
) -> tuple[Rules, list[tuple[str, str]]]:
    """A - B - C: A and B under ``ab`` (``onward``), B and C under ``bc`` (coalition)."""
    agreements = [
        _agreement("ab", ["A", "B"], max_tlp, onward, **extra),
        _agreement("bc", ["B", "C"], "amber", "coalition"),
    ]
    return Rules(agreements, NOW, "indicator"), [("A", "B"), ("B", "C")]


def test_red_never_leaves_its_origin() -> None:
    rules, links = _chain({"named": ["C"]})
    assert reach(rules, links, "A", "red").may == {"A"}


def test_amber_strict_reaches_direct_partners_only() -> None:
    rules, links = _chain({"named": ["C"]}, max_tlp="amber+strict")
    answer = reach(rules, links, "A", "amber+strict")
    assert answer.may == answer.must == {"A", "B"}


def test_named_onward_sharing_lets_the_recipient_pass_it_on_to_the_named_org() -> None:
    rules, links = _chain({"named": ["C"]})
    answer = reach(rules, links, "A", "amber")
    assert answer.must == {"A", "B", "C"}
    assert answer.hops == {"A": 0, "B": 1, "C": 2}
    assert answer.states["C"] == {State("C", "B", "bc")}


def test_no_onward_sharing_stops_at_the_recipient() -> None:
    rules, links = _chain("none")
    assert reach(rules, links, "A", "green").may == {"A", "B"}


def test_coalition_onward_sharing_is_limited_to_the_agreements_parties() -> None:
    rules, links = _chain("coalition")
    assert reach(rules, links, "A", "green").may == {"A", "B"}


def test_a_level_above_the_ceiling_does_not_flow() -> None:
    rules, links = _chain({"named": ["C"]}, max_tlp="green")
    assert reach(rules, links, "A", "amber").may == {"A"}


def test_a_lapsed_agreement_carries_nothing() -> None:
    lapsed = {"valid_from": "2020-01-01T00:00:00Z", "valid_until": "2021-01-01T00:00:00Z"}
    rules, links = _chain({"named": ["C"]}, **lapsed)
    assert reach(rules, links, "A", "clear").may == {"A"}


def test_redaction_is_kept_along_the_path() -> None:
    rules, links = _chain({"named": ["C"]}, redact={"indicator": ["description"]})
    answer = reach(rules, links, "A", "clear")
    assert answer.must_lack("B") == answer.must_lack("C") == {"description"}
    assert answer.must_lack("A") == frozenset()


def test_a_copy_that_comes_back_gives_no_provenance_the_first_copy_could_not() -> None:
    # B gets A's object under "ab" (onward: C only); C may send it on to D and D to B, but B
    # held it first, so B never holds it under "bd" and never passes it on to E.
    agreements = [
        _agreement("ab", ["A", "B"], "amber", {"named": ["C"]}),
        _agreement("bc", ["B", "C"], "amber", {"named": ["D"]}),
        _agreement("cd", ["C", "D"], "amber", {"named": ["B"]}),
        _agreement("bd", ["B", "D"], "amber", {"named": ["E"]}),
        _agreement("be", ["B", "E"], "amber", "none"),
    ]
    links = [("A", "B"), ("B", "C"), ("C", "D"), ("D", "B"), ("B", "E")]
    answer = reach(Rules(agreements, NOW, "indicator"), links, "A", "green")
    assert "E" not in answer.may
    assert {state.agreement for state in answer.states["B"]} == {"ab"}


def _simulate(
    rules: Rules, links: list[tuple[str, str]], origin: str, level: str, seed: int
) -> dict[str, State]:
    """One race: every link takes a random time, each node keeps its first copy (naive twin)."""
    rng = random.Random(seed)
    neighbours: dict[str, list[str]] = {}
    for a, b in links:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    first: dict[str, State] = {}
    events: list[tuple[float, int, State]] = [(0.0, 0, State(origin))]
    tie = 0
    while events:
        at, _, state = heapq.heappop(events)
        if state.node in first:
            continue
        first[state.node] = state
        for to in sorted(neighbours.get(state.node, [])):
            options = rules.sends(state, to, level)
            if to != origin and options:
                tie += 1
                heapq.heappush(events, (at + rng.uniform(0.01, 1.0), tie, rng.choice(options)))
    return first


def _check(answer: Reach, held: dict[str, State]) -> None:
    assert set(held) <= answer.may
    assert answer.must <= set(held)
    for node, state in held.items():
        assert state in answer.states[node]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    countries=st.integers(2, 3),
    sectors=st.integers(1, 4),
    level=st.sampled_from(LEVELS),
    races=st.lists(st.integers(0, 10_000), min_size=3, max_size=6),
)
def test_every_simulated_race_holds_within_the_oracles_bounds(
    seed: int, countries: int, sectors: int, level: str, races: list[int]
) -> None:
    topology = generate(countries, sectors, seed, cross_border=countries + 1)
    rules = Rules(topology.agreements, NOW, "indicator")
    links = topology.links()
    for origin in topology.orgs:
        answer = reach(rules, links, origin, level)
        for race in races:
            _check(answer, _simulate(rules, links, origin, level, race))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 6),
    edges=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=2, max_size=10),
    terms=st.lists(
        st.tuples(
            st.sampled_from(LEVELS[:4]),
            st.sampled_from(["none", "coalition", "named"]),
            st.sets(st.integers(0, 5), max_size=3),
        ),
        min_size=10,
        max_size=10,
    ),
    races=st.lists(st.integers(0, 10_000), min_size=3, max_size=6),
)
def test_races_on_random_graphs_hold_within_the_oracles_bounds(
    n: int, edges: list[tuple[int, int]], terms: list[tuple[str, str, set[int]]], races: list[int]
) -> None:
    names = [f"N{i}" for i in range(n)]
    agreements: list[dict[str, Any]] = []
    links: set[tuple[str, str]] = set()
    for k, (x, y) in enumerate(edges):
        a, b = x % n, y % n
        if a == b:
            continue
        max_tlp, onward, named = terms[k]
        rule: Any = (
            {"named": sorted(names[i % n] for i in named)}
            if onward == "named" and named
            else onward
        )
        rule = "none" if rule == "named" else rule
        agreements.append(_agreement(f"e{k}", [names[a], names[b]], max_tlp, rule))
        links.add((min(names[a], names[b]), max(names[a], names[b])))
    rules = Rules(agreements, NOW, "indicator")
    for level in LEVELS:
        answer = reach(rules, sorted(links), "N0", level)
        for race in races:
            _check(answer, _simulate(rules, sorted(links), "N0", level, race))
