"""Start-up: each command imports what it works with, and ``--help`` nothing heavy.

Timings are measured in ``bench/cli_startup.py`` (target: ``entente --help`` < 0.3 s); these
tests hold the cause instead of a clock: which libraries a fresh process has imported.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from entente.cli.main import COMMANDS, CommandSpec, app, load_command

# Each costs from ~20 ms (orjson, cryptography) to ~0.5 s (SQLAlchemy; httpx with its CLI's
# Rich and Pygments) of a cold start on the development machine; ``--help`` needs none.
HEAVY = (
    "sqlalchemy", "alembic", "psycopg", "httpx", "stix2patterns", "antlr4", "cryptography",
    "orjson", "ijson", "rfc8785", "yaml", "pydantic", "rich", "fastapi", "starlette",
    "uvicorn", "jinja2", "duckdb", "pyarrow", "numpy", "hypothesis",
    "entente.bootstrap", "entente.config", "entente.store", "entente.services", "entente.stix",
)  # fmt: skip
# ``stats`` reads the store (SQLAlchemy, the STIX layer under it) and prints JSON: nothing of
# sync (httpx), the server, matching, YAML agreements, or Rich for a JSON answer; nor the
# pattern validator's ANTLR parser, the PostgreSQL dialect (asyncio) on a SQLite node, or the
# services it does not use.
NOT_FOR_STATS_JSON = (
    "httpx", "rich", "fastapi", "starlette", "uvicorn", "jinja2", "duckdb", "pyarrow", "numpy",
    "alembic", "yaml", "hypothesis", "entente.taxii.client", "entente.services.matching",
    "entente.server", "antlr4", "stix2patterns.validator", "sqlalchemy.dialects.postgresql",
    "entente.services.export", "entente.services.federation", "entente.services.taxii",
    "entente.services.search",
)  # fmt: skip
# ``search`` adds the search service and the policy context (agreements: the federation
# service), still nothing of the server, sync's client, matching or the exports.
NOT_FOR_SEARCH_JSON = (
    "httpx", "rich", "fastapi", "starlette", "uvicorn", "duckdb", "pyarrow", "numpy", "alembic",
    "hypothesis", "entente.taxii.client", "entente.services.matching", "entente.server",
    "antlr4", "stix2patterns.validator", "sqlalchemy.dialects.postgresql",
    "entente.services.export",
)  # fmt: skip

_PROBE = """
import json, sys
from entente.cli.main import app
args, report, watched = sys.argv[1:-2], sys.argv[-2], json.loads(sys.argv[-1])
try:
    app(args, prog_name="entente")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(report, "w") as out:
    json.dump({"code": code, "imported": sorted(m for m in watched if m in sys.modules)}, out)
"""


def _imports_of(tmp_path: Path, watched: tuple[str, ...], *args: str, home: Path) -> list[str]:
    """The modules of ``watched`` that a fresh ``entente ARGS`` process has imported."""
    report = tmp_path / "report.json"
    env = {"ENTENTE_HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args, str(report), json.dumps(watched)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert report.is_file(), done.stderr
    result = json.loads(report.read_text())
    assert result["code"] in (0, None), done.stderr
    imported: list[str] = result["imported"]
    return imported


def test_loading_the_cli_imports_nothing_heavy() -> None:
    code = f"import sys, entente.cli.main\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_and_version_import_nothing_heavy(tmp_path: Path, args: tuple[str, ...]) -> None:
    # No home at all: neither needs a node.
    assert _imports_of(tmp_path, HEAVY, *args, home=tmp_path / "none") == []


def test_stats_json_imports_neither_sync_nor_server_nor_matching_nor_rich(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(app, ["init"], env={"ENTENTE_HOME": str(home)}).exit_code == 0
    imported = _imports_of(tmp_path, NOT_FOR_STATS_JSON, "stats", "--json", home=home)
    assert imported == []


def test_search_json_imports_only_what_search_reads(tmp_path: Path) -> None:
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(app, ["init"], env={"ENTENTE_HOME": str(home)}).exit_code == 0
    args = ("search", "203.0.113.7", "--json")
    assert _imports_of(tmp_path, NOT_FOR_SEARCH_JSON, *args, home=home) == []


def test_version_prints_the_installed_distribution_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"entente {importlib.metadata.version('entente')}\n"


@pytest.mark.parametrize("spec", COMMANDS, ids=[spec.name for spec in COMMANDS])
def test_each_listed_summary_is_the_first_paragraph_of_the_commands_help(
    spec: CommandSpec,
) -> None:
    # The top-level listing is written from COMMANDS without loading a command: it must say
    # what the command itself says.
    command = load_command(spec)
    first_paragraph = " ".join((command.help or "").strip().split("\n\n")[0].split())
    assert first_paragraph == spec.summary


def test_help_lists_every_command_and_an_unknown_one_suggests_the_closest() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["--help"])
    assert listed.exit_code == 0
    for spec in COMMANDS:
        assert f"  {spec.name} " in listed.stdout
    typo = runner.invoke(app, ["statz"])
    assert typo.exit_code == 2
    assert "No such command 'statz'. Did you mean 'stats'?" in typo.output


def test_a_command_registered_on_the_app_directly_is_listed_and_runs_beside_the_lazy_ones() -> None:
    from entente.cli.main import _LazyGroup

    extra = typer.Typer(cls=_LazyGroup, rich_markup_mode=None, add_completion=False)

    @extra.callback()
    def _root() -> None:
        """A root."""

    @extra.command("hello")
    def _hello() -> None:
        """Say hello, eagerly registered."""
        typer.echo("hello")

    runner = CliRunner()
    listed = runner.invoke(extra, ["--help"])
    assert listed.exit_code == 0
    assert "hello  " in listed.stdout
    assert "Say hello, eagerly registered." in listed.stdout
    assert "  stats " in listed.stdout
    assert runner.invoke(extra, ["hello"]).stdout == "hello\n"
