"""ACH: hypotheses ranked by weighted inconsistent evidence (Heuer ch. 8), with confidence."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.factories import ident

from entente.attribution import Cell, parse_matrix, score_matrix
from entente.errors import InvalidInput

H1, H2, H3 = ident(1, "intrusion-set"), ident(2, "intrusion-set"), ident(3, "threat-actor")
IND = ident(10, "indicator")


def _doc(*evidence: dict[str, Any], hypotheses: list[str] | None = None) -> dict[str, Any]:
    return {"hypotheses": hypotheses or [H1, H2, H3], "evidence": list(evidence)}


def test_the_hypothesis_with_least_weighted_inconsistency_leads_not_the_most_consistent() -> None:
    # H2 has the most consistent evidence but one strong inconsistency; Heuer ranks by the
    # inconsistencies, so H1 (one weak inconsistency) leads.
    matrix = parse_matrix(
        _doc(
            {"ref": IND, "reliability": "A", "credibility": "1",
             "cells": {H1: "consistent", H2: "inconsistent", H3: "inconsistent"}},
            {"text": "Working hours match UTC+3", "reliability": "C", "credibility": "3",
             "cells": {H1: "inconsistent", H2: "consistent", H3: "consistent"}},
            {"text": "Language artefacts", "weight": 2, "reliability": "B", "credibility": "2",
             "cells": {H2: "consistent", H3: "inconsistent"}},
        )
    )  # fmt: skip
    result = score_matrix(matrix)
    assert [s.hypothesis for s in result.ranking] == [H1, H2, H3]
    assert result.leader.inconsistency == pytest.approx(0.5 * 0.5)
    assert result.ranking[1].inconsistency == pytest.approx(0.9 * 0.9)
    # confidence = 100 × (I(second) − I(first)) / W, W the weight of diagnostic items
    weight = 0.81 + 0.25 + 2 * 0.7 * 0.7
    assert result.diagnostic_weight == pytest.approx(weight)
    assert result.confidence == round(100 * (0.81 - 0.25) / weight)
    assert H1 in result.explanation and "Heuer" in result.explanation


def test_evidence_alike_for_every_hypothesis_is_not_diagnostic_and_not_in_the_confidence() -> None:
    matrix = parse_matrix(
        _doc(
            {"text": "Uses phishing", "cells": {H1: "consistent", H2: "consistent"}},
            {"text": "Targets energy", "reliability": "A", "credibility": "1",
             "cells": {H1: "consistent", H2: "inconsistent"}},
            hypotheses=[H1, H2],
        )
    )  # fmt: skip
    result = score_matrix(matrix)
    assert result.non_diagnostic == ("E1",)
    assert result.diagnostic_weight == pytest.approx(0.81)
    assert result.confidence == 100
    assert "Not diagnostic" in result.explanation


def test_equal_inconsistency_is_broken_by_consistency_then_by_id() -> None:
    matrix = parse_matrix(
        _doc(
            {"text": "a", "cells": {H2: "consistent"}},
            {"text": "b", "cells": {H3: "inconsistent"}},
        )
    )
    result = score_matrix(matrix)
    assert [s.hypothesis for s in result.ranking] == [H2, H1, H3]
    assert result.confidence == 0  # H1 and H2 have the same inconsistency


def test_a_lone_hypothesis_scores_the_share_of_bearing_weight_not_against_it() -> None:
    matrix = parse_matrix(
        _doc(
            {"text": "a", "cells": {H1: "consistent"}},
            {"text": "b", "weight": 3, "cells": {H1: "inconsistent"}},
            {"text": "c"},
            hypotheses=[H1],
        )
    )
    result = score_matrix(matrix)
    # Weights 0.25 and 0.75 bear on it, 0.75 against: 100 × (1.0 − 0.75) / 1.0.
    assert result.confidence == 25
    assert result.non_diagnostic == ("E3",)
    assert "its share of it" in result.explanation


def test_unmarked_cells_are_neutral() -> None:
    matrix = parse_matrix(_doc({"text": "x", "cells": {H1: "inconsistent"}}))
    item = matrix.evidence[0]
    assert item.cell(H2) is Cell.NEUTRAL and item.cell(H1) is Cell.INCONSISTENT


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"hypotheses": []}, "hypotheses"),
        ({"hypotheses": [ident(1, "malware")]}, r"hypotheses\[0\]"),
        ({"hypotheses": [H1, H1]}, "twice"),
        (_doc({"text": ""}), "ref"),
        (_doc({"ref": "indicator--nope"}), "STIX id"),
        (_doc({"text": "x", "weight": 0}), "weight"),
        (_doc({"text": "x", "weight": True}), "weight"),
        (_doc({"text": "x", "reliability": "G"}), "reliability"),
        (_doc({"text": "x", "credibility": "7"}), "credibility"),
        (_doc({"text": "x", "cells": {H1: "maybe"}}), "consistent"),
        (_doc({"text": "x", "cells": {ident(9, "intrusion-set"): "consistent"}}), "hypothesis"),
        (_doc({"ref": IND}, {"ref": IND}), "twice"),
        ({"hypotheses": [H1], "evidence": {}}, "evidence"),
    ],
)
def test_a_bad_matrix_is_refused_naming_what_is_wrong(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_matrix(document)


_CELLS = st.sampled_from([c.value for c in Cell])


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    hypotheses = draw(st.lists(st.sampled_from([H1, H2, H3]), min_size=1, unique=True))
    evidence = [
        {
            "text": f"item {i}",
            "weight": draw(st.sampled_from([0.5, 1, 2, 5])),
            "reliability": draw(st.sampled_from("ABCDEF")),
            "credibility": draw(st.sampled_from("123456")),
            "cells": {h: draw(_CELLS) for h in hypotheses},
        }
        for i in range(draw(st.integers(min_value=0, max_value=6)))
    ]
    return {"hypotheses": hypotheses, "evidence": evidence}


@given(_documents())
def test_the_leader_has_the_least_inconsistency_and_confidence_is_0_to_100(
    document: dict[str, Any],
) -> None:
    result = score_matrix(parse_matrix(document))
    assert 0 <= result.confidence <= 100
    assert result.leader.inconsistency <= min(s.inconsistency for s in result.ranking) + 1e-9
    assert sorted(s.hypothesis for s in result.ranking) == sorted(document["hypotheses"])


@given(_documents(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_evidence(
    document: dict[str, Any], shuffler: random.Random
) -> None:
    evidence = list(document["evidence"])
    shuffler.shuffle(evidence)
    # Keys of free-text items follow their position; compare by hypothesis and score.
    first = score_matrix(parse_matrix(document))
    second = score_matrix(parse_matrix({**document, "evidence": evidence}))
    assert [s.hypothesis for s in first.ranking] == [s.hypothesis for s in second.ranking]
    assert first.confidence == second.confidence
