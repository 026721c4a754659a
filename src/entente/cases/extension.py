"""A case in STIX 2.1: an ``incident`` plus a ``grouping`` carrying Entente's case extension.

The grouping (STIX 2.1 §4.7, context "suspicious-activity") names the incident and every
object the case references in ``object_refs``; the case's state (type, stage, status,
resolution, tasks, notes, attachments, merge links) sits in a property extension (§7.3)
defined by Entente's own ``extension-definition``, whose id is a uuid5 so every node names
the same definition. Each change of the case is a new version of the grouping (§3.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from entente.cases.model import (
    Answer,
    Case,
    CaseType,
    LegalHold,
    Note,
    PreservationRecord,
    Resolution,
    Stage,
    Task,
)
from entente.errors import InvalidObject
from entente.stix import (
    Tlp,
    deterministic_id,
    format_timestamp_us,
    is_valid_id,
    marking_id_for,
    parse_timestamp,
    timestamp_us_from_key,
)

_E = TypeVar("_E", CaseType, Stage, Resolution, Answer)

__all__ = [
    "CASE_CONTEXT",
    "ENTENTE_IDENTITY_ID",
    "EXTENSION_ID",
    "EXTENSION_SCHEMA",
    "extension_definition",
    "is_case",
    "parse_case",
    "render_case",
    "render_incident",
]

# uuid5 ids (``deterministic_id``): every node names the same definition and its author.
EXTENSION_ID = deterministic_id("extension-definition", "entente case extension", "1.0")
ENTENTE_IDENTITY_ID = deterministic_id("identity", "entente project")
# STIX 2.1 §10.5 grouping-context-ov: a case gathers what is suspected, not yet a report.
CASE_CONTEXT = "suspicious-activity"
_DEFINED = "2026-12-01T00:00:00.000Z"

_TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"}
_STIX_ID = {"type": "string", "pattern": r"^[a-z0-9-]+--[0-9a-fA-F-]{36}$"}
# JSON Schema (2020-12) of the extension's properties; also shipped as case-extension.json.
EXTENSION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://entente.invalid/stix/case-extension/1.0",
    "title": "Entente case (property extension of grouping)",
    "type": "object",
    "required": ["extension_type", "case_type", "stage", "status"],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "case_type": {"enum": [t.value for t in CaseType]},
        "stage": {"enum": [s.value for s in Stage]},
        "status": {"type": "string", "minLength": 1},
        "resolution": {"enum": [r.value for r in Resolution]},
        "tasks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["task_id", "title"],
                "additionalProperties": False,
                "properties": {
                    "task_id": {"type": "string", "pattern": r"^task-[1-9][0-9]*$"},
                    "title": {"type": "string", "minLength": 1},
                    "owner": {"type": "string"},
                    "due": _TIMESTAMP,
                    "done": _TIMESTAMP,
                    "result": {"type": "string"},
                },
            },
        },
        "notes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["note_id", "text", "author", "created"],
                "additionalProperties": False,
                "properties": {
                    "note_id": {"type": "string", "pattern": r"^note-[1-9][0-9]*$"},
                    "text": {"type": "string"},
                    "author": {"type": "string"},
                    "created": _TIMESTAMP,
                },
            },
        },
        "attached_refs": {"type": "array", "items": _STIX_ID},
        "merged_into_ref": _STIX_ID,
        "merged_from_refs": {"type": "array", "items": _STIX_ID},
        # Optional, added later in 1.0 (a node that predates them ignores them): the legal
        # holds and the Budapest Convention Art. 29 preservation requests of issue 15.
        "legal_holds": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["placed_by", "placed", "reason"],
                "additionalProperties": False,
                "properties": {
                    "placed_by": {"type": "string", "minLength": 1},
                    "placed": _TIMESTAMP,
                    "reason": {"type": "string", "minLength": 1},
                    "released_by": {"type": "string", "minLength": 1},
                    "released": _TIMESTAMP,
                    "release_reason": {"type": "string", "minLength": 1},
                },
            },
        },
        "preservation_requests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["reference", "addressee", "sent", "pdf_sha256"],
                "additionalProperties": False,
                "properties": {
                    "reference": {"type": "string", "minLength": 1},
                    "addressee": {"type": "string", "minLength": 1},
                    "sent": _TIMESTAMP,
                    "pdf_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "answer": {"enum": [a.value for a in Answer]},
                    "answered": _TIMESTAMP,
                    "preserved_until": _TIMESTAMP,
                    "answer_note": {"type": "string"},
                },
            },
        },
    },
}


def extension_definition() -> dict[str, Any]:
    """Entente's case ``extension-definition`` (STIX 2.1 §7.3), TLP:CLEAR, the same everywhere."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": ENTENTE_IDENTITY_ID,
        "created": _DEFINED,
        "modified": _DEFINED,
        "name": "Entente case",
        "description": (
            "The state of a case (type, stage, status, resolution, tasks, notes, attached "
            "sightings, merge links) on the grouping that gathers the case's objects."
        ),
        "schema": "https://entente.invalid/stix/case-extension/1.0 (case-extension.json)",
        "version": "1.0",
        "extension_types": ["property-extension"],
        "object_marking_refs": [marking_id_for(Tlp.CLEAR)],
    }


