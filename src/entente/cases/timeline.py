"""A case's timeline: the events that turn each version of it into the next, oldest first."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from entente.cases.model import Case

__all__ = ["CaseEvent", "EventKind", "timeline"]


class EventKind(enum.Enum):
    """What happened to a case between two of its versions."""

    OPENED = "opened"
    STATUS = "status"
    CLOSED = "closed"
    TASK_ADDED = "task-added"
    TASK_DONE = "task-done"
    NOTE_ADDED = "note-added"
    REFERENCED = "referenced"
    ATTACHED = "attached"
    MERGED_INTO = "merged-into"
    HOLD_PLACED = "hold-placed"
    HOLD_RELEASED = "hold-released"
    PRESERVATION_REQUESTED = "preservation-requested"
    PRESERVATION_ANSWERED = "preservation-answered"


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One event: when (the version's ``modified``), what, and about what."""

    at_us: int
    kind: EventKind
    detail: str


def _changes(before: Case, after: Case) -> list[CaseEvent]:
    at = after.modified_us
    events: list[CaseEvent] = []
    if after.stage != before.stage or after.status != before.status:
        if after.resolution is not None and before.resolution is None:
            events.append(CaseEvent(at, EventKind.CLOSED, after.resolution.value))
        else:
            events.append(CaseEvent(at, EventKind.STATUS, f"{after.stage.value}: {after.status}"))
    old_tasks = {t.id: t for t in before.tasks}
    for task in after.tasks:
        known = old_tasks.get(task.id)
        if known is None:
            events.append(CaseEvent(at, EventKind.TASK_ADDED, f"{task.id}: {task.title}"))
        if task.done and (known is None or not known.done):
            events.append(CaseEvent(at, EventKind.TASK_DONE, f"{task.id}: {task.title}"))
    old_notes = {n.id for n in before.notes}
    events.extend(
        CaseEvent(at, EventKind.NOTE_ADDED, f"{n.id} by {n.author}")
        for n in after.notes
        if n.id not in old_notes
    )
    attached = set(after.attached) - set(before.attached)
    for ref in after.refs:
        if ref in attached:
            events.append(CaseEvent(at, EventKind.ATTACHED, ref))
        elif ref not in before.refs:
            events.append(CaseEvent(at, EventKind.REFERENCED, ref))
    if after.merged_into is not None and before.merged_into is None:
        events.append(CaseEvent(at, EventKind.MERGED_INTO, after.merged_into))
    events.extend(_legal_changes(before, after))
    return events


def _legal_changes(before: Case, after: Case) -> list[CaseEvent]:
    """Holds placed and released, preservation requests sent and answered."""
    at = after.modified_us
    events: list[CaseEvent] = []
    for n, hold in enumerate(after.holds):
        known = before.holds[n] if n < len(before.holds) else None
        if known is None:
            events.append(CaseEvent(at, EventKind.HOLD_PLACED, f"by {hold.placed_by}"))
        if not hold.active and (known is None or known.active):
            events.append(CaseEvent(at, EventKind.HOLD_RELEASED, f"by {hold.released_by}"))
    for record in after.preservation:
        known_request = before.request(record.reference)
        if known_request is None:
            detail = f"{record.reference} to {record.addressee}"
            events.append(CaseEvent(at, EventKind.PRESERVATION_REQUESTED, detail))
        answered = known_request is not None and (
            (known_request.answer, known_request.answered_us) == (record.answer, record.answered_us)
        )
        if record.answer is not None and not answered:
            detail = f"{record.reference}: {record.answer.value}"
            events.append(CaseEvent(at, EventKind.PRESERVATION_ANSWERED, detail))
    return events


def timeline(versions: Sequence[Case]) -> tuple[CaseEvent, ...]:
    """The events of ``versions`` (one case's versions, oldest first).

    The first version shown opens the timeline; each later version adds what changed since
    the one before it. A reader shown only some versions sees the changes between those.
    """
    if not versions:
        return ()
    first = versions[0]
    events = [CaseEvent(first.modified_us, EventKind.OPENED, first.case_type.value)]
    if first.merged_from:
        events.append(
            CaseEvent(first.modified_us, EventKind.REFERENCED, ", ".join(first.merged_from))
        )
    for before, after in itertools.pairwise(versions):
        events.extend(_changes(before, after))
    return tuple(events)
