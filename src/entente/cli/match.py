"""``entente match``: match log files with the node's active indicators.

The hit output, progress bar and summary defined here serve ``entente hunt`` too.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from entente.bootstrap import matching, spark_matcher
from entente.cli.context import cli_principal, node
from entente.cli.output import ExitCode, console, err_console, print_json, run_command
from entente.errors import InvalidInput

if TYPE_CHECKING:
    from entente.services.matching import HitSink, MatchReport, ProgressEvent

__all__ = [
    "HitFormat",
    "HitFormatOption",
    "LogFormat",
    "MatchEngine",
    "ProgressCallback",
    "ShowNotDeployableOption",
    "SummaryJsonOption",
    "WarninglistsOption",
    "exit_code",
    "hit_output",
    "match",
    "match_progress",
    "print_summary",
    "summary_console",
]

# How many malformed records the summary quotes per file, how many indicators it ranks, and
# how many warninglisted values it names.
_EXAMPLES_SHOWN: Final = 3
_TOP_INDICATORS: Final = 10
_SUPPRESSED_SHOWN: Final = 10


class LogFormat(enum.StrEnum):
    """The log formats ``--log-format`` names (``auto`` recognises each file)."""

    AUTO = "auto"
    ZEEK_TSV = "zeek-tsv"
    ZEEK_JSON = "zeek-json"
    SURICATA_EVE = "suricata-eve"
    OCSF = "ocsf"
    CSV = "csv"
    PARQUET = "parquet"


class MatchEngine(enum.StrEnum):
    """Where ``--engine`` reads and matches the logs (the hits are the same; ADR 0023)."""

    LOCAL = "local"
    SPARK = "spark"


class HitFormat(enum.StrEnum):
    """How hits are written to ``--out``."""

    JSONL = "jsonl"
    PARQUET = "parquet"


# Options ``match`` and ``hunt`` share, declared once so both commands say the same.
HitFormatOption = Annotated[
    HitFormat, typer.Option("--format", "-f", help="Format of the hits written to --out.")
]
ShowNotDeployableOption = Annotated[
    bool, typer.Option("--show-not-deployable", help="List the indicators that cannot be matched.")
]
SummaryJsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
# ``entente export`` has no flag of its own (its exceptions are ``warninglist allow`` and the
# ``default_warninglists`` setting, which apply here too); this one turns every list off.
WarninglistsOption = Annotated[
    bool,
    typer.Option(
        "--warninglists/--no-warninglists",
        help="Hold back hits of warninglisted values, as exports leave them out.",
    ),
]


def summary_console(out: str | None) -> Console:
    """Where the human summary goes: stdout, unless the hits themselves go there."""
    return err_console if out == "-" else console


@contextmanager
def hit_output(out: str | None, fmt: HitFormat, *, as_json: bool) -> Iterator[HitSink | None]:
    """A sink writing hits to ``out`` (``-``: stdout) in ``fmt``; ``None`` without ``out``."""
    if out is None:
        yield None
        return
    from entente.matching import JsonLinesHitWriter, ParquetHitWriter

    with ExitStack() as stack:
        if out == "-":
            if fmt is HitFormat.PARQUET:
                raise InvalidInput("--format parquet needs --out FILE: Parquet is not streamed")
            if as_json:
                raise InvalidInput(
                    "--json prints the summary on stdout: write the hits to --out FILE"
                )
            writer: JsonLinesHitWriter | ParquetHitWriter = JsonLinesHitWriter(sys.stdout.buffer)
        else:
            try:
                if fmt is HitFormat.PARQUET:
                    writer = ParquetHitWriter(out)
                else:
                    writer = JsonLinesHitWriter(stack.enter_context(Path(out).open("wb")))
            except OSError as exc:
                raise InvalidInput(f"--out {out}: {exc.strerror or exc}") from exc
        stack.enter_context(writer)
        yield writer.write


@contextmanager
def match_progress() -> Iterator[ProgressCallback]:
    """A Rich progress bar on stderr: files, bytes of completed files, records and hits."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[files]} files"),
        TextColumn("{task.fields[records]:,} records"),
        TextColumn("{task.fields[hits]:,} hits"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        task = progress.add_task("matching", total=None, files="0/0", records=0, hits=0)
        yield ProgressCallback(progress, task)


class ProgressCallback:
    """Moves the progress bar on each ``ProgressEvent``."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, event: ProgressEvent) -> None:
        """Show ``event``."""
        self._progress.update(
            self._task,
            description=Path(event.source).name if event.source else "done",
            total=event.bytes_total or None,
            completed=event.bytes_done,
            files=f"{event.files_done}/{event.files_total}",
            records=event.records,
            hits=event.hits,
        )


def match(
    logs: Annotated[
        list[str], typer.Argument(metavar="LOG...", help="Log files, directories or globs.")
    ],
    *,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="Log format (auto recognises each file).")
    ] = LogFormat.AUTO,
    csv_map: Annotated[
        str | None,
        typer.Option("--csv-map", help="CSV columns to match and their kinds (see README)."),
    ] = None,
    fmt: HitFormatOption = HitFormat.JSONL,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Write the hits here (- for stdout).")
    ] = None,
    sightings: Annotated[
        bool, typer.Option("--sightings", help="Store one STIX sighting per indicator hit.")
    ] = False,
    show_not_deployable: ShowNotDeployableOption = False,
    as_json: SummaryJsonOption = False,
    warninglists: WarninglistsOption = True,
    engine: Annotated[
        MatchEngine,
        typer.Option("--engine", help="Match here (local) or on Apache Spark (spark)."),
    ] = MatchEngine.LOCAL,
    master: Annotated[
        str,
        typer.Option("--master", help="The Spark master URL (with --engine spark)."),
    ] = "local[*]",
    spark_conf: Annotated[
        list[str] | None,
        typer.Option(
            "--conf",
            metavar="KEY=VALUE",
            help="A Spark setting (with --engine spark; repeatable), e.g. for s3a:// paths.",
        ),
    ] = None,
) -> None:
    """Match logs with the node's active indicators; hits go to --out, a summary to the screen."""

    def body() -> int:
        from entente.matching import parse_csv_mapping

        mapping = parse_csv_mapping(csv_map) if csv_map is not None else None
        chosen = None if log_format is LogFormat.AUTO else log_format.value
        if engine is MatchEngine.LOCAL and (spark_conf or master != "local[*]"):
            raise InvalidInput("--master and --conf go with --engine spark")
        with ExitStack() as stack:
            opened = stack.enter_context(node())
            sink = stack.enter_context(hit_output(out, fmt, as_json=as_json))
            elsewhere = (
                stack.enter_context(spark_matcher(master, spark_conf or []))
                if engine is MatchEngine.SPARK
                else None
            )
            service = matching(opened)
            progress = stack.enter_context(match_progress())
            report = service.match(
                logs,
                principal=cli_principal(),
                log_format=chosen,
                csv_mapping=mapping,
                hit_sink=sink,
                progress=progress,
                sightings=sightings,
                warninglists=warninglists,
                file_matcher=elsewhere,
            )
        if as_json:
            print_json(report.to_json())
        else:
            print_summary(
                report, summary_console(out), title="Matching", list_all=show_not_deployable
            )
        return exit_code(report)

    run_command(body)


def exit_code(report: MatchReport) -> int:
    """Architecture §6: 1 when records could not be read or a sighting was not stored."""
    partial = report.malformed or report.sighting_rejections
    return int(ExitCode.PARTIAL) if partial else int(ExitCode.OK)


def print_summary(report: MatchReport, out: Console, *, title: str, list_all: bool) -> None:
    """The human summary: per file, totals, top indicators, what could not be matched."""
    table = Table(title=title, show_footer=len(report.files) > 1)
    table.add_column("file", footer="total", overflow="fold")
    table.add_column("format")
    table.add_column("records", justify="right", footer=f"{report.records:,}")
    table.add_column("malformed", justify="right", footer=f"{report.malformed:,}")
    for item in report.files:
        table.add_row(item.source, item.format, f"{item.records:,}", f"{item.malformed:,}")
    out.print(table)
    for item in report.files:
        for warning in item.warnings:
            out.print(f"  [yellow]warning[/] {warning.where()}: {warning.reason}", highlight=False)
        for example in item.examples[:_EXAMPLES_SHOWN]:
            out.print(f"  [red]malformed[/] {example.where()}: {example.reason}", highlight=False)
        hidden = item.malformed - min(len(item.examples), _EXAMPLES_SHOWN)
        if hidden > 0:
            out.print(f"  ... and {hidden:,} more malformed in {item.source}", highlight=False)
    rate = report.records_per_second
    out.print(
        f"{report.records:,} records, {report.hits:,} hits on {len(report.by_indicator):,} of "
        f"{report.indicators:,} active indicators"
        + (f", {rate:,.0f} records/s" if rate is not None else ""),
        highlight=False,
    )
    if report.by_indicator:
        top = Table(title="Top indicators")
        top.add_column("indicator", overflow="fold")
        top.add_column("name", overflow="fold")
        top.add_column("hits", justify="right")
        for hit in report.by_indicator[:_TOP_INDICATORS]:
            top.add_row(hit.id, hit.name or "", f"{hit.hits:,}")
        out.print(top)
    _print_suppressed(report, out)
    if report.sightings:
        out.print(f"stored {len(report.sightings):,} sightings", highlight=False)
    for rejection in report.sighting_rejections:
        out.print(f"[red]sighting not stored[/] {rejection}", highlight=False)
    missing = report.not_deployable
    if missing and list_all:
        for refused in missing:
            name = f" ({refused.name})" if refused.name else ""
            out.print(f"not deployable: {refused.id}{name}: {refused.reason}", highlight=False)
    elif missing:
        verb = "indicator is" if len(missing) == 1 else "indicators are"
        out.print(
            f"{len(missing):,} {verb} not deployable (list them with --show-not-deployable)",
            highlight=False,
        )


def _print_suppressed(report: MatchReport, out: Console) -> None:
    """The hits the warninglists held back, per value with its lists (or that none applied)."""
    if not report.warninglists:
        out.print("warninglists not applied (--no-warninglists)", highlight=False)
        return
    if not report.suppressed:
        return
    count = len(report.suppressed)
    several = count > 1
    named = ", ".join(
        f"{item.value} ({'; '.join(item.lists)})" + (f" {item.hits:,}" if several else "")
        for item in report.suppressed[:_SUPPRESSED_SHOWN]
    )
    more = f", and {count - _SUPPRESSED_SHOWN:,} more" if count > _SUPPRESSED_SHOWN else ""
    noun = "values" if several else "value"
    out.print(
        f"suppressed {report.suppressed_hits:,} hits on {count:,} warninglisted {noun}: "
        f"{named}{more}",
        highlight=False,
    )
