"""Cases: the sans-IO core (values, validated transitions, the STIX form, the timeline)."""

from __future__ import annotations

from entente.cases.extension import (
    CASE_CONTEXT,
    ENTENTE_IDENTITY_ID,
    EXTENSION_ID,
    EXTENSION_SCHEMA,
    extension_definition,
    is_case,
    parse_case,
    render_case,
    render_incident,
)
from entente.cases.holds import place_hold, record_answer, record_request, release_hold
from entente.cases.markings import merged_markings
from entente.cases.model import (
    DEFAULT_STATUSES,
    REFERABLE_TYPES,
    TASK_TEMPLATES,
    Answer,
    Case,
    CaseType,
    LegalHold,
    Note,
    PreservationRecord,
    Resolution,
    Stage,
    StatusScheme,
    Task,
)
from entente.cases.shareable import shareable_copy, shared_copy_ids
from entente.cases.timeline import CaseEvent, EventKind, timeline
from entente.cases.transitions import (
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

__all__ = [
    "CASE_CONTEXT",
    "DEFAULT_STATUSES",
    "ENTENTE_IDENTITY_ID",
    "EXTENSION_ID",
    "EXTENSION_SCHEMA",
    "REFERABLE_TYPES",
    "TASK_TEMPLATES",
    "Answer",
    "Case",
    "CaseEvent",
    "CaseType",
    "EventKind",
    "LegalHold",
    "Note",
    "PreservationRecord",
    "Resolution",
    "Stage",
    "StatusScheme",
    "Task",
    "add_note",
    "add_task",
    "attach",
    "check_file_hash",
    "close",
    "complete_task",
    "extension_definition",
    "is_case",
    "merge",
    "merged_markings",
    "new_case",
    "parse_case",
    "place_hold",
    "record_answer",
    "record_request",
    "release_hold",
    "render_case",
    "render_incident",
    "set_status",
    "shareable_copy",
    "shared_copy_ids",
    "timeline",
]
