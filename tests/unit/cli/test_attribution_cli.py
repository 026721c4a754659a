"""``entente attribution rank|assess`` over a node holding ATT&CK for ICS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.factories import CLEAR, ident, stix
from tests.unit.cli.conftest import cli_for, said

from entente.cli.output import ExitCode

ICS = Path(__file__).parents[2] / "data" / "corpus" / "mitre-attack" / "ics-attack.json"
SANDWORM = "intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192"
TEMP_VELES = "intrusion-set--9538b1a4-4120-4e2d-bf59-3b11fcab05a4"
INCIDENT = ident(1, "incident")


@pytest.fixture
def run(tmp_path: Path) -> Any:
    invoke = cli_for(tmp_path / "home")
    assert invoke("ingest", str(ICS)).exit_code == 0
    bundle = {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [stix("incident", 1, CLEAR, name="Plant outage")],
    }
    path = tmp_path / "incident.json"
    path.write_text(json.dumps(bundle))
    assert invoke("ingest", str(path)).exit_code == 0
    return invoke


def test_rank_offers_hypotheses_best_first_and_names_unknown_techniques(run: Any) -> None:
    # Industroyer's signature techniques (T0855 Unauthorized Command Message, T0831
    # Manipulation of Control, T0813 Denial of Control) and one ATT&CK does not hold.
    result = run(
        "attribution", "rank", "-t", "T0855", "-t", "T0831", "-t", "T0813", "-t", "T0999",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ranked = orjson.loads(result.stdout)
    assert ranked["unknown"] == ["T0999"]
    scores = [h["score"] for h in ranked["hypotheses"]]
    assert scores == sorted(scores, reverse=True) and scores
    assert SANDWORM in {h["id"] for h in ranked["hypotheses"]}


def test_rank_refuses_a_name_that_is_no_technique_with_exit_2(run: Any) -> None:
    result = run("attribution", "rank", "-t", "APT28")
    assert result.exit_code == ExitCode.INPUT
    assert "neither an ATT&CK technique id" in said(result)


def test_assess_prints_the_attributed_to_relationship_and_stores_nothing(
    run: Any, tmp_path: Path
) -> None:
    matrix = {
        "hypotheses": [SANDWORM, TEMP_VELES],
        "evidence": [
            {"text": "Grid operator targeted", "reliability": "B", "credibility": "2",
             "cells": {SANDWORM: "consistent", TEMP_VELES: "inconsistent"}},
        ],
    }  # fmt: skip
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(matrix))
    before = run("stats").stdout
    result = run("attribution", "assess", INCIDENT, str(path), "--json")
    assert result.exit_code == 0, result.output
    assessed = orjson.loads(result.stdout)
    assert assessed["confidence"] == 100
    assert assessed["relationship"]["target_ref"] == SANDWORM
    assert run("stats").stdout == before


def test_assess_refuses_a_matrix_that_is_not_json_with_exit_2(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "matrix.json"
    path.write_text("{not json")
    result = run("attribution", "assess", INCIDENT, str(path))
    assert result.exit_code == ExitCode.INPUT
    assert "not JSON" in said(result)
