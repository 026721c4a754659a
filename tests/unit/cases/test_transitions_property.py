"""Any sequence of case changes keeps a case's invariants, or is refused with InvalidInput."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from entente.cases import (
    Answer,
    Case,
    CaseType,
    EventKind,
    Resolution,
    Stage,
    StatusScheme,
    add_note,
    add_task,
    attach,
    close,
    complete_task,
    new_case,
    parse_case,
    place_hold,
    record_answer,
    record_request,
    release_hold,
    render_case,
    set_status,
    timeline,
)
from entente.errors import InvalidInput

SCHEME = StatusScheme()
ORG = "identity--00000000-0000-4000-8000-00000000000a"
T0 = 1_700_000_000_000_000
REFS = [
    "indicator--00000000-0000-4000-8000-000000000001",
    "sighting--00000000-0000-4000-8000-000000000002",
    "sighting--00000000-0000-4000-8000-000000000003",
    "campaign--00000000-0000-4000-8000-000000000004",
]
Change = Callable[[Case, int], Case]
statuses = st.sampled_from([(stage, s) for stage in Stage for s in SCHEME.allowed(stage)])
changes: st.SearchStrategy[Change] = st.one_of(
    statuses.map(lambda p: lambda c, t: set_status(c, p[0], p[1], t, SCHEME)),
    st.sampled_from([None, *Resolution]).map(lambda r: lambda c, t: close(c, r, t, SCHEME)),
    st.text(max_size=5).map(lambda title: lambda c, t: add_task(c, title, t, due_us=T0 + 5)),
    st.integers(1, 6).map(lambda n: lambda c, t: complete_task(c, f"task-{n}", t)),
    st.text(max_size=5).map(lambda text: lambda c, t: add_note(c, text, "alice", t)),
    st.tuples(st.lists(st.sampled_from(REFS), max_size=2), st.booleans()).map(
        lambda a: lambda c, t: attach(c, a[0], t, as_evidence=a[1])
    ),
    # Legal holds and preservation requests (issue 15): on open and closed cases alike.
    st.text(max_size=3).map(lambda why: lambda c, t: place_hold(c, why, "alice", t)),
    st.text(max_size=3).map(lambda why: lambda c, t: release_hold(c, why, "bob", t)),
    st.sampled_from(["PR-1", "PR-2"]).map(
        lambda ref: (
            lambda c, t: record_request(
                c, reference=ref, addressee="NL", pdf_sha256="ab" * 32, now_us=t
            )
        )
    ),
    st.tuples(st.sampled_from(["PR-1", "PR-2"]), st.sampled_from(Answer), st.booleans()).map(
        lambda a: (
            lambda c, t: record_answer(
                c, a[0], a[1], t, preserved_until_us=T0 + 10**9 if a[2] else None, note="n"
            )
        )
    ),
)


@settings(max_examples=200)
@given(
    case_type=st.sampled_from(CaseType),
    steps=st.lists(st.tuples(changes, st.integers(0, 3)), max_size=12),
)
def test_changes_keep_the_invariants_or_are_refused(
    case_type: CaseType, steps: list[tuple[Change, int]]
) -> None:
    case = new_case(
        case_id="grouping--00000000-0000-4000-8000-000000000001",
        incident_id="incident--00000000-0000-4000-8000-000000000001",
        name="x",
        case_type=case_type,
        now_us=T0,
        scheme=SCHEME,
    )
    versions = [case]
    now = T0
    for change, tick in steps:
        now += tick
        try:
            case = change(case, now)
        except InvalidInput:
            continue
        previous = versions[-1]
        assert case.modified_us > previous.modified_us
        assert case.status in SCHEME.allowed(case.stage)
        assert (case.stage is Stage.CLOSED) is (case.resolution is not None)
        if previous.stage is Stage.CLOSED:
            # A closed case takes notes (a closing remark), holds and preservation records.
            kept = replace(
                previous,
                notes=case.notes,
                holds=case.holds,
                preservation=case.preservation,
                modified_us=case.modified_us,
            )
            assert case == kept
        assert sum(h.active for h in case.holds) <= 1
        assert case.holds[: len(previous.holds) - 1] == previous.holds[:-1]
        assert [r.reference for r in case.preservation][: len(previous.preservation)] == [
            r.reference for r in previous.preservation
        ]
        assert set(case.attached) <= set(case.refs)
        assert all(r.split("--")[0] != "campaign" for r in case.refs)
        assert len({t.id for t in case.tasks}) == len(case.tasks)
        assert [t.id for t in case.tasks[: len(previous.tasks)]] == [t.id for t in previous.tasks]
        assert parse_case(render_case(case, created_by_ref=ORG)) == case
        versions.append(case)
    events = timeline(versions)
    assert events[0].kind is EventKind.OPENED
    assert [e.at_us for e in events] == sorted(e.at_us for e in events)
    assert sum(e.kind is EventKind.CLOSED for e in events) == (case.stage is Stage.CLOSED)
