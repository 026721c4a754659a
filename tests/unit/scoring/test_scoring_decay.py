"""MISP's polynomial decay: the factor's shape and the default table."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.scoring import DEFAULT_DECAY, DecayRule, decay_factor


def test_factor_is_one_at_age_zero_and_zero_from_the_lifetime_on() -> None:
    rule = DecayRule(30, 2.0)
    assert decay_factor(0, rule) == 1.0
    assert decay_factor(-5, rule) == 1.0  # a sighting dated after now
    assert decay_factor(30, rule) == 0.0
    assert decay_factor(400, rule) == 0.0


def test_factor_follows_misp_polynomial_formula() -> None:
    # MISP Polynomial::computeScore: base * (1 - (t / tau) ^ (1 / delta))
    assert decay_factor(7.5, DecayRule(30, 2.0)) == pytest.approx(1 - math.sqrt(0.25))
    assert decay_factor(45, DecayRule(90, 1.0)) == pytest.approx(0.5)
    assert decay_factor(365, DecayRule(730, 0.3)) == pytest.approx(1 - 0.5 ** (1 / 0.3))


def test_speed_above_one_drops_early_and_below_one_holds_up() -> None:
    fast, linear, slow = DecayRule(100, 3.0), DecayRule(100, 1.0), DecayRule(100, 0.3)
    assert decay_factor(10, fast) < decay_factor(10, linear) < decay_factor(10, slow)


def test_hashes_decay_slowly_and_addresses_fast() -> None:
    age = 20.0
    assert decay_factor(age, DEFAULT_DECAY["ip"]) < decay_factor(age, DEFAULT_DECAY["domain"])
    assert decay_factor(age, DEFAULT_DECAY["domain"]) < decay_factor(age, DEFAULT_DECAY["sha256"])
    assert set(DEFAULT_DECAY) == {
        "ip",
        "domain",
        "url",
        "email",
        "md5",
        "sha1",
        "sha256",
        "ja3",
        "ja3s",
        "ja4",
        "default",
    }


@pytest.mark.parametrize(("lifetime", "speed"), [(0, 1.0), (-1, 1.0), (30, 0), (math.inf, 1.0)])
def test_rules_need_positive_finite_numbers(lifetime: float, speed: float) -> None:
    with pytest.raises(ValueError, match="must be a finite number > 0"):
        DecayRule(lifetime, speed)


@given(
    st.floats(0, 1000),
    st.floats(0, 1000),
    st.floats(0.1, 3650),
    st.floats(0.05, 20),
)
def test_factor_stays_in_unit_interval_and_never_grows_with_age(
    a: float, b: float, lifetime: float, speed: float
) -> None:
    rule = DecayRule(lifetime, speed)
    young, old = sorted((a, b))
    assert 0.0 <= decay_factor(old, rule) <= decay_factor(young, rule) <= 1.0
