"""Analysis of Competing Hypotheses (ACH): a matrix of hypotheses against evidence, scored.

Heuer, *Psychology of Intelligence Analysis* (CIA, 1999), chapter 8 "Analysis of Competing
Hypotheses": list the hypotheses (step 1) and the items of evidence (step 2); mark each cell
consistent, inconsistent or neutral (step 3); refine (step 4); then "work downward through the
matrix, looking for inconsistent evidence" (step 5): a hypothesis is refuted by evidence
inconsistent with it, never proved by evidence consistent with it, so "the hypothesis with the
fewest minuses is probably the most likely one". PARC's ACH 2.0 tool weights each minus by the
evidence's credibility and relevance ("weighted inconsistency score"); we do the same:

* an item's **weight** ``w(e) = relevance(e) × R(reliability) × C(credibility)``, where
  ``relevance`` is the analyst's weight (> 0, default 1), ``C`` is the item's Admiralty
  information credibility as STIX 2.1 Appendix A's Admiralty Credibility table writes it,
  divided by 100 (1 → 0.9, 2 → 0.7, 3 → 0.5, 4 → 0.3, 5 → 0.1; 6 "cannot be judged", which
  has no STIX value, → 0.5, an even chance) and ``R`` puts the source-reliability letters on
  the same ladder (A 0.9, B 0.7, C 0.5, D 0.3, E 0.1; F "cannot be judged" 0.5) — no STIX
  table exists for the letters, so that ladder is ours;
* a hypothesis's **inconsistency** ``I(h) = Σ w(e)`` over the items marked inconsistent with
  it, and its **consistency** ``K(h)`` likewise;
* the ranking: least ``I`` first; ties broken by more ``K`` (consistent evidence has little
  diagnostic value, Heuer step 5, so it only separates equals), then by id;
* the **confidence** in the leading hypothesis, as a STIX ``confidence`` (0–100):
  ``round(100 × (I(second) − I(first)) / W)`` where ``W`` is the total weight of the
  diagnostic items (those whose cells are not all alike, Heuer step 3); with one hypothesis,
  ``round(100 × (W − I(first)) / W)``, ``W`` then the weight of the items that bear on it
  (not neutral); 0 when nothing is diagnostic. It measures how far the
  evidence separates the leader from its nearest rival, not a probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from entente.attribution.confidence import ConfidenceScale, from_confidence
from entente.errors import InvalidInput
from entente.stix import is_valid_id

__all__ = [
    "CREDIBILITY_FACTORS",
    "HYPOTHESIS_TYPES",
    "RELIABILITY_FACTORS",
    "AchMatrix",
    "AchResult",
    "Cell",
    "Evidence",
    "HypothesisScore",
    "parse_matrix",
    "score_matrix",
]

# What a hypothesis names: an intrusion set or a threat actor (STIX 2.1 §4.9, §4.17).
HYPOTHESIS_TYPES = ("intrusion-set", "threat-actor")

# Admiralty source reliability (A–F) and information credibility (1–6) as factors (above).
RELIABILITY_FACTORS: Mapping[str, float] = {
    "A": 0.9, "B": 0.7, "C": 0.5, "D": 0.3, "E": 0.1, "F": 0.5,
}  # fmt: skip
CREDIBILITY_FACTORS: Mapping[str, float] = {
    "1": 0.9, "2": 0.7, "3": 0.5, "4": 0.3, "5": 0.1, "6": 0.5,
}  # fmt: skip


class Cell(StrEnum):
    """How one item of evidence bears on one hypothesis (Heuer step 3)."""

    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One item of evidence: a STIX id (``ref``) or free text, its relevance weight, its
    source's reliability (A–F) and its credibility (1–6), and its cell per hypothesis
    (a hypothesis not listed is neutral)."""

    key: str
    text: str
    ref: str | None
    relevance: float
    reliability: str
    credibility: str
    cells: tuple[tuple[str, Cell], ...]

    @property
    def weight(self) -> float:
        """``relevance × R(reliability) × C(credibility)`` (module docstring)."""
        return (
            self.relevance
            * RELIABILITY_FACTORS[self.reliability]
            * CREDIBILITY_FACTORS[self.credibility]
        )

    def cell(self, hypothesis: str) -> Cell:
        """The cell of this item for ``hypothesis`` (neutral when not marked)."""
        for name, cell in self.cells:
            if name == hypothesis:
                return cell
        return Cell.NEUTRAL

    def is_diagnostic(self, hypotheses: Sequence[str]) -> bool:
        """Whether the item tells the hypotheses apart (not all its cells alike); against a
        lone hypothesis, whether it bears on it at all (not neutral)."""
        if len(hypotheses) == 1:
            return self.cell(hypotheses[0]) is not Cell.NEUTRAL
        return len({self.cell(h) for h in hypotheses}) > 1


