"""Property: any path the lifecycle allows renders to a valid STIX note and parses back."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.abuse.test_reports import draft

from entente.abuse import ReportStatus, advance, parse_report, render_report
from entente.errors import InvalidInput
from entente.stix import parse_object

ORG = "identity--11111111-1111-4111-8111-111111111111"


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(list(ReportStatus)), st.integers(0, 10**9)), max_size=8
    )
)
def test_every_allowed_path_round_trips_through_its_note(
    steps: list[tuple[ReportStatus, int]],
) -> None:
    report = draft()
    for status, delay in steps:
        try:
            report = advance(report, status, at_us=report.modified_us + delay - 500, by="x")
        except InvalidInput:
            continue
    note = render_report(report, created_by_ref=ORG, marking_refs=())
    parse_object(note)
    assert parse_report(note) == report
    times = [c.at_us for c in report.history]
    assert all(a < b for a, b in itertools.pairwise(times))
