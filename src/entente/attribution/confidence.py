"""STIX ``confidence`` (0–100) and the five scales of STIX 2.1 Appendix A, both ways.

STIX 2.1 (OASIS Standard, 10 June 2021) §3.2 defines ``confidence`` as an integer 0–100 and
Appendix A "Confidence Scales" gives five tables, one per common scale: the STIX value a
scale value is written as, and the range of STIX values read back as each scale value. "Not
Specified" there "means that the confidence property is not present".

* None / Low / Med / High: None 0, Low 15, Med 50, High 85; read back 0 None, 1–29 Low,
  30–69 Med, 70–100 High.
* 0–10: n is written 10·n; read back 0–4 → 0, 5–14 → 1, … 85–94 → 9, 95–100 → 10.
* Admiralty Credibility: 5 Improbable 10, 4 Doubtful 30, 3 Possibly True 50,
  2 Probably True 70, 1 Confirmed by other sources 90; read back 0–19 → 5, 20–39 → 4,
  40–59 → 3, 60–79 → 2, 80–100 → 1. "6 – Truth cannot be judged" has no STIX value: the
  ``confidence`` property is left out ("Not Specified"), and a missing one reads back as 6.
* WEP (Words of Estimative Probability): Impossible 0, Highly Unlikely/Almost Certainly
  Not 10, Unlikely/Probably Not 30, Even Chance 50, Likely/Probable 70, Highly likely/Almost
  Certain 90, Certain 100; read back 0, 1–19, 20–39, 40–59, 60–79, 80–99, 100.
* DNI (ICD 203): Almost No Chance / Remote 5, Very Unlikely / Highly Improbable 15,
  Unlikely / Improbable 30, Roughly Even Chance / Roughly Even Odds 50, Likely / Probable 70,
  Very Likely / Highly Probable 85, Almost Certain / Nearly Certain 95; read back 0–9, 10–19,
  20–39, 40–59, 60–79, 80–89, 90–100.

For the None/Low/Med/High, WEP and DNI scales the spec's "Not Specified" row is ``None`` here
(the property is absent) in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from entente.errors import InvalidInput

__all__ = [
    "ADMIRALTY_CANNOT_BE_JUDGED",
    "ConfidenceScale",
    "from_confidence",
    "scale_values",
    "to_confidence",
]

# Admiralty information credibility 6: "Truth cannot be judged" (Appendix A: no STIX value).
ADMIRALTY_CANNOT_BE_JUDGED = "6"


class ConfidenceScale(StrEnum):
    """The five scales of STIX 2.1 Appendix A."""

    NONE_LOW_MED_HIGH = "none-low-med-high"
    ZERO_TEN = "0-10"
    ADMIRALTY_CREDIBILITY = "admiralty-credibility"
    WEP = "wep"
    DNI = "dni"


@dataclass(frozen=True, slots=True)
class _Row:
    """One row of an Appendix A table: the scale value, the STIX value it is written as and
    the inclusive range of STIX values read back as it."""

    value: str
    stix: int
    low: int
    high: int


def _zero_ten() -> tuple[_Row, ...]:
    # 0–10 table: n → 10n; read back by rounding half up to the nearest ten (0–4 → 0, 95–100 → 10).
    rows = [_Row("0", 0, 0, 4)]
    rows += [_Row(str(n), 10 * n, 10 * n - 5, 10 * n + 4) for n in range(1, 10)]
    rows.append(_Row("10", 100, 95, 100))
    return tuple(rows)


_TABLES: dict[ConfidenceScale, tuple[_Row, ...]] = {
    ConfidenceScale.NONE_LOW_MED_HIGH: (
        _Row("None", 0, 0, 0),
        _Row("Low", 15, 1, 29),
        _Row("Med", 50, 30, 69),
        _Row("High", 85, 70, 100),
    ),
    ConfidenceScale.ZERO_TEN: _zero_ten(),
    ConfidenceScale.ADMIRALTY_CREDIBILITY: (
        _Row("5", 10, 0, 19),
        _Row("4", 30, 20, 39),
        _Row("3", 50, 40, 59),
        _Row("2", 70, 60, 79),
        _Row("1", 90, 80, 100),
    ),
    ConfidenceScale.WEP: (
        _Row("Impossible", 0, 0, 0),
        _Row("Highly Unlikely/Almost Certainly Not", 10, 1, 19),
        _Row("Unlikely/Probably Not", 30, 20, 39),
        _Row("Even Chance", 50, 40, 59),
        _Row("Likely/Probable", 70, 60, 79),
        _Row("Highly likely/Almost Certain", 90, 80, 99),
        _Row("Certain", 100, 100, 100),
    ),
    ConfidenceScale.DNI: (
        _Row("Almost No Chance / Remote", 5, 0, 9),
        _Row("Very Unlikely / Highly Improbable", 15, 10, 19),
        _Row("Unlikely / Improbable", 30, 20, 39),
        _Row("Roughly Even Chance / Roughly Even Odds", 50, 40, 59),
        _Row("Likely / Probable", 70, 60, 79),
        _Row("Very Likely / Highly Probable", 85, 80, 89),
        _Row("Almost Certain / Nearly Certain", 95, 90, 100),
    ),
}


def scale_values(scale: ConfidenceScale) -> tuple[str, ...]:
    """The values of ``scale`` in the spec's table order (Admiralty 6 last)."""
    values = tuple(row.value for row in _TABLES[scale])
    if scale is ConfidenceScale.ADMIRALTY_CREDIBILITY:
        return (*values, ADMIRALTY_CANNOT_BE_JUDGED)
    return values


def to_confidence(scale: ConfidenceScale, value: str) -> int | None:
    """The STIX ``confidence`` a scale value is written as (Appendix A); ``None`` for
    Admiralty 6, which has no STIX value. ``InvalidInput`` for a value not on the scale."""
    if scale is ConfidenceScale.ADMIRALTY_CREDIBILITY and value == ADMIRALTY_CANNOT_BE_JUDGED:
        return None
    for row in _TABLES[scale]:
        if row.value == value:
            return row.stix
    raise InvalidInput(
        f"{value!r} is not on the {scale.value} scale ({', '.join(scale_values(scale))})"
    )


def from_confidence(scale: ConfidenceScale, confidence: int | None) -> str | None:
    """The scale value a STIX ``confidence`` reads back as (Appendix A). A missing
    confidence reads as Admiralty 6 and as no value (``None``) on the other scales.
    ``InvalidInput`` outside 0–100 (STIX 2.1 §3.2)."""
    if confidence is None:
        if scale is ConfidenceScale.ADMIRALTY_CREDIBILITY:
            return ADMIRALTY_CANNOT_BE_JUDGED
        return None
    if isinstance(confidence, bool) or not 0 <= confidence <= 100:
        raise InvalidInput(f"confidence must be an integer 0–100 (STIX 2.1 §3.2): {confidence!r}")
    for row in _TABLES[scale]:
        if row.low <= confidence <= row.high:
            return row.value
    raise AssertionError(f"Appendix A table of {scale.value} leaves {confidence} out")
