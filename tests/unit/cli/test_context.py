"""Every command but ``init`` and ``demo`` needs a node in ``ENTENTE_HOME``: none is an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.cli.conftest import bare_cli_for, said

from entente.cli.output import ExitCode

POISONIVY = Path(__file__).parents[2] / "data" / "corpus" / "stix" / "cti-documentation"
ZEEK_TSV = Path(__file__).parents[2] / "data" / "logs" / "zeek" / "zeekparse-tsv"

NEEDS_A_NODE = (
    ("stats",),
    ("stats", "--json"),
    ("ingest", str(POISONIVY / "poisonivy.json")),
    ("objects", "list"),
    ("objects", "show", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
    ("token", "list"),
    ("token", "create", "--org", "ACME", "--role", "reader"),
    ("partner", "list"),
    ("partner", "card"),
    ("agreement", "list"),
    ("sync",),
    ("match", str(ZEEK_TSV)),
    ("hunt",),
    ("export", "csv"),
    ("warninglist", "list"),
    ("warninglist", "check", "::1"),
    ("serve", "--port", "0"),
)


@pytest.mark.parametrize("args", NEEDS_A_NODE, ids=" ".join)
def test_a_command_in_a_missing_home_is_an_error_that_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    home = tmp_path / "nowhere" / "home"
    result = bare_cli_for(home)(*args)
    assert result.exit_code == ExitCode.INPUT, result.output
    assert f"no Entente node at {home}; run `entente init`" in said(result)
    assert result.stdout == ""
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_that_holds_no_node_is_not_made_into_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("not a node\n")
    result = bare_cli_for(home)("stats", "--json")
    assert result.exit_code == ExitCode.INPUT
    assert f"no Entente node at {home}" in said(result)
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]


def test_after_init_the_same_command_runs(tmp_path: Path) -> None:
    run = bare_cli_for(tmp_path / "home")
    assert run("stats", "--json").exit_code == ExitCode.INPUT
    assert run("init").exit_code == 0
    result = run("stats", "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["objects"] == 9  # the built-in marking-definitions


def test_help_and_version_need_no_node(tmp_path: Path) -> None:
    run: Any = bare_cli_for(tmp_path / "home")
    for args in (("--help",), ("--version",), ("stats", "--help"), ("objects", "list", "--help")):
        assert run(*args).exit_code == 0, args
    assert not (tmp_path / "home").exists()


def test_demo_creates_its_node(tmp_path: Path) -> None:
    result = bare_cli_for(tmp_path / "home")("demo", "--no-serve", "--json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "node.key").is_file()
