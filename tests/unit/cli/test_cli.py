"""The CLI end to end in-process: JSON contracts and exit codes (architecture §6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from entente.cli.main import app

DATA = Path(__file__).parents[2] / "data" / "corpus"
ICS = DATA / "mitre-attack" / "ics-attack.json"
GREEN = DATA / "stix" / "cti-stix-common-objects" / "tlp-2.0-examples" / "using-tlp2.0-green.json"
POISONIVY = DATA / "stix" / "cti-documentation" / "poisonivy.json"


@pytest.fixture
def bare_run(tmp_path: Path) -> Any:
    """``entente ARGS`` in-process for a home of its own that holds no node yet."""
    runner = CliRunner()
    env = {"ENTENTE_HOME": str(tmp_path / "home"), "ENTENTE_DATABASE_URL": ""}

    def invoke(*args: str, stdin: bytes | None = None) -> Any:
        return runner.invoke(app, list(args), env=env, input=stdin)

    return invoke


@pytest.fixture
def run(bare_run: Any) -> Any:
    """``entente ARGS`` in-process for a node that ``entente init`` has created."""
    initialised = bare_run("init")
    assert initialised.exit_code == 0, initialised.output
    return bare_run


def test_init_is_idempotent_and_reports_json(bare_run: Any) -> None:
    run = bare_run
    first = run("init", "--json")
    assert first.exit_code == 0, first.output
    assert orjson.loads(first.stdout)["config_created"] is True
    second = run("init", "--json")
    assert second.exit_code == 0
    report = orjson.loads(second.stdout)
    assert report["config_created"] is False
    assert report["objects"] == 9  # the built-in TLP 1.0 and 2.0 marking-definitions


def test_ingest_json_prints_the_summary_contract(run: Any) -> None:
    result = run("ingest", str(POISONIVY), "--json")
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary == {
        "added": 155,
        "duplicates": 0,
        "new_versions": 0,
        "corrected": 0,
        "corrections": {},
        "withdrawn": 0,
        "rejected": [],
        "equivocations": [],
        "left_out": [],
    }
    again = orjson.loads(run("ingest", str(POISONIVY), "--json").stdout)
    assert (again["added"], again["duplicates"]) == (0, 155)


def test_ingest_with_rejections_exits_1_and_names_source_position_id_reason(run: Any) -> None:
    result = run("ingest", str(GREEN), "--json")
    assert result.exit_code == 1
    summary = orjson.loads(result.stdout)
    assert summary["added"] == 2
    [rejected] = summary["rejected"]
    assert rejected["source"].endswith("using-tlp2.0-green.json")
    assert rejected["position"] == "objects[2]"
    assert rejected["id"] == "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111"
    assert rejected["reason"].startswith("created:")


def test_ingest_of_a_missing_path_is_an_input_error_with_exit_2(run: Any, tmp_path: Path) -> None:
    result = run("ingest", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_ingest_with_an_unknown_marking_is_a_usage_error(run: Any) -> None:
    result = run("ingest", str(POISONIVY), "--marking", "purple")
    assert result.exit_code == 2
    assert "not a TLP level" in result.stderr


def test_ingest_reads_stdin(run: Any) -> None:
    result = run("ingest", "-", "--json", stdin=POISONIVY.read_bytes())
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["added"] == 155


def test_stats_json_counts_objects_versions_and_types(run: Any) -> None:
    run("ingest", str(ICS))
    stats = orjson.loads(run("stats", "--json").stdout)
    assert stats["objects"] == 1826 + 9
    assert stats["versions"] == 1826 + 9
    assert stats["by_type"]["attack-pattern"] == 95
    assert stats["by_type"]["marking-definition"] >= 9


def test_objects_list_and_show_return_the_ingested_json(run: Any) -> None:
    run("ingest", str(POISONIVY))
    listed = orjson.loads(
        run("objects", "list", "--type", "indicator", "--limit", "5", "--json").stdout
    )
    assert len(listed["objects"]) == 5 and listed["more"] is True
    assert {o["type"] for o in listed["objects"]} == {"indicator"}
    first = listed["objects"][0]
    shown = run("objects", "show", first["id"], "--json")
    assert shown.exit_code == 0
    assert orjson.loads(shown.stdout) == first["object"]
    versions = orjson.loads(run("objects", "show", first["id"], "--versions", "--json").stdout)
    assert versions[0]["provenance"]["source_kind"] == "file"


def test_objects_show_unknown_id_exits_2(run: Any) -> None:
    result = run("objects", "show", "indicator--00000000-0000-4000-8000-000000000000")
    assert result.exit_code == 2
    assert "indicator--00000000-0000-4000-8000-000000000000" in result.stderr
    bad = run("objects", "show", "not-an-id")
    assert bad.exit_code == 2


def test_demo_ingests_the_shipped_samples_without_rejections(run: Any) -> None:
    result = run("demo", "--no-serve", "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["ingest"]["rejected"] == []
    assert report["by_type"]["indicator"] > 100
    assert report["by_type"]["report"] >= 1  # the MISP event
