"""The case pages: the list of cases (``/cases``), the board (``/cases/board``), one case with
the timeline of its events (``/cases/{id}``), and the forms that change a case.

Every read is ``CaseService.list_cases``/``show`` as the signed-in user, so a page holds
only the cases the one sharing policy releases to that user, as it is shown them, and only
the referenced objects and merged cases it may see itself (the service screens them). A
case that exists and one the user may not see get the same 404 page, which does not repeat
the id asked for.

Each change is a POST with the session's CSRF token (``UiAuth.csrf_checked``) through the
node's one ``CaseService`` (``app.create_app``: its lock serialises the changes of cases),
which checks the role and that the user's org created the case whatever forms the page
showed; the answer is a 303 back to the case (RFC 9110 §15.4.4) with a fixed message, a
refusal a 403 page, bad input a 400 page with the reason, and neither stores anything.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in taxii_routes).

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente.cases import REFERABLE_TYPES, Case, CaseType, EventKind, Resolution, Stage
from entente.clock import Clock
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.pages import Pages
from entente.server.ui.paging import page_number, wrong_page
from entente.services.cases import CaseService, ShownCase
from entente.services.object_actions import TLP_CHOICES
from entente.services.recipients import is_node_operator
from entente.services.users import SignedIn
from entente.sharing import Principal, Role
from entente.stix import Tlp, format_timestamp_us, is_valid_id, parse_tlp, tlp_of

__all__ = [
    "CASE_MESSAGES",
    "PAGE_SIZE",
    "case_not_found",
    "case_pages_router",
    "changeable_cases",
    "parse_due",
]

# Cases listed per page of ``/cases``.
PAGE_SIZE = 25
_DONE = Query(max_length=20)
_FILTER = Query(max_length=40)

# What each action's 303 says on the case page it leads back to: fixed text, so that no
# request can make the page say something else.
CASE_MESSAGES = {
    "created": "The case was opened.",
    "status": "The case's stage and status were changed.",
    "close": "The case was closed.",
    "task": "The task was added.",
    "task-done": "The task was marked done.",
    "note": "Your note was added to the case.",
    "attach": "The object was added to the case.",
}
_ACTIONS = frozenset({"status", "close", "task", "task-done", "note"})
_WRITERS = (Role.ADMIN, Role.ANALYST)
# A new case is marked at the levels the object page's forms offer; not TLP:RED, which is
# for named individuals only: a case marked so from this form would name none, and nobody
# (its author included) could read it again (``services.object_actions``).
_TLP_CHOICES = TLP_CHOICES
_E = TypeVar("_E", Stage, CaseType, Resolution)


def parse_due(value: str) -> int | None:
    """A task's due time from the form: empty for none, a date (``YYYY-MM-DD``, the end of
    that day) or a date and time (``datetime-local``'s ``YYYY-MM-DDTHH:MM``), both UTC, or a
    STIX timestamp (STIX 2.1 §3.2); microseconds since the epoch. ``InvalidInput`` otherwise."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            moment = datetime.fromisoformat(text).replace(hour=23, minute=59, second=59)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"the due time {text!r} is not a date (YYYY-MM-DD) or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    if seconds < 0:
        raise InvalidInput("a due time must not be before 1970")
    return round(seconds * 1_000_000)


def _may_write(principal: Principal) -> bool:
    return principal.role in _WRITERS


def _may_change(principal: Principal, shown: ShownCase) -> bool:
    """Whether the forms that change ``shown`` are offered: the service decides again."""
    return (
        _may_write(principal) and shown.created_by_ref == principal.org and not shown.case.read_only
    )


def changeable_cases(service: CaseService, principal: Principal) -> list[ShownCase]:
    """The open cases ``principal`` may add objects to: its org's, not closed, not merged."""
    if not _may_write(principal):
        return []
    return [
        s
        for s in service.list_cases(principal)
        if _may_change(principal, s) and s.case.stage is not Stage.CLOSED
    ]


def _tlp_label(marking_refs: Sequence[str]) -> str:
    levels = [level for ref in marking_refs if (level := tlp_of(ref)) is not None]
    if not levels:
        return "default" if not marking_refs else "other marking"
    return f"TLP:{max(levels).label.upper()}"


@dataclass(frozen=True, slots=True)
class _Row:
    """One case as the list and the board show it."""

    id: str
    name: str
    case_type: str
    stage: str
    status: str
    tlp: str
    open_tasks: int
    overdue: int
    updated: str
    read_only: bool


def _row(shown: ShownCase, now_us: int) -> _Row:
    case = shown.case
    return _Row(
        id=case.id,
        name=case.name,
        case_type=case.case_type.value,
        stage=case.stage.value,
        status=case.status,
        tlp=_tlp_label(shown.marking_refs),
        open_tasks=sum(1 for t in case.tasks if not t.done),
        overdue=len(case.overdue(now_us)),
        updated=format_timestamp_us(case.modified_us),
        read_only=case.read_only,
    )


def _choice(kind: type[_E], value: str | None, what: str) -> _E | None:
    """The member of ``kind`` the form names; None when it names none."""
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(f"there is no {what} {value!r}") from None


def _tlp(text: str) -> Tlp | None:
    """The form's marking: empty for the node's default."""
    if not text:
        return None
    try:
        return parse_tlp(text)
    except ValueError as exc:
        raise InvalidInput(f"the marking: {exc}") from None


def _status_choices(service: CaseService, case: Case) -> list[tuple[str, str]]:
    """(form value, label) of each stage and status the case may move to (closing has its own
    form; a case in progress does not go back to new, ``cases.transitions``)."""
    stages = [Stage.NEW, Stage.IN_PROGRESS] if case.stage is Stage.NEW else [Stage.IN_PROGRESS]
    return [
        (f"{stage.value}|{status}", f"{stage.value}: {status}")
        for stage in stages
        for status in service.scheme.allowed(stage)
        if (stage, status) != (case.stage, case.status)
    ]


_LINKED_EVENTS = {EventKind.REFERENCED, EventKind.ATTACHED}


def case_not_found(pages: Pages, request: Request, signed: SignedIn) -> Response:
    """The one 404 of every case page: no id in the answer, so a case that exists and one the
    user may not see are answered alike."""
    return pages.no_such(request, signed, "case")


def case_pages_router(
    service: CaseService,
    clock: Clock,
    auth: UiAuth,
    pages: Pages,
    abuse_reports: Callable[[Principal, str], list[dict[str, Any]]] | None = None,
) -> APIRouter:
    """The case pages and their forms over the node's one ``service``; ``abuse_reports``:
    the rows of a case's abuse reports a user may see (``abuse_pages.case_abuse_rows``),
    listed on the case page with the form that drafts one."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias

    message = pages.message

    def not_found(request: Request, signed: SignedIn) -> Response:
        return case_not_found(pages, request, signed)

    @router.get("/cases")
    def case_list(
        request: Request,
        signed: SignedInUser,
        *,
        stage: Annotated[str | None, _FILTER] = None,
        case_type: Annotated[str | None, _FILTER] = None,
    ) -> Response:
        principal = signed.principal
        page = page_number(request)
        if page is None:
            return wrong_page(request, signed, pages)
        try:
            want_stage = _choice(Stage, stage, "stage")
            want_type = _choice(CaseType, case_type, "case type")
        except InvalidInput as exc:
            return message(request, signed, 400, "No such filter", f"{exc}.")
        now = clock.now_us()
        cases = [
            s
            for s in service.list_cases(principal)
            if (want_stage is None or s.case.stage is want_stage)
            and (want_type is None or s.case.case_type is want_type)
        ]
        pages_total = max(1, math.ceil(len(cases) / PAGE_SIZE))
        shown = cases[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return pages.response(
            "cases.html",
            request,
            signed,
            rows=[_row(s, now) for s in shown],
            total=len(cases),
            page=page,
            pages_total=pages_total,
            stage=stage or "",
            case_type=case_type or "",
            stages=[s.value for s in Stage],
            types=[t.value for t in CaseType],
            tlp_choices=[level.label for level in _TLP_CHOICES],
            may_create=_may_write(principal),
        )

    @router.post("/cases")
    async def create(request: Request, signed: CsrfChecked) -> Response:
        principal = signed.principal
        form = await read_form(request)
        try:
            case_type = _choice(CaseType, form.get("case_type"), "case type")
            if case_type is None:
                raise InvalidInput("choose the case's type")
            tlp = _tlp(form.get("tlp", ""))
            if tlp is not None and tlp not in _TLP_CHOICES:
                levels = ", ".join(f"TLP:{t.label.upper()}" for t in _TLP_CHOICES)
                raise InvalidInput(f"a case is opened here at {levels}")
            made = await run_in_threadpool(
                lambda: service.create(
                    principal,
                    name=form.get("name", "").strip(),
                    case_type=case_type,
                    description=form.get("description", "").strip(),
                    tlp=tlp,
                )
            )
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"No case was opened: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not opened", f"No case was opened: {exc}")
        return RedirectResponse(f"/cases/{made.case.id}?done=created", status_code=303)

    @router.get("/cases/board")
    def board(request: Request, signed: SignedInUser) -> Response:
        now = clock.now_us()
        columns: dict[str, list[_Row]] = {s.value: [] for s in Stage}
        for shown in service.list_cases(signed.principal):
            columns[shown.case.stage.value].append(_row(shown, now))
        return pages.response("case_board.html", request, signed, columns=columns)

    @router.post("/cases/add-object")
    async def add_object(request: Request, signed: CsrfChecked) -> Response:
        """The object page's "Add to a case" form: sightings are attached as evidence,
        other objects referenced (``cases.transitions.attach``)."""
        principal = signed.principal
        form = await read_form(request)
        case_id, object_id = form.get("case_id", ""), form.get("object_id", "")
        if not is_valid_id(object_id):
            return message(
                request, signed, 400, "Not added", "Nothing was stored: no object was named."
            )
        evidence = object_id.partition("--")[0] == "sighting"
        try:
            await run_in_threadpool(
                lambda: service.attach(
                    principal, case_id, [object_id], as_evidence=evidence, channel="ui"
                )
            )
        except ObjectNotFound:
            return not_found(request, signed)
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was stored: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not added", f"Nothing was stored: {exc}")
        return RedirectResponse(f"/cases/{case_id}?done=attach", status_code=303)

    @router.get("/cases/{case_id}")
    def case_page(
        request: Request,
        case_id: str,
        signed: SignedInUser,
        *,
        done: Annotated[str | None, _DONE] = None,
    ) -> Response:
        principal = signed.principal
        try:
            view = service.show(principal, case_id, channel="ui")
        except (ObjectNotFound, InvalidInput):
            return not_found(request, signed)
        now = clock.now_us()
        shown = view.shown
        case = shown.case
        attached = set(case.attached)
        return pages.response(
            "case.html",
            request,
            signed,
            title=case.name,
            case=case,
            created_by=shown.created_by_ref,
            tlp=_tlp_label(shown.marking_refs),
            created=format_timestamp_us(case.created_us),
            updated=format_timestamp_us(case.modified_us),
            tasks=[
                {
                    "id": t.id,
                    "title": t.title,
                    "owner": t.owner or "",
                    "due": "" if t.due_us is None else format_timestamp_us(t.due_us),
                    "done": "" if t.done_us is None else format_timestamp_us(t.done_us),
                    "result": t.result or "",
                    "overdue": t.is_overdue(now),
                }
                for t in case.tasks
            ],
            notes=[
                {"text": n.text, "author": n.author, "at": format_timestamp_us(n.created_us)}
                for n in case.notes
            ],
            referenced=[r for r in case.refs if r not in attached],
            attached=[r for r in case.refs if r in attached],
            events=[
                {
                    "at": format_timestamp_us(e.at_us),
                    "kind": e.kind.value,
                    "detail": e.detail,
                    # One object's id; the merged-from cases of a merge's first version are
                    # listed as text.
                    "object": e.detail
                    if e.kind in _LINKED_EVENTS and is_valid_id(e.detail)
                    else None,
                    "case": e.detail if e.kind is EventKind.MERGED_INTO else None,
                }
                for e in reversed(view.events)
            ],
            versions=len(view.versions),
            may_change=_may_change(principal, shown),
            # Its custody log and evidence export are the node operators' (case_custody_pages).
            node_operator=pages.node_org is not None
            and is_node_operator(principal, pages.node_org),
            closed=case.stage is Stage.CLOSED,
            status_choices=_status_choices(service, case),
            resolutions=[r.value for r in Resolution],
            referable=sorted(REFERABLE_TYPES),
            abuse_reports=None if abuse_reports is None else abuse_reports(principal, case_id),
            indicators=[r for r in case.refs if r.startswith("indicator--")],
            done=CASE_MESSAGES.get(done or ""),
        )

    @router.post("/cases/{case_id}/{action}")
    async def act(request: Request, case_id: str, action: str, signed: CsrfChecked) -> Response:
        principal = signed.principal
        if action not in _ACTIONS:
            return not_found(request, signed)
        form = await read_form(request)
        try:
            change = _change(service, principal, case_id, action, form)
            await run_in_threadpool(change)
        except ObjectNotFound:
            return not_found(request, signed)
        except PermissionDenied as exc:
            return message(request, signed, 403, "Not allowed", f"Nothing was stored: {exc}.")
        except InvalidInput as exc:
            return message(request, signed, 400, "Not stored", f"Nothing was stored: {exc}")
        return RedirectResponse(f"/cases/{case_id}?done={action}", status_code=303)

    return router


def _change(
    service: CaseService,
    principal: Principal,
    case_id: str,
    action: str,
    form: dict[str, str],
) -> Callable[[], ShownCase]:
    """The service call of ``action`` with the form's values, read and checked before it
    runs (``InvalidInput`` for a form that does not say what to do)."""
    if action == "status":
        stage_text, _, status = form.get("status", "").partition("|")
        stage = _choice(Stage, stage_text, "stage")
        if stage is None or not status:
            raise InvalidInput("choose the stage and status")
        return lambda: service.set_status(principal, case_id, stage, status)
    if action == "close":
        resolution = _choice(Resolution, form.get("resolution"), "resolution")
        if resolution is None:
            raise InvalidInput("a case is closed with a resolution: choose one")
        return lambda: service.close(principal, case_id, resolution)
    if action == "task":
        title, owner = form.get("title", "").strip(), form.get("owner", "").strip() or None
        due = parse_due(form.get("due", ""))
        return lambda: service.add_task(principal, case_id, title, owner=owner, due_us=due)
    if action == "task-done":
        task_id, result = form.get("task_id", ""), form.get("result", "").strip() or None
        return lambda: service.complete_task(principal, case_id, task_id, result=result)
    text = form.get("text", "").strip()
    return lambda: service.add_note(principal, case_id, text)