@dataclass(frozen=True, slots=True)
class AchMatrix:
    """Hypotheses (intrusion-set / threat-actor ids) against items of evidence."""

    hypotheses: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class HypothesisScore:
    """One hypothesis's weighted inconsistency and consistency, and the items of each."""

    hypothesis: str
    inconsistency: float
    consistency: float
    inconsistent: tuple[str, ...]
    consistent: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AchResult:
    """The ranking (least weighted inconsistency first), the STIX confidence in the leader,
    the items that were not diagnostic, and the explanation in words."""

    ranking: tuple[HypothesisScore, ...]
    confidence: int
    diagnostic_weight: float
    non_diagnostic: tuple[str, ...]
    explanation: str

    @property
    def leader(self) -> HypothesisScore:
        """The hypothesis ranked first."""
        return self.ranking[0]


def _text(raw: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = raw.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name}: a non-empty string is required")
    return value.strip()


def _relevance(raw: Mapping[str, Any], where: str) -> float:
    value = raw.get("weight", 1)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
        raise InvalidInput(f"{where}.weight: a number above 0 and at most 100")
    return float(value)


def _evidence(raw: object, index: int, hypotheses: tuple[str, ...]) -> Evidence:
    where = f"evidence[{index}]"
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}: an object is required")
    ref = raw.get("ref")
    if ref is not None and (not isinstance(ref, str) or not is_valid_id(ref)):
        raise InvalidInput(f"{where}.ref: a STIX id (type--uuid, STIX 2.1 §2.9)")
    text = raw.get("text", "")
    if not isinstance(text, str) or (ref is None and not text.strip()):
        raise InvalidInput(f"{where}: a STIX id (ref) or a text is required")
    reliability = str(raw.get("reliability", "F")).upper()
    if reliability not in RELIABILITY_FACTORS:
        raise InvalidInput(f"{where}.reliability: one of A, B, C, D, E, F (Admiralty)")
    credibility = str(raw.get("credibility", "6"))
    if credibility not in CREDIBILITY_FACTORS:
        raise InvalidInput(f"{where}.credibility: one of 1–6 (Admiralty)")
    cells_raw = raw.get("cells", {})
    if not isinstance(cells_raw, Mapping):
        raise InvalidInput(f"{where}.cells: an object of hypothesis id to cell")
    cells: list[tuple[str, Cell]] = []
    for hypothesis in hypotheses:
        value = cells_raw.get(hypothesis, Cell.NEUTRAL.value)
        if value not in {c.value for c in Cell}:
            raise InvalidInput(
                f"{where}.cells[{hypothesis}]: one of consistent, inconsistent, neutral"
            )
        cells.append((hypothesis, Cell(value)))
    unknown = sorted(set(cells_raw) - set(hypotheses))
    if unknown:
        raise InvalidInput(f"{where}.cells: {', '.join(map(str, unknown))} is not a hypothesis")
    return Evidence(
        key=ref if ref is not None else f"E{index + 1}",
        text=text.strip(),
        ref=ref,
        relevance=_relevance(raw, where),
        reliability=reliability,
        credibility=credibility,
        cells=tuple(cells),
    )


