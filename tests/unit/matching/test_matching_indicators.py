"""Indicators selected (active at a moment) and compiled into the set the matcher deploys."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.matching.strategies import indicator_sets

from entente.matching.indicators import (
    compile_indicator,
    indicator_set_fingerprint,
    select_active,
)
from entente.matching.model import (
    CompiledIndicator,
    IndicatorSet,
    NotDeployable,
    Term,
    TermOp,
    ValueKind,
)
from entente.stix.timestamps import parse_timestamp, timestamp_us_from_key

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
FEED = "identity--5f7c0e0b-3c67-4e2b-9d22-5f2c34b8e6a1"
NOW = "2024-06-01T12:00:00.000Z"
NOW_US = timestamp_us_from_key(parse_timestamp(NOW, "now").key)


def _indicator(n: int = 1, **fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": f"bad address {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    obj.update(fields)
    return {key: value for key, value in obj.items() if value is not None}


def test_compile_indicator_carries_what_a_hit_reports() -> None:
    obj = _indicator(
        labels=["c2", "botnet"],
        confidence=85,
        created_by_ref=FEED,
        object_marking_refs=[TLP_GREEN],
    )
    assert compile_indicator(obj) == CompiledIndicator(
        id=obj["id"],
        name="bad address 1",
        labels=("c2", "botnet"),
        score=85,
        terms=(Term(ValueKind.IP, TermOp.EQUALS, "198.51.100.1"),),
        created_by_ref=FEED,
        marking_refs=(TLP_GREEN,),
        modified=obj["modified"],
    )


@pytest.mark.parametrize(
    ("confidence", "score"),
    [
        (0, 0),
        (100, 100),
        (50, 50),
        (101, None),
        (-1, None),
        (True, None),
        (50.0, None),
        ("50", None),
    ],
)
def test_the_score_is_the_confidence_when_it_is_an_integer_0_to_100(
    confidence: object, score: int | None
) -> None:
    compiled = compile_indicator(_indicator(confidence=confidence))
    assert isinstance(compiled, CompiledIndicator)
    assert compiled.score == score


def test_an_indicator_without_optional_properties_compiles_with_defaults() -> None:
    compiled = compile_indicator(_indicator(name=None))
    assert isinstance(compiled, CompiledIndicator)
    assert (compiled.name, compiled.labels, compiled.score) == (None, (), None)
    assert (compiled.created_by_ref, compiled.marking_refs) == (None, ())


@pytest.mark.parametrize("pattern_type", ["sigma", "yara", "snort", "suricata", "pcre", None])
def test_another_pattern_language_is_not_deployable(pattern_type: str | None) -> None:
    obj = _indicator(pattern_type=pattern_type, pattern="title: evil")
    result = compile_indicator(obj)
    assert isinstance(result, NotDeployable)
    assert result.pattern == "title: evil"
    assert f"pattern_type {pattern_type!r}" in result.reason
    assert "STIX patterns only" in result.reason


def test_a_pattern_outside_the_subset_is_not_deployable_with_its_reason() -> None:
    pattern = "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']"
    result = compile_indicator(_indicator(pattern=pattern))
    assert result == NotDeployable(
        id=_indicator()["id"],
        name="bad address 1",
        pattern=pattern,
        reason="FOLLOWEDBY joins observations; the matcher evaluates single observations only",
    )


def test_an_indicator_without_a_pattern_is_not_deployable() -> None:
    result = compile_indicator(_indicator(pattern=None))
    assert isinstance(result, NotDeployable)
    assert result.reason == "the indicator has no pattern string"


def _ids(s: IndicatorSet) -> list[str]:
    return [i.id[-1:] for i in s.indicators]


def test_select_active_keeps_only_indicators_in_force_now() -> None:
    objects = [
        _indicator(1),
        _indicator(2, revoked=True),
        _indicator(3, valid_from="2024-06-01T12:00:00.001Z"),  # not yet valid
        _indicator(4, valid_until=NOW),  # valid_until is exclusive
        _indicator(5, valid_from=NOW, valid_until="2024-06-01T12:00:00.000001Z"),
        _indicator(6, valid_until="2030-01-01T00:00:00Z", revoked=False),
        {"type": "malware", "id": "malware--00000000-0000-4000-8000-000000000007"},
        {"type": "identity", "id": FEED, "name": "feed"},
    ]
    active = select_active(objects, NOW_US)
    assert _ids(active) == ["1", "5", "6"]
    assert active.not_deployable == ()


def test_select_active_lists_active_indicators_it_cannot_deploy_and_sorts_by_id() -> None:
    objects = [
        _indicator(3, pattern="[process:name = 'evil.exe']"),
        _indicator(2),
        _indicator(1, pattern_type="yara", pattern="rule x { condition: true }"),
        _indicator(4, pattern="[process:name = 'x']", revoked=True),  # inactive: not listed
        _indicator(5, valid_from="yesterday"),
    ]
    active = select_active(objects, NOW_US)
    assert _ids(active) == ["2"]
    assert [(n.id[-1:], n.reason) for n in active.not_deployable] == [
        ("1", "pattern_type 'yara': the matcher evaluates STIX patterns only "
         "(pattern_type 'stix', STIX 2.1 §4.7)"),
        ("3", "unsupported object path process:name"),
        ("5", "valid_from: 'yesterday' is not a valid timestamp; expected "
         "YYYY-MM-DDTHH:MM:SS[.fraction]Z (RFC 3339 in UTC, STIX 2.1 §3.2)"),
    ]  # fmt: skip


def test_select_active_uses_the_latest_version_of_each_indicator() -> None:
    old = _indicator(1)
    revoked = _indicator(1, modified="2024-02-01T00:00:00.000Z", revoked=True)
    newer = _indicator(
        2, modified="2024-03-01T00:00:00.000Z", pattern="[ipv4-addr:value = '9.9.9.9']"
    )
    older = _indicator(2)
    active = select_active([revoked, old, older, newer], NOW_US)
    assert [(i.id[-1:], i.terms[0].value) for i in active.indicators] == [("2", "9.9.9.9")]


def test_an_empty_input_gives_an_empty_set() -> None:
    assert select_active([], NOW_US) == IndicatorSet((), ())


def _shuffled(s: IndicatorSet, data: st.DataObject) -> IndicatorSet:
    indicators = data.draw(st.permutations(s.indicators))
    return IndicatorSet(
        tuple(
            replace(i, terms=tuple(data.draw(st.permutations(i.terms))), name="renamed", score=1)
            for i in indicators
        )
    )


@settings(max_examples=40, deadline=None)
@given(indicator_sets(), st.data())
def test_the_fingerprint_ignores_order_and_what_hits_only_report(
    s: IndicatorSet, data: st.DataObject
) -> None:
    fingerprint = indicator_set_fingerprint(s)
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    assert indicator_set_fingerprint(_shuffled(s, data)) == fingerprint


@settings(max_examples=40, deadline=None)
@given(indicator_sets().filter(lambda s: bool(s.indicators)), st.data())
def test_the_fingerprint_changes_when_a_term_or_an_indicator_changes(
    s: IndicatorSet, data: st.DataObject
) -> None:
    fingerprint = indicator_set_fingerprint(s)
    i = data.draw(st.integers(0, len(s.indicators) - 1))
    target = s.indicators[i]
    extra = Term(ValueKind.DOMAIN, TermOp.EQUALS, "added.invalid")
    changed = replace(target, terms=(*target.terms, extra))
    with_term = IndicatorSet((*s.indicators[:i], changed, *s.indicators[i + 1 :]))
    assert indicator_set_fingerprint(with_term) != fingerprint
    without = IndicatorSet((*s.indicators[:i], *s.indicators[i + 1 :]))
    assert indicator_set_fingerprint(without) != fingerprint
