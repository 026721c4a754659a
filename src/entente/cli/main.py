"""The ``entente`` command: one Typer app whose commands load only when they run.

Start-up is the cost of every command, ``--help`` included. Each command's module pulls in
what it works with (SQLAlchemy, httpx, the STIX pattern grammar, FastAPI, DuckDB): ~2 s before
anything is printed if ``main`` imports them all. So this module imports only Typer and names
the commands by where they live; ``COMMANDS`` carries each one's one-line help so that
``entente --help`` lists them without loading any (a test holds it equal to the docstring).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import MarkupMode, TyperGroup

__all__ = ["COMMANDS", "CommandSpec", "app", "load_command"]

# Rich-formatted help costs ~150 ms of imports (typer.rich_utils: rich, markdown-it, pygments
# lexers) before the first line is printed: half the 0.3 s start-up budget on its own
# (bench/cli_startup.py). Click's plain help says the same things.
_MARKUP: MarkupMode = None


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command of ``entente``: where it lives and its one-line help."""

    name: str
    target: str  # "module:attribute": a command function or a sub-``typer.Typer``
    summary: str


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "init",
        "entente.cli.init:init",
        "Create the node's home, configuration, store, org identity and Ed25519 key; idempotent.",
    ),
    CommandSpec(
        "ingest",
        "entente.cli.ingest:ingest",
        "Ingest files, directories or stdin; invalid objects are reported, valid ones stored.",
    ),
    CommandSpec(
        "stats",
        "entente.cli.stats:stats",
        "Objects, versions and objects per type in the node's store.",
    ),
    CommandSpec(
        "demo",
        "entente.cli.demo:demo",
        "Ingest the shipped sample data, show what the node holds, then serve it.",
    ),
    CommandSpec(
        "serve",
        "entente.cli.serve:serve",
        "Serve TAXII 2.1 at /taxii2/ and the REST API at /api/v1/ until interrupted.",
    ),
    CommandSpec(
        "objects",
        "entente.cli.objects:app",
        "Browse stored STIX objects.",
    ),
    CommandSpec(
        "search",
        "entente.cli.search:search",
        "Search the node's objects by value, id, words and filters, or correlate one object.",
    ),
    CommandSpec(
        "case",
        "entente.cli.case:app",
        "Open, work and close cases.",
    ),
    CommandSpec(
        "approval",
        "entente.cli.approval:app",
        "See and decide outbound actions waiting for approval.",
    ),
    CommandSpec(
        "token",
        "entente.cli.token:app",
        "Issue, list and revoke API tokens.",
    ),
    CommandSpec(
        "user",
        "entente.cli.user:app",
        "Add, list, disable and enable the people who sign in to the web UI.",
    ),
    CommandSpec(
        "partner",
        "entente.cli.partner:app",
        "Exchange partner cards and manage partner nodes.",
    ),
    CommandSpec(
        "agreement",
        "entente.cli.agreement:app",
        "Add and list sharing agreements.",
    ),
    CommandSpec(
        "sync",
        "entente.cli.sync:sync",
        "Pull new objects from partners, resuming from each collection's checkpoint.",
    ),
    CommandSpec(
        "match",
        "entente.cli.match:match",
        "Match logs with the node's active indicators; hits go to --out, a summary to the screen.",
    ),
    CommandSpec(
        "hunt",
        "entente.cli.hunt:hunt",
        "Retro-hunt: match the archive with the active indicators, reporting only new hits.",
    ),
    CommandSpec(
        "export",
        "entente.cli.export:export",
        "Export the active indicators in FORMAT, minus warninglisted and low-scoring values.",
    ),
    CommandSpec(
        "warninglist",
        "entente.cli.warninglist:app",
        "Warninglists: values never to export (MISP format).",
    ),
    CommandSpec(
        "attribution",
        "entente.cli.attribution:app",
        "ATT&CK-overlap hypotheses and ACH attributions with evidence.",
    ),
    CommandSpec(
        "evidence",
        "entente.cli.evidence:app",
        "Export evidence packages and verify them offline.",
    ),
    CommandSpec(
        "advisory",
        "entente.cli.advisory:app",
        "Draft joint advisories, co-sign them and verify them offline.",
    ),
    CommandSpec(
        "abuse",
        "entente.cli.abuse:app",
        "Find abuse contacts (RDAP), build X-ARF/ARF reports, send them when approved, track them.",
    ),
    CommandSpec(
        "preservation",
        "entente.cli.preservation:app",
        "Preservation requests (Budapest Convention Art. 29) to 24/7 points of contact.",
    ),
    CommandSpec(
        "audit",
        "entente.cli.audit:app",
        "Verify the hash-chained audit and custody logs; query who saw an object.",
    ),
    CommandSpec(
        "federation-demo",
        "entente.cli.federation_demo:federation_demo",
        "Start three nodes on loopback, apply agreements, share, sync, and show who got what.",
    ),
)


def load_command(spec: CommandSpec) -> Any:
    """The click command ``spec`` names, its module imported now."""
    module_name, _, attribute = spec.target.partition(":")
    target = getattr(importlib.import_module(module_name), attribute)
    # A holder app with a callback is always a group, so the command comes back under its
    # name with the settings every command of ``entente`` shares (a sub-app's commands too:
    # Typer hands the markup mode down).
    holder = typer.Typer(add_completion=False, rich_markup_mode=_MARKUP)
    holder.callback()(_no_options)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=spec.name)
    else:
        holder.command(spec.name)(target)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[spec.name]


def _no_options() -> None:
    """Nothing: the holder's callback."""


class _Commands(MutableMapping[str, Any]):
    """The commands by name, each loaded on first access (what click looks up to run one)."""

    def __init__(self, specs: tuple[CommandSpec, ...], eager: Mapping[str, Any]) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._loaded: dict[str, Any] = dict(eager)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            self._loaded[name] = load_command(self._specs[name])
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._specs.pop(name, None)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._specs
        yield from (name for name in self._loaded if name not in self._specs)

    def __len__(self) -> int:
        return len(self._specs.keys() | self._loaded.keys())


class _LazyGroup(TyperGroup):
    """A Typer group whose commands are ``COMMANDS``, imported when one runs."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(COMMANDS, self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # click's listing loads every command for its short help; the summaries say it. A
        # command registered on ``app`` directly (``app.command``) is listed by its own help.
        summaries = {spec.name: spec.summary for spec in COMMANDS}
        names = list(self.commands)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (
                name,
                _shorten(summaries[name], limit)
                if name in summaries
                else self.commands[name].get_short_help_str(limit),
            )
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word to ``limit`` characters, as click shortens short help."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0] + "..."


def _print_version(value: bool) -> None:
    if value:
        # The installed distribution's version (pyproject.toml), not a copy of it.
        from importlib.metadata import version

        typer.echo(f"entente {version('entente')}")
        raise typer.Exit()


app = typer.Typer(
    name="entente",
    help="Entente: coalition cyber defence on STIX 2.1 - share, prevent, impose consequences.",
    cls=_LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=_MARKUP,
)


@app.callback()
def entente(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Entente: coalition cyber defence on STIX 2.1 - share, prevent, impose consequences."""
