"""The shareable copy of a case: only the chosen tasks and notes."""

from __future__ import annotations

import pytest

from entente.cases import (
    CaseType,
    StatusScheme,
    add_note,
    new_case,
    shareable_copy,
    shared_copy_ids,
)
from entente.errors import InvalidInput

T0 = 1_000_000


def test_only_the_chosen_tasks_and_notes_go_under_the_copys_own_stable_ids() -> None:
    case = new_case(
        case_id="grouping--00000000-0000-4000-8000-000000000001",
        incident_id="incident--00000000-0000-4000-8000-000000000001",
        name="x",
        case_type=CaseType.INCIDENT,
        now_us=T0,
        scheme=StatusScheme(),
    )
    case = add_note(add_note(case, "internal only", "alice", T0), "for partners", "alice", T0)
    copy = shareable_copy(case, tasks={"task-2"}, notes={"note-2"}, now_us=T0 + 5)
    assert [t.id for t in copy.tasks] == ["task-2"]
    assert [n.text for n in copy.notes] == ["for partners"]
    assert (copy.id, copy.incident_id) == shared_copy_ids(case)
    assert copy.id != case.id
    assert shareable_copy(case, tasks=(), notes=(), now_us=T0).id == copy.id
    with pytest.raises(InvalidInput, match="no task or note task-9, note-7"):
        shareable_copy(case, tasks={"task-9"}, notes={"note-7"}, now_us=T0)
