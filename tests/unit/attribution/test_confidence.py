"""STIX 2.1 Appendix A confidence scales, both directions, against the spec's tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.attribution import (
    ADMIRALTY_CANNOT_BE_JUDGED,
    ConfidenceScale,
    from_confidence,
    scale_values,
    to_confidence,
)
from entente.errors import InvalidInput

# (scale value, STIX value written, lowest and highest STIX value read back as it): the
# rows of Appendix A's five tables typed out from the spec, not from the module.
TABLES: dict[ConfidenceScale, list[tuple[str, int, int, int]]] = {
    ConfidenceScale.NONE_LOW_MED_HIGH: [
        ("None", 0, 0, 0), ("Low", 15, 1, 29), ("Med", 50, 30, 69), ("High", 85, 70, 100),
    ],
    ConfidenceScale.ZERO_TEN: [
        ("0", 0, 0, 4), ("1", 10, 5, 14), ("2", 20, 15, 24), ("3", 30, 25, 34),
        ("4", 40, 35, 44), ("5", 50, 45, 54), ("6", 60, 55, 64), ("7", 70, 65, 74),
        ("8", 80, 75, 84), ("9", 90, 85, 94), ("10", 100, 95, 100),
    ],
    ConfidenceScale.ADMIRALTY_CREDIBILITY: [
        ("5", 10, 0, 19), ("4", 30, 20, 39), ("3", 50, 40, 59), ("2", 70, 60, 79),
        ("1", 90, 80, 100),
    ],
    ConfidenceScale.WEP: [
        ("Impossible", 0, 0, 0),
        ("Highly Unlikely/Almost Certainly Not", 10, 1, 19),
        ("Unlikely/Probably Not", 30, 20, 39),
        ("Even Chance", 50, 40, 59),
        ("Likely/Probable", 70, 60, 79),
        ("Highly likely/Almost Certain", 90, 80, 99),
        ("Certain", 100, 100, 100),
    ],
    ConfidenceScale.DNI: [
        ("Almost No Chance / Remote", 5, 0, 9),
        ("Very Unlikely / Highly Improbable", 15, 10, 19),
        ("Unlikely / Improbable", 30, 20, 39),
        ("Roughly Even Chance / Roughly Even Odds", 50, 40, 59),
        ("Likely / Probable", 70, 60, 79),
        ("Very Likely / Highly Probable", 85, 80, 89),
        ("Almost Certain / Nearly Certain", 95, 90, 100),
    ],
}  # fmt: skip

ROWS = [(scale, *row) for scale, rows in TABLES.items() for row in rows]


@pytest.mark.parametrize(("scale", "value", "stix", "low", "high"), ROWS)
def test_each_scale_value_is_written_and_read_back_as_the_spec_tables_say(
    scale: ConfidenceScale, value: str, stix: int, low: int, high: int
) -> None:
    assert to_confidence(scale, value) == stix
    assert from_confidence(scale, low) == value
    assert from_confidence(scale, high) == value
    assert from_confidence(scale, stix) == value  # a written value reads back as itself


@pytest.mark.parametrize("scale", list(ConfidenceScale))
def test_every_confidence_from_0_to_100_reads_back_as_exactly_one_row(
    scale: ConfidenceScale,
) -> None:
    for confidence in range(101):
        owners = [v for v, _, low, high in TABLES[scale] if low <= confidence <= high]
        assert owners == [from_confidence(scale, confidence)]


def test_admiralty_6_has_no_stix_value_and_a_missing_confidence_reads_as_6() -> None:
    assert to_confidence(ConfidenceScale.ADMIRALTY_CREDIBILITY, ADMIRALTY_CANNOT_BE_JUDGED) is None
    assert from_confidence(ConfidenceScale.ADMIRALTY_CREDIBILITY, None) == "6"
    assert from_confidence(ConfidenceScale.DNI, None) is None
    assert scale_values(ConfidenceScale.ADMIRALTY_CREDIBILITY)[-1] == "6"


@pytest.mark.parametrize("bad", [-1, 101, True])
def test_a_confidence_outside_0_to_100_is_refused(bad: int) -> None:
    with pytest.raises(InvalidInput, match="0–100"):
        from_confidence(ConfidenceScale.WEP, bad)


def test_a_value_not_on_the_scale_is_refused_naming_the_scale() -> None:
    with pytest.raises(InvalidInput, match="wep"):
        to_confidence(ConfidenceScale.WEP, "Almost certain")
    with pytest.raises(InvalidInput):
        to_confidence(ConfidenceScale.ZERO_TEN, "11")


@given(st.sampled_from(list(ConfidenceScale)), st.integers(min_value=0, max_value=100))
def test_reading_back_then_writing_lands_in_the_same_row(
    scale: ConfidenceScale, confidence: int
) -> None:
    value = from_confidence(scale, confidence)
    assert value is not None
    written = to_confidence(scale, value)
    assert written is not None
    assert from_confidence(scale, written) == value
