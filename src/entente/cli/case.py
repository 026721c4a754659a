"""``entente case new|list|show|task add|task done|status|close|attach|note|merge|share|
attribute|hypotheses|hold|release``: cases as the node's operator (an admin of the node's
org), through the service REST uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from entente.bootstrap import abuse, case_evidence, cases
from entente.cases import CaseType, Resolution, Stage
from entente.cli.attribution import load_matrix, print_ranking, ranking_json
from entente.cli.context import node, operator
from entente.cli.output import ExitCode, console, fail, print_json, run_command, say
from entente.errors import InvalidInput, PermissionDenied
from entente.services.cases import CaseService, ShownCase, case_document, view_document
from entente.sharing import Principal
from entente.stix import format_timestamp_us, parse_timestamp, parse_tlp, timestamp_us_from_key

__all__ = ["app"]

app = typer.Typer(help="Open, work and close cases.", no_args_is_help=True)
task_app = typer.Typer(help="Add tasks to a case and mark them done.", no_args_is_help=True)
app.add_typer(task_app, name="task")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@contextmanager
def _service() -> Iterator[tuple[CaseService, Principal, Callable[[], int]]]:
    with node() as opened:
        principal = operator(opened)
        yield cases(opened), principal, opened.clock.now_us


def _run(body: Callable[[], int | None]) -> None:
    def guarded() -> int | None:
        try:
            return body()
        except PermissionDenied as exc:
            fail(str(exc), ExitCode.INPUT)

    run_command(guarded)


def _print_case(shown: ShownCase, now_us: int, as_json: bool) -> int:
    if as_json:
        print_json(case_document(shown, now_us))
        return 0
    case = shown.case
    console.print(f"{case.id}  {case.name}  [{case.stage.value}: {case.status}]", highlight=False)
    return 0


def _change(change: Callable[[CaseService, Principal], ShownCase], as_json: bool) -> None:
    """Run one change of a case as the operator and print the case as it now stands."""

    def body() -> int:
        with _service() as (service, principal, now):
            return _print_case(change(service, principal), now(), as_json)

    _run(body)


def _tasks_table(document: dict[str, Any]) -> Table:
    table = Table(title="tasks")
    for column in ("id", "title", "owner", "due", "done", "overdue"):
        table.add_column(column, overflow="fold")
    for t in document["tasks"]:
        overdue = "OVERDUE" if t["overdue"] else ""
        table.add_row(
            t["id"], t["title"], t["owner"] or "", t["due"] or "", t["done"] or "", overdue
        )
    return table


def _due(value: str | None) -> int | None:
    if value is None:
        return None
    return timestamp_us_from_key(parse_timestamp(value, "--due").key)


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="What the case is about.")],
    *,
    case_type: Annotated[CaseType, typer.Option("--type", help="The kind of case.")] = (
        CaseType.INCIDENT
    ),
    description: Annotated[str, typer.Option(help="More about the case.")] = "",
    tlp: Annotated[
        str | None, typer.Option(help="TLP marking (default: the node's default marking).")
    ] = None,
    template: Annotated[
        bool, typer.Option("--template/--no-template", help="Start with the type's tasks.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Open a case (with its type's template of tasks)."""

    def body() -> int:
        try:
            level = None if tlp is None else parse_tlp(tlp)
        except ValueError as exc:
            raise InvalidInput(f"--tlp: {exc}") from None
        with _service() as (service, principal, now):
            shown = service.create(
                principal,
                name=name,
                case_type=case_type,
                description=description,
                tlp=level,
                with_template=template,
            )
            return _print_case(shown, now(), as_json)

    _run(body)


@app.command("list")
def list_cases(as_json: JsonOption = False) -> None:
    """List the cases, most recently changed first."""

    def body() -> int:
        with _service() as (service, principal, now):
            found = service.list_cases(principal)
            at = now()
        if as_json:
            print_json({"cases": [case_document(s, at) for s in found]})
            return 0
        table = Table(title=f"{len(found)} cases")
        for column in ("id", "name", "type", "stage", "status", "tasks open", "modified"):
            table.add_column(column, overflow="fold")
        for shown in found:
            case = shown.case
            table.add_row(
                case.id,
                case.name,
                case.case_type.value,
                case.stage.value,
                case.status,
                str(sum(1 for t in case.tasks if not t.done)),
                format_timestamp_us(case.modified_us),
            )
        console.print(table)
        return 0

    _run(body)


