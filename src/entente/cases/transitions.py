"""Every change to a case, validated: each returns the next version or raises ``InvalidInput``.

A new version's ``modified_us`` is strictly later than the last one's even when the clock has
not moved, because STIX 2.1 §3.6 orders versions by ``modified`` and a repeat is no new version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from entente.cases.model import (
    REFERABLE_TYPES,
    TASK_TEMPLATES,
    Case,
    CaseType,
    Note,
    Resolution,
    Stage,
    StatusScheme,
    Task,
)
from entente.errors import InvalidInput
from entente.stix import is_valid_id

__all__ = [
    "add_note",
    "add_task",
    "attach",
    "check_file_hash",
    "close",
    "complete_task",
    "merge",
    "new_case",
    "set_status",
]

# MD5, SHA-1, SHA-256 and SHA-512 in hex (STIX 2.1 §10.7 hash-algorithm-ov, the ones a
# file is referenced by in practice).
_FILE_HASH = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}")
_MAX_TEXT = 10_000
_MAX_TASKS = 500


def check_file_hash(value: str) -> str:
    """``value`` (a file's hash a case references the file by), lower-cased; ``InvalidInput``
    unless it is an MD5, SHA-1, SHA-256 or SHA-512 digest in hex."""
    if not _FILE_HASH.fullmatch(value):
        raise InvalidInput(f"{value!r} is not an MD5, SHA-1, SHA-256 or SHA-512 digest in hex")
    return value.lower()


def _text(value: str, what: str, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{what} must not be empty")
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"{what} is longer than {_MAX_TEXT} characters")
    return text


def _next_us(case: Case, now_us: int) -> int:
    return max(now_us, case.modified_us + 1)


def _writable(case: Case) -> None:
    if case.read_only:
        raise InvalidInput(f"case {case.id} was merged into {case.merged_into} and is read-only")


def _open(case: Case) -> None:
    _writable(case)
    if case.stage is Stage.CLOSED:
        raise InvalidInput(f"case {case.id} is closed")


def new_case(
    *,
    case_id: str,
    incident_id: str,
    name: str,
    case_type: CaseType,
    now_us: int,
    scheme: StatusScheme,
    description: str = "",
    with_template: bool = True,
) -> Case:
    """A new case in stage ``new``, with its type's template of tasks unless told not to."""
    if not is_valid_id(case_id, "grouping"):
        raise InvalidInput(f"{case_id!r} is not a grouping id (STIX 2.1 §2.9)")
    if not is_valid_id(incident_id, "incident"):
        raise InvalidInput(f"{incident_id!r} is not an incident id (STIX 2.1 §2.9)")
    titles = TASK_TEMPLATES[case_type] if with_template else ()
    return Case(
        id=case_id,
        incident_id=incident_id,
        name=_text(name, "the case's name"),
        case_type=case_type,
        stage=Stage.NEW,
        status=scheme.initial(Stage.NEW),
        created_us=now_us,
        modified_us=now_us,
        description=_text(description, "the description", required=False),
        tasks=tuple(Task(f"task-{n}", title) for n, title in enumerate(titles, start=1)),
    )


def set_status(case: Case, stage: Stage, status: str, now_us: int, scheme: StatusScheme) -> Case:
    """The case in ``stage`` with ``status``: the same stage or the next one (new to in
    progress); closing is ``close`` (it needs a resolution)."""
    _open(case)
    if stage is Stage.CLOSED:
        raise InvalidInput("a case is closed with a resolution: use close")
    if case.stage is Stage.IN_PROGRESS and stage is Stage.NEW:
        raise InvalidInput("a case in progress cannot go back to new")
    allowed = scheme.allowed(stage)
    if status not in allowed:
        raise InvalidInput(
            f"{status!r} is not a status of stage {stage.value} (one of: {', '.join(allowed)})"
        )
    if (stage, status) == (case.stage, case.status):
        raise InvalidInput(f"the case is already {stage.value} / {status}")
    return replace(case, stage=stage, status=status, modified_us=_next_us(case, now_us))


def close(case: Case, resolution: Resolution | None, now_us: int, scheme: StatusScheme) -> Case:
    """The case closed with ``resolution`` (required)."""
    _open(case)
    if resolution is None:
        raise InvalidInput(
            "a resolution is required to close a case (one of: "
            + ", ".join(r.value for r in Resolution)
            + ")"
        )
    return replace(
        case,
        stage=Stage.CLOSED,
        status=scheme.initial(Stage.CLOSED),
        resolution=resolution,
        modified_us=_next_us(case, now_us),
    )


def add_task(
    case: Case, title: str, now_us: int, *, owner: str | None = None, due_us: int | None = None
) -> Case:
    """The case with one more open task (ids ``task-N`` in order of adding)."""
    _open(case)
    if len(case.tasks) >= _MAX_TASKS:
        raise InvalidInput(f"a case holds at most {_MAX_TASKS} tasks")
    if due_us is not None and due_us < 0:
        raise InvalidInput("a due time must not be before 1970")
    owner_text = None if owner is None else _text(owner, "the task's owner")
    number = 1 + max((int(t.id.removeprefix("task-")) for t in case.tasks), default=0)
    task = Task(f"task-{number}", _text(title, "the task's title"), owner_text, due_us)
    return replace(case, tasks=(*case.tasks, task), modified_us=_next_us(case, now_us))


def complete_task(case: Case, task_id: str, now_us: int, *, result: str | None = None) -> Case:
    """The case with task ``task_id`` done (at ``now_us``), with an optional result."""
    _open(case)
    task = case.task(task_id)
    if task is None:
        raise InvalidInput(f"case {case.id} has no task {task_id!r}")
    if task.done:
        raise InvalidInput(f"task {task_id} is already done")
    text = None if result is None else _text(result, "the task's result")
    done = replace(task, done_us=now_us, result=text)
    tasks = tuple(done if t.id == task_id else t for t in case.tasks)
    return replace(case, tasks=tasks, modified_us=_next_us(case, now_us))


def add_note(case: Case, text: str, author: str, now_us: int) -> Case:
    """The case with one more note (ids ``note-N``); a closed case still takes notes (a
    closing remark), a merged one does not."""
    _writable(case)
    number = 1 + max((int(n.id.removeprefix("note-")) for n in case.notes), default=0)
    note = Note(f"note-{number}", _text(text, "the note"), _text(author, "the author"), now_us)
    return replace(case, notes=(*case.notes, note), modified_us=_next_us(case, now_us))


def attach(case: Case, object_ids: Sequence[str], now_us: int, *, as_evidence: bool) -> Case:
    """The case referencing ``object_ids`` (STIX ids of referable types); ``as_evidence``
    also attaches them (sightings, matching hits). Ids already referenced are kept once."""
    _open(case)
    if not object_ids:
        raise InvalidInput("name at least one object to attach")
    for object_id in object_ids:
        if not is_valid_id(object_id):
            raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
        kind = object_id.split("--", 1)[0]
        if kind not in REFERABLE_TYPES:
            raise InvalidInput(
                f"a case cannot reference a {kind}: one of {', '.join(sorted(REFERABLE_TYPES))}"
            )
        if as_evidence and kind != "sighting":
            raise InvalidInput(f"only sightings (matching hits) are attached, not {object_id}")
    refs = tuple(dict.fromkeys((*case.refs, *object_ids)))
    attached = case.attached
    if as_evidence:
        attached = tuple(dict.fromkeys((*attached, *object_ids)))
    if refs == case.refs and attached == case.attached:
        raise InvalidInput("the case already references every one of these objects")
    return replace(case, refs=refs, attached=attached, modified_us=_next_us(case, now_us))


def merge(
    originals: Sequence[Case],
    *,
    case_id: str,
    incident_id: str,
    name: str,
    now_us: int,
    scheme: StatusScheme,
) -> tuple[Case, tuple[Case, ...]]:
    """A new case that references ``originals`` and everything they reference, and the
    originals marked merged into it (read-only, never merged again)."""
    if len(originals) < 2:
        raise InvalidInput("a merge needs at least two cases")
    ids = [c.id for c in originals]
    if len(set(ids)) != len(ids):
        raise InvalidInput("a case cannot be merged with itself")
    for case in originals:
        if case.read_only:
            raise InvalidInput(f"case {case.id} was already merged into {case.merged_into}")
    first = originals[0]
    merged = new_case(
        case_id=case_id,
        incident_id=incident_id,
        name=name,
        case_type=first.case_type,
        now_us=now_us,
        scheme=scheme,
        description="Merged from " + ", ".join(ids),
        with_template=False,
    )
    tasks: list[Task] = []
    for case in originals:
        for task in case.tasks:
            tasks.append(replace(task, id=f"task-{len(tasks) + 1}"))
    merged = replace(
        merged,
        tasks=tuple(tasks),
        refs=tuple(dict.fromkeys(r for c in originals for r in c.refs)),
        attached=tuple(dict.fromkeys(a for c in originals for a in c.attached)),
        merged_from=tuple(ids),
    )
    closed = tuple(
        replace(c, merged_into=case_id, modified_us=_next_us(c, now_us)) for c in originals
    )
    return merged, closed