def parse_matrix(document: Mapping[str, Any]) -> AchMatrix:
    """An ACH matrix from its JSON form::

        {"hypotheses": ["intrusion-set--…", "threat-actor--…"],
         "evidence": [{"ref": "indicator--…" | null, "text": "…", "weight": 1,
                       "reliability": "B", "credibility": "2",
                       "cells": {"intrusion-set--…": "inconsistent"}}]}

    ``InvalidInput`` names the first thing wrong; nothing is half-read."""
    hypotheses_raw = document.get("hypotheses")
    if not isinstance(hypotheses_raw, list) or not hypotheses_raw:
        raise InvalidInput("hypotheses: a non-empty list of intrusion-set / threat-actor ids")
    hypotheses: list[str] = []
    for index, hypothesis in enumerate(hypotheses_raw):
        if (
            not isinstance(hypothesis, str)
            or not is_valid_id(hypothesis)
            or hypothesis.partition("--")[0] not in HYPOTHESIS_TYPES
        ):
            raise InvalidInput(f"hypotheses[{index}]: an intrusion-set or threat-actor id")
        if hypothesis in hypotheses:
            raise InvalidInput(f"hypotheses[{index}]: {hypothesis} is listed twice")
        hypotheses.append(hypothesis)
    evidence_raw = document.get("evidence", [])
    if not isinstance(evidence_raw, list):
        raise InvalidInput("evidence: a list")
    ordered = tuple(hypotheses)
    evidence = tuple(_evidence(raw, i, ordered) for i, raw in enumerate(evidence_raw))
    keys = [item.key for item in evidence]
    if len(set(keys)) != len(keys):
        raise InvalidInput("evidence: the same STIX id is cited twice")
    return AchMatrix(hypotheses=ordered, evidence=evidence)


def _score(matrix: AchMatrix, hypothesis: str) -> HypothesisScore:
    against = [e for e in matrix.evidence if e.cell(hypothesis) is Cell.INCONSISTENT]
    for_ = [e for e in matrix.evidence if e.cell(hypothesis) is Cell.CONSISTENT]
    return HypothesisScore(
        hypothesis=hypothesis,
        inconsistency=sum(e.weight for e in against),
        consistency=sum(e.weight for e in for_),
        inconsistent=tuple(e.key for e in against),
        consistent=tuple(e.key for e in for_),
    )


def score_matrix(matrix: AchMatrix) -> AchResult:
    """Rank the hypotheses by weighted inconsistency and state the confidence in the leader
    (module docstring: Heuer ch. 8 step 5, weighted as PARC ACH 2.0)."""
    scores = [_score(matrix, h) for h in matrix.hypotheses]
    # Rounded so that sums of the same weights in another order compare equal.
    ranking = tuple(
        sorted(
            scores,
            key=lambda s: (round(s.inconsistency, 9), -round(s.consistency, 9), s.hypothesis),
        )
    )
    diagnostic = [e for e in matrix.evidence if e.is_diagnostic(matrix.hypotheses)]
    weight = sum(e.weight for e in diagnostic)
    leader = ranking[0]
    if weight <= 0:
        confidence = 0
    elif len(ranking) == 1:
        confidence = round(100 * (weight - leader.inconsistency) / weight)
    else:
        confidence = round(100 * (ranking[1].inconsistency - leader.inconsistency) / weight)
    confidence = max(0, min(100, confidence))
    non_diagnostic = tuple(e.key for e in matrix.evidence if e not in diagnostic)
    return AchResult(
        ranking=ranking,
        confidence=confidence,
        diagnostic_weight=weight,
        non_diagnostic=non_diagnostic,
        explanation=_explain(ranking, confidence, weight, non_diagnostic),
    )


def _explain(
    ranking: tuple[HypothesisScore, ...],
    confidence: int,
    weight: float,
    non_diagnostic: tuple[str, ...],
) -> str:
    leader = ranking[0]
    words = from_confidence(ConfidenceScale.DNI, confidence)
    lines = [
        f"ACH (Heuer, ch. 8): {leader.hypothesis} has the least weighted inconsistent "
        f"evidence ({leader.inconsistency:.2f} of {weight:.2f} diagnostic weight).",
        f"Confidence {confidence} ({words}, STIX 2.1 Appendix A, DNI scale) from "
        + ("its margin over the nearest rival." if len(ranking) > 1 else "its share of it."),
    ]
    for rank, score in enumerate(ranking, start=1):
        against = ", ".join(score.inconsistent) or "none"
        lines.append(
            f"{rank}. {score.hypothesis}: inconsistency {score.inconsistency:.2f} "
            f"(against: {against}), consistency {score.consistency:.2f}"
        )
    if non_diagnostic:
        lines.append("Not diagnostic (alike for every hypothesis): " + ", ".join(non_diagnostic))
    return "\n".join(lines)
