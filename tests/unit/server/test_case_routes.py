"""REST for cases: list, create, read and actions; client mistakes are 4xx, never 500."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.server.conftest import ALL, ROOT, Harness, indicator

from entente.bootstrap import federation
from entente.cases import EXTENSION_ID, CaseType, is_case, parse_case
from entente.stix import Tlp, marking_id_for

CASES = "/api/v1/cases"
SIGHTING_ID = "sighting--00000000-0000-4000-8000-0000000000aa"


def post(h: Harness, path: str, body: Any, who: str = "analyst") -> Any:
    return h.client.post(path, json=body, headers=h.headers[who])


def get(h: Harness, path: str, who: str = "analyst") -> Any:
    return h.client.get(path, headers=h.headers[who])


def opened(h: Harness, who: str = "analyst", **more: Any) -> dict[str, Any]:
    body = {"name": "Phishing wave", "case_type": "incident", **more}
    response = post(h, CASES, body, who)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def sighting() -> dict[str, Any]:
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": SIGHTING_ID,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "sighting_of_ref": indicator(1)["id"],
    }


def test_a_case_goes_from_new_to_closed_through_the_api(backend_harness: Harness) -> None:
    h = backend_harness
    assert post(h, "/api/v1/objects", [indicator(1), sighting()]).json()["failure_count"] == 0
    case = opened(h, description="seen by A", tlp="amber")
    cid = case["id"]
    assert (case["stage"], case["status"], len(case["tasks"])) == ("new", "new", 3)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("status", {"stage": "in-progress", "status": "escalated"}),
        ("tasks", {"title": "Call the ISP", "owner": "bob", "due": "2020-01-01T00:00:00Z"}),
        ("tasks/task-1/done", {"result": "confirmed"}),
        ("attach", {"objects": [indicator(1)["id"]]}),
        ("attach", {"objects": [SIGHTING_ID], "evidence": True}),
        ("notes", {"text": "partner B informed"}),
        ("close", {"resolution": "true-positive"}),
    ]
    for action, body in steps:
        response = post(h, f"{CASES}/{cid}/{action}", body)
        assert response.status_code == 200, (action, response.text)
    shown = get(h, f"{CASES}/{cid}").json()
    assert (shown["stage"], shown["resolution"]) == ("closed", "true-positive")
    assert shown["refs"] == [indicator(1)["id"], SIGHTING_ID]
    assert shown["attached"] == [SIGHTING_ID]
    assert [t["overdue"] for t in shown["tasks"]] == [False, False, False, True]
    assert [e["event"] for e in shown["timeline"]] == [
        "opened", "status", "task-added", "task-done", "referenced", "attached", "note-added",
        "closed",
    ]  # fmt: skip
    assert shown["versions"] == 8
    assert [c["id"] for c in get(h, CASES).json()["cases"]] == [cid]
    # The case is STIX: the REST objects API shows the grouping with its extension.
    stored = get(h, f"/api/v1/objects/{cid}").json()["versions"]
    assert len(stored) == 8
    assert stored[-1]["extensions"][EXTENSION_ID]["stage"] == "closed"


def test_merge_makes_a_new_case_and_the_originals_refuse_changes(harness: Harness) -> None:
    one, two = opened(harness), opened(harness)
    response = post(harness, f"{CASES}/{one['id']}/merge", {"with": [two["id"]], "name": "Both"})
    assert response.status_code == 201, response.text
    merged = response.json()
    assert merged["case"]["merged_from"] == [one["id"], two["id"]]
    assert all(o["read_only"] for o in merged["originals"])
    refused = post(harness, f"{CASES}/{one['id']}/tasks", {"title": "more"})
    assert refused.status_code == 400
    assert "read-only" in refused.json()["description"]
    again = post(
        harness, f"{CASES}/{merged['case']['id']}/merge", {"with": [one["id"]], "name": "x"}
    )
    assert again.status_code == 400
    assert "already merged" in again.json()["description"]


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("", {"name": "x", "case_type": "picnic"}, 400, "'case_type' must be one of"),
        ("", {"case_type": "incident"}, 400, "'name' is required"),
        ("", {"name": "x", "case_type": "incident", "tlp": "purple"}, 400, "not a TLP level"),
        ("", ["not", "an", "object"], 400, "must be a JSON object"),
        ("/{cid}/close", {}, 400, "'resolution' is required"),
        ("/{cid}/status", {"stage": "closed", "status": "closed"}, 400, "use close"),
        ("/{cid}/status", {"stage": "new", "status": "nonsense"}, 400, "not a status"),
        ("/{cid}/tasks", {"title": "x", "due": "tomorrow"}, 400, "due"),
        ("/{cid}/tasks/task-99/done", {}, 400, "no task 'task-99'"),
        ("/{cid}/attach", {"objects": ["nope"]}, 400, "not a STIX id"),
        ("/{cid}/attach", {"objects": [indicator(7)["id"]]}, 400, "no object"),
        ("/{cid}/attach", {"objects": "x"}, 400, "list of strings"),
        ("/{cid}/attach", {"hashes": ["xyz"]}, 400, "not an MD5"),
        ("/{cid}/attach", {"hashes": ["ab" * 32]}, 400, "no file with hash"),
        ("/{cid}/attach", {}, 400, "at least one object"),
        ("/{cid}/share", {"tasks": []}, 400, "'tlp' is required"),
        ("/{cid}/share", {"tasks": ["task-9"], "tlp": "green"}, 400, "no task or note task-9"),
        (
            "/grouping--00000000-0000-4000-8000-000000000099/close",
            {"resolution": "duplicate"},
            404,
            "no such resource",
        ),
        (
            "/report--00000000-0000-4000-8000-000000000099/close",
            {"resolution": "duplicate"},
            400,
            "not a case id",
        ),
        ("/{cid}/merge", {"with": [], "name": "x"}, 400, "at least two"),
        ("/{cid}/merge", {"with": ["{cid}"], "name": "x"}, 400, "with itself"),
    ],
)
def test_client_mistakes_get_a_clear_4xx_and_change_nothing(
    harness: Harness, path: str, body: Any, status: int, says: str
) -> None:
    cid = opened(harness)["id"]
    before = get(harness, f"{CASES}/{cid}").json()
    if isinstance(body, dict) and body.get("with") == ["{cid}"]:
        body = {**body, "with": [cid]}
    response = post(harness, CASES + path.replace("{cid}", cid), body)
    assert response.status_code == status, response.text
    assert says in response.json()["description"]
    assert get(harness, f"{CASES}/{cid}").json() == before


def test_bad_bodies_and_roles_are_refused_before_anything_is_stored(harness: Harness) -> None:
    cid = opened(harness)["id"]
    raw = harness.client.post(
        f"{CASES}/{cid}/notes",
        content=b"{not json",
        headers={**harness.headers["analyst"], "Content-Type": "application/json"},
    )
    assert raw.status_code == 400
    wrong_type = harness.client.post(
        f"{CASES}/{cid}/notes",
        content=b"text",
        headers={**harness.headers["analyst"], "Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 415
    reader = post(harness, CASES, {"name": "x", "case_type": "incident"}, who="reader_b")
    assert reader.status_code == 403
    assert harness.client.get(CASES).status_code == 401
    assert get(harness, f"{CASES}/not-an-id").status_code == 400
    plain = {
        "type": "grouping",
        "spec_version": "2.1",
        "id": "grouping--00000000-0000-4000-8000-000000000077",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "context": "unspecified",
        "object_refs": [indicator(1)["id"]],
    }
    assert post(harness, "/api/v1/objects", [plain]).json()["failure_count"] == 0
    assert get(harness, f"{CASES}/{plain['id']}").status_code == 404
    assert [c["id"] for c in get(harness, CASES).json()["cases"]] == [cid]


def test_only_the_org_that_created_a_case_changes_it(harness: Harness) -> None:
    visible = opened(harness, tlp="green")["id"]
    hidden = opened(harness, tlp="amber+strict")["id"]
    denied = post(harness, f"{CASES}/{visible}/notes", {"text": "hi"}, who="analyst_b")
    assert denied.status_code == 403
    assert "only the org that created" in denied.json()["description"]
    unseen = post(harness, f"{CASES}/{hidden}/notes", {"text": "hi"}, who="analyst_b")
    assert unseen.status_code == 404
    # Org B opens its own case and the node's analyst cannot change it either.
    theirs = opened(harness, who="analyst_b", tlp="green")["id"]
    assert post(harness, f"{CASES}/{theirs}/notes", {"text": "x"}).status_code == 403


def test_a_shared_copy_carries_only_the_chosen_tasks_and_notes(harness: Harness) -> None:
    cid = opened(harness, tlp="amber+strict")["id"]
    post(harness, f"{CASES}/{cid}/notes", {"text": "internal: suspect is an insider"})
    post(harness, f"{CASES}/{cid}/notes", {"text": "for partners: block these"})
    shared = post(
        harness, f"{CASES}/{cid}/share", {"tasks": ["task-2"], "notes": ["note-2"], "tlp": "green"}
    )
    assert shared.status_code == 200, shared.text
    copy = shared.json()
    # Org B sees the shared copy (TLP:GREEN, community) and not the case itself.
    seen = get(harness, CASES, who="reader_b").json()["cases"]
    assert [c["id"] for c in seen] == [copy["id"]]
    assert [t["id"] for t in seen[0]["tasks"]] == ["task-2"]
    assert "insider" not in get(harness, f"{CASES}/{copy['id']}", who="reader_b").text
    assert get(harness, f"{CASES}/{cid}", who="reader_b").status_code == 404
    again = post(harness, f"{CASES}/{cid}/share", {"notes": ["note-1"], "tlp": "green"})
    assert again.status_code == 200
    assert get(harness, f"{CASES}/{copy['id']}").json()["versions"] == 2


def test_a_case_federates_over_taxii_under_an_agreement_redacted_as_agreed(
    harness: Harness,
) -> None:
    federation(harness.node).add_agreement(
        {
            "id": "node-c",
            "name": "node and Org C",
            "parties": ["Entente node", "Org C"],
            "max_tlp": "amber",
            "onward_sharing": "none",
            "redact": {"grouping": ["description"]},
        }
    )
    shared = opened(harness, tlp="amber", description="internal: the insider's name")
    post(harness, f"{CASES}/{shared['id']}/tasks", {"title": "Ask partner C"})
    kept = opened(harness, tlp="amber+strict")
    listed = harness.get(
        f"{ROOT}collections/{ALL}/objects/", who="partner_c", **{"match[type]": "grouping"}
    )
    assert listed.status_code == 200, listed.text
    groupings = [o for o in listed.json()["objects"] if is_case(o)]
    assert [g["id"] for g in groupings] == [shared["id"]]
    case = parse_case(groupings[0])
    assert case.tasks[-1].title == "Ask partner C"
    assert "description" not in groupings[0]
    assert "insider" not in listed.text
    # The partner's REST view of the same case is the same redacted copy.
    seen = get(harness, f"{CASES}/{shared['id']}", who="partner_c").json()
    assert (seen["description"], len(seen["tasks"])) == ("", 4)
    assert get(harness, f"{CASES}/{kept['id']}", who="partner_c").status_code == 404


def test_the_openapi_documents_every_case_route_and_its_body(harness: Harness) -> None:
    paths = harness.client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths[CASES]) == {"get", "post"}
    for action in ("status", "close", "tasks", "notes", "attach", "share", "merge"):
        operation = paths[f"{CASES}/{{case_id}}/{action}"]["post"]
        assert "application/json" in operation["requestBody"]["content"]
        assert {"400", "403", "404"} <= set(operation["responses"])
    create = paths[CASES]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["properties"]["case_type"]["enum"] == [t.value for t in CaseType]


def test_a_case_is_found_by_search_like_any_stored_object(harness: Harness) -> None:
    cid = opened(harness, tlp="green")["id"]
    found = harness.client.get(
        "/api/v1/search", params={"text": "Phishing wave"}, headers=harness.headers["reader_b"]
    )
    assert found.status_code == 200, found.text
    assert cid in {o["object"]["id"] for o in found.json()["objects"]}


def test_a_merged_case_is_as_restricted_as_its_strictest_original(harness: Harness) -> None:
    green, strict = opened(harness, tlp="green"), opened(harness, tlp="amber+strict")
    merged = post(harness, f"{CASES}/{green['id']}/merge", {"with": [strict["id"]], "name": "m"})
    assert merged.status_code == 201, merged.text
    assert merged.json()["case"]["object_marking_refs"] == [marking_id_for(Tlp.AMBER_STRICT)]
    # Org B read the green original; it may not read what the merge took from the other.
    assert get(harness, f"{CASES}/{green['id']}", who="reader_b").status_code == 200
    mid = merged.json()["case"]["id"]
    assert get(harness, f"{CASES}/{mid}", who="reader_b").status_code == 404


def test_a_reader_is_shown_only_the_references_it_may_see_itself(harness: Harness) -> None:
    visible, hidden = indicator(21, tlp=Tlp.GREEN), indicator(22, tlp=Tlp.AMBER_STRICT)
    assert post(harness, "/api/v1/objects", [visible, hidden]).json()["failure_count"] == 0
    cid = opened(harness, tlp="green")["id"]
    attached = post(harness, f"{CASES}/{cid}/attach", {"objects": [visible["id"], hidden["id"]]})
    assert attached.status_code == 200, attached.text
    assert get(harness, f"{CASES}/{cid}").json()["refs"] == [visible["id"], hidden["id"]]
    for path in (f"{CASES}/{cid}", CASES):
        seen = get(harness, path, who="reader_b")
        assert seen.status_code == 200
        assert visible["id"] in seen.text
        assert hidden["id"] not in seen.text
