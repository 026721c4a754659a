"""``entente approval list|show|approve|reject``: outbound actions waiting for approval, and the
operator's signed decision on them (issue 15 item 1), through the service REST and the UI use.

The operator (``local:<login>``, an admin of the node's org) is one approver like any other:
never the requester's second pair of eyes on their own request, and signed by this node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entente.approvals import State, Verdict
from entente.bootstrap import approvals
from entente.cli.context import node, operator
from entente.cli.output import ExitCode, console, fail, print_json, run_command, say
from entente.errors import PermissionDenied
from entente.services.approvals import ApprovalService, RequestStatus, status_document
from entente.sharing import Principal
from entente.stix import format_timestamp_us

__all__ = ["app"]

app = typer.Typer(
    help="See and decide outbound actions waiting for approval.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
RequestArgument = Annotated[str, typer.Argument(help="The request's id (grouping--...).")]
CommentOption = Annotated[str, typer.Option(help="Why: kept with the signed decision.")]


@contextmanager
def _service() -> Iterator[tuple[ApprovalService, Principal]]:
    with node() as opened:
        principal = operator(opened)
        yield approvals(opened), principal


def _run(body: Callable[[], int | None]) -> None:
    def guarded() -> int | None:
        try:
            return body()
        except PermissionDenied as exc:
            fail(str(exc), ExitCode.INPUT)

    run_command(guarded)


def _print_status(shown: RequestStatus, as_json: bool) -> int:
    document = status_document(shown)
    if as_json:
        print_json(document)
        return 0
    request = shown.request
    lines = [
        f"{request.id}  {request.action_type.value}  [{document['state']}]",
        f"summary:    {request.summary}",
        f"requester:  {request.requester} ({request.requester_org})",
        f"created:    {format_timestamp_us(request.created_us)}",
        f"targets:    {', '.join(request.targets) or '-'}",
        f"concerns:   {', '.join(request.refs)}",
        f"must approve: {', '.join(request.required_orgs) or '-'}",
        f"sends:      {len(request.payload)} bytes of {request.media_type}",
        f"sha256:     {request.digest}",
    ]
    if document["missing"]:
        lines.append(f"missing:    {document['missing']}")
    for line in lines:
        say(line)
    table = Table(title=f"{len(document['approvals'])} decisions")
    for column in ("approver", "org", "verdict", "counts", "comment"):
        table.add_column(column, overflow="fold")
    for a in document["approvals"]:
        counts = "yes" if a["counts"] else f"no: {a['reason']}"
        table.add_row(a["approver"], a["approver_org"], a["verdict"], counts, a["comment"])
    console.print(table)
    text = document["payload_text"]
    console.rule("what will be sent")
    say(text if text is not None else "(binary: see --payload-out)")
    return 0


@app.command("list")
def list_requests(
    *,
    state: Annotated[State | None, typer.Option(help="Only requests in this state.")] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only those waiting for this operator's decision.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List approval requests, newest first."""

    def body() -> int:
        with _service() as (service, principal):
            found = (
                service.pending_for(principal)
                if mine
                else service.list_requests(principal, state=state)
            )
        if as_json:
            print_json({"requests": [status_document(s) for s in found]})
            return 0
        table = Table(title=f"{len(found)} requests")
        for column in ("id", "action", "state", "summary", "requester", "missing"):
            table.add_column(column, overflow="fold")
        for shown in found:
            request = shown.request
            table.add_row(
                request.id,
                request.action_type.value,
                shown.decision.state.value,
                request.summary,
                request.requester,
                shown.decision.missing(),
            )
        console.print(table)
        return 0

    _run(body)


@app.command("show")
def show(
    request_id: RequestArgument,
    *,
    payload_out: Annotated[
        Path | None,
        typer.Option("--payload-out", help="Write the exact bytes that will be sent here."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a request: exactly what will be sent, to whom, and every decision on it."""

    def body() -> int:
        with _service() as (service, principal):
            shown = service.status(principal, request_id)
        if payload_out is not None:
            payload_out.write_bytes(shown.request.payload)
        return _print_status(shown, as_json)

    _run(body)


def _decide(request_id: str, verdict: Verdict, comment: str, as_json: bool) -> None:
    def body() -> int:
        with _service() as (service, principal):
            service.approve(principal, request_id, verdict, comment, channel="cli")
            shown = service.status(principal, request_id)
        return _print_status(shown, as_json)

    _run(body)


@app.command("approve")
def approve(
    request_id: RequestArgument, *, comment: CommentOption = "", as_json: JsonOption = False
) -> None:
    """Approve sending exactly what the request shows (signed by this node)."""
    _decide(request_id, Verdict.APPROVE, comment, as_json)


@app.command("reject")
def reject(
    request_id: RequestArgument, *, comment: CommentOption = "", as_json: JsonOption = False
) -> None:
    """Reject the request (signed by this node): it will not be sent."""
    _decide(request_id, Verdict.REJECT, comment, as_json)
