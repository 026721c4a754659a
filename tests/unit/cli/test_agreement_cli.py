"""``entente agreement add|list|remove`` in-process: YAML and JSON files, JSON contracts, exits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import cli_for, said

from entente.services import org_identity_id

AGREEMENT_YAML = """\
# Timestamps unquoted, as people write them: YAML must not turn them into datetimes.
id: us-il
name: US CERT and IL CERT
parties: [US CERT, IL CERT]
max_tlp: amber
object_types: [indicator, malware]
onward_sharing: none
redact:
  incident: [x_victim_name]
sightings: anonymised
valid_from: 2026-01-01T00:00:00Z
valid_until: 2099-06-30T12:30:00.123456Z
"""


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """Run ``entente ARGS`` in-process for a node "US CERT" in a home of its own."""
    return cli_for(tmp_path / "home", "US CERT")


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_add_reads_yaml_with_unquoted_timestamps(run: Any, tmp_path: Path) -> None:
    result = run("agreement", "add", _write(tmp_path, "us-il.yaml", AGREEMENT_YAML), "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["created"] is True
    agreement = report["agreement"]
    assert agreement["id"] == "us-il"
    assert agreement["parties"] == sorted([org_identity_id("US CERT"), org_identity_id("IL CERT")])
    assert agreement["valid_from"] == "2026-01-01T00:00:00.000000Z"
    assert agreement["valid_until"] == "2099-06-30T12:30:00.123456Z"
    assert agreement["redact"] == {"incident": ["x_victim_name"]}
    assert (agreement["max_tlp"], agreement["sightings"]) == ("amber", "anonymised")


def test_add_reads_json(run: Any, tmp_path: Path) -> None:
    document = {
        "id": "us-utility",
        "name": "US CERT and the utility",
        "parties": ["US CERT", "Power Utility"],
        "max_tlp": "green",
        "onward_sharing": "none",
    }
    path = tmp_path / "us-utility.json"
    path.write_bytes(orjson.dumps(document))
    result = run("agreement", "add", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["agreement"]["max_tlp"] == "green"


def test_adding_the_same_id_again_replaces_it(run: Any, tmp_path: Path) -> None:
    path = _write(tmp_path, "us-il.yaml", AGREEMENT_YAML)
    assert run("agreement", "add", path).exit_code == 0
    path = _write(
        tmp_path, "us-il.yaml", AGREEMENT_YAML.replace("max_tlp: amber", "max_tlp: green")
    )
    again = run("agreement", "add", path)
    assert again.exit_code == 0, again.output
    assert "replaced" in again.stdout
    [listed] = orjson.loads(run("agreement", "list", "--json").stdout)["agreements"]
    assert listed["max_tlp"] == "green"


def test_list_json_shows_each_agreement_and_whether_it_is_in_force(
    run: Any, tmp_path: Path
) -> None:
    run("agreement", "add", _write(tmp_path, "us-il.yaml", AGREEMENT_YAML))
    future = AGREEMENT_YAML.replace("id: us-il", "id: us-il-next").replace(
        "valid_from: 2026-01-01T00:00:00Z", "valid_from: 2098-01-01T00:00:00Z"
    )
    run("agreement", "add", _write(tmp_path, "next.yaml", future))
    result = run("agreement", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = orjson.loads(result.stdout)["agreements"]
    assert [(a["id"], a["in_force"]) for a in listed] == [("us-il", True), ("us-il-next", False)]
    table = run("agreement", "list")
    assert table.exit_code == 0 and "us-il" in table.stdout


def test_list_with_no_agreements_is_an_empty_list(run: Any) -> None:
    result = run("agreement", "list", "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {"agreements": []}


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (("max_tlp: amber", "max_tlp: red"), "max_tlp"),
        (("parties: [US CERT, IL CERT]", "parties: [US CERT, US CERT]"), "parties[1]"),
        (("valid_until: 2099-06-30T12:30:00.123456Z", "valid_until: 2025-01-01"), "valid_until"),
        (("onward_sharing: none", "onward_sharing: everyone"), "onward_sharing"),
    ],
)
def test_an_invalid_agreement_exits_2_naming_the_location(
    run: Any, tmp_path: Path, change: tuple[str, str], location: str
) -> None:
    text = AGREEMENT_YAML.replace(*change)
    assert text != AGREEMENT_YAML
    result = run("agreement", "add", _write(tmp_path, "bad.yaml", text))
    assert result.exit_code == 2, result.output
    assert f"{location}:" in said(result)
    assert orjson.loads(run("agreement", "list", "--json").stdout) == {"agreements": []}


def test_an_agreement_not_naming_this_node_exits_2(run: Any, tmp_path: Path) -> None:
    text = AGREEMENT_YAML.replace("parties: [US CERT, IL CERT]", "parties: [IL CERT, Utility]")
    result = run("agreement", "add", _write(tmp_path, "other.yaml", text))
    assert result.exit_code == 2
    assert "does not name this node's org" in said(result)


def test_a_file_that_is_not_yaml_exits_2(run: Any, tmp_path: Path) -> None:
    result = run("agreement", "add", _write(tmp_path, "broken.yaml", "id: [unclosed\n"))
    assert result.exit_code == 2
    assert "not valid YAML or JSON" in said(result)


def test_a_yaml_tag_that_builds_objects_is_refused(run: Any, tmp_path: Path) -> None:
    text = "!!python/object/apply:os.system [echo hi]\n"
    result = run("agreement", "add", _write(tmp_path, "evil.yaml", text))
    assert result.exit_code == 2
    assert "not valid YAML or JSON" in said(result)


def test_a_missing_file_exits_2(run: Any, tmp_path: Path) -> None:
    result = run("agreement", "add", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "cannot read" in said(result)


def test_remove_withdraws_and_an_unknown_id_exits_2(run: Any, tmp_path: Path) -> None:
    run("agreement", "add", _write(tmp_path, "us-il.yaml", AGREEMENT_YAML))
    removed = run("agreement", "remove", "us-il")
    assert removed.exit_code == 0, removed.output
    assert orjson.loads(run("agreement", "list", "--json").stdout) == {"agreements": []}
    unknown = run("agreement", "remove", "us-il")
    assert unknown.exit_code == 2
    assert "us-il" in said(unknown)