@app.command("show")
def show(
    case_id: Annotated[str, typer.Argument(help="The case's id (grouping--...).")],
    as_json: JsonOption = False,
) -> None:
    """Show one case: its state, tasks, references and timeline."""

    def body() -> int:
        with node() as opened:
            principal = operator(opened)
            service, now = cases(opened), opened.clock.now_us
            document = view_document(service.show(principal, case_id, channel="cli"), now())
            # Its abuse reports (a takedown case's requests), each against its provider's SLA;
            # imported here: only ``show`` pays for the X-ARF schema's validator.
            from entente.services.abuse import report_document

            reports = abuse(opened)
            document["abuse_reports"] = [
                report_document(r, reports.deadline(r))
                for r in reports.for_case(principal, case_id)
            ]
        if as_json:
            print_json(document)
            return 0
        console.print(
            f"{document['id']}  {document['name']}\n"
            f"type {document['case_type']}, {document['stage']}: {document['status']}"
            + (f", resolution {document['resolution']}" if document["resolution"] else "")
            + (
                f"\nmerged into {document['merged_into']} (read-only)"
                if document["read_only"]
                else ""
            ),
            highlight=False,
        )
        console.print(_tasks_table(document))
        for ref in document["refs"]:
            mark = " (attached)" if ref in document["attached"] else ""
            console.print(f"references {ref}{mark}", highlight=False)
        hold = document["legal_hold"]
        if hold is not None:
            console.print(
                f"LEGAL HOLD since {hold['placed']} by {hold['placed_by']}: {hold['reason']}",
                highlight=False,
            )
        for request in document["preservation_requests"]:
            answer = request["answer"] or "no answer yet"
            if request["preserved_until"]:
                answer += f" until {request['preserved_until']}"
            console.print(
                f"preservation request {request['reference']} to {request['addressee']}, "
                f"sent {request['sent']}: {answer}",
                highlight=False,
            )
        for report in document["abuse_reports"]:
            sla = report["sla"]
            due = f", due {sla['due']}" if sla["due"] else ""
            say(
                f"abuse report {report['id']} on {report['target']} to "
                f"{report['contact']['email']} ({report['contact']['provider'] or '-'}): "
                f"{report['status']}; SLA {sla['hours']:g} h{due} [{sla['state']}]"
            )
        for event in document["timeline"]:
            console.print(f"{event['at']}  {event['event']}  {event['detail']}", highlight=False)
        return 0

    _run(body)


ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept on the case, audited).")]


