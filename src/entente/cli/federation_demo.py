"""``entente federation-demo``: three nodes on loopback share under agreements, and say why.

A US CERT, an Israeli CERT and a power utility each run a node (its own home and ``entente
serve`` process). The CERTs share up to AMBER under a bilateral agreement that redacts victim
names and anonymises sightings; each CERT shares GREEN with the utility. Every node creates
the same kinds of sample intel (one object per TLP level), all nodes sync twice, and the demo
prints what each node received, from whom and under which agreement, and for everything it
did not receive, the sharing policy's reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from entente.cli.local_nodes import LocalNodes
from entente.cli.output import console, err_console, print_json, run_command
from entente.clock import SystemClock
from entente.services.sample_intel import sample_intel
from entente.services.tokens import org_identity_id
from entente.sharing import Deny, NodeContext, Principal, Role, VersionFacts, decide
from entente.sharing import parse_agreement as parse
from entente.stix import Tlp, tlp_of

__all__ = ["AGREEMENTS", "ORGS", "federation_demo"]

US, IL, UTILITY = "US CERT", "Israeli CERT", "Power Utility"
ORGS = (US, IL, UTILITY)
CREATED = "2026-11-01T00:00:00.000Z"
AGREEMENTS: tuple[dict[str, Any], ...] = (
    {
        "id": "us-il-cert-bilateral",
        "name": "US CERT and Israeli CERT: bilateral up to AMBER",
        "parties": [US, IL],
        "max_tlp": "amber",
        "onward_sharing": "none",
        "redact": {"incident": ["x_victim_name"]},
        "sightings": "anonymised",
    },
    {
        "id": "us-utility-green",
        "name": "US CERT and the power utility: GREEN",
        "parties": [US, UTILITY],
        "max_tlp": "green",
        "onward_sharing": "none",
    },
    {
        "id": "il-utility-green",
        "name": "Israeli CERT and the power utility: GREEN",
        "parties": [IL, UTILITY],
        "max_tlp": "green",
        "onward_sharing": "none",
    },
)


def _level(obj: dict[str, Any]) -> str:
    levels = [tlp_of(ref) for ref in obj.get("object_marking_refs", [])]
    known = [level for level in levels if level is not None]
    return f"TLP:{max(known, default=Tlp.AMBER_STRICT).label.upper()}"


def _label(obj: dict[str, Any]) -> str:
    return str(obj.get("name") or obj["type"])


def _why_not(obj: dict[str, Any], sender: str, receiver: str, now_us: int) -> str:
    """The sharing policy's reason for not sending ``obj`` from ``sender`` to ``receiver``."""
    agreements = tuple(parse(doc, org_id=org_identity_id) for doc in AGREEMENTS)
    ctx = NodeContext(
        node_org=org_identity_id(sender),
        community_orgs=frozenset(org_identity_id(org) for org in ORGS),
        agreements=agreements,
        now_us=now_us,
    )
    facts = VersionFacts(
        id=obj["id"],
        type=obj["type"],
        created_by_ref=obj.get("created_by_ref"),
        marking_refs=tuple(obj.get("object_marking_refs", [])),
    )
    reader = Principal(
        id="demo", org=org_identity_id(receiver), role=Role.PARTNER, is_individual=False
    )
    decision = decide(facts, reader, ctx)
    if not isinstance(decision, Deny):
        return "allowed (not synced yet)"
    return decision.reason.removeprefix("not visible to partners: ")


def _report(nodes: LocalNodes, now_us: int) -> dict[str, Any]:
    """Per node: what it received (from, agreement, redactions) and what it did not, and why."""
    report: dict[str, Any] = {}
    for receiver in nodes:
        held = {entry["id"]: entry for entry in receiver.objects()}
        received = []
        not_received = []
        for sender in nodes:
            if sender is receiver:
                continue
            for obj in sample_intel(sender.org, octet=1, created=CREATED):
                entry = held.get(obj["id"])
                if entry is None:
                    not_received.append(
                        {
                            "from": sender.org,
                            "object": _label(obj),
                            "type": obj["type"],
                            "tlp": _level(obj),
                            "why": _why_not(obj, sender.org, receiver.org, now_us),
                        }
                    )
                    continue
                copy = entry["object"]
                notes = [f"{name} redacted" for name in sorted(set(obj) - set(copy))]
                received.append(
                    {
                        "from": sender.org,
                        "object": _label(obj),
                        "type": obj["type"],
                        "tlp": _level(obj),
                        "agreement": entry["provenance"]["agreement"],
                        "via": entry["provenance"]["source_name"],
                        "notes": ", ".join(notes),
                    }
                )
        report[receiver.org] = {"received": received, "not_received": not_received}
    return report


def _print(report: dict[str, Any]) -> None:
    for org, seen in report.items():
        table = Table(
            "from",
            "object",
            "TLP",
            "agreement",
            "notes",
            title=f"{org} received",
            title_justify="left",
        )
        for row in seen["received"]:
            table.add_row(row["from"], row["object"], row["tlp"], row["agreement"], row["notes"])
        console.print(table)
        missing = Table("from", "object", "TLP", "why not", title=f"{org} did not receive")
        for row in seen["not_received"]:
            missing.add_row(row["from"], row["object"], row["tlp"], row["why"])
        console.print(missing)


def _setup(nodes: LocalNodes) -> None:
    for node in nodes:
        err_console.print(f"[bold]{node.org}[/]: node at {node.base_url} ({node.home})")
        node.init()
    for agreement in AGREEMENTS:
        err_console.print(f"agreement [bold]{agreement['id']}[/]: {agreement['name']}")
        nodes.agree(agreement)
    for octet, node in enumerate(nodes, start=1):
        node.ingest(sample_intel(node.org, octet=octet, created=CREATED))


def run_demo(root: Path) -> dict[str, Any]:
    """Set up, serve, sync twice and report; every server is stopped before returning."""
    with LocalNodes(root, ORGS) as nodes:
        _setup(nodes)
        with nodes.serving():
            syncs = []
            for round_number in (1, 2):
                err_console.print(f"sync round {round_number}")
                syncs.append({node.org: node.sync()["partners"] for node in nodes})
        now_us = SystemClock().now_us()
        return {"nodes": _report(nodes, now_us), "syncs": syncs}


def federation_demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Keep the three nodes' homes here (default: a temp dir)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Start three nodes on loopback, apply agreements, share, sync, and show who got what."""

    def body() -> int:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            result = run_demo(directory)
        else:
            with tempfile.TemporaryDirectory(prefix="entente-federation-") as tmp:
                result = run_demo(Path(tmp))
        if as_json:
            print_json(result)
        else:
            _print(result["nodes"])
        return 0

    run_command(body)
