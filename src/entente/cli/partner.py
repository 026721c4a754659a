"""``entente partner card|add|list|remove``: the partner nodes this node syncs with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from entente.bootstrap import federation
from entente.cli.admin_actions import record_admin_action
from entente.cli.context import node
from entente.cli.output import console, print_json, run_command
from entente.errors import InvalidInput
from entente.services.federation import partner_status

__all__ = ["app"]

app = typer.Typer(help="Exchange partner cards and manage partner nodes.", no_args_is_help=True)


@app.command("card")
def card(
    out: Annotated[Path | None, typer.Option("--out", help="Write the card to FILE.")] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Base URL partners reach this node at (default: settings)."),
    ] = None,
) -> None:
    """Print (or write) this node's signed partner card: org, public key, TAXII URLs."""

    def body() -> int:
        with node() as opened:
            base = (url or opened.settings.public_url).rstrip("/")
            document = federation(opened).card(f"{base}/taxii2/", f"{base}/taxii2/api/")
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"Partner card written to {out}", highlight=False)
        return 0

    run_command(body)


@app.command("add")
def add(
    card_file: Annotated[Path, typer.Option("--card", help="The partner's card (JSON).")],
    token: Annotated[str, typer.Option("--token", help="The token the partner issued to us.")],
    url: Annotated[
        str | None, typer.Option("--url", help="The partner's TAXII API root, if not the card's.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A local name for it.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Register a partner node from its card."""

    def body() -> int:
        try:
            data = orjson.loads(card_file.read_bytes())
        except OSError as exc:
            raise InvalidInput(f"{card_file}: cannot read the card: {exc.strerror}") from exc
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{card_file}: the card is not JSON: {exc}") from exc
        with node() as opened:
            record = federation(opened).add_partner(data, token=token, name=name, api_root=url)
            record_admin_action(opened, "partners.add", {"name": record.name, "org": record.org_id})
        if as_json:
            print_json(partner_status(record))
        else:
            console.print(
                f"Partner [bold]{record.name}[/] added: {record.org_name} ({record.org_id}) "
                f"at {record.api_root}",
                highlight=False,
            )
        return 0

    run_command(body)


@app.command("list")
def list_partners(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List partners with their sync status, last sync and objects received."""

    def body() -> int:
        with node() as opened:
            partners = [partner_status(p) for p in federation(opened).partners()]
        if as_json:
            print_json({"partners": partners})
            return 0
        table = Table("name", "org", "status", "last sync", "received", "last error")
        for p in partners:
            table.add_row(
                p["name"],
                p["org_name"],
                p["status"],
                p["last_sync"] or "-",
                str(p["objects_received"]),
                p["last_error"] or "",
            )
        console.print(table)
        return 0

    run_command(body)


@app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The partner's local name.")]) -> None:
    """Forget a partner and its sync checkpoints."""

    def body() -> int:
        with node() as opened:
            federation(opened).remove_partner(name)
            record_admin_action(opened, "partners.remove", {"name": name})
        console.print(f"Partner {name} removed", highlight=False)
        return 0

    run_command(body)
