"""``entente init --org``: the node's org identity and key, idempotent, never renamed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import bare_cli_for, said
from typer.testing import CliRunner

from entente.cli.main import app
from entente.cli.output import ExitCode
from entente.config import load_settings
from entente.federation import parse_public_key
from entente.services import org_identity_id


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def run(home: Path) -> Any:
    """Run ``entente ARGS`` in-process against a home of its own (no ENTENTE_* leaks in)."""
    return bare_cli_for(home, "")


def test_init_with_an_org_sets_it_and_reports_its_id_and_public_key(run: Any, home: Path) -> None:
    result = run("init", "--org", "US CERT", "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["org_name"] == "US CERT"
    assert report["org_id"] == org_identity_id("US CERT")
    parse_public_key(report["public_key"])  # ed25519:<base64url>
    assert load_settings({"ENTENTE_HOME": str(home)}).org_name == "US CERT"
    assert (home / "node.key").is_file()


def test_init_with_the_same_org_again_changes_nothing(run: Any) -> None:
    first = orjson.loads(run("init", "--org", "US CERT", "--json").stdout)
    again = run("init", "--org", "  US CERT  ", "--json")
    assert again.exit_code == 0, again.output
    second = orjson.loads(again.stdout)
    assert second["config_created"] is False
    for field in ("org_name", "org_id", "public_key"):
        assert second[field] == first[field]
    plain = orjson.loads(run("init", "--json").stdout)
    assert (plain["org_id"], plain["public_key"]) == (first["org_id"], first["public_key"])


def test_renaming_the_org_is_refused_with_exit_2_and_changes_nothing(run: Any, home: Path) -> None:
    first = orjson.loads(run("init", "--org", "US CERT", "--json").stdout)
    result = run("init", "--org", "IL CERT", "--json")
    # A ConfigurationError is a usage error (cli/output.py, architecture §6): 2, not 3.
    assert result.exit_code == ExitCode.INPUT
    assert "already 'US CERT'" in said(result)
    assert result.stdout == ""
    assert load_settings({"ENTENTE_HOME": str(home)}).org_name == "US CERT"
    after = orjson.loads(run("init", "--json").stdout)
    assert after["org_id"] == first["org_id"]


def test_a_node_initialised_without_an_org_may_be_given_one_later(run: Any) -> None:
    plain = orjson.loads(run("init", "--json").stdout)
    assert plain["org_name"] == "Entente node"
    named = orjson.loads(run("init", "--org", "Power Utility", "--json").stdout)
    assert named["org_id"] == org_identity_id("Power Utility")
    assert named["public_key"] == plain["public_key"]  # the key stays


def test_an_org_name_with_quotes_and_backslashes_is_written_as_valid_toml(
    run: Any, home: Path
) -> None:
    name = 'ACME "Labs" \\ Ops'
    result = run("init", "--org", name, "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["org_name"] == name
    assert load_settings({"ENTENTE_HOME": str(home)}).org_name == name


def test_the_org_line_keeps_the_rest_of_the_settings(run: Any, home: Path) -> None:
    home.mkdir(parents=True)
    (home / "entente.toml").write_text('public_url = "https://cti.example"\n', encoding="utf-8")
    assert run("init", "--org", "US CERT").exit_code == 0
    settings = load_settings({"ENTENTE_HOME": str(home)})
    assert (settings.org_name, settings.public_url) == ("US CERT", "https://cti.example")


@pytest.mark.parametrize("name", ["   ", "line\nbreak", "bell\x07"])
def test_an_empty_org_or_one_with_control_characters_exits_2(run: Any, name: str) -> None:
    result = run("init", "--org", name)
    assert result.exit_code == 2
    assert "--org" in said(result)


def test_init_for_people_prints_the_org_and_key(run: Any) -> None:
    result = run("init", "--org", "US CERT")
    assert result.exit_code == 0, result.output
    assert org_identity_id("US CERT") in result.stdout
    assert "ed25519:" in result.stdout


def test_an_entente_org_that_disagrees_with_org_is_refused(home: Path) -> None:
    env = {"ENTENTE_HOME": str(home), "ENTENTE_DATABASE_URL": "", "ENTENTE_ORG": "US CERT"}
    result = CliRunner().invoke(app, ["init", "--org", "IL CERT"], env=env)
    assert result.exit_code == ExitCode.INPUT
    assert "ENTENTE_ORG" in said(result)
    assert (
        not (home / "entente.toml").exists() or "IL CERT" not in (home / "entente.toml").read_text()
    )
