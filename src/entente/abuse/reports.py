"""An abuse report's lifecycle (draft, approved, sent, acknowledged, resolved, failed) and its
STIX form: a ``note`` about the indicator (and the case) carrying Entente's abuse-report
property extension (STIX 2.1 §7.3), so the record federates like cases do (ADR 0015).

Every change is a new version of the note (§3.6); the history of changes travels with it.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from entente.abuse.contacts import AbuseContact
from entente.abuse.targets import Target, TargetKind
from entente.errors import InvalidInput, InvalidObject
from entente.stix import (
    Tlp,
    deterministic_id,
    format_timestamp_us,
    marking_id_for,
    parse_timestamp,
    timestamp_us_from_key,
)

__all__ = [
    "EXTENSION_ID",
    "AbuseReport",
    "ReportFormat",
    "ReportStatus",
    "StatusChange",
    "advance",
    "extension_definition",
    "is_abuse_report",
    "new_report",
    "parse_report",
    "render_report",
]

EXTENSION_ID = deterministic_id("extension-definition", "entente abuse report extension", "1.0")
# The same author id as ``entente.cases.ENTENTE_IDENTITY_ID`` (a uuid5 of the same name).
_ENTENTE_IDENTITY_ID = deterministic_id("identity", "entente project")
_DEFINED = "2026-12-05T00:00:00.000Z"


class ReportFormat(enum.StrEnum):
    """X-ARF v4 (JSON) for network abuse, RFC 5965 ARF for abusive e-mail."""

    XARF = "xarf"
    ARF = "arf"


class ReportStatus(enum.StrEnum):
    """Where a report is: a report goes out only once approved, and is tracked after."""

    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    FAILED = "failed"


# A failed delivery may be approved and sent again; a resolved report is final.
_NEXT: Mapping[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.DRAFT: frozenset({ReportStatus.APPROVED}),
    ReportStatus.APPROVED: frozenset({ReportStatus.SENT, ReportStatus.FAILED}),
    ReportStatus.SENT: frozenset({ReportStatus.ACKNOWLEDGED, ReportStatus.RESOLVED}),
    ReportStatus.ACKNOWLEDGED: frozenset({ReportStatus.RESOLVED}),
    ReportStatus.FAILED: frozenset({ReportStatus.APPROVED}),
    ReportStatus.RESOLVED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of the lifecycle: the new status, when, by whom, and a word on it."""

    status: ReportStatus
    at_us: int
    by: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AbuseReport:
    """A report to one abuse contact about one target, and what became of it."""

    id: str
    indicator_id: str
    case_id: str | None
    target: Target
    report_format: ReportFormat
    contact: AbuseContact
    # The report exactly as it is sent: X-ARF JSON or the whole ARF message.
    document: str
    history: tuple[StatusChange, ...]
    message_id: str | None = None
    # The approval request (``entente.approvals``) for exactly ``document``; send needs it.
    approval_request_id: str | None = None

    @property
    def status(self) -> ReportStatus:
        """The latest status."""
        return self.history[-1].status

    @property
    def created_us(self) -> int:
        """When the report was drafted."""
        return self.history[0].at_us

    @property
    def modified_us(self) -> int:
        """When it last changed."""
        return self.history[-1].at_us

    @property
    def sha256(self) -> str:
        """The SHA-256 of ``document``: what an approver approves is exactly what is sent."""
        return hashlib.sha256(self.document.encode("utf-8")).hexdigest()

    def sent_at_us(self) -> int | None:
        """When it was last sent, if ever."""
        sent = [c.at_us for c in self.history if c.status is ReportStatus.SENT]
        return sent[-1] if sent else None


def new_report(
    *,
    report_id: str,
    indicator_id: str,
    case_id: str | None,
    target: Target,
    report_format: ReportFormat,
    contact: AbuseContact,
    document: str,
    at_us: int,
    by: str,
    detail: str = "",
) -> AbuseReport:
    """A draft report; ``detail`` notes how it was drafted (what was withheld)."""
    return AbuseReport(
        id=report_id,
        indicator_id=indicator_id,
        case_id=case_id,
        target=target,
        report_format=report_format,
        contact=contact,
        document=document,
        history=(StatusChange(ReportStatus.DRAFT, at_us, by, detail),),
    )


def advance(
    report: AbuseReport,
    status: ReportStatus,
    *,
    at_us: int,
    by: str,
    detail: str = "",
    message_id: str | None = None,
) -> AbuseReport:
    """The report moved on to ``status``; ``InvalidInput`` for a step the lifecycle forbids.

    The change is timed strictly after the previous one (the note's next version needs a
    later ``modified``, STIX 2.1 §3.6), even on a clock that has not moved.
    """
    if status not in _NEXT[report.status]:
        allowed = ", ".join(sorted(s.value for s in _NEXT[report.status])) or "nothing"
        raise InvalidInput(
            f"abuse report {report.id} is {report.status.value}; it may become {allowed}, "
            f"not {status.value}"
        )
    when = max(at_us, report.modified_us + 1000)
    return replace(
        report,
        history=(*report.history, StatusChange(status, when, by, detail)),
        message_id=message_id if message_id is not None else report.message_id,
    )


