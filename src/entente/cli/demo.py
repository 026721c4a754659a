"""``entente demo``: a node with real sample intelligence, ready to explore."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entente.cli.context import cli_principal, node
from entente.cli.output import console, print_json, run_command
from entente.ingest import InputFormat, open_document
from entente.services import IngestService, IngestSummary
from entente.stix import format_timestamp_us

__all__ = ["demo"]

# (file, source name): the shipped samples, see demo_data/SOURCES.md for their origin.
_SAMPLES = (
    ("poisonivy.json", "OASIS CTI documentation: Poison Ivy"),
    ("apt1.json", "OASIS CTI documentation: APT1"),
    ("misp-event-galaxy.json", "PyMISP sample event"),
    ("urlhaus-recent.csv", "abuse.ch URLhaus"),
    ("ipsum.txt", "IPsum"),
)


def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Ingest the shipped sample data into this node and show what it holds."""

    def body() -> int:
        report: dict[str, object] = {}
        with node() as opened:
            service = IngestService(opened.store, opened.clock, principal=cli_principal())
            table = Table(title="Sample data ingested")
            for column in ("sample", "format", "added", "duplicates", "new versions", "rejected"):
                table.add_column(column)
            total = IngestSummary()
            data_dir = resources.files("entente") / "demo_data"
            for name, source in _SAMPLES:
                with resources.as_file(data_dir / name) as path:
                    document = open_document(
                        str(path),
                        fmt=InputFormat.AUTO,
                        source_name=source,
                        now=format_timestamp_us(opened.clock.now_us()),
                        markings=(),
                    )
                    summary = service.ingest_document(document)
                total.merge(summary)
                table.add_row(
                    name,
                    document.detail,
                    str(summary.added),
                    str(summary.duplicates),
                    str(summary.new_versions),
                    str(len(summary.rejected)),
                )
            counts = opened.store.stats()
            home = opened.settings.home
        report = {
            "home": str(home),
            "ingest": total.to_json(),
            "objects": counts.objects,
            "versions": counts.versions,
            "by_type": counts.by_type,
        }
        if as_json:
            print_json(report)
            return 0
        console.print(table)
        console.print(
            f"\nThe node at [bold]{home}[/] holds {counts.objects} objects "
            f"({counts.versions} versions):"
        )
        top = sorted(counts.by_type.items(), key=lambda kv: (-kv[1], kv[0]))
        console.print("  " + ", ".join(f"{t} {n}" for t, n in top))
        console.print(_NEXT.format(home=Path(home)))
        return 0

    run_command(body)


_NEXT = """
Try next (ENTENTE_HOME={home}):
  .venv/bin/entente objects list --type indicator
  .venv/bin/entente objects show <id> --versions
  .venv/bin/entente stats --json
  .venv/bin/entente ingest path/to/bundle.json --json
"""
