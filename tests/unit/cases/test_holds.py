"""Legal holds and preservation requests on a case: validated, kept in its STIX form, shown in
its timeline, and never in the copy shared with partners."""

from __future__ import annotations

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type information
import pytest

from entente.cases import (
    EXTENSION_ID,
    EXTENSION_SCHEMA,
    Answer,
    Case,
    CaseType,
    Resolution,
    StatusScheme,
    close,
    merge,
    new_case,
    parse_case,
    place_hold,
    record_answer,
    record_request,
    release_hold,
    render_case,
    shareable_copy,
    timeline,
)
from entente.errors import InvalidInput
from entente.stix import parse_object

SCHEME = StatusScheme()
T0 = 1_700_000_000_000_000
DAY = 86_400_000_000
DIGEST = "ab" * 32
ORG = "identity--00000000-0000-4000-8000-0000000000ff"


def case(n: int = 1) -> Case:
    return new_case(
        case_id=f"grouping--00000000-0000-4000-8000-{n:012d}",
        incident_id=f"incident--00000000-0000-4000-8000-{n:012d}",
        name=f"case {n}",
        case_type=CaseType.LAW_ENFORCEMENT_REFERRAL,
        now_us=T0,
        scheme=SCHEME,
    )


def test_a_hold_is_placed_released_and_kept_as_a_record() -> None:
    held = place_hold(case(), "  Preservation for the prosecutor  ", "alice", T0)
    assert held.hold is not None and held.hold.reason == "Preservation for the prosecutor"
    assert held.modified_us == T0 + 1  # a new version even when the clock did not move
    with pytest.raises(InvalidInput, match="already under a legal hold"):
        place_hold(held, "again", "bob", T0 + 5)
    released = release_hold(held, "Proceedings ended", "bob", T0 + 10)
    assert released.hold is None
    (record,) = released.holds
    assert (record.released_by, record.released_us, record.release_reason) == (
        "bob", T0 + 10, "Proceedings ended",
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="not under a legal hold"):
        release_hold(released, "twice", "bob", T0 + 11)
    again = place_hold(released, "New proceedings", "carol", T0 + 20)
    assert len(again.holds) == 2 and again.hold is again.holds[1]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_hold_and_its_release_need_a_reason(reason: str) -> None:
    with pytest.raises(InvalidInput, match="the hold's reason must not be empty"):
        place_hold(case(), reason, "alice", T0)
    held = place_hold(case(), "why", "alice", T0)
    with pytest.raises(InvalidInput, match="the release's reason must not be empty"):
        release_hold(held, reason, "alice", T0)


def test_a_closed_or_merged_case_still_takes_and_releases_its_hold() -> None:
    closed = close(case(), Resolution.TRUE_POSITIVE, T0, SCHEME)
    assert place_hold(closed, "kept after closing", "alice", T0).hold is not None
    held = place_hold(case(1), "hold", "alice", T0)
    _, (original, _other) = merge(
        [held, case(2)],
        case_id="grouping--00000000-0000-4000-8000-000000000009",
        incident_id="incident--00000000-0000-4000-8000-000000000009",
        name="both",
        now_us=T0 + 5,
        scheme=SCHEME,
    )
    assert original.read_only and original.hold is not None
    assert release_hold(original, "done", "alice", T0 + 6).hold is None


def test_a_request_is_recorded_then_answered() -> None:
    sent = record_request(case(), reference="PR-1", addressee="NHTCU (NL)", pdf_sha256=DIGEST,
                          now_us=T0)  # fmt: skip
    with pytest.raises(InvalidInput, match="already has a preservation request PR-1"):
        record_request(sent, reference="PR-1", addressee="x", pdf_sha256=DIGEST, now_us=T0)
    acknowledged = record_answer(sent, "PR-1", Answer.ACKNOWLEDGED, T0 + DAY)
    preserved = record_answer(acknowledged, "PR-1", Answer.PRESERVED, T0 + 2 * DAY,
                              preserved_until_us=T0 + 90 * DAY, note="ticket 4711")  # fmt: skip
    record = preserved.request("PR-1")
    assert record is not None
    assert (record.answer, record.preserved_until_us, record.answer_note) == (
        Answer.PRESERVED, T0 + 90 * DAY, "ticket 4711",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "until", "note", "said"),
    [
        (Answer.PRESERVED, None, "", "needs the time the data is preserved until"),
        (Answer.ACKNOWLEDGED, T0 + DAY, "", "has no 'preserved until' time"),
        (Answer.PRESERVED, T0 - DAY, "", "until after the request was sent"),
        (Answer.REFUSED, None, "  ", "a refusal is recorded with a note"),
    ],
)
def test_an_answer_that_makes_no_sense_is_refused(
    answer: Answer, until: int | None, note: str, said: str
) -> None:
    sent = record_request(case(), reference="PR-1", addressee="NL", pdf_sha256=DIGEST, now_us=T0)
    with pytest.raises(InvalidInput, match=said):
        record_answer(sent, "PR-1", answer, T0 + DAY, preserved_until_us=until, note=note)
    with pytest.raises(InvalidInput, match="has no preservation request 'PR-2'"):
        record_answer(sent, "PR-2", Answer.ACKNOWLEDGED, T0 + DAY)


@pytest.mark.parametrize(
    ("reference", "digest", "said"),
    [("PR 1", DIGEST, "is not a reference"), ("PR-1", "AB" * 32, "SHA-256 in lower-case hex")],
)
def test_a_bad_reference_or_digest_is_refused(reference: str, digest: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        record_request(case(), reference=reference, addressee="NL", pdf_sha256=digest, now_us=T0)


def _worked() -> list[Case]:
    first = case()
    held = place_hold(first, "hold", "alice", T0 + 1)
    sent = record_request(held, reference="PR-1", addressee="NHTCU (NL)", pdf_sha256=DIGEST,
                          now_us=T0 + 2)  # fmt: skip
    refused = record_answer(sent, "PR-1", Answer.REFUSED, T0 + 3, note="no dual criminality")
    released = release_hold(refused, "refused", "alice", T0 + 4)
    return [first, held, sent, refused, released]


def test_holds_and_requests_round_trip_through_the_grouping_and_its_schema() -> None:
    for version in _worked():
        obj = render_case(version, created_by_ref=ORG)
        parse_object(obj)
        jsonschema.validate(obj["extensions"][EXTENSION_ID], EXTENSION_SCHEMA)
        assert parse_case(obj) == version


def test_the_timeline_shows_holds_requests_and_answers() -> None:
    events = [(e.kind.value, e.detail) for e in timeline(_worked())]
    assert events == [
        ("opened", "law-enforcement-referral"),
        ("hold-placed", "by alice"),
        ("preservation-requested", "PR-1 to NHTCU (NL)"),
        ("preservation-answered", "PR-1: refused"),
        ("hold-released", "by alice"),
    ]


def test_the_shared_copy_carries_neither_holds_nor_requests() -> None:
    worked = _worked()[3]
    copy = shareable_copy(worked, tasks=(), notes=(), now_us=T0 + 9)
    assert (copy.holds, copy.preservation) == ((), ())
    ext = render_case(copy, created_by_ref=ORG)["extensions"][EXTENSION_ID]
    assert "legal_holds" not in ext and "preservation_requests" not in ext
