"""``GET /api/v1/audit`` over the real app: reads over TAXII answered by who saw them, paging
with sealed cursors, and every client mistake a 400/403/404 problem, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.server.conftest import ALL, ROOT, Harness, indicator
from tests.unit.server.test_server_audit import flushed

from entente.services import node_org_id
from entente.stix import Tlp

AMBER = indicator(2, tlp=Tlp.AMBER)
GREEN = indicator(3, tlp=Tlp.GREEN)
ORG_B = node_org_id("Org B")


@pytest.fixture
def read(harness: Harness) -> Harness:
    """The harness node whose AMBER and GREEN indicators Org B's reader and analyst, and the
    node's analyst, read over TAXII."""
    assert harness.post_objects([AMBER, GREEN]).status_code == 202
    for who in ("reader_b", "analyst_b", "analyst"):
        assert harness.get(f"{ROOT}collections/{ALL}/objects/", who=who).status_code == 200
    flushed(harness.client.app)
    return harness


def audit(harness: Harness, who: str = "admin", **params: Any) -> Any:
    return harness.client.get("/api/v1/audit", params=params, headers=harness.headers[who])


def test_who_saw_an_object_names_each_org_that_read_it(read: Harness) -> None:
    answer = audit(read, object=GREEN["id"])
    assert answer.status_code == 200
    entries = answer.json()["entries"]
    assert [e["actor"]["org"] for e in entries] == [
        node_org_id("Entente node"),
        ORG_B,
        ORG_B,
    ]
    assert all(e["channel"] == "taxii" and GREEN["id"] in e["objects"] for e in entries)
    assert answer.json()["next"] is None
    by_b = audit(read, "analyst", org="Org B").json()["entries"]
    assert {e["actor"]["role"] for e in by_b} == {"reader", "analyst"}
    assert audit(read, org=ORG_B).json() == audit(read, org="Org B").json()


def test_pages_follow_the_sealed_next_cursor(read: Harness) -> None:
    first = audit(read, object=GREEN["id"], limit=2).json()
    assert len(first["entries"]) == 2 and first["next"]
    second = audit(read, object=GREEN["id"], limit=2, next=first["next"]).json()
    assert [e["seq"] for e in second["entries"]] == [1]
    assert second["next"] is None
    # A cursor continues only the query, and the asker, it was made for.
    assert audit(read, object=AMBER["id"], next=first["next"]).status_code == 400
    assert audit(read, "analyst", object=GREEN["id"], next=first["next"]).status_code == 400


def test_since_leaves_out_what_came_before(read: Harness) -> None:
    assert audit(read, since="1970-01-01").json()["entries"]
    assert audit(read, since="2999-01-01T00:00:00Z").json()["entries"] == []


def test_verification_is_reported_when_asked(read: Harness) -> None:
    assert "verification" not in audit(read).json()
    verification = audit(read, verify="true").json()["verification"]
    assert verification["ok"] is True and verification["chain"] == "node"
    assert verification["entries_checked"] >= 3 and verification["failure"] is None


@pytest.mark.parametrize("who", ["reader_b", "analyst_b", "partner_c"])
def test_anyone_but_the_node_orgs_staff_is_refused(read: Harness, who: str) -> None:
    answer = audit(read, who, object=GREEN["id"])
    assert answer.status_code == 403
    assert answer.json()["http_status"] == "403"
    assert GREEN["id"] not in answer.text


def test_without_a_token_the_answer_is_401(read: Harness) -> None:
    assert read.client.get("/api/v1/audit").status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "many"},
        {"object": "not-an-id"},
        {"org": "identity--nope"},
        {"org": "  "},
        {"next": "not a cursor"},
        {"next": "A" * 52},
        {"verify": "perhaps"},
        {"object": "x" * 301},
    ],
)
def test_a_bad_parameter_is_a_400_problem(read: Harness, params: dict[str, str]) -> None:
    answer = audit(read, **params)
    assert answer.status_code == 400, (params, answer.text)
    assert answer.json()["http_status"] == "400"


def test_an_unknown_object_is_a_404_problem(read: Harness) -> None:
    answer = audit(read, object="indicator--00000000-0000-4000-8000-0000000000ff")
    assert answer.status_code == 404
    assert answer.json()["http_status"] == "404"


def test_the_openapi_documents_the_route_and_its_answers(read: Harness) -> None:
    paths = read.client.get("/api/v1/openapi.json").json()["paths"]
    answers = paths["/api/v1/audit"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "500"} <= set(answers)
    assert "422" not in answers
