"""``entente stats``: counts of what the node holds."""

from __future__ import annotations

from typing import Annotated

import typer

from entente.cli import output
from entente.cli.context import node
from entente.cli.output import print_json, run_command
from entente.store.urls import redact_url

__all__ = ["stats"]


def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Objects, versions and objects per type in the node's store."""

    def body() -> int:
        with node() as opened:
            counts = opened.store.stats()
            database = redact_url(opened.settings.database_url)
        report = {
            "objects": counts.objects,
            "versions": counts.versions,
            "by_type": dict(sorted(counts.by_type.items())),
            "database": database,
        }
        if as_json:
            print_json(report)
            return 0
        # Rich only for people: ``stats --json`` is what scripts poll (bench/cli_startup.py).
        from rich.table import Table

        table = Table(title=f"{counts.objects} objects, {counts.versions} versions ({database})")
        table.add_column("type")
        table.add_column("objects", justify="right")
        for name, count in sorted(counts.by_type.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(name, str(count))
        output.console.print(table)
        return 0

    run_command(body)
