"""The case pages over the real app and a SQLite node: list, board, case page and its forms,
and the object page's "Add to a case" form; every mistake a 4xx page that stores nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.unit.server.conftest import Harness, indicator
from tests.unit.server.ui_users import Browser, assert_page_rules, sign_in

from entente.errors import InvalidInput
from entente.server.ui.case_pages import PAGE_SIZE, parse_due
from entente.stix import Tlp

NODE = "Entente node"
SIGHTING_ID = "sighting--00000000-0000-4000-8000-0000000000aa"
CASE_ID = re.compile(r"/cases/(grouping--[0-9a-f-]{36})\?done=created$")


def _store(h: Harness, *objects: dict[str, Any]) -> None:
    answer = h.client.post("/api/v1/objects", json=list(objects), headers=h.headers["admin"])
    assert answer.json()["failure_count"] == 0, answer.text


def _sighting() -> dict[str, Any]:
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": SIGHTING_ID,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "sighting_of_ref": indicator(1)["id"],
    }


def _open(browser: Browser, name: str = "Phishing wave", **more: str) -> str:
    form = {"csrf_token": browser.csrf(), "case_type": "incident", "name": name, **more}
    answer = browser.client.post("/cases", data=form)
    assert answer.status_code == 303, answer.text
    found = CASE_ID.search(answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return found.group(1)


def _post(browser: Browser, path: str, **form: str) -> Any:
    return browser.client.post(path, data={"csrf_token": browser.csrf(), **form})


def _versions(h: Harness, case_id: str) -> int:
    shown = h.client.get(f"/api/v1/cases/{case_id}", headers=h.headers["admin"]).json()
    versions: int = shown["versions"]
    return versions


def test_the_case_pages_need_a_session(harness: Harness) -> None:
    for path in ("/cases", "/cases/board", "/cases/grouping--00000000-0000-4000-8000-000000000001"):
        answer = harness.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].endswith("/login")


def test_an_analyst_opens_a_case_and_works_it_to_closed(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    listing = alice.client.get("/cases")
    assert listing.status_code == 200
    assert_page_rules(listing.text)
    assert 'href="/cases" aria-current="page"' in listing.text
    assert "default-src 'self'" in listing.headers["content-security-policy"]
    case_id = _open(alice, description="seen by A", tlp="amber")
    page = alice.client.get(f"/cases/{case_id}?done=created")
    assert page.status_code == 200
    assert_page_rules(page.text)
    assert "The case was opened." in page.text
    assert "Triage the alerts and confirm the incident" in page.text  # the template's tasks
    assert "TLP:AMBER" in page.text and "seen by A" in page.text
    steps = [
        ("status", {"status": "in-progress|escalated"}),
        ("task", {"title": "Call the ISP", "owner": "bob", "due": "2023-11-01"}),
        ("task-done", {"task_id": "task-1", "result": "confirmed by <b>SOC</b>"}),
        ("note", {"text": "partner B informed"}),
        ("close", {"resolution": "true-positive"}),
    ]
    for action, form in steps:
        answer = _post(alice, f"/cases/{case_id}/{action}", **form)
        assert answer.status_code == 303, (action, answer.text)
        assert answer.headers["location"].endswith(f"/cases/{case_id}?done={action}")
        if action == "task":
            # Due before the node's clock (2023-11-14) and open: overdue, here and in the list.
            shown = alice.client.get(f"/cases/{case_id}").text
            assert 'Call the ISP <strong class="overdue">overdue</strong>' in shown
            assert '<strong class="overdue">1</strong>' in alice.client.get("/cases").text
    page = alice.client.get(f"/cases/{case_id}")
    assert_page_rules(page.text)
    assert "confirmed by &lt;b&gt;SOC&lt;/b&gt;" in page.text  # escaped, never markup
    assert "partner B informed" in page.text
    kinds = re.findall(r'<span class="kind">([a-z-]+)</span>', page.text.split("Timeline", 1)[1])
    assert kinds == ["closed", "note-added", "task-done", "task-added", "status", "opened"]
    # Closed: no more stage, task or object changes (cases.transitions); notes still go.
    for action in ("status", "close", "task", "task-done"):
        assert f'action="/cases/{case_id}/{action}"' not in page.text, action
    assert f'action="/cases/{case_id}/note"' in page.text
    assert "is closed" in _post(alice, f"/cases/{case_id}/task", title="late").text
    assert "Resolution</dt><dd>true-positive" in page.text


def test_the_list_filters_and_pages_and_the_board_has_a_column_per_stage(
    harness: Harness,
) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    ids = [_open(alice, f"Case {n}") for n in range(PAGE_SIZE + 1)]
    rfi = _open(alice, "The question", case_type="request-for-information")
    assert (
        _post(alice, f"/cases/{ids[0]}/status", status="in-progress|in progress").status_code == 303
    )
    first = alice.client.get("/cases")
    assert first.text.count('<th scope="row"><a href="/cases/grouping--') == PAGE_SIZE
    assert "page 1 of 2" in first.text and "Next page" in first.text
    second = alice.client.get("/cases?page=2")
    assert second.text.count('<th scope="row"><a href="/cases/grouping--') == 2
    only_rfi = alice.client.get("/cases?case_type=request-for-information")
    assert f"/cases/{rfi}" in only_rfi.text and f"/cases/{ids[1]}" not in only_rfi.text
    in_progress = alice.client.get("/cases?stage=in-progress")
    assert in_progress.text.count('<th scope="row"><a href="/cases/grouping--') == 1
    assert f"/cases/{ids[0]}" in in_progress.text
    for bad in ("/cases?stage=open", "/cases?case_type=crime", "/cases?page=0"):
        answer = alice.client.get(bad)
        assert answer.status_code == 400, bad
        assert_page_rules(answer.text)
    board = alice.client.get("/cases/board")
    assert board.status_code == 200
    assert_page_rules(board.text)
    columns = board.text.split('<section class="board-column"')[1:]
    assert [c.count('<li class="case-card">') for c in columns] == [PAGE_SIZE + 1, 1, 0]
    assert f"/cases/{ids[0]}" in columns[1]


def test_a_reader_sees_no_forms_and_is_refused_every_change(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice)
    rita = sign_in(harness, "rita", org=NODE, role="reader")
    listing = rita.client.get("/cases")
    assert f"/cases/{case_id}" in listing.text
    assert 'method="post" action="/cases"' not in listing.text
    page = rita.client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and 'method="post" action="/cases/' not in page.text
    before = _versions(harness, case_id)
    assert _post(rita, "/cases", case_type="incident", name="mine").status_code == 403
    for action, form in (("note", {"text": "x"}), ("close", {"resolution": "duplicate"})):
        answer = _post(rita, f"/cases/{case_id}/{action}", **form)
        assert answer.status_code == 403, action
        assert_page_rules(answer.text)
    assert _versions(harness, case_id) == before
    assert len(rita.client.get("/cases").text.split("/cases/grouping--")) == 2


def test_another_orgs_analyst_may_not_change_the_case(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice, tlp="green")
    bob = sign_in(harness, "bob", org="Org B", role="analyst")
    page = bob.client.get(f"/cases/{case_id}")
    assert page.status_code == 200  # GREEN reaches the community
    assert 'method="post" action="/cases/' not in page.text
    answer = _post(bob, f"/cases/{case_id}/note", text="from B")
    assert answer.status_code == 403
    assert "from B" not in alice.client.get(f"/cases/{case_id}").text


def test_an_amber_case_is_hidden_from_another_org_as_if_absent(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice, "CANARY amber case", tlp="amber")
    bob = sign_in(harness, "bob", org="Org B", role="analyst")
    hidden = bob.client.get(f"/cases/{case_id}")
    absent = bob.client.get("/cases/grouping--00000000-0000-4000-8000-000000000009")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.text == absent.text and case_id not in hidden.text
    for path in ("/cases", "/cases/board"):
        text = bob.client.get(path).text
        assert case_id not in text and "CANARY" not in text
    answer = _post(bob, f"/cases/{case_id}/note", text="probe")
    assert answer.status_code == 404 and case_id not in answer.text


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("status", {"status": "closed|closed"}),
        ("status", {"status": "new|nonsense"}),
        ("status", {}),
        ("close", {}),
        ("close", {"resolution": "solved"}),
        ("task", {"title": ""}),
        ("task", {"title": "x", "due": "next week"}),
        ("task", {"title": "x", "due": "1960-01-01"}),
        ("task-done", {"task_id": "task-99"}),
        ("note", {"text": "   "}),
    ],
)
def test_bad_input_is_a_400_that_stores_nothing(
    harness: Harness, action: str, form: dict[str, str]
) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice)
    before = _versions(harness, case_id)
    answer = _post(alice, f"/cases/{case_id}/{action}", **form)
    assert answer.status_code == 400, answer.text
    assert "Nothing was stored" in answer.text
    assert_page_rules(answer.text)
    assert _versions(harness, case_id) == before


def test_opening_a_case_refuses_bad_input(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    for form in (
        {"case_type": "crime", "name": "x"},
        {"name": "x"},
        {"case_type": "incident", "name": ""},
        {"case_type": "incident", "name": "x", "tlp": "purple"},
        {"case_type": "incident", "name": "x", "tlp": "red"},
    ):
        answer = _post(alice, "/cases", **form)
        assert answer.status_code == 400, form
    assert "grouping--" not in alice.client.get("/cases").text


def test_forms_without_the_csrf_token_are_refused(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice)
    before = _versions(harness, case_id)
    answer = alice.client.post(f"/cases/{case_id}/note", data={"text": "forged"})
    assert answer.status_code == 403
    wrong = alice.client.post(
        "/cases", data={"csrf_token": "x", "case_type": "incident", "name": "y"}
    )
    assert wrong.status_code == 403
    assert _versions(harness, case_id) == before
    assert alice.client.get("/cases").text.count("/cases/grouping--") == 1


def test_unknown_cases_and_actions_are_404_pages(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice)
    assert alice.client.get("/cases/not-an-id").status_code == 404
    assert (
        alice.client.get("/cases/indicator--00000000-0000-4000-8000-000000000001").status_code
        == 404
    )
    assert _post(alice, f"/cases/{case_id}/delete").status_code == 404
    missing = "grouping--00000000-0000-4000-8000-00000000dead"
    assert _post(alice, f"/cases/{missing}/note", text="x").status_code == 404


def test_the_object_page_adds_an_indicator_and_attaches_a_sighting(harness: Harness) -> None:
    _store(harness, indicator(1), _sighting())
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    object_page = alice.client.get(f"/objects/{indicator(1)['id']}")
    # No open case yet: the section says so and links to the cases page.
    assert "Your org has no open case" in object_page.text
    case_id = _open(alice, "Wave")
    closed = _open(alice, "Old")
    assert _post(alice, f"/cases/{closed}/close", resolution="duplicate").status_code == 303
    object_page = alice.client.get(f"/objects/{indicator(1)['id']}")
    assert_page_rules(object_page.text)
    assert f'<option value="{case_id}">Wave</option>' in object_page.text
    assert closed not in object_page.text  # only open cases are offered
    for object_id in (indicator(1)["id"], SIGHTING_ID):
        answer = _post(alice, "/cases/add-object", case_id=case_id, object_id=object_id)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].endswith(f"/cases/{case_id}?done=attach")
    shown = harness.client.get(f"/api/v1/cases/{case_id}", headers=harness.headers["admin"]).json()
    assert shown["refs"] == [indicator(1)["id"], SIGHTING_ID]
    assert shown["attached"] == [SIGHTING_ID]
    page = alice.client.get(f"/cases/{case_id}?done=attach")
    assert "The object was added to the case." in page.text
    referenced, attached = page.text.split("Referenced objects", 1)[1].split("Attached sightings")
    assert f'href="/objects/{indicator(1)["id"]}"' in referenced
    assert f'href="/objects/{SIGHTING_ID}"' in attached.split("Timeline")[0]
    # Twice is a client's mistake; a closed case refuses.
    again = _post(alice, "/cases/add-object", case_id=case_id, object_id=indicator(1)["id"])
    assert again.status_code == 400
    refused = _post(alice, "/cases/add-object", case_id=closed, object_id=indicator(1)["id"])
    assert refused.status_code == 400
    assert _post(alice, "/cases/add-object", case_id=case_id, object_id="").status_code == 400


def test_only_the_node_orgs_analysts_get_the_add_to_a_case_form(harness: Harness) -> None:
    # GREEN: each of them may see both, so the refusal is for who they are.
    _store(harness, indicator(1, tlp=Tlp.GREEN))
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice, tlp="green")
    rita = sign_in(harness, "rita", org=NODE, role="reader")
    bob = sign_in(harness, "bob", org="Org B", role="analyst")
    for other in (rita, bob):
        assert "Add to a case" not in other.client.get(f"/objects/{indicator(1)['id']}").text
    before = _versions(harness, case_id)
    assert (
        _post(rita, "/cases/add-object", case_id=case_id, object_id=indicator(1)["id"]).status_code
        == 403
    )
    assert (
        _post(bob, "/cases/add-object", case_id=case_id, object_id=indicator(1)["id"]).status_code
        == 403
    )
    assert _versions(harness, case_id) == before


def test_a_hidden_object_cannot_be_added(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    case_id = _open(alice)
    before = _versions(harness, case_id)
    absent = "indicator--00000000-0000-4000-8000-00000000beef"
    answer = _post(alice, "/cases/add-object", case_id=case_id, object_id=absent)
    assert answer.status_code == 400
    assert _versions(harness, case_id) == before


def test_due_times_are_read_as_utc() -> None:
    assert parse_due("") is None
    assert parse_due("1970-01-02T00:00") == 86_400_000_000
    assert parse_due("1970-01-01") == 86_399_000_000
    assert parse_due("1970-01-01T00:00:01Z") == 1_000_000
    with pytest.raises(InvalidInput):
        parse_due("tomorrow")


def test_a_merged_case_links_both_ways_and_offers_no_forms(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org=NODE, role="analyst")
    first, second = _open(alice, "First"), _open(alice, "Second")
    merged = harness.client.post(
        f"/api/v1/cases/{first}/merge",
        json={"with": [second], "name": "Both"},
        headers=harness.headers["analyst"],
    )
    assert merged.status_code == 201, merged.text
    merged_id = merged.json()["case"]["id"]
    page = alice.client.get(f"/cases/{first}").text
    assert_page_rules(page)
    assert "Read-only:" in page and f'href="/cases/{merged_id}"' in page
    assert 'method="post" action="/cases/' not in page
    combined = alice.client.get(f"/cases/{merged_id}").text
    assert f'href="/cases/{first}"' in combined and f'href="/cases/{second}"' in combined
    assert f'action="/cases/{merged_id}/note"' in combined
    # The originals refuse changes, and the list marks them merged.
    assert _post(alice, f"/cases/{first}/note", text="late").status_code == 400
    listing = alice.client.get("/cases").text
    assert listing.count('<span class="kind">merged</span>') == 2
