"""Requests and approvals in STIX 2.1, so that they federate over TAXII like cases do.

A request is a ``grouping`` (STIX 2.1 §4.7; ``object_refs``: the objects it concerns) whose
property extension (§7.3) carries exactly what will be sent (the payload in base64, its
media type and SHA-256), to whom, the requester and the orgs that must approve. An approval is
an ``opinion`` (§4.12) on the request (``agree``/``disagree``, §10.8 opinion-enum) whose
property extension carries the signed DSSE envelope and the fields it states. Both extensions
are defined by Entente's own ``extension-definition`` objects with uuid5 ids, the same on
every node (ADR 0015's pattern), so a co-author's node reads the request and answers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from entente.approvals.model import ActionType, Approval, Request, Verdict, payload_digest
from entente.errors import InvalidInput, InvalidObject
from entente.stix import (
    Tlp,
    deterministic_id,
    format_timestamp_us,
    is_valid_id,
    marking_id_for,
    parse_timestamp,
    timestamp_us_from_key,
)

__all__ = [
    "APPROVAL_EXTENSION_ID",
    "APPROVAL_SCHEMA",
    "REQUEST_CONTEXT",
    "REQUEST_EXTENSION_ID",
    "REQUEST_SCHEMA",
    "extension_definitions",
    "is_approval",
    "is_request",
    "parse_approval",
    "parse_request",
    "render_approval",
    "render_request",
]

_ENTENTE_IDENTITY_ID = deterministic_id("identity", "entente project")
REQUEST_EXTENSION_ID = deterministic_id(
    "extension-definition", "entente approval request extension", "1.0"
)
APPROVAL_EXTENSION_ID = deterministic_id(
    "extension-definition", "entente approval extension", "1.0"
)
# grouping-context-ov is open (§10.5): the request gathers what one outbound action concerns.
REQUEST_CONTEXT = "entente-approval-request"
_DEFINED = "2026-12-05T00:00:00.000Z"
_OPINION = {Verdict.APPROVE: "agree", Verdict.REJECT: "disagree"}

_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_IDENTITY = {"type": "string", "pattern": r"^identity--[0-9a-fA-F-]{36}$"}
_TIMESTAMP = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"}
# JSON Schema (2020-12) of the request extension's properties.
REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://entente.invalid/stix/approval-request-extension/1.0",
    "title": "Entente approval request (property extension of grouping)",
    "type": "object",
    "required": [
        "extension_type",
        "action_type",
        "requester",
        "media_type",
        "payload",
        "payload_sha256",
    ],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "action_type": {"enum": [a.value for a in ActionType]},
        "requester": {"type": "string", "minLength": 1},
        "media_type": {"type": "string", "pattern": "^[^/]+/[^/]+$"},
        "payload": {"type": "string", "contentEncoding": "base64"},
        "payload_sha256": _SHA256,
        "targets": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "required_orgs": {"type": "array", "items": _IDENTITY},
    },
}
# JSON Schema (2020-12) of the approval extension's properties.
APPROVAL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://entente.invalid/stix/approval-extension/1.0",
    "title": "Entente approval (property extension of opinion)",
    "type": "object",
    "required": [
        "extension_type",
        "payload_sha256",
        "verdict",
        "approver",
        "approver_org",
        "approver_role",
        "time",
        "envelope",
    ],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "payload_sha256": _SHA256,
        "verdict": {"enum": [v.value for v in Verdict]},
        "approver": {"type": "string", "minLength": 1},
        "approver_org": _IDENTITY,
        "approver_role": {"type": "string", "minLength": 1},
        "time": _TIMESTAMP,
        "comment": {"type": "string"},
        "envelope": {
            "type": "object",
            "required": ["payloadType", "payload", "signatures"],
            "properties": {
                "payloadType": {"type": "string"},
                "payload": {"type": "string"},
                "signatures": {"type": "array", "minItems": 1},
            },
        },
    },
}


def _definition(ext_id: str, name: str, description: str, schema_id: str) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ext_id,
        "created_by_ref": _ENTENTE_IDENTITY_ID,
        "created": _DEFINED,
        "modified": _DEFINED,
        "name": name,
        "description": description,
        "schema": schema_id,
        "version": "1.0",
        "extension_types": ["property-extension"],
        "object_marking_refs": [marking_id_for(Tlp.CLEAR)],
    }


def extension_definitions() -> tuple[dict[str, Any], ...]:
    """Entente's two approval ``extension-definition`` objects, TLP:CLEAR, the same everywhere."""
    return (
        _definition(
            REQUEST_EXTENSION_ID,
            "Entente approval request",
            "Exactly what an outbound action will send (payload, media type, SHA-256), to "
            "whom, who asks and which orgs must approve; on the grouping of what it concerns.",
            str(REQUEST_SCHEMA["$id"]),
        ),
        _definition(
            APPROVAL_EXTENSION_ID,
            "Entente approval",
            "One approver's decision on one payload digest, with the DSSE envelope the "
            "approving node signed; on an opinion about the request.",
            str(APPROVAL_SCHEMA["$id"]),
        ),
    )


