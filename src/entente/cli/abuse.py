"""``entente abuse contact|report|send|status|mark|recheck``: abuse reports as the node's
operator, through the service the REST API will use.

``send`` goes only through a gate: here, the operator must confirm the SHA-256 of the report
exactly as it will be sent (``--confirm``, printed by ``report`` and ``status``), so nothing
leaves that was not looked at. The approvals of issue 15 (four-eyes, m-of-n) are a gate of
the same shape (``entente.services.abuse.Gate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entente.abuse import AbuseReport, ReportFormat, ReportStatus
from entente.bootstrap import abuse
from entente.cli.context import cli_principal, node
from entente.cli.output import ExitCode, console, fail, print_json, run_command
from entente.errors import DeliveryFailed, InvalidInput, PermissionDenied
from entente.services import node_org_id
from entente.services.abuse import AbuseService, DraftRequest, Gate, report_document
from entente.services.ownership import operator_principal
from entente.sharing import Principal

__all__ = ["app", "digest_gate"]

app = typer.Typer(
    help=(
        "Find abuse contacts (RDAP), build X-ARF/ARF reports, send them when approved, track them."
    ),
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def digest_gate(confirmed: str) -> Gate:
    """A gate that lets a report go only if ``confirmed`` is its SHA-256 (what was read)."""

    def gate(report: AbuseReport) -> None:
        if confirmed.strip().lower() != report.sha256:
            raise PermissionDenied(
                f"not sent: --confirm does not match the report's SHA-256 {report.sha256}; "
                "read the report (`entente abuse status REPORT --json`) and confirm its digest"
            )

    return gate


@contextmanager
def _service(*, rdap: bool = False) -> Iterator[tuple[AbuseService, Principal]]:
    with node() as opened:
        principal = operator_principal(cli_principal(), node_org_id(opened.settings.org_name))
        if not rdap:
            yield abuse(opened), principal
            return
        from entente.abuse.rdap_client import RdapClient, fetch_bootstrap, rdap_http

        settings = opened.settings.abuse
        with rdap_http(settings.rdap_timeout) as http:
            registry = fetch_bootstrap(http, settings.rdap_bootstrap_url)
            yield abuse(opened, contacts=RdapClient(http, registry)), principal


def _run(body: Callable[[], int | None]) -> None:
    def guarded() -> int | None:
        try:
            return body()
        except PermissionDenied as exc:
            fail(str(exc), ExitCode.INPUT)
        except DeliveryFailed as exc:
            # The registry or the relay failed, not the command: exit 1, named.
            fail(f"not delivered: {exc}", ExitCode.PARTIAL)

    run_command(guarded)


def _print_report(report: AbuseReport, as_json: bool) -> None:
    if as_json:
        print_json(report_document(report))
        return
    c = report.contact
    console.print(
        f"{report.id}  {report.report_format.value}  {report.target.value}  "
        f"[{report.status.value}]\n  to {c.email} ({c.reason}; {c.source})\n"
        f"  sha256 {report.sha256}",
        highlight=False,
    )


@app.command("contact")
def contact(
    target: Annotated[str, typer.Argument(help="An IP address, a domain, a URL or a mailbox.")],
    as_json: JsonOption = False,
) -> None:
    """The abuse contacts RDAP names for a target, with where each came from and why."""

    def body() -> int:
        with _service(rdap=True) as (service, _principal):
            lookup = service.find_contacts(target)
        if as_json:
            print_json(
                {
                    "target": lookup.target.value,
                    "kind": lookup.target.kind.value,
                    "rdap_url": lookup.url,
                    "contacts": [
                        {
                            "email": c.email,
                            "name": c.name,
                            "handle": c.handle,
                            "roles": list(c.roles),
                            "reason": c.reason,
                        }
                        for c in lookup.contacts
                    ],
                }
            )
            return 0
        if not lookup.contacts:
            console.print(f"no abuse contact in {lookup.url}", highlight=False)
            return 1
        for c in lookup.contacts:
            console.print(f"{c.email}  ({c.reason}; {lookup.url})", highlight=False)
        return 0

    _run(body)


def _fields(values: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise InvalidInput(f"--field {value!r}: expected NAME=VALUE")
        fields[name] = text
    return fields


@app.command("report")
def report(
    indicator: Annotated[str, typer.Argument(help="The indicator's id (indicator--...).")],
    *,
    out: Annotated[Path, typer.Option("--out", help="Write the report here.")],
    report_format: Annotated[
        ReportFormat, typer.Option("--format", help="X-ARF v4 (JSON) or RFC 5965 ARF.")
    ] = ReportFormat.XARF,
    case: Annotated[str | None, typer.Option("--case", help="The case it belongs to.")] = None,
    category: Annotated[str, typer.Option(help="X-ARF category.")] = "reputation",
    report_type: Annotated[str, typer.Option("--type", help="X-ARF type.")] = (
        "threat_intelligence"
    ),
    field: Annotated[
        list[str] | None, typer.Option("--field", help="An X-ARF type field, NAME=VALUE.")
    ] = None,
    original: Annotated[
        Path | None, typer.Option("--original", help="ARF: the abusive e-mail (.eml).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build and validate a report about an indicator, to the abuse contact RDAP names;
    record it as a draft and write it to --out."""

    def body() -> int:
        try:
            original_bytes = original.read_bytes() if original is not None else None
        except OSError as exc:
            raise InvalidInput(f"cannot read {original}: {exc.strerror}") from exc
        request = DraftRequest(
            indicator_id=indicator,
            report_format=report_format,
            case_id=case,
            category=category,
            report_type=report_type,
            fields=_fields(field or []),
            original=original_bytes,
        )
        with _service(rdap=True) as (service, principal):
            drafted = service.draft(principal, request)
        try:
            out.write_text(drafted.document, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {out}: {exc.strerror}") from exc
        _print_report(drafted, as_json)
        return 0

    _run(body)


@app.command("send")
def send(
    report_id: Annotated[str, typer.Argument(metavar="REPORT", help="The report (note--...).")],
    confirm: Annotated[
        str, typer.Option("--confirm", help="The SHA-256 of the report, as printed.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Send a drafted report through the SMTP relay, if the gate allows it."""

    def body() -> int:
        with _service() as (service, principal):
            sent = service.send(principal, report_id, digest_gate(confirm))
        _print_report(sent, as_json)
        return 0

    _run(body)


@app.command("status")
def status(
    report_id: Annotated[
        str | None, typer.Argument(metavar="[REPORT]", help="One report; all when left out.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The reports (or one) and where each is: draft, approved, sent, acknowledged, ..."""

    def body() -> int:
        with _service() as (service, principal):
            if report_id is not None:
                _print_report(service.show(principal, report_id), as_json)
                return 0
            reports = service.list_reports(principal)
        if as_json:
            print_json([report_document(r) for r in reports])
            return 0
        table = Table(title="abuse reports")
        for column in ("id", "format", "target", "contact", "status"):
            table.add_column(column, overflow="fold")
        for r in reports:
            table.add_row(
                r.id, r.report_format.value, r.target.value, r.contact.email, r.status.value
            )
        console.print(table)
        return 0

    _run(body)


@app.command("mark")
def mark(
    report_id: Annotated[str, typer.Argument(metavar="REPORT", help="The report (note--...).")],
    new_status: Annotated[
        ReportStatus, typer.Argument(metavar="STATUS", help="acknowledged or resolved.")
    ],
    detail: Annotated[str, typer.Option(help="What the abuse desk said.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Record the abuse desk's answer: acknowledged or resolved."""

    def body() -> int:
        with _service() as (service, principal):
            changed = service.mark(principal, report_id, new_status, detail)
        _print_report(changed, as_json)
        return 0

    _run(body)


@app.command("recheck")
def recheck(
    report_id: Annotated[str, typer.Argument(metavar="REPORT", help="The report (note--...).")],
    as_json: JsonOption = False,
) -> None:
    """Does the target still resolve, and has its indicator been sighted since the report?"""

    def body() -> int:
        with _service() as (service, principal):
            found = service.recheck(principal, report_id)
        if as_json:
            print_json(
                {
                    "report": found.report_id,
                    "target": found.target,
                    "resolves": found.resolves,
                    "addresses": list(found.addresses),
                    "new_sightings": list(found.new_sightings),
                }
            )
            return 0
        resolves = {None: "n/a (an address)", True: "yes", False: "no"}[found.resolves]
        console.print(
            f"{found.target}: resolves {resolves} {' '.join(found.addresses)}\n"
            f"  sightings since the report: {len(found.new_sightings)}",
            highlight=False,
        )
        return 0

    _run(body)