def extension_definition() -> dict[str, Any]:
    """Entente's abuse-report ``extension-definition`` (STIX 2.1 §7.3), TLP:CLEAR."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": _ENTENTE_IDENTITY_ID,
        "created": _DEFINED,
        "modified": _DEFINED,
        "name": "Entente abuse report",
        "description": (
            "An abuse report (X-ARF v4 or RFC 5965 ARF) about an indicator: its target, the "
            "abuse contact chosen and why, the report as sent, and its lifecycle."
        ),
        "schema": "https://entente.invalid/stix/abuse-report-extension/1.0",
        "version": "1.0",
        "extension_types": ["property-extension"],
        "object_marking_refs": [marking_id_for(Tlp.CLEAR)],
    }


def _contact_json(contact: AbuseContact) -> dict[str, Any]:
    return {
        "email": contact.email,
        "name": contact.name,
        "handle": contact.handle,
        "roles": list(contact.roles),
        "source": contact.source,
        "reason": contact.reason,
        **({"provider": contact.provider} if contact.provider else {}),
    }


def render_report(
    report: AbuseReport, *, created_by_ref: str, marking_refs: tuple[str, ...]
) -> dict[str, Any]:
    """The report's current version as a STIX ``note`` with the extension."""
    refs = [report.indicator_id, *([report.case_id] if report.case_id else [])]
    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "target": report.target.value,
        "target_kind": report.target.kind.value,
        "format": report.report_format.value,
        "contact": _contact_json(report.contact),
        "document": report.document,
        "document_sha256": report.sha256,
        "history": [
            {
                "status": c.status.value,
                "at": format_timestamp_us(c.at_us),
                "by": c.by,
                "detail": c.detail,
            }
            for c in report.history
        ],
    }
    if report.message_id:
        extension["message_id"] = report.message_id
    if report.approval_request_id:
        extension["approval_request"] = report.approval_request_id
    note: dict[str, Any] = {
        "type": "note",
        "spec_version": "2.1",
        "id": report.id,
        "created": format_timestamp_us(report.created_us),
        "modified": format_timestamp_us(report.modified_us),
        "created_by_ref": created_by_ref,
        "abstract": f"Abuse report on {report.target.value} to {report.contact.email}",
        "content": (
            f"{report.report_format.value.upper()} abuse report about {report.target.value} "
            f"to {report.contact.email} ({report.contact.reason}); status "
            f"{report.status.value}."
        ),
        "object_refs": refs,
        "extensions": {EXTENSION_ID: extension},
    }
    if marking_refs:
        note["object_marking_refs"] = list(marking_refs)
    return note


def is_abuse_report(obj: Mapping[str, Any]) -> bool:
    """Whether a STIX object is an abuse report's note."""
    extensions = obj.get("extensions")
    return (
        obj.get("type") == "note" and isinstance(extensions, Mapping) and EXTENSION_ID in extensions
    )


def _text(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidObject(f"{name} must be a string", f"{where}.{name}")
    return value


def parse_report(obj: Mapping[str, Any]) -> AbuseReport:
    """The report a note holds; ``InvalidObject`` when it is not one or is malformed."""
    if not is_abuse_report(obj):
        raise InvalidObject("not an abuse report note", "extensions", str(obj.get("id")))
    ext = obj["extensions"][EXTENSION_ID]
    where = f"extensions.{EXTENSION_ID}"
    try:
        contact = ext["contact"]
        history = tuple(
            StatusChange(
                ReportStatus(c["status"]),
                timestamp_us_from_key(parse_timestamp(c["at"], "at").key),
                str(c["by"]),
                str(c.get("detail", "")),
            )
            for c in ext["history"]
        )
        refs = list(obj["object_refs"])
        return AbuseReport(
            id=str(obj["id"]),
            indicator_id=str(refs[0]),
            case_id=str(refs[1]) if len(refs) > 1 else None,
            target=Target(TargetKind(ext["target_kind"]), _text(ext, "target", where)),
            report_format=ReportFormat(ext["format"]),
            contact=AbuseContact(
                email=str(contact["email"]),
                name=contact.get("name"),
                handle=contact.get("handle"),
                roles=tuple(contact.get("roles", ())),
                source=str(contact["source"]),
                reason=str(contact["reason"]),
                provider=contact.get("provider"),
            ),
            document=_text(ext, "document", where),
            history=history,
            message_id=ext.get("message_id"),
            approval_request_id=ext.get("approval_request"),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidObject(f"malformed abuse report: {exc}", where, str(obj.get("id"))) from None
