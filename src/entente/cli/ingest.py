"""``entente ingest``: load STIX, MISP and feed files into the node's store."""

from __future__ import annotations

import functools
import sys
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from entente.bootstrap import operator_ingest
from entente.cli.context import cli_principal, node
from entente.cli.output import ExitCode, console, err_console, print_json, run_command
from entente.errors import InvalidInput
from entente.ingest import InputFormat, discover, open_document
from entente.services import IngestSummary, Rejection
from entente.stix import format_timestamp_us, marking_id_for, parse_tlp

__all__ = ["ingest"]

_SHOWN_REJECTIONS = 25


def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, directories, or - for stdin.")],
    *,
    fmt: Annotated[
        InputFormat, typer.Option("--format", "-f", help="Input format (auto detects).")
    ] = InputFormat.AUTO,
    source: Annotated[
        str | None, typer.Option("--source", help="Source name recorded in provenance.")
    ] = None,
    marking: Annotated[
        str | None,
        typer.Option("--marking", help="TLP for objects built from feeds/MISP (e.g. amber)."),
    ] = None,
    snapshot: Annotated[
        bool,
        typer.Option(
            "--snapshot",
            help="Each file is the complete current content of --source (a publisher's "
            "release): objects that source sent before and the file no longer holds are "
            "withdrawn (kept in history).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Ingest files, directories or stdin; invalid objects are reported, valid ones stored."""

    def body() -> int:
        if snapshot and source is None:
            raise InvalidInput(
                "--snapshot needs --source NAME: the name that ties this snapshot to the "
                "earlier ones of the same source"
            )
        # Ingest and matching are separate layers: the log detection is handed to the reader.
        from entente.matching.detect import recognise_log

        markings: tuple[str, ...] = ()
        if marking is not None:
            try:
                markings = (marking_id_for(parse_tlp(marking)),)
            except ValueError as exc:
                raise InvalidInput(f"--marking: {exc}") from exc
        files = list(discover(paths))
        total = IngestSummary()
        rows: list[tuple[str, str, IngestSummary]] = []
        refused = 0
        with node() as opened:
            service = operator_ingest(opened, cli_principal())
            with _progress() as progress:
                overall = progress.add_task("documents", total=len(files))
                for path in files:
                    now = format_timestamp_us(opened.clock.now_us())
                    try:
                        document = open_document(
                            path,
                            fmt=fmt,
                            source_name=source,
                            now=now,
                            markings=markings,
                            stdin=sys.stdin.buffer,
                            recognise_log=recognise_log,
                        )
                    except InvalidInput as exc:
                        if len(files) == 1:
                            raise
                        refused += 1
                        summary = IngestSummary(rejected=[Rejection(path, "", None, str(exc))])
                        rows.append((path, "?", summary))
                        total.merge(summary)
                        progress.advance(overall)
                        continue
                    task = progress.add_task(document.source, total=None)
                    summary = service.ingest_document(
                        document,
                        progress=functools.partial(_advance, progress, task),
                        snapshot=snapshot,
                    )
                    progress.remove_task(task)
                    progress.advance(overall)
                    rows.append((document.source, document.detail, summary))
                    total.merge(summary)
        if as_json:
            print_json(total.to_json())
        else:
            _print_human(rows, total)
        if files and refused == len(files):
            return int(ExitCode.INPUT)  # no document could be read: nothing was stored
        return int(ExitCode.PARTIAL) if total.rejected else int(ExitCode.OK)

    run_command(body)


def _advance(progress: Progress, task: TaskID, count: int) -> None:
    progress.advance(task, count)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _print_human(rows: list[tuple[str, str, IngestSummary]], total: IngestSummary) -> None:
    table = Table(title="Ingest", show_footer=len(rows) > 1)
    table.add_column("source", footer="total")
    table.add_column("format")
    for name, attr in (
        ("added", "added"),
        ("duplicates", "duplicates"),
        ("new versions", "new_versions"),
        ("corrected", "corrected"),
    ):
        table.add_column(name, justify="right", footer=str(getattr(total, attr)))
    table.add_column("rejected", justify="right", footer=str(len(total.rejected)))
    for source, detail, s in rows:
        table.add_row(
            source,
            detail,
            str(s.added),
            str(s.duplicates),
            str(s.new_versions),
            str(s.corrected),
            str(len(s.rejected)),
        )
    console.print(table)
    if total.withdrawn:
        console.print(
            f"withdrawn: {total.withdrawn} objects the snapshot no longer holds (kept in "
            "history: entente objects history ID)",
            highlight=False,
        )
    if total.snapshot_note:
        console.print(f"[yellow]snapshot[/]: {total.snapshot_note}", highlight=False)
    if total.corrections:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(total.corrections.items()))
        console.print(
            f"corrected by their creators: {kinds} (replaced content kept in history: "
            "entente objects history ID)",
            highlight=False,
        )
    for rejection in total.rejected[:_SHOWN_REJECTIONS]:
        where = f"{rejection.source} {rejection.position}".strip()
        ident = f" {rejection.id}" if rejection.id else ""
        console.print(f"[red]rejected[/] {where}{ident}: {rejection.reason}", highlight=False)
    hidden = len(total.rejected) - _SHOWN_REJECTIONS
    if hidden > 0:
        console.print(f"... and {hidden} more rejections (see --json)")
