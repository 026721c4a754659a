"""REST for approvals: list, read and the exact payload, through the sharing policy."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.unit.server.conftest import Harness

from entente.approvals import ActionType, Verdict
from entente.bootstrap import approvals
from entente.services import node_org_id
from entente.sharing import Principal, Role

APPROVALS = "/api/v1/approvals"
CASE = "grouping--11111111-1111-4111-8111-111111111111"
PAYLOAD = b"<p>An advisory</p>"
ORG = node_org_id("Entente node")


def get(h: Harness, path: str, who: str = "analyst") -> Any:
    return h.client.get(path, headers=h.headers[who])


def asked(h: Harness) -> str:
    service = approvals(h.node)
    alice = Principal("user:alice", ORG, Role.ANALYST, True)
    rid = service.request(
        alice,
        ActionType.ADVISORY,
        PAYLOAD,
        summary="Publish the advisory",
        targets=["public"],
        refs=[CASE],
        media_type="text/html",
    ).id
    service.approve(Principal("user:bob", ORG, Role.ADMIN, True), rid, Verdict.APPROVE, "ok")
    return rid


def test_a_request_is_listed_and_read_with_what_will_be_sent(harness: Harness) -> None:
    h = harness
    rid = asked(h)
    listed = get(h, APPROVALS).json()["requests"]
    assert [r["id"] for r in listed] == [rid]
    assert get(h, f"{APPROVALS}?state=approved").json()["requests"] == []
    assert [r["id"] for r in get(h, f"{APPROVALS}?state=pending").json()["requests"]] == [rid]
    shown = get(h, f"{APPROVALS}/{rid}").json()
    assert (shown["state"], shown["missing"]) == ("pending", "1 more approval(s)")
    assert shown["payload_text"] == PAYLOAD.decode()
    assert [(a["approver"], a["counts"]) for a in shown["approvals"]] == [("user:bob", True)]
    payload = get(h, f"{APPROVALS}/{rid}/payload")
    assert payload.status_code == 200
    assert payload.content == PAYLOAD
    assert payload.headers["content-type"].startswith("text/html")
    assert payload.headers["content-disposition"] == "attachment"
    assert payload.headers["x-content-sha256"] == hashlib.sha256(PAYLOAD).hexdigest()


def test_a_request_the_caller_may_not_see_is_a_404_and_bad_input_a_400(harness: Harness) -> None:
    h = harness
    rid = asked(h)
    # Org B's reader has no agreement with this node: the AMBER request is not theirs.
    assert get(h, APPROVALS, "reader_b").json()["requests"] == []
    for path in (f"{APPROVALS}/{rid}", f"{APPROVALS}/{rid}/payload"):
        hidden = get(h, path, "reader_b")
        assert hidden.status_code == 404
        assert "user:alice" not in hidden.text
    missing = get(h, f"{APPROVALS}/grouping--00000000-0000-4000-8000-000000000099")
    assert missing.status_code == 404
    assert get(h, f"{APPROVALS}/indicator--x").status_code == 400
    assert get(h, f"{APPROVALS}?state=maybe").status_code == 400


def test_the_openapi_documents_the_approval_routes(harness: Harness) -> None:
    paths = harness.client.get("/api/v1/openapi.json", headers=harness.headers["admin"]).json()
    for path in (APPROVALS, f"{APPROVALS}/{{request_id}}", f"{APPROVALS}/{{request_id}}/payload"):
        assert "get" in paths["paths"][path]