def render_request(request: Request, *, marking_refs: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's ``grouping``, created by the requester's org."""
    created = format_timestamp_us(request.created_us)
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "action_type": request.action_type.value,
        "requester": request.requester,
        "media_type": request.media_type,
        "payload": base64.b64encode(request.payload).decode("ascii"),
        "payload_sha256": request.digest,
    }
    if request.targets:
        ext["targets"] = list(request.targets)
    if request.required_orgs:
        ext["required_orgs"] = list(request.required_orgs)
    obj: dict[str, Any] = {
        "type": "grouping",
        "spec_version": "2.1",
        "id": request.id,
        "created_by_ref": request.requester_org,
        "created": created,
        "modified": created,
        "name": f"Approval request: {request.action_type.value}",
        "description": request.summary,
        "context": REQUEST_CONTEXT,
        "object_refs": list(dict.fromkeys(request.refs)),
        "extensions": {REQUEST_EXTENSION_ID: ext},
    }
    if marking_refs:
        obj["object_marking_refs"] = list(marking_refs)
    return obj


def render_approval(
    approval: Approval, *, approval_id: str, marking_refs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The approval's ``opinion`` on its request, created by the approver's org."""
    time = format_timestamp_us(approval.time_us)
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "payload_sha256": approval.digest,
        "verdict": approval.verdict.value,
        "approver": approval.approver,
        "approver_org": approval.approver_org,
        "approver_role": approval.approver_role,
        "time": time,
        "envelope": orjson.loads(approval.envelope),
    }
    if approval.comment:
        ext["comment"] = approval.comment
    obj: dict[str, Any] = {
        "type": "opinion",
        "spec_version": "2.1",
        "id": approval_id,
        "created_by_ref": approval.approver_org,
        "created": time,
        "modified": time,
        "opinion": _OPINION[approval.verdict],
        "authors": [approval.approver],
        "object_refs": [approval.request_id],
        "extensions": {APPROVAL_EXTENSION_ID: ext},
    }
    if approval.comment:
        obj["explanation"] = approval.comment
    if marking_refs:
        obj["object_marking_refs"] = list(marking_refs)
    return obj


def _body(obj: Mapping[str, Any], kind: str, ext_id: str) -> dict[str, Any] | None:
    extensions = obj.get("extensions")
    if obj.get("type") != kind or not isinstance(extensions, dict):
        return None
    body = extensions.get(ext_id)
    return body if isinstance(body, dict) else None


