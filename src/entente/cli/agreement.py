"""``entente agreement add|list|remove``: sharing agreements as data (YAML or JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from entente.bootstrap import federation
from entente.cli.admin_actions import record_admin_action
from entente.cli.context import node
from entente.cli.output import console, print_json, run_command
from entente.errors import InvalidInput
from entente.stix import format_timestamp_us

__all__ = ["app", "load_document"]

app = typer.Typer(help="Add and list sharing agreements.", no_args_is_help=True)


class _StringTimestampLoader(yaml.SafeLoader):
    """YAML's safe loader, but timestamps stay the text that was written.

    The agreement parser reads RFC 3339 text (STIX 2.1 §3.2 rules); YAML would otherwise turn
    an unquoted ``2026-01-01T00:00:00Z`` into a datetime and lose its precision.
    """


_StringTimestampLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_document(path: Path) -> Any:
    """An agreement file's value: YAML (of which JSON is a subset)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text") from exc
    try:
        # safe_load: an agreement is data; YAML tags that build objects are refused.
        return yaml.load(text, Loader=_StringTimestampLoader)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML or JSON: {exc}") from exc


def _time(micros: int | None) -> str | None:
    return None if micros is None else format_timestamp_us(micros)


@app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="The agreement (YAML or JSON).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Add an agreement, or replace the one with the same id."""

    def body() -> int:
        data = load_document(file)
        with node() as opened:
            agreement, new = federation(opened).add_agreement(data)
            verb = "add" if new else "replace"
            record_admin_action(opened, f"agreements.{verb}", {"agreement": agreement.id})
        if as_json:
            print_json({"agreement": agreement.to_json(), "created": new})
        else:
            verb = "added" if new else "replaced"
            console.print(f"Agreement [bold]{agreement.id}[/] {verb}", highlight=False)
        return 0

    run_command(body)


@app.command("list")
def list_agreements(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the agreements: parties, highest TLP, types, onward sharing, validity."""

    def body() -> int:
        with node() as opened:
            service = federation(opened)
            now_us = opened.clock.now_us()
            rows = [(a, a.in_force(now_us)) for a in service.agreements()]
        if as_json:
            print_json(
                {"agreements": [{**a.to_json(), "in_force": in_force} for a, in_force in rows]}
            )
            return 0
        table = Table("id", "parties", "max TLP", "types", "onward", "sightings", "in force")
        for a, in_force in rows:
            table.add_row(
                a.id,
                "\n".join(sorted(a.parties)),
                a.max_tlp.label.upper(),
                ", ".join(sorted(a.object_types)) if a.object_types else "all",
                a.onward.value,
                a.sightings.value,
                "yes" if in_force else "no",
            )
        console.print(table)
        return 0

    run_command(body)


@app.command("remove")
def remove(agreement_id: Annotated[str, typer.Argument(help="The agreement's id.")]) -> None:
    """Withdraw an agreement: nothing flows under it any more."""

    def body() -> int:
        with node() as opened:
            federation(opened).remove_agreement(agreement_id)
            record_admin_action(opened, "agreements.remove", {"agreement": agreement_id})
        console.print(f"Agreement {agreement_id} removed", highlight=False)
        return 0

    run_command(body)
