"""``entente case attribute|hypotheses|results`` and ``entente evidence export``: stored through
the node, refusals clear and writing nothing (the full flow: tests/e2e/test_case_evidence_flow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tests.unit.cli.conftest import cli_for, said

CREW = "intrusion-set--00000000-0000-4000-8000-0000000000c1"
OTHERS = "intrusion-set--00000000-0000-4000-8000-0000000000c2"
SIGHTING = "sighting--00000000-0000-4000-8000-0000000000aa"


def _object(kind: str, object_id: str, **more: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": object_id,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        **more,
    }


def _node(tmp_path: Path) -> tuple[Any, str]:
    cli = cli_for(tmp_path / "home")
    objects = [
        _object("intrusion-set", CREW, name="Crew"),
        _object("intrusion-set", OTHERS, name="Others"),
        _object(
            "sighting", SIGHTING, sighting_of_ref="indicator--00000000-0000-4000-8000-0000000000bb"
        ),
    ]
    bundle = tmp_path / "objects.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "objects": objects}))
    assert cli("ingest", str(bundle)).exit_code == 0
    made = cli("case", "new", "Wave", "--json")
    assert made.exit_code == 0, made.output
    cid: str = orjson.loads(made.stdout)["id"]
    assert cli("case", "attach", cid, SIGHTING, "--evidence").exit_code == 0
    return cli, cid


def test_attribute_stores_the_relationship_with_the_case(tmp_path: Path) -> None:
    cli, cid = _node(tmp_path)
    matrix = tmp_path / "matrix.json"
    matrix.write_bytes(
        orjson.dumps(
            {
                "hypotheses": [CREW, OTHERS],
                "evidence": [
                    {"ref": SIGHTING, "reliability": "B", "credibility": "2",
                     "cells": {CREW: "consistent", OTHERS: "inconsistent"}},
                ],
            }
        )
    )  # fmt: skip
    result = cli("case", "attribute", cid, str(matrix), "--json")
    assert result.exit_code == 0, (result.output, result.stderr)
    made = orjson.loads(result.stdout)
    assert (made["leader"], made["relationship"]["target_ref"]) == (CREW, CREW)
    shown = orjson.loads(cli("case", "show", cid, "--json").stdout)
    assert made["relationship"]["id"] in shown["refs"]


def test_refusals_are_clear(tmp_path: Path) -> None:
    cli, cid = _node(tmp_path)
    missing = cli("case", "attribute", cid, str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "nope.json" in said(missing)
    hypotheses = cli("case", "hypotheses", cid)
    assert hypotheses.exit_code == 2 and "no ATT&CK technique" in said(hypotheses)
    results = cli("case", "results", cid)
    assert results.exit_code == 2 and "has not been shared" in said(results)
    out = tmp_path / "package.tar"
    export = cli("evidence", "export", cid, "--for", "National Police", "--out", str(out))
    assert export.exit_code != 0 and not out.exists()
    assert "no time-stamping authority configured" in said(export)
