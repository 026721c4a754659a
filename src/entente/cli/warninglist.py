"""``entente warninglist import|list|check|allow|disallow|remove``: values never to deploy.

Warninglists are MISP's format (github.com/MISP/misp-warninglists). The shipped defaults
apply unless the ``default_warninglists`` setting is off; imported lists are checked and kept
in ``$ENTENTE_HOME/warninglists/``; allowed values (exceptions the operator vouches for) in
``$ENTENTE_HOME/warninglist-allow.json``. A value given on the command line is read as the
kind it looks like (``--kind`` says otherwise) and normalised as indicator values are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from entente.bootstrap import warninglists
from entente.cli.admin_actions import record_admin_action
from entente.cli.context import node, node_settings
from entente.cli.output import ExitCode, console, err_console, print_json, run_command
from entente.errors import InvalidInput
from entente.services.warninglist_store import ImportReport
from entente.services.warninglist_values import Kind, classify

__all__ = ["Kind", "app", "classify"]

app = typer.Typer(help="Warninglists: values never to export (MISP format).", no_args_is_help=True)


KindOption = Annotated[
    Kind, typer.Option("--kind", help="What the value is (auto: what it looks like).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@app.command("import")
def import_lists(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...", help="MISP warninglist files, or directories of them (lists/*/)."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Check warninglists and keep them; a bad file is reported and the others imported."""

    def body() -> int:
        report = warninglists(node_settings()).import_paths(paths)
        if as_json:
            print_json(_import_json(report))
        else:
            for item in report.imported:
                wl = item.warninglist
                verb = "replaced" if item.replaced else "imported"
                console.print(
                    f"{verb} {item.stored_as}: '{wl.name}' ({wl.type}, {len(wl.entries):,} "
                    f"entries) from {item.path}",
                    highlight=False,
                )
                if wl.ignored:
                    console.print(
                        f"  {len(wl.ignored):,} entries can never match, e.g. "
                        f"{wl.ignored[0].entry!r}: {wl.ignored[0].reason}",
                        highlight=False,
                    )
            for path, reason in report.errors:
                err_console.print(f"[bold red]error:[/] {path}: {reason}", highlight=False)
        if report.errors:
            return int(ExitCode.PARTIAL if report.imported else ExitCode.INPUT)
        return int(ExitCode.OK)

    run_command(body)


def _import_json(report: ImportReport) -> dict[str, Any]:
    return {
        "imported": [
            {
                "path": item.path,
                "stored_as": item.stored_as,
                "replaced": item.replaced,
                **item.warninglist.to_json(),
            }
            for item in report.imported
        ],
        "errors": [{"path": path, "reason": reason} for path, reason in report.errors],
    }


@app.command("list")
def list_lists(as_json: JsonOption = False) -> None:
    """List the warninglists in force: the defaults and the imported ones."""

    def body() -> int:
        store = warninglists(node_settings())
        listed = store.lists()
        if as_json:
            print_json(
                {
                    "defaults": store.defaults_enabled,
                    "warninglists": [item.to_json() for item in listed],
                    "allowed": sorted(store.allowed()),
                }
            )
            return 0
        table = Table(title=f"{len(listed)} warninglists")
        for column in ("name", "type", "category", "entries", "source"):
            table.add_column(column, overflow="fold")
        for item in listed:
            wl = item.warninglist
            source = item.origin if item.stored_as is None else f"imported ({item.stored_as})"
            table.add_row(wl.name, str(wl.type), str(wl.category), f"{len(wl.entries):,}", source)
        console.print(table)
        if not store.defaults_enabled:
            console.print("the default lists are turned off (default_warninglists = false)")
        allowed = store.allowed()
        if allowed:
            console.print(f"{len(allowed):,} allowed values: {', '.join(sorted(allowed))}")
        return 0

    run_command(body)


@app.command("check")
def check(
    value: Annotated[str, typer.Argument(metavar="VALUE", help="An address, name, URL, hash...")],
    kind: KindOption = Kind.AUTO,
    as_json: JsonOption = False,
) -> None:
    """Say whether a value is on a warninglist, which one and which entry, or allowed."""

    def body() -> int:
        chosen, op, normal = classify(value, kind)
        listed, allowed = warninglists(node_settings()).check(chosen, op, normal)
        if as_json:
            print_json(
                {
                    "value": normal,
                    "kind": chosen,
                    "op": op,
                    "allowed": allowed,
                    "exported": listed is None or allowed,
                    "warninglist": None
                    if listed is None
                    else {
                        "name": listed.list_name,
                        "category": str(listed.category),
                        "entry": listed.entry,
                        "via": listed.via,
                        "explanation": listed.explain(),
                    },
                }
            )
            return 0
        shown = f"{chosen} {normal}" + (" and its subdomains" if op == "subdomain" else "")
        if listed is None:
            console.print(f"{shown}: on no warninglist", highlight=False)
        elif allowed:
            console.print(
                f"{shown}: {listed.explain()}, but allowed: it is exported", highlight=False
            )
        else:
            console.print(f"{shown}: {listed.explain()}: it is not exported", highlight=False)
        return 0

    run_command(body)


@app.command("allow")
def allow(
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The value to export anyway.")],
    kind: KindOption = Kind.AUTO,
) -> None:
    """Export VALUE even though a warninglist names it (an operator's exception)."""

    def body() -> int:
        _, _, normal = classify(value, kind)
        with node() as opened:
            added = warninglists(opened.settings).allow(normal)
            if added:
                record_admin_action(opened, "warninglists.allow", {"value": normal})
        console.print(f"{normal}: {'allowed' if added else 'already allowed'}", highlight=False)
        return 0

    run_command(body)


@app.command("disallow")
def disallow(
    value: Annotated[str, typer.Argument(metavar="VALUE", help="A value allowed before.")],
    kind: KindOption = Kind.AUTO,
) -> None:
    """Stop allowing VALUE: the warninglists apply to it again."""

    def body() -> int:
        _, _, normal = classify(value, kind)
        with node() as opened:
            removed = warninglists(opened.settings).disallow(normal)
            if removed:
                record_admin_action(opened, "warninglists.disallow", {"value": normal})
        console.print(f"{normal}: {'no longer allowed' if removed else 'was not allowed'}")
        return 0

    run_command(body)


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(metavar="NAME", help="An imported list's stored name.")],
) -> None:
    """Remove an imported list (its stored name, as ``warninglist list`` shows it)."""

    def body() -> int:
        if not warninglists(node_settings()).remove(name):
            raise InvalidInput(f"no imported warninglist is stored as {name!r}")
        console.print(f"removed {name}", highlight=False)
        return 0

    run_command(body)
