"""REST for joint advisories: drafted and kept on the node, approved by a named person,
published to the collection; refused with a problem otherwise, never a 500."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.unit.server.conftest import ALL, Harness, indicator

from entente.approvals import Verdict
from entente.bootstrap import approvals
from entente.evidence.tarball import read_tar, write_tar
from entente.services import node_org_id
from entente.sharing import Principal, Role
from entente.stix import Tlp

ADVISORIES = "/api/v1/advisories"
ORG = node_org_id("Entente node")


def post(h: Harness, path: str, body: Any, who: str = "analyst") -> Any:
    return h.client.post(path, json=body, headers=h.headers[who])


def drafted(h: Harness, **more: Any) -> dict[str, Any]:
    assert h.post_objects([indicator(1, tlp=Tlp.GREEN)]).status_code == 202
    body = {
        "title": "Triton on the grid",
        "summary": "Agencies warn of the Triton framework.",
        "object_ids": [indicator(1)["id"]],
        "collection": "All objects",
        **more,
    }
    answer = post(h, ADVISORIES, body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_a_drafted_advisory_is_kept_asked_for_and_downloadable(harness: Harness) -> None:
    h = harness
    made = drafted(h)
    assert made["id"].startswith("report--")
    assert len(made["approval_requests"]) == 1
    package = h.client.get(made["package"], headers=h.headers["analyst"])
    assert package.status_code == 200
    assert hashlib.sha256(package.content).hexdigest() == made["sha256"]
    assert {"advisory.json", "advisory.md", "advisory.pdf"} <= set(read_tar(package.content))
    listed = h.client.get(ADVISORIES, headers=h.headers["analyst"]).json()["advisories"]
    assert [(a["id"], a["approved"], a["published"]) for a in listed] == [
        (made["id"], False, False)
    ]
    shown = h.client.get(f"{ADVISORIES}/{made['id']}", headers=h.headers["admin"]).json()
    assert shown["approval_requests"][0]["state"] == "pending"


def test_publishing_is_refused_until_approved_then_stores_the_report(harness: Harness) -> None:
    h = harness
    made = drafted(h)
    refused = post(h, f"{ADVISORIES}/{made['id']}/publish", None)
    assert refused.status_code == 403
    assert "approv" in refused.json()["description"]
    assert h.get(f"/taxii2/api/collections/{ALL}/objects/{made['id']}/").status_code == 404
    # Named people of the node's org approve (an API token never does): two, by default.
    for name in ("bob", "carol"):
        approver = Principal(f"user:{name}", ORG, Role.ANALYST, True)
        approvals(h.node).approve(approver, made["approval_requests"][0], Verdict.APPROVE, "ok")
    done = post(h, f"{ADVISORIES}/{made['id']}/publish", None)
    assert done.status_code == 200, done.text
    assert made["id"] in done.json()["stored"]
    stored = h.get(f"/taxii2/api/collections/{ALL}/objects/{made['id']}/")
    assert stored.status_code == 200
    assert stored.json()["objects"][0]["type"] == "report"
    again = post(h, f"{ADVISORIES}/{made['id']}/publish", None)
    assert again.status_code == 400
    shown = h.client.get(f"{ADVISORIES}/{made['id']}", headers=h.headers["analyst"]).json()
    assert (shown["approved"], shown["published"]) == (True, True)


def test_only_the_nodes_operators_draft_and_see_advisories(harness: Harness) -> None:
    h = harness
    made = drafted(h)
    for who in ("reader_b", "analyst_b", "partner_c"):
        # The role first: refused before the body is read, even a body that is not JSON.
        refused = h.client.post(
            ADVISORIES, content=b"{", headers={**h.headers[who], "Content-Type": "application/json"}
        )
        assert refused.status_code == 403
        assert h.client.get(ADVISORIES, headers=h.headers[who]).json() == {"advisories": []}
        for path in (f"{ADVISORIES}/{made['id']}", f"{ADVISORIES}/{made['id']}/package"):
            hidden = h.client.get(path, headers=h.headers[who])
            assert hidden.status_code == 404
            assert "Triton" not in hidden.text
        assert post(h, f"{ADVISORIES}/{made['id']}/publish", None, who).status_code in (403, 404)


def test_bad_drafts_and_ids_are_clear_problems(harness: Harness) -> None:
    h = harness
    assert post(h, ADVISORIES, {"title": "x"}).status_code == 400
    assert (
        post(h, ADVISORIES, {"title": "x", "summary": "y", "collection": "All objects"})
        .json()["description"]
        .startswith("an advisory is drafted from")
    )
    unknown = post(
        h, ADVISORIES, {"title": "x", "summary": "y", "collection": "All objects", "extra": 1}
    )
    assert unknown.status_code == 400
    hidden = post(
        h,
        ADVISORIES,
        {
            "title": "x",
            "summary": "y",
            "collection": "All objects",
            "object_ids": ["indicator--00000000-0000-4000-8000-000000000999"],
        },
    )
    assert hidden.status_code == 404
    no_collection = post(
        h,
        ADVISORIES,
        {"title": "x", "summary": "y", "collection": "Nowhere", "object_ids": ["a"]},
    )
    assert no_collection.status_code == 404
    assert post(h, ADVISORIES, {"title": "x", "summary": "y", "collection": 3}).status_code == 400
    wrong_type = h.client.post(
        ADVISORIES, content=b"x", headers={**h.headers["analyst"], "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    for bad in ("report--../../etc", "indicator--x", "..%2F..%2Fnode.db", "report--1"):
        assert h.client.get(f"{ADVISORIES}/{bad}", headers=h.headers["analyst"]).status_code == 404
    assert list((h.node.settings.home).glob("advisories/*")) == []


def test_the_openapi_documents_the_advisory_routes(harness: Harness) -> None:
    paths = harness.client.get("/api/v1/openapi.json", headers=harness.headers["admin"]).json()
    assert "post" in paths["paths"][ADVISORIES]
    assert "post" in paths["paths"][f"{ADVISORIES}/{{report_id}}/publish"]
    assert "get" in paths["paths"][f"{ADVISORIES}/{{report_id}}/package"]


def test_only_a_signed_copy_of_the_kept_advisory_replaces_its_package(harness: Harness) -> None:
    h = harness
    made = drafted(h)
    path = f"{ADVISORIES}/{made['id']}/package"
    kept = h.client.get(path, headers=h.headers["analyst"]).content
    tar = {**h.headers["analyst"], "Content-Type": "application/x-tar"}
    same = h.client.put(path, content=kept, headers=tar)
    assert same.status_code == 200, same.text
    assert same.json()["sha256"] == made["sha256"]
    # Another file under the same Statement does not check; garbage is not a package.
    files = read_tar(kept)
    files["advisory.md"] = files["advisory.md"] + b"\nSend the money to ...\n"
    tampered = h.client.put(path, content=write_tar(files), headers=tar)
    assert tampered.status_code == 400
    assert "does not verify" in tampered.json()["description"]
    assert h.client.put(path, content=b"not a tar", headers=tar).status_code == 400
    other = drafted(h, title="Another advisory")
    foreign = h.client.get(other["package"], headers=h.headers["analyst"]).content
    assert h.client.put(path, content=foreign, headers=tar).status_code == 400
    assert h.client.get(path, headers=h.headers["analyst"]).content == kept
    wrong_type = {**h.headers["analyst"], "Content-Type": "application/json"}
    assert h.client.put(path, content=kept, headers=wrong_type).status_code == 415
    reader = {**h.headers["reader_b"], "Content-Type": "application/x-tar"}
    assert h.client.put(path, content=kept, headers=reader).status_code == 403