def _ts(micros: int) -> str:
    return format_timestamp_us(micros)


def _common(
    case: Case, created_by_ref: str, marking_refs: tuple[str, ...], modified_us: int
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "spec_version": "2.1",
        "created_by_ref": created_by_ref,
        "created": _ts(case.created_us),
        "modified": _ts(modified_us),
    }
    if marking_refs:
        obj["object_marking_refs"] = list(marking_refs)
    return obj


def render_incident(
    case: Case, *, created_by_ref: str, marking_refs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The case's ``incident`` (STIX 2.1 §4.7 in 2.1's incident stub): name and description."""
    obj = {
        "type": "incident",
        "id": case.incident_id,
        **_common(case, created_by_ref, marking_refs, case.created_us),
        "name": case.name,
    }
    if case.description:
        obj["description"] = case.description
    return obj


def _task_json(task: Task) -> dict[str, Any]:
    out: dict[str, Any] = {"task_id": task.id, "title": task.title}
    if task.owner is not None:
        out["owner"] = task.owner
    if task.due_us is not None:
        out["due"] = _ts(task.due_us)
    if task.done_us is not None:
        out["done"] = _ts(task.done_us)
    if task.result is not None:
        out["result"] = task.result
    return out


def _hold_json(hold: LegalHold) -> dict[str, Any]:
    out: dict[str, Any] = {
        "placed_by": hold.placed_by,
        "placed": _ts(hold.placed_us),
        "reason": hold.reason,
    }
    if hold.released_by is not None:
        out["released_by"] = hold.released_by
    if hold.released_us is not None:
        out["released"] = _ts(hold.released_us)
    if hold.release_reason is not None:
        out["release_reason"] = hold.release_reason
    return out


def _request_json(record: PreservationRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reference": record.reference,
        "addressee": record.addressee,
        "sent": _ts(record.sent_us),
        "pdf_sha256": record.pdf_sha256,
    }
    if record.answer is not None:
        out["answer"] = record.answer.value
    if record.answered_us is not None:
        out["answered"] = _ts(record.answered_us)
    if record.preserved_until_us is not None:
        out["preserved_until"] = _ts(record.preserved_until_us)
    if record.answer_note:
        out["answer_note"] = record.answer_note
    return out


def render_case(
    case: Case, *, created_by_ref: str, marking_refs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The case's ``grouping`` at this version, with the case extension."""
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "case_type": case.case_type.value,
        "stage": case.stage.value,
        "status": case.status,
    }
    if case.resolution is not None:
        ext["resolution"] = case.resolution.value
    if case.tasks:
        ext["tasks"] = [_task_json(t) for t in case.tasks]
    if case.notes:
        ext["notes"] = [
            {"note_id": n.id, "text": n.text, "author": n.author, "created": _ts(n.created_us)}
            for n in case.notes
        ]
    if case.attached:
        ext["attached_refs"] = list(case.attached)
    if case.merged_into is not None:
        ext["merged_into_ref"] = case.merged_into
    if case.merged_from:
        ext["merged_from_refs"] = list(case.merged_from)
    if case.holds:
        ext["legal_holds"] = [_hold_json(h) for h in case.holds]
    if case.preservation:
        ext["preservation_requests"] = [_request_json(r) for r in case.preservation]
    obj = {
        "type": "grouping",
        "id": case.id,
        **_common(case, created_by_ref, marking_refs, case.modified_us),
        "name": case.name,
        "context": CASE_CONTEXT,
        "object_refs": list(dict.fromkeys((case.incident_id, *case.merged_from, *case.refs))),
        "extensions": {EXTENSION_ID: ext},
    }
    if case.description:
        obj["description"] = case.description
    return obj


