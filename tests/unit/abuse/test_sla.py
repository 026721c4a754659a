"""Takedown SLAs: when a sent report is due an answer, and when it is overdue."""

from __future__ import annotations

from dataclasses import replace

from entente.abuse import (
    AbuseContact,
    AbuseReport,
    DeadlineState,
    ReportFormat,
    ReportStatus,
    TakedownSettings,
    Target,
    TargetKind,
    advance,
    deadline,
    new_report,
)

HOUR = 3_600_000_000
T0 = 1_764_000_000_000_000
SETTINGS = TakedownSettings(48.0, {"Example Hosting": 4.0})


def report(provider: str | None) -> AbuseReport:
    contact = AbuseContact(
        "abuse@hosting.example", None, "H1", ("abuse",), "rdap", "role abuse", provider
    )
    return new_report(
        report_id="note--6f1c1c3e-2b1f-4c55-9a57-0d8e1f2a3b4c",
        indicator_id="indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        case_id=None,
        target=Target(TargetKind.IP, "192.0.2.1"),
        report_format=ReportFormat.XARF,
        contact=contact,
        document="{}",
        at_us=T0,
        by="alice",
    )


def sent(provider: str | None) -> AbuseReport:
    approved = advance(report(provider), ReportStatus.APPROVED, at_us=T0, by="alice")
    return advance(approved, ReportStatus.SENT, at_us=T0 + HOUR, by="alice")


def test_the_clock_starts_when_the_report_is_sent() -> None:
    found = deadline(report("Example Hosting"), SETTINGS, T0 + 100 * HOUR)
    assert (found.state, found.due_us, found.sla_hours) == (DeadlineState.NOT_SENT, None, 4.0)


def test_a_sent_report_is_overdue_once_its_providers_sla_has_passed() -> None:
    out = sent("Example Hosting")
    sent_at = out.sent_at_us()
    assert sent_at is not None
    due = sent_at + 4 * HOUR
    assert deadline(out, SETTINGS, due).state is DeadlineState.WAITING
    late = deadline(out, SETTINGS, due + 1)
    assert (late.state, late.overdue, late.provider) == (
        DeadlineState.OVERDUE,
        True,
        "Example Hosting",
    )


def test_an_unknown_provider_gets_the_default_sla() -> None:
    out = sent("Elsewhere Ltd")
    sent_at = out.sent_at_us()
    assert sent_at is not None
    assert deadline(out, SETTINGS, sent_at + 47 * HOUR).state is DeadlineState.WAITING
    assert deadline(out, SETTINGS, sent_at + 49 * HOUR).state is DeadlineState.OVERDUE
    assert deadline(sent(None), SETTINGS, sent_at).sla_hours == 48.0


def test_an_answer_even_late_stops_the_clock() -> None:
    out = sent("Example Hosting")
    for status in (ReportStatus.ACKNOWLEDGED, ReportStatus.RESOLVED):
        answered = advance(out, status, at_us=T0 + 100 * HOUR, by="bob")
        assert deadline(answered, SETTINGS, T0 + 200 * HOUR).state is DeadlineState.ANSWERED


def test_a_failed_delivery_is_not_overdue() -> None:
    approved = advance(report("Example Hosting"), ReportStatus.APPROVED, at_us=T0, by="a")
    failed = advance(approved, ReportStatus.FAILED, at_us=T0, by="a", detail="relay down")
    assert deadline(failed, SETTINGS, T0 + 100 * HOUR).state is DeadlineState.NOT_SENT
    assert replace(failed).sent_at_us() is None
