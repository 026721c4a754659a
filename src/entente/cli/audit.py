"""``entente audit verify|query|checkpoint``: check the audit and custody logs, and ask
"who saw this?" (issue 14, item 3)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from entente.audit import Entry, parse_since
from entente.bootstrap import audit_log
from entente.cli.context import node
from entente.cli.output import console, print_json, run_command
from entente.services import org_identity_id
from entente.stix import format_timestamp_us

__all__ = ["app", "parse_since"]

app = typer.Typer(
    help="Verify the hash-chained audit and custody logs; query who saw an object.",
    no_args_is_help=True,
)

_JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _org(text: str) -> str:
    """An org given by its identity id or by its name."""
    return text if text.startswith("identity--") else org_identity_id(text)


@app.command("verify")
def verify(
    chain: Annotated[
        str | None,
        typer.Option("--chain", help="Only this chain: 'node' or 'case:<case id>'."),
    ] = None,
    as_json: _JSON = False,
) -> None:
    """Recompute every entry's hash and link and check every signed checkpoint; exit 1 and
    name the first failure when anything was changed, dropped or reordered."""

    def body() -> int:
        with node() as opened:
            log = audit_log(opened)
            chains = [chain] if chain is not None else list(log.chains())
            verdicts = [log.verify(name) for name in chains]
        failed = any(not v.ok for v in verdicts)
        if as_json:
            print_json({"ok": not failed, "chains": [v.to_json() for v in verdicts]})
            return 1 if failed else 0
        if not verdicts:
            console.print("No audit entries yet: nothing to verify. OK", highlight=False)
        for v in verdicts:
            outcome = "OK" if v.failure is None else f"FAILED at {v.failure}"
            console.print(
                f"{v.chain}: {v.entries_checked} entries checked, "
                f"{v.checkpoints_checked} checkpoints checked, "
                f"signed through {v.signed_through} of {v.last_seq}: {outcome}",
                highlight=False,
                soft_wrap=True,
            )
        return 1 if failed else 0

    run_command(body)


def _described(entry: Entry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": format_timestamp_us(entry.time_us),
        "actor": {"id": entry.actor.id, "org": entry.actor.org, "role": entry.actor.role},
        "action": entry.action,
        "channel": entry.channel,
        "objects": list(entry.object_ids),
        "objects_omitted": entry.objects_omitted,
        "tlp": entry.tlp,
        "agreements": list(entry.agreements),
        "details": dict(entry.details),
        "hash": entry.hash,
    }


@app.command("query")
def query(
    org: Annotated[
        str | None, typer.Option("--org", help="The reading org: its name or identity id.")
    ] = None,
    object_id: Annotated[
        str | None, typer.Option("--object", help="Only entries naming this STIX id.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only entries from this time on (RFC 3339).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    as_json: _JSON = False,
) -> None:
    """Who saw this? The newest audit entries matching every filter given, newest first."""

    def body() -> int:
        since_us = None if since is None else parse_since(since)
        org_id = None if org is None else _org(org)
        with node() as opened:
            found = audit_log(opened).who_saw(
                org=org_id, object_id=object_id, since_us=since_us, limit=limit
            )
        described = [_described(entry) for entry in found]
        if as_json:
            print_json({"entries": described})
            return 0
        table = Table(title=f"{len(described)} audit entries")
        for column in ("seq", "time", "org", "principal", "action", "channel", "tlp", "objects"):
            table.add_column(column, overflow="fold")
        for item in described:
            objects = len(item["objects"]) + item["objects_omitted"]
            table.add_row(
                str(item["seq"]),
                item["time"],
                item["actor"]["org"],
                item["actor"]["id"],
                item["action"],
                item["channel"],
                item["tlp"] or "",
                str(objects),
            )
        console.print(table)
        return 0

    run_command(body)


@app.command("checkpoint")
def checkpoint(as_json: _JSON = False) -> None:
    """Sign the audit log's head with the node's key now (also done every 256 entries)."""

    def body() -> int:
        with node() as opened:
            signed = audit_log(opened).checkpoint()
        document = (
            None if signed is None else {"seq": signed.seq, "head": signed.head, "key": signed.key}
        )
        if as_json:
            print_json({"checkpoint": document})
        elif document is None:
            console.print("Nothing new to sign.", highlight=False)
        else:
            console.print(
                f"Signed entry {document['seq']} (head {document['head']}).", highlight=False
            )
        return 0

    run_command(body)
