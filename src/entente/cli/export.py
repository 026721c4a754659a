"""``entente export FORMAT``: the node's active indicators for a firewall, IDS or resolver.

The export reads as the node's own org (a non-individual: TLP:RED stays out), scores every
value, and leaves out what a warninglist names (unless allowed), what scores below the
minimum, and what the format cannot express; the summary on stderr says what and why. Files
the main file refers to (Suricata's dataset and hash lists) are written beside ``--out``.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from entente.bootstrap import audit_log, exports
from entente.cli.context import node
from entente.cli.output import ExitCode, err_console, print_json, run_command
from entente.errors import InvalidInput
from entente.export import RENDERERS, LeftOut, Rendered
from entente.services.audit_reads import ReadNotes, noting
from entente.services.export import export_principal

__all__ = ["export", "left_out_json"]

# How many left-out values the summary quotes per reason.
_SHOWN: Final = 3
_SAFE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def left_out_json(entry: LeftOut) -> dict[str, Any]:
    """One left-out entry as JSON."""
    return {
        "indicator_id": entry.indicator_id or None,
        "reason": str(entry.reason),
        "detail": entry.detail,
        "kind": None if entry.kind is None else str(entry.kind),
        "value": entry.value,
    }


def export(
    fmt: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT", help=f"One of {', '.join(RENDERERS)}.", show_default=False
        ),
    ],
    *,
    min_score: Annotated[
        int | None,
        typer.Option(
            "--min-score",
            min=0,
            max=100,
            help="Leave out values scoring below this (default: the export_min_score setting).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the export here (default: stdout)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON report on stdout (needs --out)."),
    ] = False,
) -> None:
    """Export the active indicators in FORMAT, minus warninglisted and low-scoring values."""

    def body() -> int:
        if fmt not in RENDERERS:
            raise InvalidInput(
                f"unknown export format {fmt!r}; known formats: {', '.join(RENDERERS)}"
            )
        if as_json and out is None:
            raise InvalidInput("--json prints the report on stdout: write the export to --out FILE")
        with node() as opened:
            service = exports(opened)
            # What the export releases above TLP:CLEAR goes into the audit log (issue 14).
            notes = ReadNotes("export", {"command": "entente export", "format": fmt})
            with noting(notes):
                selection = service.select(
                    export_principal(opened.settings.org_name), min_score=min_score
                )
            audit_log(opened).record(notes.drafts())
            rendered = service.render(fmt, selection)
            companions = service.companions(fmt, selection)
            etag = selection.etag(fmt, opened.settings.org_name)
            threshold = service.min_score if min_score is None else min_score
        written = _write(rendered.body, companions, out)
        result = _Result(fmt, rendered, etag, threshold, out, written)
        if as_json:
            print_json(result.to_json())
        else:
            result.summary()
        if companions and out is None:
            err_console.print(
                f"[yellow]warning:[/] the rules need {len(companions)} more files "
                f"({', '.join(companions)}) beside them: write the export with --out FILE",
                highlight=False,
            )
            return int(ExitCode.PARTIAL)
        return int(ExitCode.OK)

    run_command(body)


def _write(body: bytes, companions: dict[str, bytes], out: Path | None) -> tuple[str, ...]:
    """Write the export to ``out`` (stdout without it) and its companion files beside it;
    the paths written, besides stdout."""
    if out is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return ()
    for name in companions:
        # Companion names come from the renderer; refuse anything but a plain file name.
        if _SAFE_NAME.fullmatch(name) is None:
            raise InvalidInput(f"refusing to write a companion file named {name!r}")
    written: list[str] = []
    for path, data in [(out, body)] + [(out.parent / n, d) for n, d in companions.items()]:
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise InvalidInput(f"--out {path}: {exc.strerror or exc}") from exc
        written.append(str(path))
    return tuple(written)


@dataclass(frozen=True, slots=True)
class _Result:
    """What an export wrote, for the summary and the JSON report."""

    format: str
    rendered: Rendered
    etag: str
    threshold: int
    out: Path | None
    written: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        rendered = self.rendered
        by_reason: dict[str, int] = defaultdict(int)
        for entry in rendered.left_out:
            by_reason[str(entry.reason)] += 1
        return {
            "format": self.format,
            "count": rendered.count,
            "bytes": len(rendered.body),
            "media_type": rendered.media_type,
            "filename": rendered.filename,
            "out": None if self.out is None else str(self.out),
            "files": list(self.written),
            "etag": self.etag,
            "min_score": self.threshold,
            "left_out_by_reason": dict(sorted(by_reason.items())),
            "left_out": [left_out_json(entry) for entry in rendered.left_out],
        }

    def summary(self) -> None:
        rendered = self.rendered
        where = "stdout" if self.out is None else str(self.out)
        err_console.print(
            f"{self.format}: wrote {rendered.count:,} entries ({len(rendered.body):,} bytes) "
            f"to {where}; minimum score {self.threshold}",
            highlight=False,
        )
        for path in self.written[1:]:
            err_console.print(f"  with {path}", highlight=False)
        groups: dict[str, list[LeftOut]] = defaultdict(list)
        for entry in rendered.left_out:
            groups[str(entry.reason)].append(entry)
        if not groups:
            err_console.print("nothing left out", highlight=False)
            return
        err_console.print(f"left out {len(rendered.left_out):,}:", highlight=False)
        for reason, entries in sorted(groups.items()):
            err_console.print(f"  {reason}: {len(entries):,}", highlight=False)
            for entry in entries[:_SHOWN]:
                what = f"{entry.kind} {entry.value}" if entry.value is not None else ""
                who = f"({entry.indicator_id})" if entry.indicator_id else ""
                label = " ".join(part for part in (what, who) if part)
                err_console.print(
                    f"    {label + ': ' if label else ''}{entry.detail}",
                    highlight=False,
                    soft_wrap=True,
                )
            if len(entries) > _SHOWN:
                err_console.print(f"    ... and {len(entries) - _SHOWN:,} more", highlight=False)
