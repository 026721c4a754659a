"""``entente demo``: a node with real sample intelligence, served on loopback."""

from __future__ import annotations

import socket
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from entente.bootstrap import Node, federation, operator_ingest
from entente.cli.context import cli_principal, new_or_existing_node
from entente.cli.output import console, err_console, print_json, run_command
from entente.cli.serve import load_cursor_secret, with_served_url
from entente.errors import InvalidInput
from entente.ingest import InputFormat, open_document
from entente.services import IngestSummary, create_token
from entente.stix import Tlp, format_timestamp_us, marking_id_for
from entente.store import StoreStats

__all__ = ["demo"]

# (file, source name, TLP of the objects Entente builds from it): the shipped samples, see
# demo_data/SOURCES.md for their origin. STIX bundles keep their own markings (none here: the
# node's default, TLP:AMBER+STRICT); the public feeds are marked as a CERT would share them.
_SAMPLES: tuple[tuple[str, str, Tlp | None], ...] = (
    ("poisonivy.json", "OASIS CTI documentation: Poison Ivy", None),
    ("apt1.json", "OASIS CTI documentation: APT1", None),
    ("misp-event-galaxy.json", "PyMISP sample event", None),
    ("urlhaus-recent.csv", "abuse.ch URLhaus", Tlp.CLEAR),
    ("ipsum.txt", "IPsum", Tlp.GREEN),
)

# Agreements with two example partners, so that an object page's "Who will receive this?"
# has answers (sharing/agreement.schema.json): an allied CERT up to TLP:AMBER with indicator
# descriptions redacted, and a grid operator that takes TLP:CLEAR only.
_ALLIED_CERT = "Allied CERT (demo)"
_GRID_OPERATOR = "Grid Operator (demo)"


def _sample_agreements(org_name: str) -> list[dict[str, Any]]:
    return [
        {
            "id": "demo-allied-cert",
            "name": f"{org_name} and {_ALLIED_CERT}",
            "parties": [org_name, _ALLIED_CERT],
            "max_tlp": "amber",
            "onward_sharing": "none",
            "redact": {"indicator": ["description"]},
        },
        {
            "id": "demo-grid-operator",
            "name": f"{org_name} and {_GRID_OPERATOR}",
            "parties": [org_name, _GRID_OPERATOR],
            "max_tlp": "clear",
            "onward_sharing": "none",
        },
    ]