def is_request(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a grouping carrying the approval request extension."""
    return _body(obj, "grouping", REQUEST_EXTENSION_ID) is not None


def is_approval(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is an opinion carrying the approval extension."""
    return _body(obj, "opinion", APPROVAL_EXTENSION_ID) is not None


def _fail(reason: str, field: str, obj: Mapping[str, Any]) -> InvalidObject:
    oid = obj.get("id")
    return InvalidObject(reason, field, oid if isinstance(oid, str) else None)


def _text(body: Mapping[str, Any], key: str, where: str, obj: Mapping[str, Any]) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _fail("must be a non-empty string", f"{where}{key}", obj)
    return value


def _texts(
    body: Mapping[str, Any], key: str, where: str, obj: Mapping[str, Any]
) -> tuple[str, ...]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail("must be a list of non-empty strings", f"{where}{key}", obj)
    return tuple(value)


def _micros(value: object, field: str) -> int:
    return timestamp_us_from_key(parse_timestamp(value, field).key)


def parse_request(obj: Mapping[str, Any]) -> Request:
    """The request a grouping states; ``InvalidObject`` (with the field) when it is not one,
    or when its payload is not the bytes its SHA-256 names."""
    body = _body(obj, "grouping", REQUEST_EXTENSION_ID)
    if body is None:
        raise _fail("is not a grouping with the Entente approval request extension", "", obj)
    where = f"extensions.{REQUEST_EXTENSION_ID}."
    try:
        payload = base64.b64decode(_text(body, "payload", where, obj), validate=True)
    except binascii.Error as exc:
        raise _fail(f"is not base64: {exc}", f"{where}payload", obj) from exc
    if payload_digest(payload) != body.get("payload_sha256"):
        raise _fail("is not the SHA-256 of the payload", f"{where}payload_sha256", obj)
    try:
        action = ActionType(str(body.get("action_type")))
    except ValueError:
        allowed = ", ".join(a.value for a in ActionType)
        raise _fail(f"must be one of: {allowed}", f"{where}action_type", obj) from None
    refs = obj.get("object_refs")
    if not isinstance(refs, list) or not all(isinstance(r, str) and is_valid_id(r) for r in refs):
        raise _fail("must be a list of STIX ids", "object_refs", obj)
    description = obj.get("description")
    try:
        return Request(
            id=_text(obj, "id", "", obj),
            action_type=action,
            payload=payload,
            media_type=_text(body, "media_type", where, obj),
            summary=description if isinstance(description, str) else "",
            requester=_text(body, "requester", where, obj),
            requester_org=_text(obj, "created_by_ref", "", obj),
            created_us=_micros(obj.get("created"), "created"),
            targets=_texts(body, "targets", where, obj),
            refs=tuple(refs),
            required_orgs=_texts(body, "required_orgs", where, obj),
        )
    except InvalidObject:
        raise
    except InvalidInput as exc:
        raise _fail(str(exc), "", obj) from exc


def parse_approval(obj: Mapping[str, Any]) -> Approval:
    """The approval an opinion states (its signature is checked by ``decide``, not here)."""
    body = _body(obj, "opinion", APPROVAL_EXTENSION_ID)
    if body is None:
        raise _fail("is not an opinion with the Entente approval extension", "", obj)
    where = f"extensions.{APPROVAL_EXTENSION_ID}."
    refs = obj.get("object_refs")
    if not isinstance(refs, list) or len(refs) != 1 or not isinstance(refs[0], str):
        raise _fail("must name the one request approved", "object_refs", obj)
    try:
        verdict = Verdict(str(body.get("verdict")))
    except ValueError:
        raise _fail("must be approve or reject", f"{where}verdict", obj) from None
    if obj.get("opinion") != _OPINION[verdict]:
        raise _fail(f"must be {_OPINION[verdict]} for a {verdict.value}", "opinion", obj)
    envelope = body.get("envelope")
    if not isinstance(envelope, dict):
        raise _fail("must be a DSSE envelope", f"{where}envelope", obj)
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        raise _fail("must be a string", f"{where}comment", obj)
    return Approval(
        request_id=refs[0],
        digest=_text(body, "payload_sha256", where, obj),
        verdict=verdict,
        approver=_text(body, "approver", where, obj),
        approver_org=_text(body, "approver_org", where, obj),
        approver_role=_text(body, "approver_role", where, obj),
        time_us=_micros(body.get("time"), f"{where}time"),
        envelope=orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS),
        comment=comment,
        id=_text(obj, "id", "", obj),
    )
