"""A report's lifecycle and its STIX form (a note with Entente's property extension)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from entente.abuse import (
    EXTENSION_ID,
    AbuseContact,
    AbuseReport,
    ReportFormat,
    ReportStatus,
    Target,
    TargetKind,
    advance,
    extension_definition,
    is_abuse_report,
    new_report,
    parse_report,
    render_report,
)
from entente.errors import InvalidInput, InvalidObject
from entente.stix import parse_object

CONTACT = AbuseContact(
    "abuse@switch.ch", None, "AR31930-RIPE", ("abuse",), "https://rdap.db.ripe.net/", "role abuse"
)
T0 = 1_764_000_000_000_000


def draft() -> AbuseReport:
    return new_report(
        report_id="note--6f1c1c3e-2b1f-4c55-9a57-0d8e1f2a3b4c",
        indicator_id="indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        case_id="grouping--0b9e6bde-1b7b-4a8b-9a4c-2f3e4d5c6b7a",
        target=Target(TargetKind.IP, "130.59.31.80"),
        report_format=ReportFormat.XARF,
        contact=CONTACT,
        document='{"xarf_version": "4.0.0"}',
        at_us=T0,
        by="alice",
    )


def test_a_report_goes_draft_approved_sent_acknowledged_resolved() -> None:
    report = draft()
    for status in ("approved", "sent", "acknowledged", "resolved"):
        report = advance(report, ReportStatus(status), at_us=T0, by="bob")
    assert [c.status.value for c in report.history] == [
        "draft",
        "approved",
        "sent",
        "acknowledged",
        "resolved",
    ]
    # Each change is later than the one before, even on a clock that did not move.
    times = [c.at_us for c in report.history]
    assert times == sorted(set(times))
    assert report.sent_at_us() == times[2]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), ReportStatus.SENT),  # never sent unapproved
        ((), ReportStatus.ACKNOWLEDGED),
        ((ReportStatus.APPROVED, ReportStatus.SENT, ReportStatus.RESOLVED), ReportStatus.SENT),
    ],
)
def test_steps_the_lifecycle_forbids_are_refused(
    path: tuple[ReportStatus, ...], refused: ReportStatus
) -> None:
    report = draft()
    for status in path:
        report = advance(report, status, at_us=T0, by="bob")
    with pytest.raises(InvalidInput, match=f"not {refused.value}"):
        advance(report, refused, at_us=T0, by="bob")


def test_a_failed_delivery_may_be_approved_again() -> None:
    report = advance(draft(), ReportStatus.APPROVED, at_us=T0, by="bob")
    report = advance(report, ReportStatus.FAILED, at_us=T0, by="bob", detail="relay down")
    report = advance(report, ReportStatus.APPROVED, at_us=T0, by="bob")
    assert report.status is ReportStatus.APPROVED


def test_the_note_is_valid_stix_and_round_trips() -> None:
    report = advance(draft(), ReportStatus.APPROVED, at_us=T0 + 5, by="bob")
    report = advance(report, ReportStatus.SENT, at_us=T0 + 9, by="bob", message_id="<m@x>")
    note = render_report(
        report,
        created_by_ref="identity--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12,
        marking_refs=(),
    )
    parse_object(note)
    assert is_abuse_report(note)
    assert note["object_refs"] == [report.indicator_id, report.case_id]
    assert note["extensions"][EXTENSION_ID]["document_sha256"] == report.sha256
    assert parse_report(note) == report


def test_the_approval_request_and_the_provider_round_trip() -> None:
    report = replace(
        draft(),
        contact=replace(CONTACT, provider="SWITCH-LAN"),
        approval_request_id="grouping--0b9e6bde-1b7b-4a8b-9a4c-2f3e4d5c6b7b",
    )
    note = render_report(report, created_by_ref="identity--x", marking_refs=())
    ext = note["extensions"][EXTENSION_ID]
    assert ext["approval_request"] == report.approval_request_id
    assert ext["contact"]["provider"] == "SWITCH-LAN"
    assert parse_report(note) == report
    assert (
        "approval_request"
        not in render_report(draft(), created_by_ref="identity--x", marking_refs=())["extensions"][
            EXTENSION_ID
        ]
    )


def test_the_extension_definition_is_valid_stix() -> None:
    parse_object(extension_definition())


def test_a_note_that_is_not_a_report_is_refused() -> None:
    with pytest.raises(InvalidObject):
        parse_report({"type": "note", "id": "note--x", "extensions": {}})
    broken = render_report(draft(), created_by_ref="identity--x", marking_refs=())
    del broken["extensions"][EXTENSION_ID]["history"]
    with pytest.raises(InvalidObject, match="malformed"):
        parse_report(broken)