@app.command("hold")
def hold(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Put a case under legal hold: neither it nor what it references may be deleted."""
    _change(lambda s, p: s.place_hold(p, case_id, reason, channel="cli"), as_json)


@app.command("release")
def release(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    reason: ReasonOption,
    as_json: JsonOption = False,
) -> None:
    """Release a case's legal hold; what it preserved may be deleted again."""
    _change(lambda s, p: s.release_hold(p, case_id, reason, channel="cli"), as_json)


@task_app.command("add")
def task_add(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    title: Annotated[str, typer.Argument(help="What is to be done.")],
    owner: Annotated[str | None, typer.Option(help="Who does it.")] = None,
    due: Annotated[str | None, typer.Option(help="When it is due (a STIX timestamp).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a task to a case."""
    _change(lambda s, p: s.add_task(p, case_id, title, owner=owner, due_us=_due(due)), as_json)


@task_app.command("done")
def task_done(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    task_id: Annotated[str, typer.Argument(help="The task's id (task-N).")],
    result: Annotated[str | None, typer.Option(help="What came of it.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a task done."""
    _change(lambda s, p: s.complete_task(p, case_id, task_id, result=result), as_json)


@app.command("status")
def status(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    stage: Annotated[Stage, typer.Argument(help="new or in-progress (close with `close`).")],
    status_name: Annotated[str, typer.Argument(metavar="STATUS", help="A status of the stage.")],
    as_json: JsonOption = False,
) -> None:
    """Move a case to a stage and status."""
    _change(lambda s, p: s.set_status(p, case_id, stage, status_name), as_json)


@app.command("close")
def close(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    resolution: Annotated[Resolution, typer.Argument(help="How the case ended.")],
    as_json: JsonOption = False,
) -> None:
    """Close a case with a resolution."""
    _change(lambda s, p: s.close(p, case_id, resolution), as_json)


@app.command("attach")
def attach(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    object_ids: Annotated[
        list[str] | None, typer.Argument(help="STIX ids of stored objects.")
    ] = None,
    *,
    file_hash: Annotated[
        list[str] | None,
        typer.Option("--hash", help="Reference the files with this hash (repeatable)."),
    ] = None,
    evidence: Annotated[
        bool, typer.Option("--evidence", help="Attach sightings (matching hits) as evidence.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Reference stored objects (by id, or files by --hash) from a case; --evidence attaches
    sightings (matching hits)."""
    _change(
        lambda s, p: s.attach(
            p,
            case_id,
            object_ids or [],
            file_hashes=file_hash or [],
            as_evidence=evidence,
            channel="cli",
        ),
        as_json,
    )


@app.command("note")
def note(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    as_json: JsonOption = False,
) -> None:
    """Write a note on a case."""
    _change(lambda s, p: s.add_note(p, case_id, text), as_json)


@app.command("merge")
def merge(
    case_ids: Annotated[list[str], typer.Argument(help="The cases to merge (two or more).")],
    name: Annotated[str, typer.Option(help="The merged case's name.")],
    as_json: JsonOption = False,
) -> None:
    """Merge cases into a new one; the originals become read-only."""
    _change(lambda s, p: s.merge(p, case_ids, name)[0], as_json)


@app.command("share")
def share(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    tlp: Annotated[str, typer.Option(help="The TLP marking the shared copy carries.")],
    *,
    task: Annotated[
        list[str] | None, typer.Option("--task", help="A task to share (repeatable).")
    ] = None,
    note_id: Annotated[
        list[str] | None, typer.Option("--note", help="A note to share (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Store the copy of a case partners may receive: only the tasks and notes named."""

    def body() -> int:
        try:
            level = parse_tlp(tlp)
        except ValueError as exc:
            raise InvalidInput(f"--tlp: {exc}") from None
        with _service() as (service, principal, now):
            shown = service.share(
                principal, case_id, tasks=task or [], notes=note_id or [], tlp=level, channel="cli"
            )
            return _print_case(shown, now(), as_json)

    _run(body)


@app.command("attribute")
def attribute(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    matrix: Annotated[Path, typer.Argument(help="The ACH matrix, JSON (hypotheses, evidence).")],
    as_json: JsonOption = False,
) -> None:
    """Score an ACH matrix for the case's incident and store its attributed-to relationship,
    referenced by the case (it federates with the case under the agreements)."""

    def body() -> int:
        document = load_matrix(matrix)
        with node() as opened:
            principal = operator(opened)
            made = case_evidence(opened).attribute(principal, case_id, document, channel="cli")
        if as_json:
            print_json(
                {
                    "confidence": made.result.confidence,
                    "leader": made.result.ranking[0].hypothesis,
                    "relationship": made.relationship,
                }
            )
            return 0
        console.print(made.result.explanation, highlight=False)
        console.print(f"stored {made.relationship['id']} on {case_id}", highlight=False)
        return 0

    _run(body)


@app.command("hypotheses")
def hypotheses(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Intrusion sets ranked by the ATT&CK techniques the case references: hypotheses to
    weigh in an ACH matrix, never asserted."""

    def body() -> int:
        with node() as opened:
            principal = operator(opened)
            ranking = case_evidence(opened).hypotheses(principal, case_id)
        if as_json:
            print_json(ranking_json(ranking, limit))
            return 0
        print_ranking(ranking, limit)
        return 0

    _run(body)


@app.command("results")
def results(
    case_id: Annotated[str, typer.Argument(help="The case's id.")],
    as_json: JsonOption = False,
) -> None:
    """Fold partners' answers to shared tasks into the case: notes referencing the shared
    copy with x_entente_case_task naming a task, received by sync under an agreement."""

    def body() -> int:
        with node() as opened:
            principal = operator(opened)
            folded = case_evidence(opened).fold_results(principal, case_id, channel="cli")
        if as_json:
            print_json({"folded": [{"task": t, "note": n} for t, n in folded]})
            return 0
        for task, note_id in folded:
            console.print(f"{task} done: result from {note_id}", highlight=False)
        if not folded:
            console.print("no partner result to fold in", highlight=False)
        return 0

    _run(body)
