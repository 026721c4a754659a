"""``entente ingest``: load STIX, MISP and feed files into the node's store.

Free text is reviewed value by value (``entente.ingest.review``): what the node's warninglists
or its own networks and domains name is left out unless ``--force``; ``--dry-run`` shows each
value with its decision and stores nothing.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Annotated, Any

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

from entente.bootstrap import Node, node_signer, operator_ingest, warninglists
from entente.cli.context import cli_principal, node
from entente.cli.output import ExitCode, console, err_console, print_json, run_command
from entente.errors import InvalidInput
from entente.ingest import (
    Candidate,
    InputFormat,
    Reviewer,
    TypedValue,
    Verdict,
    discover,
    open_document,
    review_value,
    value_label,
)
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
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Store nothing: report what would be stored and, for free text, each value "
            "found with its type, line and decision.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Keep the values of free text that a warninglist or the node's own networks "
            "and domains (own_networks, own_domains) name.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Ingest files, directories or stdin; invalid objects are reported, valid ones stored.

    Free text is reviewed: warninglisted values and the node's own addresses are left out
    unless --force; --dry-run lists every value with its decision and stores nothing.
    """

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
        reviewed: list[_Reviewed] = []
        refused = 0
        with node() as opened:
            service = operator_ingest(opened, cli_principal())
            # date_added is at least the time of the write: what this run stores comes after.
            before_us = opened.clock.now_us() - 1
            review = _reviewer(opened, force=force)
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
                            review=review,
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
                    if dry_run:
                        document = replace(
                            document, candidates=_noting(document.candidates, reviewed)
                        )
                    summary = service.ingest_document(
                        document,
                        progress=functools.partial(_advance, progress, task),
                        snapshot=snapshot,
                        dry_run=dry_run,
                    )
                    progress.remove_task(task)
                    progress.advance(overall)
                    rows.append((document.source, document.detail, summary))
                    total.merge(summary)
            if not dry_run and (total.added or total.new_versions or total.corrected):
                # The org's own objects are signed now, once, in signed batches (ADR 0025).
                node_signer(opened).seal_added_after(opened.store, before_us)
        if as_json:
            extra: dict[str, Any] = (
                {"dry_run": True, "values": [r.to_json() for r in reviewed]} if dry_run else {}
            )
            print_json(total.to_json() | extra)
        else:
            if dry_run:
                _print_review(reviewed)
            _print_human(rows, total, dry_run=dry_run)
        if files and refused == len(files):
            return int(ExitCode.INPUT)  # no document could be read: nothing was stored
        return int(ExitCode.PARTIAL) if total.rejected else int(ExitCode.OK)

    run_command(body)


@dataclass(frozen=True, slots=True)
class _Reviewed:
    """One value of free text as a dry run shows it."""

    source: str
    position: str
    value: TypedValue
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        finding = self.verdict.finding
        return {
            "source": self.source,
            "position": self.position,
            "type": value_label(self.value.type),
            "value": self.value.value,
            "kept": self.verdict.kept,
            "decision": self.verdict.describe(),
        } | (finding.to_json() if finding is not None else {})


def _reviewer(opened: Node, *, force: bool) -> Reviewer:
    """The review of free-text values with the node's warninglists and own addresses.

    The warninglists are built on the first value (the public-DNS and Tranco lists take a
    moment to index), so ingesting STIX or MISP never pays for them.
    """
    own = opened.settings.own_addresses
    lists = functools.cache(warninglists(opened.settings).current)

    def review(value: TypedValue) -> Verdict:
        return review_value(value, warninglists=lists(), own=own, force=force)

    return review


def _noting(candidates: Iterator[Candidate], reviewed: list[_Reviewed]) -> Iterator[Candidate]:
    """``candidates`` unchanged, each reviewed value noted in ``reviewed`` on its way."""
    for candidate in candidates:
        if candidate.value is not None and candidate.verdict is not None:
            reviewed.append(
                _Reviewed(candidate.source, candidate.position, candidate.value, candidate.verdict)
            )
        yield candidate


def _print_review(reviewed: list[_Reviewed]) -> None:
    if not reviewed:
        return
    # The source column only where there are several documents to tell apart.
    several = len({row.source for row in reviewed}) > 1
    table = Table(title="Values found in free text")
    for name in ("source", "line", "type", "value", "decision")[0 if several else 1 :]:
        table.add_column(name, overflow="fold")
    for row in reviewed:
        cells = (
            row.source,
            row.position.removeprefix("line "),
            value_label(row.value.type),
            row.value.value,
            row.verdict.describe(),
        )
        table.add_row(*cells[0 if several else 1 :], style=None if row.verdict.kept else "yellow")
    console.print(table)


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


def _print_human(
    rows: list[tuple[str, str, IngestSummary]], total: IngestSummary, *, dry_run: bool
) -> None:
    title = "Dry run: what ingest would do (nothing stored)" if dry_run else "Ingest"
    table = Table(title=title, show_footer=len(rows) > 1)
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
    table.add_column("left out", justify="right", footer=str(len(total.left_out)))
    for source, detail, s in rows:
        table.add_row(
            source,
            detail,
            str(s.added),
            str(s.duplicates),
            str(s.new_versions),
            str(s.corrected),
            str(len(s.rejected)),
            str(len(s.left_out)),
        )
    console.print(table)
    if total.left_out:
        why = ", ".join(f"{n} {reason}" for reason, n in total.left_out_by_reason().items())
        console.print(
            f"left out: {len(total.left_out)} values of free text ({why}); --force keeps them"
            + ("" if dry_run else ", --dry-run shows each"),
            highlight=False,
        )
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
