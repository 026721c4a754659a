"""``entente objects list|show``: browse what the node's store holds."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

import orjson
import typer
from rich.syntax import Syntax
from rich.table import Table

from entente.bootstrap import exports, taxii
from entente.cli.context import node, operator
from entente.cli.output import console, print_json, run_command
from entente.cli.serve import load_cursor_secret
from entente.errors import InvalidInput, ObjectNotFound
from entente.services import TaxiiService
from entente.services.export import export_principal
from entente.sharing import Principal
from entente.stix import STIX_TYPES, format_timestamp_us, is_valid_id, is_valid_type_name, tlp_of
from entente.store import ObjectQuery, StoredVersion, VersionFilter
from entente.taxii import decode_cursor, fingerprint, next_token
from entente.taxii.params import ObjectFilters
from entente.taxii.problems import InvalidParameter

__all__ = ["app"]

app = typer.Typer(help="Browse stored STIX objects.", no_args_is_help=True)

# What ``--cursor`` values are bound to (with the --type options), as the REST API binds its
# ``next`` to "rest/objects": a cursor continues the listing that printed it, nothing else.
_CURSOR_SCOPE = "cli/objects list"


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
    cursor: Annotated[
        str | None,
        typer.Option(
            "--cursor",
            help="Continue after the page that printed this cursor (with the same --type).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the latest version of stored objects, in the order they were added."""

    def body() -> int:
        chosen = tuple(sorted(set(types or ())))
        digest = fingerprint(ObjectFilters(types=chosen), _CURSOR_SCOPE)
        with node() as opened:
            reads = taxii(opened)
            # What the operator may see, as the REST API shows its callers what they may see.
            principal = operator(opened)
            for name in chosen:
                _check_type(name, reads, principal)
            secret = load_cursor_secret(opened.settings.home)
            after = None if cursor is None else _decode_cursor(cursor, secret, digest)
            query = ObjectQuery(
                types=chosen, versions=(VersionFilter.LAST.value,), after_cursor=after, limit=limit
            )
            page = reads.read(None, principal, query)
            following = next_token(page, secret, digest)
        if as_json:
            print_json(
                {
                    "objects": [_describe(v) for v in page.items],
                    "more": page.more,
                    "next": following,
                }
            )
            return 0
        table = Table(title=f"{len(page.items)} objects" + (" (more exist)" if page.more else ""))
        for column in ("id", "type", "name / value", "modified", "markings"):
            table.add_column(column, overflow="fold")
        for v in page.items:
            table.add_row(
                v.id, v.type, _label(v), _original_version(v.to_json()) or "", _markings(v)
            )
        console.print(table)
        if following is not None:
            again = "".join(f" --type {name}" for name in chosen)
            console.print(
                f"next cursor: {following} (entente objects list{again} --cursor {following})",
                highlight=False,
                soft_wrap=True,
            )
        return 0

    run_command(body)


def _check_type(name: str, reads: TaxiiService, principal: Principal) -> None:
    """``InvalidInput`` for a ``--type`` that is neither a STIX 2.1 type nor a custom type
    (§11.1) the operator may see an object of: a typo lists nothing, and should say so."""
    if name in STIX_TYPES:
        return
    if is_valid_type_name(name):
        probe = ObjectQuery(types=(name,), versions=(VersionFilter.LAST.value,), limit=1)
        if reads.read(None, principal, probe).items:
            return
    close = difflib.get_close_matches(name, sorted(STIX_TYPES), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise InvalidInput(
        f"--type {name!r} is no STIX 2.1 type, nor a custom type of an object stored here"
        f"{hint} The STIX 2.1 types: {', '.join(sorted(STIX_TYPES))}."
    )


def _decode_cursor(cursor: str, secret: bytes, digest: str) -> int:
    try:
        return decode_cursor(cursor, secret, digest)
    except InvalidParameter:
        raise InvalidInput(
            f"--cursor {cursor!r} is not one that `entente objects list` printed for these --type "
            "options; list again without --cursor"
        ) from None


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
