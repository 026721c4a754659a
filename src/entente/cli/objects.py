"""``entente objects list|show``: browse what the node's store holds."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer
from rich.syntax import Syntax
from rich.table import Table

from entente.bootstrap import exports
from entente.cli.context import node
from entente.cli.output import console, print_json, run_command
from entente.errors import InvalidInput, ObjectNotFound
from entente.services.export import export_principal
from entente.stix import format_timestamp_us, is_valid_id, tlp_of
from entente.store import ObjectQuery, StoredVersion, VersionFilter

__all__ = ["app"]

app = typer.Typer(help="Browse stored STIX objects.", no_args_is_help=True)


def _original_version(raw: dict[str, Any]) -> str | None:
    """The version as its creator wrote it (``modified``, else ``created``; §3.6)."""
    value = raw.get("modified", raw.get("created"))
    return value if isinstance(value, str) else None


def _describe(version: StoredVersion) -> dict[str, Any]:
    raw = version.to_json()
    return {
        "id": version.id,
        "type": version.type,
        "version": _original_version(raw),
        "date_added": format_timestamp_us(version.date_added_us),
        "provenance": {
            "source_kind": version.provenance.source_kind.value,
            "source_name": version.provenance.source_name,
            "principal": version.provenance.principal,
            "agreement": version.provenance.agreement,
        },
        "object": raw,
    }


def _label(version: StoredVersion) -> str:
    raw = version.to_json()
    for key in ("name", "value", "pattern", "relationship_type", "definition_type"):
        value = raw.get(key)
        if isinstance(value, str):
            return value if len(value) <= 60 else value[:57] + "..."
    return ""


def _markings(version: StoredVersion) -> str:
    names = []
    for ref in version.marking_refs:
        level = tlp_of(ref)
        names.append(f"TLP:{level.label.upper()}" if level is not None else ref[:30])
    return ", ".join(names) if names else "(unmarked)"


@app.command("list")
def list_objects(
    types: Annotated[
        list[str] | None, typer.Option("--type", "-t", help="Only this STIX type (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the latest version of stored objects, in the order they were added."""

    def body() -> int:
        with node() as opened:
            page = opened.store.query(
                ObjectQuery(types=tuple(types or ()), versions=(VersionFilter.LAST,), limit=limit)
            )
        if as_json:
            print_json({"objects": [_describe(v) for v in page.items], "more": page.more})
            return 0
        table = Table(title=f"{len(page.items)} objects" + (" (more exist)" if page.more else ""))
        for column in ("id", "type", "name / value", "modified", "markings"):
            table.add_column(column, overflow="fold")
        for v in page.items:
            table.add_row(
                v.id, v.type, _label(v), _original_version(v.to_json()) or "", _markings(v)
            )
        console.print(table)
        return 0

    run_command(body)


@app.command("show")
def show(
    object_id: Annotated[str, typer.Argument(metavar="ID", help="A STIX id (type--uuid).")],
    versions: Annotated[bool, typer.Option("--versions", help="Every stored version.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show one object (its latest version) or all its versions with provenance."""

    def body() -> int:
        if not is_valid_id(object_id):
            raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
        score: tuple[str, ...] = ()
        with node() as opened:
            found = opened.store.get_versions(object_id, ("all" if versions else "last",))
            if found and found[-1].type == "indicator" and not as_json:
                principal = export_principal(opened.settings.org_name)
                score = exports(opened).explain(found[-1], principal).lines()
        if not found:
            raise ObjectNotFound(f"no object {object_id} is stored")
        described = [_describe(v) for v in found]
        if as_json:
            print_json(described if versions else described[0]["object"])
            return 0
        for item in described:
            prov = item["provenance"]
            console.print(
                f"[bold]{item['id']}[/] version {item['version'] or '(unversioned)'} - added "
                f"{item['date_added']} from {prov['source_kind']} '{prov['source_name']}' "
                f"by {prov['principal']}",
                highlight=False,
            )
            text = orjson.dumps(item["object"], option=orjson.OPT_INDENT_2).decode()
            console.print(Syntax(text, "json", word_wrap=True))
        if score:
            # How exports score the latest version now (entente.scoring.score, every step).
            console.print("[bold]score[/]")
            for line in score:
                console.print(f"  {line}", highlight=False)
        return 0

    run_command(body)


@app.command("history")
def history(
    object_id: Annotated[str, typer.Argument(metavar="ID", help="A STIX id (type--uuid).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Every stored version of an object and what its creator's corrections replaced."""

    def body() -> int:
        if not is_valid_id(object_id):
            raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
        with node() as opened:
            try:
                current = opened.store.get_versions(object_id, ("all",))
            except ObjectNotFound:
                current = []  # deleted since, or never stored: its history may remain
            replaced = opened.store.history(object_id)
        if not current and not replaced:
            raise ObjectNotFound(f"no object {object_id} is stored")
        entries = [{"status": "current", **_describe(v)} for v in current] + [
            {
                "status": "replaced",
                "correction": item.correction,
                "replaced_at": format_timestamp_us(item.replaced_us),
                "replaced_by_date_added": (
                    None
                    if item.replaced_by_us is None
                    else format_timestamp_us(item.replaced_by_us)
                ),
                **_describe(item.version),
            }
            for item in replaced
        ]
        entries.sort(key=lambda e: str(e["date_added"]))  # in the order they were stored
        if as_json:
            print_json({"id": object_id, "versions": entries})
            return 0
        for entry in entries:
            prov = entry["provenance"]
            note = (
                f" - replaced {entry['replaced_at']} by a correction ({entry['correction']})"
                if entry["status"] == "replaced"
                else ""
            )
            console.print(
                f"[bold]{entry['status']}[/] version {entry['version'] or '(unversioned)'} - "
                f"added {entry['date_added']} from {prov['source_kind']} "
                f"'{prov['source_name']}' by {prov['principal']}{note}",
                highlight=False,
            )
        return 0

    run_command(body)
