"""A case's timeline from its versions."""

from __future__ import annotations

from entente.cases import (
    CaseEvent,
    CaseType,
    EventKind,
    Resolution,
    Stage,
    StatusScheme,
    add_note,
    add_task,
    attach,
    close,
    complete_task,
    new_case,
    set_status,
    timeline,
)

SCHEME = StatusScheme()
T0 = 1_000_000
SIGHTING = "sighting--00000000-0000-4000-8000-000000000001"
NOTE = "note--00000000-0000-4000-8000-000000000001"


def test_each_version_adds_what_changed_since_the_one_before() -> None:
    v1 = new_case(
        case_id="grouping--00000000-0000-4000-8000-000000000001",
        incident_id="incident--00000000-0000-4000-8000-000000000001",
        name="x",
        case_type=CaseType.TAKEDOWN,
        now_us=T0,
        scheme=SCHEME,
    )
    v2 = set_status(v1, Stage.IN_PROGRESS, "in progress", T0 + 1, SCHEME)
    v3 = add_task(v2, "extra", T0 + 2)
    v4 = complete_task(v3, "task-1", T0 + 3)
    v5 = attach(v4, [SIGHTING], T0 + 4, as_evidence=True)
    v6 = attach(v5, [NOTE], T0 + 5, as_evidence=False)
    v7 = add_note(v6, "hello", "alice", T0 + 6)
    v8 = close(v7, Resolution.TRUE_POSITIVE, T0 + 7, SCHEME)
    assert timeline([v1, v2, v3, v4, v5, v6, v7, v8]) == (
        CaseEvent(T0, EventKind.OPENED, "takedown"),
        CaseEvent(T0 + 1, EventKind.STATUS, "in-progress: in progress"),
        CaseEvent(T0 + 2, EventKind.TASK_ADDED, "task-5: extra"),
        CaseEvent(T0 + 3, EventKind.TASK_DONE, "task-1: Confirm the infrastructure is malicious"),
        CaseEvent(T0 + 4, EventKind.ATTACHED, SIGHTING),
        CaseEvent(T0 + 5, EventKind.REFERENCED, NOTE),
        CaseEvent(T0 + 6, EventKind.NOTE_ADDED, "note-1 by alice"),
        CaseEvent(T0 + 7, EventKind.CLOSED, "true-positive"),
    )


def test_a_reader_shown_some_versions_sees_the_changes_between_those() -> None:
    v1 = new_case(
        case_id="grouping--00000000-0000-4000-8000-000000000001",
        incident_id="incident--00000000-0000-4000-8000-000000000001",
        name="x",
        case_type=CaseType.INCIDENT,
        now_us=T0,
        scheme=SCHEME,
        with_template=False,
    )
    v2 = add_task(v1, "a", T0 + 1)
    v3 = add_task(v2, "b", T0 + 2)
    assert [e.kind for e in timeline([v1, v3])] == [
        EventKind.OPENED,
        EventKind.TASK_ADDED,
        EventKind.TASK_ADDED,
    ]
    assert timeline([]) == ()
