"""``score_indicator``: every step explained, sightings, stops, kinds, and the model's laws."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from entente.errors import InvalidInput
from entente.scoring import (
    FALSE_POSITIVE_PROPERTY,
    ScoringConfig,
    pattern_kinds,
    score_indicator,
)
from entente.scoring.decay import MICROS_PER_DAY
from entente.stix import format_timestamp_us, parse_timestamp, timestamp_us_from_key

CONFIG = ScoringConfig()
VALID_FROM = "2026-01-01T00:00:00Z"
T0 = timestamp_us_from_key(parse_timestamp(VALID_FROM, "t").key)
DAY = MICROS_PER_DAY
INDICATOR_ID = "indicator--3e1e6c86-4b1d-4b4b-9d6b-2d4b8c3f1a10"


def _indicator(pattern: str = "[ipv4-addr:value = '203.0.113.9']", **extra: Any) -> dict[str, Any]:
    ind: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": INDICATOR_ID,
        "created": VALID_FROM,
        "modified": VALID_FROM,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": VALID_FROM,
    }
    ind.update(extra)
    return ind


def _sighting(n: int, at_us: int, **extra: Any) -> dict[str, Any]:
    sighting: dict[str, Any] = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": f"sighting--00000000-0000-4000-8000-{n:012d}",
        "created": format_timestamp_us(at_us),
        "modified": format_timestamp_us(at_us),
        "sighting_of_ref": INDICATOR_ID,
        "last_seen": format_timestamp_us(at_us),
        "count": 1,
    }
    sighting.update(extra)
    return sighting


def test_every_step_is_explained_for_a_domain_indicator_ten_days_old() -> None:
    explanation = score_indicator(
        _indicator("[domain-name:value = 'evil.example']", confidence=80),
        now_us=T0 + 9 * DAY,
        sightings=[],
        reliability="B",
        config=CONFIG,
    )
    assert explanation.score == 58  # 64 x (1 - 9/90)
    assert explanation.lines() == (
        "reliability: B (usually reliable), weight 0.8",
        "confidence: 80 (from the indicator)",
        "base: 80 x 0.8 = 64",
        "sightings: 0 true (+0), 0 false positive (-0): adjusted 64",
        "age: 9.00 days since valid_from (2026-01-01T00:00:00.000000Z)",
        "decay (domain): lifetime 90 days, speed 1: factor 1 - (9.00/90)^(1/1) = 0.9000",
        "score: 64 x 0.9000 = 58",
    )
    as_json = explanation.to_json()
    assert as_json["score"] == 58
    assert as_json["base"] == 64
    assert as_json["decay_factor"] == pytest.approx(0.9)
    assert as_json["lines"] == list(explanation.lines())


def test_unrated_source_and_missing_confidence_take_the_documented_defaults() -> None:
    explanation = score_indicator(
        _indicator(), now_us=T0, sightings=[], reliability=None, config=CONFIG
    )
    assert (explanation.reliability, explanation.reliability_weight) == ("F", 0.5)
    assert explanation.confidence == 50
    assert explanation.base == explanation.score == 25
    assert explanation.lines()[0] == (
        "reliability: F (reliability cannot be judged, default for an unrated source), weight 0.5"
    )
    assert explanation.lines()[1] == "confidence: 50 (default: the indicator has none)"


@pytest.mark.parametrize("bad", ["high", 101, -1, True, 50.5])
def test_a_confidence_that_is_not_an_integer_0_100_is_replaced_and_said(bad: object) -> None:
    explanation = score_indicator(
        _indicator(confidence=bad), now_us=T0, sightings=[], reliability="A", config=CONFIG
    )
    assert explanation.confidence == 50
    assert explanation.confidence_note == f"default: {bad!r} is not an integer 0-100"


def test_a_reliability_that_is_no_letter_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'G' is not an Admiralty"):
        score_indicator(_indicator(), now_us=T0, sightings=[], reliability="G", config=CONFIG)


def test_true_sightings_add_up_to_the_cap_and_restart_the_age() -> None:
    now = T0 + 20 * DAY
    sightings = [_sighting(n, T0 + n * DAY) for n in range(1, 8)]  # last on day 7
    explanation = score_indicator(
        _indicator(confidence=60), now_us=now, sightings=sightings, reliability="A", config=CONFIG
    )
    assert explanation.true_sightings == 7
    assert explanation.bonus == 20  # 7 x 5, capped
    assert explanation.adjusted == 80
    assert explanation.age_from == "last sighting"
    assert explanation.age_days == pytest.approx(13)
    assert explanation.score == round(80 * (1 - (13 / 30) ** 0.5))


def test_false_positive_sightings_take_points_off_and_do_not_refresh_the_age() -> None:
    fp = _sighting(1, T0 + 5 * DAY, **{FALSE_POSITIVE_PROPERTY: True})
    explanation = score_indicator(
        _indicator(confidence=90), now_us=T0, sightings=[fp], reliability="A", config=CONFIG
    )
    assert explanation.false_positive_sightings == 1
    assert explanation.true_sightings == 0
    assert explanation.adjusted == explanation.score == 65
    assert explanation.age_from == "valid_from"
    assert "1 false positive (-25)" in explanation.lines()[3]


def test_sightings_that_do_not_count() -> None:
    sightings = [
        _sighting(1, T0, count=0),  # seen zero times
        _sighting(2, T0, revoked=True),
        _sighting(3, T0, sighting_of_ref="indicator--00000000-0000-4000-8000-000000000000"),
        _sighting(4, T0, **{FALSE_POSITIVE_PROPERTY: "yes"}),  # only true marks one
    ]
    explanation = score_indicator(
        _indicator(confidence=50), now_us=T0, sightings=sightings, reliability="A", config=CONFIG
    )
    assert (explanation.true_sightings, explanation.false_positive_sightings) == (1, 0)


def test_several_versions_of_one_sighting_count_once_the_latest() -> None:
    old = _sighting(1, T0)
    new = dict(_sighting(1, T0 + DAY), **{FALSE_POSITIVE_PROPERTY: True})
    explanation = score_indicator(
        _indicator(confidence=50),
        now_us=T0 + DAY,
        sightings=[new, old],
        reliability="A",
        config=CONFIG,
    )
    assert (explanation.true_sightings, explanation.false_positive_sightings) == (0, 1)


def test_a_sighting_dated_after_now_counts_as_now() -> None:
    explanation = score_indicator(
        _indicator(confidence=50),
        now_us=T0 + 10 * DAY,
        sightings=[_sighting(1, T0 + 99 * DAY)],
        reliability="A",
        config=CONFIG,
    )
    assert explanation.age_days == 0
    assert explanation.score == 55


@pytest.mark.parametrize(
    ("extra", "now", "why"),
    [
        ({"revoked": True}, T0, "the indicator is revoked"),
        (
            {"valid_until": "2026-01-05T00:00:00Z"},
            T0 + 4 * DAY,
            "expired: valid_until 2026-01-05T00:00:00.000000Z has passed",
        ),
        ({}, T0 - DAY, "not valid yet: valid_from 2026-01-01T00:00:00.000000Z is ahead"),
    ],
)
def test_revoked_expired_and_not_yet_valid_indicators_score_zero(
    extra: dict[str, Any], now: int, why: str
) -> None:
    explanation = score_indicator(
        _indicator(confidence=100, **extra),
        now_us=now,
        sightings=[],
        reliability="A",
        config=CONFIG,
    )
    assert explanation.score == 0
    assert explanation.stopped == why
    assert explanation.lines()[-1] == f"score: 0 ({why})"


def test_without_valid_from_the_age_counts_from_created() -> None:
    ind = _indicator(confidence=100)
    del ind["valid_from"]
    explanation = score_indicator(
        ind, now_us=T0 + 15 * DAY, sightings=[], reliability="A", config=CONFIG
    )
    assert explanation.age_from == "created"
    assert explanation.score == 29  # ip: 100 x (1 - (15/30)^(1/2))


@pytest.mark.parametrize(
    ("pattern", "kinds"),
    [
        ("[ipv4-addr:value = '198.51.100.1']", {"ip"}),
        ("[ipv6-addr:value ISSUBSET '2001:db8::/32']", {"ip"}),
        ("[domain-name:value = 'x.example']", {"domain"}),
        ("[url:value = 'http://x.example/']", {"url"}),
        ("[email-addr:value = 'a@x.example']", {"email"}),
        ("[email-message:from_ref.value = 'a@x.example']", {"email"}),
        ("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", {"md5"}),
        ("[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']", {"sha1"}),
        ("[file:hashes.'SHA-256' = 'e3b0c442']", {"sha256"}),
        ("[file:hashes.'SHA-512' = 'cf83e135']", {"sha256"}),
        ("[x-ja3:value = 'e7d705a3286e19ea42f587b344ee6865']", {"ja3"}),
        ("[x-ja3s:value = 'e7d705a3286e19ea42f587b344ee6865']", {"ja3s"}),
        ("[x-ja4:value = 't13d1516h2_8daaf6152771_b0da82dd1658']", {"ja4"}),
        ("[url:value = 'http://x/domain-name:value']", {"url"}),  # literals are not paths
        ("[ipv4-addr:value = '1.2.3.4'] OR [file:hashes.MD5 = 'aa']", {"ip", "md5"}),
        ("[process:name = 'evil.exe']", set()),
    ],
)
def test_pattern_kinds_come_from_object_paths(pattern: str, kinds: set[str]) -> None:
    assert pattern_kinds(_indicator(pattern)) == kinds


def test_other_pattern_languages_have_no_kind() -> None:
    assert pattern_kinds({"pattern": "rule x { condition: true }", "pattern_type": "yara"}) == set()


def test_an_indicator_of_several_kinds_decays_as_its_shortest_lived_kind() -> None:
    ind = _indicator("[ipv4-addr:value = '1.2.3.4'] OR [file:hashes.MD5 = 'aa']", confidence=100)
    explanation = score_indicator(ind, now_us=T0, sightings=[], reliability="A", config=CONFIG)
    assert explanation.kind == "ip"
    assert explanation.lifetime_days == 30


def test_the_caller_may_decay_as_an_export_items_kind() -> None:
    ind = _indicator("[ipv4-addr:value = '1.2.3.4'] OR [file:hashes.MD5 = 'aa']", confidence=100)
    explanation = score_indicator(
        ind, now_us=T0 + 100 * DAY, sightings=[], reliability="A", config=CONFIG, kind="md5"
    )
    assert explanation.kind == "md5"
    assert explanation.score > 0
    unknown = score_indicator(
        _indicator("[process:name = 'x']"),
        now_us=T0,
        sightings=[],
        reliability="A",
        config=CONFIG,
    )
    assert (unknown.kind, unknown.lifetime_days) == ("default", 90)


# --- the model's laws (Hypothesis) ------------------------------------------------------------

_KINDS = st.sampled_from(["ip", "domain", "url", "email", "md5", "sha256", "ja3", "default"])
_LETTERS = st.sampled_from("ABCDEF")
_CONFIDENCE = st.one_of(st.none(), st.integers(0, 100))
_AGE = st.integers(0, 2000 * DAY)


def _score(confidence: int | None, letter: str, age_us: int, kind: str) -> int:
    ind = _indicator() if confidence is None else _indicator(confidence=confidence)
    return score_indicator(
        ind, now_us=T0 + age_us, sightings=[], reliability=letter, config=CONFIG, kind=kind
    ).score


@given(_CONFIDENCE, _LETTERS, _AGE, _KINDS)
def test_score_is_within_0_and_100(
    confidence: int | None, letter: str, age: int, kind: str
) -> None:
    assert 0 <= _score(confidence, letter, age, kind) <= 100


@given(_CONFIDENCE, _LETTERS, _AGE, _AGE, _KINDS)
def test_score_never_grows_with_age(
    confidence: int | None, letter: str, a: int, b: int, kind: str
) -> None:
    young, old = sorted((a, b))
    assert _score(confidence, letter, old, kind) <= _score(confidence, letter, young, kind)


@given(_CONFIDENCE, _LETTERS, _KINDS)
def test_score_equals_the_base_at_age_zero(confidence: int | None, letter: str, kind: str) -> None:
    ind = _indicator() if confidence is None else _indicator(confidence=confidence)
    explanation = score_indicator(
        ind, now_us=T0, sightings=[], reliability=letter, config=CONFIG, kind=kind
    )
    assert explanation.score == explanation.base
    expected_confidence = 50 if confidence is None else confidence
    assert explanation.base == int(expected_confidence * CONFIG.reliability_weights[letter] + 0.5)


@given(_CONFIDENCE, _LETTERS, st.integers(0, 5000 * DAY), _KINDS)
def test_score_is_zero_from_the_lifetime_on(
    confidence: int | None, letter: str, extra: int, kind: str
) -> None:
    lifetime_us = int(CONFIG.decay_rule(kind).lifetime_days * DAY)
    assert _score(confidence, letter, lifetime_us + extra, kind) == 0


@given(st.integers(0, 100), st.integers(0, 100), _LETTERS, _AGE, _KINDS)
def test_score_never_falls_when_confidence_rises(
    c1: int, c2: int, letter: str, age: int, kind: str
) -> None:
    low, high = sorted((c1, c2))
    assert _score(low, letter, age, kind) <= _score(high, letter, age, kind)


@given(_CONFIDENCE, _LETTERS, _LETTERS, _AGE, _KINDS)
def test_score_never_falls_when_the_source_is_more_reliable(
    confidence: int | None, l1: str, l2: str, age: int, kind: str
) -> None:
    weights = CONFIG.reliability_weights
    assume(weights[l1] != weights[l2])
    worse, better = sorted((l1, l2), key=lambda letter: weights[letter])
    assert _score(confidence, worse, age, kind) <= _score(confidence, better, age, kind)


@given(st.integers(0, 30), st.integers(0, 5), _AGE)
def test_sightings_never_lower_and_false_positives_never_raise_the_score(
    true_count: int, fp_count: int, age: int
) -> None:
    ind = _indicator(confidence=60)
    now = T0 + age
    true_ones = [_sighting(n, T0) for n in range(true_count)]
    fps = [_sighting(1000 + n, T0, **{FALSE_POSITIVE_PROPERTY: True}) for n in range(fp_count)]

    def score(sightings: list[dict[str, Any]]) -> int:
        return score_indicator(
            ind, now_us=now, sightings=sightings, reliability="B", config=CONFIG
        ).score

    plain = score([])
    assert score(true_ones) >= plain
    assert score(fps) <= plain
