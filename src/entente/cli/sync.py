"""``entente sync``: pull from partners now (``serve`` also does it on a schedule)."""

from __future__ import annotations

from typing import Annotated

import typer

from entente.bootstrap import federation
from entente.cli.context import node
from entente.cli.output import console, print_json, run_command

__all__ = ["sync"]


def sync(
    partner: Annotated[
        str | None, typer.Option("--partner", help="Only this partner (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Pull new objects from partners, resuming from each collection's checkpoint."""

    def body() -> int:
        with node() as opened:
            outcomes = federation(opened).sync(partner)
        if as_json:
            print_json({"partners": [o.to_json() for o in outcomes]})
        else:
            for o in outcomes:
                line = (
                    f"{o.partner}: {o.added} added, {o.new_versions} new versions, "
                    f"{o.corrected} corrected, {o.duplicates} duplicates, "
                    f"{len(o.rejected)} rejected"
                )
                console.print(line + (f" - error: {o.error}" if o.error else ""), highlight=False)
                for rejection in o.rejected[:20]:
                    console.print(f"  rejected {rejection['id']}: {rejection['reason']}")
                for item in o.equivocations[:20]:
                    console.print(f"  [red]{item['reason']}[/]", highlight=False)
        # Architecture §6: 1 when the run completed with rejections or partial results.
        return 1 if any(o.error or o.rejected for o in outcomes) else 0

    run_command(body)