def demo(
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Then run the node's server.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to serve on.")] = 8080,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Ingest the shipped sample data, show what the node holds, then serve it."""

    def body() -> int:
        if serve:
            _check_port_free(host, port)
        with new_or_existing_node() as opened:
            service = operator_ingest(opened, cli_principal())
            table = Table(title="Sample data ingested")
            for column in ("sample", "format", "added", "duplicates", "new versions", "rejected"):
                table.add_column(column)
            total = IngestSummary()
            data_dir = resources.files("entente") / "demo_data"
            for name, source, level in _SAMPLES:
                with resources.as_file(data_dir / name) as path:
                    document = open_document(
                        str(path),
                        fmt=InputFormat.AUTO,
                        source_name=source,
                        now=format_timestamp_us(opened.clock.now_us()),
                        markings=() if level is None else (marking_id_for(level),),
                    )
                    summary = service.ingest_document(document)
                total.merge(summary)
                table.add_row(
                    name,
                    document.detail,
                    str(summary.added),
                    str(summary.duplicates),
                    str(summary.new_versions),
                    str(len(summary.rejected)),
                )
            sharing = federation(opened)
            agreements = _sample_agreements(opened.settings.org_name)
            for agreement in agreements:
                sharing.add_agreement(agreement)
            counts = opened.store.stats()
            home = opened.settings.home
            report: dict[str, Any] = {
                "home": str(home),
                "ingest": total.to_json(),
                "objects": counts.objects,
                "versions": counts.versions,
                "by_type": counts.by_type,
                "agreements": [agreement["name"] for agreement in agreements],
            }
            if not serve:
                _print_report(report, table, counts, home, as_json)
                return 0
            # A reader of the node's own org: it sees what the node's analysts see, through
            # the sharing policy like any other caller.
            _, secret = create_token(
                opened.tokens,
                opened.clock,
                org_name=opened.settings.org_name,
                role="reader",
                name="demo reader",
            )
            base = f"http://{host}:{port}"
            report["urls"] = {
                "taxii": f"{base}/taxii2/",
                "rest": f"{base}/api/v1/objects",
                "openapi": f"{base}/api/v1/openapi.json",
            }
            report["reader_token"] = secret
            report["ui"] = _demo_login(opened, base)
            _print_report(report, table, counts, home, as_json)
            if not as_json:
                console.print(_SERVING.format(base=base, token=secret), highlight=False)
                console.print(_UI.format(**report["ui"]), highlight=False)
            # Imported here: the web stack costs most of a second that other commands need not pay.
            import uvicorn

            from entente.server import create_app

            app = create_app(with_served_url(opened, host, port), secret=load_cursor_secret(home))
            err_console.print(f"serving on {base} (Ctrl-C to stop)")
            uvicorn.run(app, host=host, port=port, log_level="warning")
        return 0

    run_command(body)


def _demo_login(opened: Node, base: str) -> dict[str, str]:
    """An analyst of the node's org for the web UI: a fresh password and TOTP key each run
    (shown once, like the token), whether or not an earlier run made the account."""
    import secrets

    from entente.bootstrap import users
    from entente.errors import ObjectNotFound

    service = users(opened, load_cursor_secret(opened.settings.home))
    password = secrets.token_urlsafe(12)
    try:
        service.get_user(_DEMO_USER)
    except ObjectNotFound:
        enrolment = service.add_user(
            _DEMO_USER, org_name=opened.settings.org_name, role="analyst", password=password
        )
    else:
        service.change_password(_DEMO_USER, password)
        enrolment = service.reset_totp(_DEMO_USER)
    return {
        "url": f"{base}/",
        "username": _DEMO_USER,
        "password": password,
        "totp_secret": enrolment.secret,
        "totp_uri": enrolment.uri,
    }


def _check_port_free(host: str, port: int) -> None:
    """Refuse early, with a clear message, when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InvalidInput(f"cannot serve on {host}:{port} ({exc}); pass --port") from exc


def _print_report(
    report: dict[str, Any], table: Table, counts: StoreStats, home: Path, as_json: bool
) -> None:
    if as_json:
        print_json(report)
        return
    console.print(table)
    console.print(
        f"\nThe node at [bold]{home}[/] holds {counts.objects} objects "
        f"({counts.versions} versions):"
    )
    top = sorted(counts.by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    console.print("  " + ", ".join(f"{t} {n}" for t, n in top))
    console.print("Example sharing agreements: " + "; ".join(report["agreements"]))
    console.print(_NEXT.format(home=home))


_SERVING = """The node is serving on loopback:
  TAXII 2.1   {base}/taxii2/
  REST API    {base}/api/v1/objects   (OpenAPI: {base}/api/v1/openapi.json)
  reader token (shown once): {token}
  curl -H "Authorization: Bearer {token}" \\
       -H "Accept: application/taxii+json;version=2.1" {base}/taxii2/api/collections/
"""

_DEMO_USER = "demo"
_UI = """The web UI: {url}
  user {username}, password {password}
  authenticator (TOTP) key {totp_secret}
  (or add {totp_uri} to an authenticator app; `entente user reset-totp demo` makes a new one)
"""

_NEXT = """
Try next (ENTENTE_HOME={home}):
  .venv/bin/entente objects list --type indicator
  .venv/bin/entente objects show <id> --versions
  .venv/bin/entente stats --json
  .venv/bin/entente ingest path/to/bundle.json --json
  .venv/bin/entente match path/to/zeek/logs --out hits.jsonl
  .venv/bin/entente export suricata --out entente.rules
"""
