"""Re-checks: a name that no longer resolves, and sightings since the report went out."""

from __future__ import annotations

from entente.abuse import (
    AbuseContact,
    AbuseReport,
    ReportFormat,
    ReportStatus,
    Target,
    TargetKind,
    advance,
    new_report,
    recheck,
)

INDICATOR = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
SENT_US = 1_764_590_400_000_000  # 2025-12-01T12:00:00Z


class Zone:
    """A deterministic resolver written for the test: the names it knows and their addresses."""

    def __init__(self, records: dict[str, tuple[str, ...]]) -> None:
        self.records = records
        self.asked: list[str] = []

    def __call__(self, name: str) -> tuple[str, ...]:
        self.asked.append(name)
        return self.records.get(name, ())


def sent_report(target: Target) -> AbuseReport:
    report = new_report(
        report_id="note--6f1c1c3e-2b1f-4c55-9a57-0d8e1f2a3b4c",
        indicator_id=INDICATOR,
        case_id=None,
        target=target,
        report_format=ReportFormat.XARF,
        contact=AbuseContact("abuse@registrar.eu", None, None, ("abuse",), "x", "y"),
        document="{}",
        at_us=SENT_US - 2000,
        by="alice",
    )
    report = advance(report, ReportStatus.APPROVED, at_us=SENT_US - 1000, by="bob")
    return advance(report, ReportStatus.SENT, at_us=SENT_US, by="bob")


def sighting(number: int, last_seen: str, of: str = INDICATOR) -> dict[str, str]:
    return {
        "type": "sighting",
        "id": f"sighting--00000000-0000-4000-8000-00000000000{number}",
        "sighting_of_ref": of,
        "created": "2025-11-01T00:00:00Z",
        "last_seen": last_seen,
    }


def test_a_name_that_still_resolves_and_sightings_after_the_report_are_found() -> None:
    zone = Zone({"themarquetry.com": ("192.0.2.7", "192.0.2.7", "2001:db8::7")})
    found = recheck(
        sent_report(Target(TargetKind.DOMAIN, "themarquetry.com")),
        resolver=zone,
        sightings=[
            sighting(1, "2025-11-30T00:00:00Z"),  # before the report
            sighting(2, "2025-12-02T00:00:00Z"),  # after
            sighting(3, "2025-12-03T00:00:00Z", of="indicator--other"),
        ],
        now_us=SENT_US + 10,
    )
    assert found.resolves is True
    assert found.addresses == ("192.0.2.7", "2001:db8::7")
    assert found.new_sightings == ("sighting--00000000-0000-4000-8000-000000000002",)
    assert zone.asked == ["themarquetry.com"]


def test_a_name_taken_down_no_longer_resolves() -> None:
    found = recheck(
        sent_report(Target(TargetKind.DOMAIN, "themarquetry.com")),
        resolver=Zone({}),
        sightings=[],
        now_us=SENT_US + 10,
    )
    assert (found.resolves, found.addresses, found.new_sightings) == (False, (), ())


def test_an_address_is_not_resolved() -> None:
    zone = Zone({})
    found = recheck(
        sent_report(Target(TargetKind.IP, "130.59.31.80")),
        resolver=zone,
        sightings=[],
        now_us=SENT_US,
    )
    assert found.resolves is None
    assert zone.asked == []
