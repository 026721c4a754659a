"""Case transitions: each change validated, with a clear reason when refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from entente.cases import (
    TASK_TEMPLATES,
    Case,
    CaseType,
    Resolution,
    Stage,
    StatusScheme,
    add_note,
    add_task,
    attach,
    check_file_hash,
    close,
    complete_task,
    merge,
    new_case,
    set_status,
)
from entente.errors import InvalidInput

SCHEME = StatusScheme()
T0 = 1_700_000_000_000_000
SIGHTING = "sighting--00000000-0000-4000-8000-000000000001"
INDICATOR = "indicator--00000000-0000-4000-8000-000000000002"


def case(n: int = 1, case_type: CaseType = CaseType.INCIDENT) -> Case:
    return new_case(
        case_id=f"grouping--00000000-0000-4000-8000-{n:012d}",
        incident_id=f"incident--00000000-0000-4000-8000-{n:012d}",
        name=f"case {n}",
        case_type=case_type,
        now_us=T0,
        scheme=SCHEME,
    )


@pytest.mark.parametrize("case_type", list(CaseType))
def test_a_new_case_starts_new_with_its_types_template_of_tasks(case_type: CaseType) -> None:
    opened = case(case_type=case_type)
    assert (opened.stage, opened.status, opened.resolution) == (Stage.NEW, "new", None)
    assert [t.title for t in opened.tasks] == list(TASK_TEMPLATES[case_type])
    assert not any(t.done for t in opened.tasks)


def test_a_new_case_needs_a_name_and_stix_ids() -> None:
    with pytest.raises(InvalidInput, match="name must not be empty"):
        new_case(
            case_id="grouping--00000000-0000-4000-8000-000000000001",
            incident_id="incident--00000000-0000-4000-8000-000000000001",
            name="  ",
            case_type=CaseType.TAKEDOWN,
            now_us=T0,
            scheme=SCHEME,
        )
    with pytest.raises(InvalidInput, match="not a grouping id"):
        new_case(
            case_id="report--00000000-0000-4000-8000-000000000001",
            incident_id="incident--00000000-0000-4000-8000-000000000001",
            name="x",
            case_type=CaseType.TAKEDOWN,
            now_us=T0,
            scheme=SCHEME,
        )


def test_statuses_are_those_of_the_stage_and_stages_only_move_forward() -> None:
    moved = set_status(case(), Stage.IN_PROGRESS, "waiting on partner", T0, SCHEME)
    assert (moved.stage, moved.status) == (Stage.IN_PROGRESS, "waiting on partner")
    with pytest.raises(InvalidInput, match="not a status of stage in-progress"):
        set_status(moved, Stage.IN_PROGRESS, "triage", T0, SCHEME)
    with pytest.raises(InvalidInput, match="cannot go back to new"):
        set_status(moved, Stage.NEW, "new", T0, SCHEME)
    with pytest.raises(InvalidInput, match="use close"):
        set_status(moved, Stage.CLOSED, "closed", T0, SCHEME)
    with pytest.raises(InvalidInput, match="already"):
        set_status(moved, Stage.IN_PROGRESS, "waiting on partner", T0, SCHEME)


def test_a_node_may_define_its_own_statuses_per_stage() -> None:
    scheme = StatusScheme({Stage.NEW: ("queued",), Stage.IN_PROGRESS: ("with legal",)})
    opened = new_case(
        case_id="grouping--00000000-0000-4000-8000-000000000009",
        incident_id="incident--00000000-0000-4000-8000-000000000009",
        name="x",
        case_type=CaseType.JOINT_ADVISORY,
        now_us=T0,
        scheme=scheme,
    )
    assert opened.status == "queued"
    assert set_status(opened, Stage.IN_PROGRESS, "with legal", T0, scheme).status == "with legal"
    assert close(opened, Resolution.DUPLICATE, T0, scheme).status == "closed"


def test_closing_needs_a_resolution_and_a_closed_case_takes_no_change() -> None:
    with pytest.raises(InvalidInput, match="a resolution is required"):
        close(case(), None, T0, SCHEME)
    closed = close(case(), Resolution.FALSE_POSITIVE, T0, SCHEME)
    assert (closed.stage, closed.resolution) == (Stage.CLOSED, Resolution.FALSE_POSITIVE)
    changes: list[Callable[[], object]] = [
        lambda: close(closed, Resolution.TRUE_POSITIVE, T0, SCHEME),
        lambda: add_task(closed, "more", T0),
        lambda: set_status(closed, Stage.IN_PROGRESS, "in progress", T0, SCHEME),
        lambda: attach(closed, [INDICATOR], T0, as_evidence=False),
    ]
    for change in changes:
        with pytest.raises(InvalidInput, match="is closed"):
            change()


def test_every_version_is_strictly_later_even_when_the_clock_stands_still() -> None:
    first = case()
    second = add_task(first, "a", T0)
    third = add_task(second, "b", T0)
    assert first.modified_us < second.modified_us < third.modified_us


def test_tasks_have_owners_due_times_and_are_overdue_only_while_open_past_due() -> None:
    with_task = add_task(case(), "Call the registrar", T0, owner="bob", due_us=T0 + 10)
    task = with_task.tasks[-1]
    assert (task.id, task.owner, task.due_us) == ("task-4", "bob", T0 + 10)
    assert not task.is_overdue(T0 + 10)
    assert task.is_overdue(T0 + 11)
    assert with_task.overdue(T0 + 11) == (task,)
    done = complete_task(with_task, "task-4", T0 + 20, result="taken down")
    assert done.task("task-4") is not None
    assert done.overdue(T0 + 30) == ()
    with pytest.raises(InvalidInput, match="already done"):
        complete_task(done, "task-4", T0 + 30)
    with pytest.raises(InvalidInput, match="no task 'task-99'"):
        complete_task(done, "task-99", T0 + 30)


def test_references_are_stix_ids_of_referable_types_and_only_sightings_are_attached() -> None:
    referenced = attach(case(), [INDICATOR], T0, as_evidence=False)
    attached = attach(referenced, [SIGHTING], T0, as_evidence=True)
    assert attached.refs == (INDICATOR, SIGHTING)
    assert attached.attached == (SIGHTING,)
    with pytest.raises(InvalidInput, match="cannot reference a campaign"):
        attach(case(), ["campaign--00000000-0000-4000-8000-000000000001"], T0, as_evidence=False)
    with pytest.raises(InvalidInput, match="only sightings"):
        attach(case(), [INDICATOR], T0, as_evidence=True)
    with pytest.raises(InvalidInput, match="not a STIX id"):
        attach(case(), ["nope"], T0, as_evidence=False)
    with pytest.raises(InvalidInput, match="already references"):
        attach(attached, [INDICATOR], T0, as_evidence=False)


def test_notes_are_numbered_and_name_their_author() -> None:
    noted = add_note(add_note(case(), "first", "alice", T0), "second", "bob", T0)
    assert [(n.id, n.author) for n in noted.notes] == [("note-1", "alice"), ("note-2", "bob")]


def test_merge_makes_a_new_case_and_the_originals_read_only_and_unmergeable() -> None:
    one = attach(case(1), [INDICATOR], T0, as_evidence=False)
    two = attach(case(2), [SIGHTING], T0, as_evidence=True)
    merged, originals = merge(
        [one, two],
        case_id="grouping--00000000-0000-4000-8000-000000000003",
        incident_id="incident--00000000-0000-4000-8000-000000000003",
        name="both",
        now_us=T0,
        scheme=SCHEME,
    )
    assert merged.merged_from == (one.id, two.id)
    assert merged.refs == (INDICATOR, SIGHTING)
    assert merged.attached == (SIGHTING,)
    assert len(merged.tasks) == len(one.tasks) + len(two.tasks)
    assert [t.id for t in merged.tasks] == [f"task-{n}" for n in range(1, len(merged.tasks) + 1)]
    assert all(o.read_only and o.merged_into == merged.id for o in originals)
    with pytest.raises(InvalidInput, match="read-only"):
        add_task(originals[0], "more", T0)
    with pytest.raises(InvalidInput, match="already merged"):
        merge(
            [originals[0], merged],
            case_id="grouping--00000000-0000-4000-8000-000000000004",
            incident_id="incident--00000000-0000-4000-8000-000000000004",
            name="again",
            now_us=T0,
            scheme=SCHEME,
        )
    with pytest.raises(InvalidInput, match="at least two"):
        merge(
            [one],
            case_id=merged.id,
            incident_id=merged.incident_id,
            name="x",
            now_us=T0,
            scheme=SCHEME,
        )
    with pytest.raises(InvalidInput, match="with itself"):
        merge(
            [one, one],
            case_id=merged.id,
            incident_id=merged.incident_id,
            name="x",
            now_us=T0,
            scheme=SCHEME,
        )


def test_files_are_referenced_by_md5_sha1_sha256_or_sha512_digests_in_hex() -> None:
    for size in (32, 40, 64, 128):
        assert check_file_hash("AB" * (size // 2)) == "ab" * (size // 2)
    for bad in ("", "ab" * 15, "zz" * 16, "ab" * 16 + "\n", "sha256:" + "ab" * 32):
        with pytest.raises(InvalidInput, match="not an MD5"):
            check_file_hash(bad)
