"""``entente abuse contact|report|request-approval|send|status|mark|recheck``: abuse reports
as the node's operator, through the service the REST API will use.

Drafting a report asks for approval to send exactly its bytes (``entente approval``); ``send``
goes only through the approval gate (``services.abuse.approval_gate``): four-eyes unless
``[approvals.abuse-report]`` says otherwise, the requester never one of them, and no operator
override (issue 15 item 1). ``status`` shows each report's approval and, once sent, whether
its provider answered within the ``[takedown]`` SLA.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from entente.abuse import AbuseReport, Evidence, ReportFormat, ReportStatus
from entente.bootstrap import abuse, approvals
from entente.cli.context import node, operator
from entente.cli.output import ExitCode, console, fail, print_json, run_command, say
from entente.errors import DeliveryFailed, InvalidInput, PermissionDenied
from entente.services.abuse import (
    AbuseService,
    DraftRequest,
    approval_gate,
    approval_state,
    report_document,
)
from entente.services.approvals import ApprovalService
from entente.sharing import Principal

__all__ = ["app"]

app = typer.Typer(
    help=(
        "Find abuse contacts (RDAP), build X-ARF/ARF reports, send them when approved, track them."
    ),
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@contextmanager
def _service() -> Iterator[tuple[AbuseService, ApprovalService, Principal]]:
    # The RDAP lookup is the one ``bootstrap.abuse`` builds from ``[abuse]``, as the app's.
    with node() as opened:
        principal = operator(opened)
        yield abuse(opened), approvals(opened), principal


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


def _document(
    service: AbuseService, desk: ApprovalService, principal: Principal, report: AbuseReport
) -> dict[str, Any]:
    document = report_document(report, service.deadline(report))
    document["approval"] = approval_state(desk, principal, report)
    return document


def _print_report(document: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(document)
        return
    c, sla = document["contact"], document["sla"]
    due = f", due {sla['due']}" if sla["due"] else ""
    say(
        f"{document['id']}  {document['format']}  {document['target']}  "
        f"[{document['status']}]\n  to {c['email']} ({c['reason']}; {c['source']})\n"
        f"  provider {c['provider'] or '-'}: SLA {sla['hours']:g} h{due} [{sla['state']}]\n"
        f"  approval {document['approval_request'] or '-'} [{document['approval']}]\n"
        f"  sha256 {document['sha256']}"
    )


@app.command("contact")
def contact(
    target: Annotated[str, typer.Argument(help="An IP address, a domain, a URL or a mailbox.")],
    as_json: JsonOption = False,
) -> None:
    """The abuse contacts RDAP names for a target, with where each came from and why."""

    def body() -> int:
        with _service() as (service, _desk, _principal):
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
                            "provider": c.provider,
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
    evidence_package: Annotated[
        Path | None,
        typer.Option(
            "--evidence-package",
            help="X-ARF: attach the case's evidence package (`entente evidence export`).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build and validate a report about an indicator, to the abuse contact RDAP names;
    record it as a draft, ask for approval to send it, and write it to --out."""

    def body() -> int:
        try:
            original_bytes = original.read_bytes() if original is not None else None
            package = evidence_package.read_bytes() if evidence_package is not None else None
        except OSError as exc:
            raise InvalidInput(f"cannot read {exc.filename}: {exc.strerror}") from exc
        attachments: list[Evidence] = []
        if package is not None:
            if case is None:
                raise InvalidInput("--evidence-package needs --case: it is the case's package")
            attachments.append(
                Evidence("application/x-tar", f"Entente evidence package of case {case}", package)
            )
        request = DraftRequest(
            indicator_id=indicator,
            report_format=report_format,
            case_id=case,
            category=category,
            report_type=report_type,
            fields=_fields(field or []),
            original=original_bytes,
            attachments=tuple(attachments),
        )
        with _service() as (service, desk, principal):
            drafted = service.draft(principal, request)
            try:
                out.write_text(drafted.document, encoding="utf-8")
            except OSError as exc:
                raise InvalidInput(f"cannot write {out}: {exc.strerror}") from exc
            drafted = service.request_approval(principal, drafted.id, desk)
            _print_report(_document(service, desk, principal, drafted), as_json)
        return 0

    _run(body)


@app.command("send")
def send(
    report_id: Annotated[str, typer.Argument(metavar="REPORT", help="The report (note--...).")],
    as_json: JsonOption = False,
) -> None:
    """Send a drafted report through the SMTP relay once its approval request is approved
    for exactly these bytes (refused otherwise: nothing is sent)."""

    def body() -> int:
        with _service() as (service, desk, principal):
            sent = service.send(principal, report_id, approval_gate(desk, principal))
            _print_report(_document(service, desk, principal, sent), as_json)
        return 0

    _run(body)


@app.command("request-approval")
def request_approval(
    report_id: Annotated[str, typer.Argument(metavar="REPORT", help="The report (note--...).")],
    as_json: JsonOption = False,
) -> None:
    """Ask (again) for approval to send a draft or failed report exactly as it stands."""

    def body() -> int:
        with _service() as (service, desk, principal):
            asked = service.request_approval(principal, report_id, desk)
            _print_report(_document(service, desk, principal, asked), as_json)
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
        with _service() as (service, desk, principal):
            if report_id is not None:
                shown = service.show(principal, report_id)
                _print_report(_document(service, desk, principal, shown), as_json)
                return 0
            documents = [
                _document(service, desk, principal, r) for r in service.list_reports(principal)
            ]
        if as_json:
            print_json(documents)
            return 0
        table = Table(title="abuse reports")
        for column in ("id", "target", "contact", "status", "approval", "SLA"):
            table.add_column(column, overflow="fold")
        for d in documents:
            sla = d["sla"]
            due = f" (due {sla['due']})" if sla["due"] else ""
            table.add_row(
                d["id"], d["target"], d["contact"]["email"], d["status"], d["approval"],
                f"{sla['state']}{due}",
            )  # fmt: skip
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
        with _service() as (service, desk, principal):
            changed = service.mark(principal, report_id, new_status, detail)
            _print_report(_document(service, desk, principal, changed), as_json)
        return 0

    _run(body)


@app.command("recheck")
def recheck(
    report_id: Annotated[str, typer.Argument(metavar="REPORT", help="The report (note--...).")],
    as_json: JsonOption = False,
) -> None:
    """Does the target still resolve, and has its indicator been sighted since the report?"""

    def body() -> int:
        with _service() as (service, _desk, principal):
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
