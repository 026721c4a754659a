"""Admiralty letters, their weights, and which letter a source has."""

from __future__ import annotations

import pytest

from entente.errors import InvalidInput
from entente.scoring import (
    ADMIRALTY_LETTERS,
    DEFAULT_RELIABILITY_WEIGHTS,
    parse_reliability,
    reliability_of,
)


def test_letters_a_to_e_weigh_less_and_less_and_f_sits_in_the_middle() -> None:
    weights = [DEFAULT_RELIABILITY_WEIGHTS[letter] for letter in "ABCDE"]
    assert weights == sorted(weights, reverse=True)
    assert weights == [1.0, 0.8, 0.6, 0.4, 0.2]
    assert DEFAULT_RELIABILITY_WEIGHTS["F"] == 0.5
    assert ADMIRALTY_LETTERS["F"] == "reliability cannot be judged"


def test_letters_are_read_without_case_or_spaces() -> None:
    assert parse_reliability(" b ") == "B"


@pytest.mark.parametrize("bad", ["G", "", "AB", 1, None])
def test_anything_else_is_refused_naming_where(bad: object) -> None:
    with pytest.raises(InvalidInput, match=r"^partners\.x: .* is not an Admiralty"):
        parse_reliability(bad, "partners.x")


def test_first_rated_key_wins() -> None:
    sources = {"abuse.ch URLhaus": "B", "identity--1": "A"}
    assert reliability_of(sources, ["abuse.ch URLhaus", "identity--1"]) == "B"
    assert reliability_of(sources, [None, "unknown", "identity--1"]) == "A"
    assert reliability_of(sources, ["unknown", None]) is None
