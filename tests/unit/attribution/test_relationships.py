"""An ACH result written as an ``attributed-to`` relationship that cites its evidence."""

from __future__ import annotations

import pytest
from tests.factories import ident

from entente.attribution import EVIDENCE_REFS, parse_matrix, render_attributed_to, score_matrix
from entente.errors import InvalidInput
from entente.stix import parse_object

H1, H2 = ident(1, "intrusion-set"), ident(2, "threat-actor")
INCIDENT, SIGHTING = ident(3, "incident"), ident(4, "sighting")
ORG = ident(5, "identity")
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"


def _matrix(second: str = "inconsistent") -> dict[str, object]:
    return {
        "hypotheses": [H1, H2],
        "evidence": [
            {"ref": SIGHTING, "text": "C2 beacon seen", "reliability": "B", "credibility": "2",
             "cells": {H1: "consistent", H2: second}},
            {"text": "Ransom note in Russian", "cells": {H1: "consistent", H2: "neutral"}},
        ],
    }  # fmt: skip


def test_the_leader_is_attributed_with_its_confidence_and_the_evidence_cited() -> None:
    matrix = parse_matrix(_matrix())
    result = score_matrix(matrix)
    made = render_attributed_to(
        INCIDENT,
        matrix,
        result,
        created="2026-12-05T21:00:00.000Z",
        created_by_ref=ORG,
        new_id=lambda: "00000000-0000-4000-8000-000000000099",
        marking_refs=[TLP_AMBER],
    )
    assert made["relationship_type"] == "attributed-to"
    assert (made["source_ref"], made["target_ref"]) == (INCIDENT, H1)
    # 100 × 0.49 / (0.49 + 0.25): the second item tells the two apart too (consistent vs neutral)
    assert made["confidence"] == result.confidence == round(100 * 0.49 / 0.74)
    assert made[EVIDENCE_REFS] == [SIGHTING]
    assert "Ransom note in Russian" in made["description"]
    assert "(Likely / Probable)" in made["description"]
    parse_object(made)  # a valid STIX 2.1 relationship


def test_evidence_that_does_not_separate_the_hypotheses_attributes_nothing() -> None:
    matrix = parse_matrix(_matrix(second="consistent"))
    with pytest.raises(InvalidInput, match="does not separate"):
        render_attributed_to(
            INCIDENT,
            matrix,
            score_matrix(matrix),
            created="2026-12-05T21:00:00.000Z",
            created_by_ref=ORG,
            new_id=lambda: "00000000-0000-4000-8000-000000000099",
            marking_refs=[TLP_AMBER],
        )


def test_only_an_incident_is_attributed() -> None:
    matrix = parse_matrix(_matrix())
    with pytest.raises(InvalidInput, match="incident"):
        render_attributed_to(
            ident(6, "campaign"),
            matrix,
            score_matrix(matrix),
            created="2026-12-05T21:00:00.000Z",
            created_by_ref=ORG,
            new_id=lambda: "00000000-0000-4000-8000-000000000099",
            marking_refs=[TLP_AMBER],
        )
