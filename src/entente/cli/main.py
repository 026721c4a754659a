"""The ``entente`` command: one Typer app, one module per noun."""

from __future__ import annotations

import typer

from entente.cli import (
    agreement,
    demo,
    export,
    federation_demo,
    hunt,
    ingest,
    init,
    match,
    objects,
    partner,
    search,
    serve,
    stats,
    sync,
    token,
    warninglist,
)

__all__ = ["app"]

app = typer.Typer(
    name="entente",
    help="Entente: coalition cyber defence on STIX 2.1 - share, prevent, impose consequences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(init.init)
app.command("ingest")(ingest.ingest)
app.command("stats")(stats.stats)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.add_typer(objects.app, name="objects")
app.command("search")(search.search)
app.add_typer(token.app, name="token")
app.add_typer(partner.app, name="partner")
app.add_typer(agreement.app, name="agreement")
app.command("sync")(sync.sync)
app.command("match")(match.match)
app.command("hunt")(hunt.hunt)
app.command("export")(export.export)
app.add_typer(warninglist.app, name="warninglist")
app.command("federation-demo")(federation_demo.federation_demo)
