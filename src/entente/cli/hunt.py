"""``entente hunt``: match the log archive again and report only what is new."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Final

import typer

from entente.bootstrap import matching
from entente.cli.context import cli_principal, node
from entente.cli.match import (
    HitFormat,
    HitFormatOption,
    ShowNotDeployableOption,
    SummaryJsonOption,
    WarninglistsOption,
    exit_code,
    hit_output,
    match_progress,
    print_summary,
    summary_console,
)
from entente.cli.output import print_json, run_command
from entente.errors import InvalidInput

if TYPE_CHECKING:
    from entente.services.matching import HuntReport

__all__ = ["hunt", "parse_duration"]

_UNIT_US: Final = {
    "s": 1_000_000,
    "m": 60 * 1_000_000,
    "h": 3_600 * 1_000_000,
    "d": 86_400 * 1_000_000,
    "w": 7 * 86_400 * 1_000_000,
}
_DURATION_RE: Final = re.compile(r"(?:\d+[smhdw])+")
_PART_RE: Final = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> int:
    """A duration such as ``30d``, ``12h``, ``90m`` or ``1d12h`` in microseconds."""
    compact = text.strip().lower()
    if not _DURATION_RE.fullmatch(compact):
        raise InvalidInput(
            f"--since {text!r} is not a duration: a number and a unit (s, m, h, d, w), "
            "e.g. 30d, 12h, 90m"
        )
    micros = sum(int(n) * _UNIT_US[unit] for n, unit in _PART_RE.findall(compact))
    if micros <= 0:
        raise InvalidInput(f"--since {text!r} must be longer than zero")
    return micros


def hunt(
    *,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only files changed and records dated within this long (30d, 12h)."
        ),
    ] = None,
    archive: Annotated[
        list[str] | None,
        typer.Option(
            "--archive",
            help="Log files, directories or globs (repeatable); default ENTENTE_HUNT_ARCHIVE.",
        ),
    ] = None,
    fmt: HitFormatOption = HitFormat.JSONL,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Write the new hits here (- for stdout).")
    ] = None,
    sightings: Annotated[
        bool,
        typer.Option(
            "--sightings/--no-sightings", help="Store one STIX sighting per indicator hit."
        ),
    ] = True,
    show_not_deployable: ShowNotDeployableOption = False,
    as_json: SummaryJsonOption = False,
    warninglists: WarninglistsOption = True,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset", help="Forget what earlier hunts reported: this hunt reports every hit."
        ),
    ] = False,
) -> None:
    """Retro-hunt: match the archive with the active indicators, reporting only new hits."""

    def body() -> int:
        window = parse_duration(since) if since is not None else None
        with node() as opened:
            paths = list(archive or opened.settings.hunt_archive)
            if not paths:
                raise InvalidInput(
                    "no archive to hunt: pass --archive PATH or set ENTENTE_HUNT_ARCHIVE "
                    "(or hunt_archive in entente.toml)"
                )
            since_us = opened.clock.now_us() - window if window is not None else None
            with hit_output(out, fmt, as_json=as_json) as sink, match_progress() as progress:
                report = matching(opened).hunt(
                    paths,
                    principal=cli_principal(),
                    since_us=since_us,
                    hit_sink=sink,
                    progress=progress,
                    sightings=sightings,
                    warninglists=warninglists,
                    reset=reset,
                )
        if as_json:
            print_json(report.to_json())
        else:
            _print_human(report, out, since=since, list_all=show_not_deployable)
        return exit_code(report.run)

    run_command(body)


def _print_human(report: HuntReport, out: str | None, *, since: str | None, list_all: bool) -> None:
    screen = summary_console(out)
    if report.forgotten_files is not None:
        screen.print(
            f"reset: forgot {report.forgotten_files:,} files of earlier hunts "
            f"({report.state}); this hunt reports every hit again",
            highlight=False,
        )
    print_summary(report.run, screen, title="Hunt: new hits only", list_all=list_all)
    if since is not None:
        # Counted over the files read; files skipped whole by --since are not read at all.
        screen.print(
            f"skipped {report.run.skipped_old_hits:,} hits older than {since.strip()}",
            highlight=False,
        )
    screen.print(
        f"files: {report.new_files} new or rewritten, {report.grown_files} grown, "
        f"{report.unchanged_files} unchanged, {report.skipped_files} older than --since; "
        f"{report.new_indicators} indicators new to this archive",
        highlight=False,
    )
