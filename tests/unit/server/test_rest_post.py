"""``POST /api/v1/objects``: documents in, one result per object, the ownership rules applied."""

from __future__ import annotations

from typing import Any

import orjson
from tests.unit.server.conftest import Harness, indicator

from entente.services import node_org_id
from entente.stix import Tlp

NODE = node_org_id("Entente node")
ORG_C = node_org_id("Org C")


def post(harness: Harness, body: Any, who: str = "analyst", **headers: str) -> Any:
    return harness.client.post(
        "/api/v1/objects",
        content=body if isinstance(body, bytes) else orjson.dumps(body),
        headers={"Content-Type": "application/json", **harness.headers[who], **headers},
    )


def test_a_bundle_is_stored_object_by_object(harness: Harness) -> None:
    broken = indicator(2)
    del broken["pattern"]
    bundle = {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [indicator(1, tlp=Tlp.GREEN), broken, indicator(3, tlp=Tlp.GREEN)],
    }
    response = post(harness, bundle)
    assert response.status_code == 200
    body = response.json()
    assert (body["total_count"], body["success_count"], body["failure_count"]) == (3, 2, 1)
    assert [r["outcome"] for r in body["objects"]] == ["added", "failed", "added"]
    assert body["objects"][1]["position"] == 1
    assert "pattern" in body["objects"][1]["message"]
    stored = harness.client.get(
        f"/api/v1/objects/{indicator(1)['id']}", headers=harness.headers["analyst"]
    )
    assert stored.status_code == 200
    # Again: every object is a duplicate, the broken one still refused.
    again = post(harness, bundle).json()
    assert [r["outcome"] for r in again["objects"]] == ["duplicate", "failed", "duplicate"]


def test_an_array_a_single_object_and_an_envelope_are_accepted(harness: Harness) -> None:
    assert post(harness, [indicator(1)]).json()["success_count"] == 1
    assert post(harness, indicator(2)).json()["success_count"] == 1
    assert post(harness, {"objects": [indicator(3)]}).json()["success_count"] == 1
    stix = {"Content-Type": "application/stix+json;version=2.1"}
    assert post(harness, indicator(4), **stix).json()["success_count"] == 1


def test_provenance_is_bound_to_the_poster(harness: Harness) -> None:
    forged = indicator(1, creator=NODE)
    body = post(harness, [forged], who="analyst_b").json()
    assert body["failure_count"] == 1
    assert "this node's org" in body["objects"][0]["message"]
    foreign = indicator(2, creator=ORG_C)
    assert post(harness, [foreign], who="analyst").json()["failure_count"] == 1
    assert post(harness, [foreign], who="admin").json()["success_count"] == 1


def test_a_reader_may_not_post_and_its_body_is_not_read(harness: Harness) -> None:
    consumed = []

    def body() -> Any:
        consumed.append(True)
        yield orjson.dumps([indicator(1)])

    response = harness.client.post(
        "/api/v1/objects",
        content=body(),
        headers={"Content-Type": "application/json", **harness.headers["reader_b"]},
    )
    assert response.status_code == 403
    assert consumed == []


def test_bad_bodies_get_clear_errors(harness: Harness) -> None:
    assert post(harness, b"{not json").status_code == 400
    assert post(harness, b'"a string"').status_code == 400
    assert post(harness, {"objects": "not a list"}).status_code == 400
    # An object that is no STIX object is a failed result, like any bad object of a bundle.
    alone = post(harness, {"name": "no type"}).json()
    assert (alone["total_count"], alone["failure_count"]) == (1, 1)
    assert "type" in alone["objects"][0]["message"]
    # STIX 2.1 §8: a bundle's objects are optional.
    empty = post(harness, {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001"})
    assert empty.json()["total_count"] == 0
    assert post(harness, [indicator(1)], **{"Content-Type": "text/plain"}).status_code == 415
    too_big = b"[" + b" " * 70_000 + b"]"  # the harness allows 64 KiB
    assert post(harness, too_big).status_code == 413


def test_a_method_a_path_does_not_take_lists_every_method_it_does(harness: Harness) -> None:
    response = harness.client.put("/api/v1/objects", headers=harness.headers["admin"])
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.json()["http_status"] == "405"


def test_a_search_by_a_type_that_is_no_stix_type_name_is_a_bad_request(harness: Harness) -> None:
    response = harness.client.get(
        "/api/v1/objects", params={"type": "Not_A_Type"}, headers=harness.headers["admin"]
    )
    assert response.status_code == 400