def is_case(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a grouping carrying the case extension (a case, possibly malformed)."""
    extensions = obj.get("extensions")
    return (
        obj.get("type") == "grouping"
        and isinstance(extensions, dict)
        and isinstance(extensions.get(EXTENSION_ID), dict)
    )


def _fail(reason: str, field: str, obj: Mapping[str, Any]) -> InvalidObject:
    oid = obj.get("id")
    return InvalidObject(reason, field, oid if isinstance(oid, str) else None)


def _str(body: Mapping[str, Any], key: str, where: str, obj: Mapping[str, Any]) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _fail("must be a non-empty string", f"{where}.{key}", obj)
    return value


def _opt_str(body: Mapping[str, Any], key: str, where: str, obj: Mapping[str, Any]) -> str | None:
    return None if key not in body else _str(body, key, where, obj)


def _us(body: Mapping[str, Any], key: str, where: str) -> int | None:
    if key not in body:
        return None
    return _micros(body[key], f"{where}.{key}")


def _enum(kind: type[_E], value: object, field: str, obj: Mapping[str, Any]) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise _fail(f"must be one of: {allowed}", field, obj) from None


def _micros(value: object, field: str) -> int:
    return timestamp_us_from_key(parse_timestamp(value, field).key)


def _list(body: Mapping[str, Any], key: str, where: str, obj: Mapping[str, Any]) -> list[Any]:
    value = body.get(key, [])
    if not isinstance(value, list):
        raise _fail("must be a list", f"{where}.{key}", obj)
    return value


def _ids(body: Mapping[str, Any], key: str, where: str, obj: Mapping[str, Any]) -> tuple[str, ...]:
    values = _list(body, key, where, obj)
    for n, value in enumerate(values):
        if not isinstance(value, str) or not is_valid_id(value):
            raise _fail("must be a STIX id", f"{where}.{key}[{n}]", obj)
    return tuple(values)


def _objects(
    body: Mapping[str, Any], key: str, where: str, obj: Mapping[str, Any]
) -> list[tuple[str, Mapping[str, Any]]]:
    items: list[tuple[str, Mapping[str, Any]]] = []
    for n, item in enumerate(_list(body, key, where, obj)):
        at = f"{where}.{key}[{n}]"
        if not isinstance(item, dict):
            raise _fail("must be an object", at, obj)
        items.append((at, item))
    return items


def _required_us(item: Mapping[str, Any], key: str, at: str, obj: Mapping[str, Any]) -> int:
    value = _us(item, key, at)
    if value is None:
        raise _fail("is required", f"{at}.{key}", obj)
    return value


def _holds(body: Mapping[str, Any], where: str, obj: Mapping[str, Any]) -> tuple[LegalHold, ...]:
    return tuple(
        LegalHold(
            placed_by=_str(item, "placed_by", at, obj),
            placed_us=_required_us(item, "placed", at, obj),
            reason=_str(item, "reason", at, obj),
            released_by=_opt_str(item, "released_by", at, obj),
            released_us=_us(item, "released", at),
            release_reason=_opt_str(item, "release_reason", at, obj),
        )
        for at, item in _objects(body, "legal_holds", where, obj)
    )


def _requests(
    body: Mapping[str, Any], where: str, obj: Mapping[str, Any]
) -> tuple[PreservationRecord, ...]:
    records = []
    for at, item in _objects(body, "preservation_requests", where, obj):
        answer = item.get("answer")
        note = item.get("answer_note", "")
        records.append(
            PreservationRecord(
                reference=_str(item, "reference", at, obj),
                addressee=_str(item, "addressee", at, obj),
                sent_us=_required_us(item, "sent", at, obj),
                pdf_sha256=_str(item, "pdf_sha256", at, obj),
                answer=None if answer is None else _enum(Answer, answer, f"{at}.answer", obj),
                answered_us=_us(item, "answered", at),
                preserved_until_us=_us(item, "preserved_until", at),
                answer_note=note if isinstance(note, str) else "",
            )
        )
    return tuple(records)


def parse_case(obj: Mapping[str, Any]) -> Case:
    """The case a grouping version states; ``InvalidObject`` (with the field) when it is not
    a case or its extension is malformed. Timestamps are read to the microsecond."""
    if not is_case(obj):
        raise _fail("is not a grouping with the Entente case extension", "extensions", obj)
    where = f"extensions.{EXTENSION_ID}"
    body: Mapping[str, Any] = obj["extensions"][EXTENSION_ID]
    refs = obj.get("object_refs")
    if not isinstance(refs, list) or not refs or not all(isinstance(r, str) for r in refs):
        raise _fail("must be a non-empty list of ids", "object_refs", obj)
    incident = refs[0]
    if not is_valid_id(incident, "incident"):
        raise _fail("must name the case's incident first", "object_refs[0]", obj)
    tasks = []
    for n, item in enumerate(_list(body, "tasks", where, obj)):
        at = f"{where}.tasks[{n}]"
        if not isinstance(item, dict):
            raise _fail("must be an object", at, obj)
        tasks.append(
            Task(
                id=_str(item, "task_id", at, obj),
                title=_str(item, "title", at, obj),
                owner=_opt_str(item, "owner", at, obj),
                due_us=_us(item, "due", at),
                done_us=_us(item, "done", at),
                result=_opt_str(item, "result", at, obj),
            )
        )
    notes = []
    for n, item in enumerate(_list(body, "notes", where, obj)):
        at = f"{where}.notes[{n}]"
        if not isinstance(item, dict):
            raise _fail("must be an object", at, obj)
        created = _us(item, "created", at)
        if created is None:
            raise _fail("is required", f"{at}.created", obj)
        notes.append(
            Note(
                _str(item, "note_id", at, obj),
                _str(item, "text", at, obj),
                _str(item, "author", at, obj),
                created,
            )
        )
    merged_from = _ids(body, "merged_from_refs", where, obj)
    merged_into = _opt_str(body, "merged_into_ref", where, obj)
    resolution = body.get("resolution")
    created = _micros(obj.get("created"), "created")
    modified = _micros(obj.get("modified", obj.get("created")), "modified")
    description = obj.get("description", "")
    return Case(
        id=_str(obj, "id", "", obj),
        incident_id=incident,
        name=_str(obj, "name", "", obj),
        case_type=_enum(CaseType, body.get("case_type"), f"{where}.case_type", obj),
        stage=_enum(Stage, body.get("stage"), f"{where}.stage", obj),
        status=_str(body, "status", where, obj),
        created_us=created,
        modified_us=modified,
        description=description if isinstance(description, str) else "",
        resolution=None
        if resolution is None
        else _enum(Resolution, resolution, f"{where}.resolution", obj),
        tasks=tuple(tasks),
        notes=tuple(notes),
        refs=tuple(r for r in refs[1:] if r not in merged_from),
        attached=_ids(body, "attached_refs", where, obj),
        merged_into=merged_into,
        merged_from=merged_from,
        holds=_holds(body, where, obj),
        preservation=_requests(body, where, obj),
    )
