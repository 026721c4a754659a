"""TAXII 2.1 conformance of the server: discovery, collections, objects, status, errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from tests.unit.server.conftest import ALL, INDICATORS, ROOT, TAXII, Harness, indicator

from entente.services import node_org_id
from entente.stix import Tlp

OBJECTS = f"{ROOT}collections/{ALL}/objects/"


def test_discovery_names_the_api_root(harness: Harness) -> None:
    response = harness.get("/taxii2/")
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["default"].endswith(ROOT)
    assert body["api_roots"] == [body["default"]]


def test_api_root_advertises_version_and_max_content_length(harness: Harness) -> None:
    body = harness.get(ROOT).json()
    assert body["versions"] == [TAXII]
    assert body["max_content_length"] == 65536


def test_default_collections_are_listed_with_access(harness: Harness) -> None:
    body = harness.get(f"{ROOT}collections/", who="reader_b").json()
    by_title = {c["title"]: c for c in body["collections"]}
    assert set(by_title) == {"All objects", "Indicators"}
    assert by_title["All objects"]["can_read"] is True
    assert by_title["All objects"]["can_write"] is False
    assert harness.get(f"{ROOT}collections/{INDICATORS}/").json()["can_write"] is True


@pytest.mark.parametrize(
    "accept",
    [
        "application/taxii+json;version=2.1",
        "application/taxii+json",
        "application/taxii+json; version=2.1; q=0.5, text/html;q=0.9",
        "*/*",
    ],
)
def test_taxii_media_types_are_accepted(harness: Harness, accept: str) -> None:
    response = harness.client.get(ROOT, headers={**harness.headers["admin"], "Accept": accept})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "accept", ["text/html", "application/taxii+json;version=2.0", "application/taxii+json;q=0"]
)
def test_other_media_types_get_406_json(harness: Harness, accept: str) -> None:
    response = harness.client.get(ROOT, headers={**harness.headers["admin"], "Accept": accept})
    assert response.status_code == 406
    assert response.json()["http_status"] == "406"


def test_malformed_added_after_is_400_json_not_500_html(harness: Harness) -> None:
    response = harness.get(OBJECTS, added_after="yesterday")
    assert response.status_code == 400
    assert response.headers["content-type"] == TAXII
    assert response.json()["details"]["parameter"] == "added_after"


def test_a_forged_cursor_is_400(harness: Harness) -> None:
    assert harness.get(OBJECTS, next="A" * 44).status_code == 400


def test_25_objects_posted_at_once_page_by_10_without_gaps_or_duplicates(
    harness: Harness,
) -> None:
    posted = [indicator(n, tlp=Tlp.GREEN) for n in range(25)]
    assert harness.post_objects(posted).status_code == 202
    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    first_cursor: str | None = None
    while True:
        params = {"limit": "10", **({"next": cursor} if cursor else {})}
        response = harness.get(OBJECTS, **params)
        body = response.json()
        pages += 1
        seen.extend(o["id"] for o in body.get("objects", []))
        assert "X-TAXII-Date-Added-First" in response.headers
        cursor = body.get("next")
        first_cursor = first_cursor or cursor
        if not body.get("more"):
            break
    ids = sorted(o["id"] for o in posted)
    # The nine built-in TLP marking-definitions are unmarked: visible to the node org.
    assert sorted(i for i in seen if i.startswith("indicator--")) == ids
    assert len(seen) == len(set(seen))
    assert pages == 4
    # The cursor never expires: reusing the first one later gives the same second page.
    again = harness.get(OBJECTS, limit="10", next=first_cursor).json()
    assert [o["id"] for o in again["objects"]] == seen[10:20]


def test_nanosecond_timestamps_round_trip(harness: Harness) -> None:
    obj = indicator(1, tlp=Tlp.CLEAR)
    obj["modified"] = "2024-01-01T00:00:00.123456789Z"
    harness.post_objects([obj])
    body = harness.get(f"{OBJECTS}{obj['id']}/").json()
    assert body["objects"][0]["modified"] == "2024-01-01T00:00:00.123456789Z"
    versions = harness.get(f"{OBJECTS}{obj['id']}/versions/").json()
    assert versions["versions"] == ["2024-01-01T00:00:00.123456789Z"]
    exact = harness.get(f"{OBJECTS}{obj['id']}/", **{"match[version]": obj["modified"]})
    assert len(exact.json()["objects"]) == 1


def test_an_identical_re_post_is_a_success_in_the_status(harness: Harness) -> None:
    objects = [indicator(1, tlp=Tlp.GREEN), indicator(2, tlp=Tlp.GREEN)]
    harness.post_objects(objects)
    status = harness.post_objects(objects).json()
    assert status["status"] == "complete"
    assert (status["success_count"], status["failure_count"]) == (2, 0)
    fetched = harness.get(f"{ROOT}status/{status['id']}/").json()
    assert fetched["success_count"] == 2
    # Another principal cannot read someone else's status.
    assert harness.get(f"{ROOT}status/{status['id']}/", who="analyst").status_code == 404


def test_invalid_objects_are_failures_in_the_status(harness: Harness) -> None:
    broken = indicator(3)
    del broken["pattern"]
    status = harness.post_objects([indicator(4), broken]).json()
    assert (status["success_count"], status["failure_count"]) == (1, 1)
    assert status["failures"][0]["id"] == broken["id"]


def test_missing_or_wrong_credentials_get_401_with_www_authenticate(harness: Harness) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Digest x"}):
        response = harness.client.get(ROOT, headers=headers)
        assert response.status_code == 401
        assert "Bearer" in response.headers["www-authenticate"]
        assert "Basic" in response.headers["www-authenticate"]
        assert response.json()["http_status"] == "401"


def test_http_basic_with_the_token_secret_as_password(harness: Harness) -> None:
    secret = harness.headers["admin"]["Authorization"].removeprefix("Bearer ")
    basic = base64.b64encode(f"anyone:{secret}".encode()).decode()
    response = harness.client.get(ROOT, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200


def test_an_oversized_body_is_413(harness: Harness) -> None:
    big = [indicator(n) for n in range(400)]
    assert harness.post_objects(big).status_code == 413


def test_an_oversized_chunked_body_is_413(harness: Harness) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"objects": ['
        for _ in range(100):
            yield b'{"type": "x"},' * 100
        yield b"{}]}"

    response = harness.client.post(
        OBJECTS,
        content=chunks(),
        headers={**harness.headers["admin"], "Content-Type": TAXII, "Accept": TAXII},
    )
    assert response.status_code == 413
    assert response.json()["http_status"] == "413"


def test_a_wrong_content_type_is_415(harness: Harness) -> None:
    response = harness.client.post(
        OBJECTS,
        content=b"{}",
        headers={**harness.headers["admin"], "Content-Type": "application/json"},
    )
    assert response.status_code == 415


def test_readers_may_not_post(harness: Harness) -> None:
    assert harness.post_objects([indicator(1)], who="reader_b").status_code == 403


def test_unknown_collection_and_object_are_404_json(harness: Harness) -> None:
    unknown = harness.get(f"{ROOT}collections/00000000-0000-4000-8000-000000000000/objects/")
    assert unknown.status_code == 404
    assert unknown.json()["http_status"] == "404"
    missing = harness.get(f"{OBJECTS}indicator--00000000-0000-4000-8000-000000009999/")
    assert missing.status_code == 404
    assert harness.get("/taxii2/nowhere/").json()["http_status"] == "404"


@pytest.mark.parametrize("tlp", [Tlp.RED, Tlp.AMBER_STRICT])
def test_an_object_the_caller_may_not_see_is_404_like_a_missing_one(
    harness: Harness, tlp: Tlp
) -> None:
    hidden = indicator(7, tlp=tlp, creator=node_org_id("Org B"))
    harness.post_objects([hidden], who="analyst_b")
    url = f"{OBJECTS}{hidden['id']}/"
    missing = harness.get(f"{OBJECTS}indicator--00000000-0000-4000-8000-000000009999/")
    for path in (url, f"{url}versions/"):
        response = harness.get(path, who="partner_c")
        assert response.status_code == 404
        assert response.json() == missing.json()
    listed = harness.get(OBJECTS, who="partner_c").json()
    assert hidden["id"] not in {o["id"] for o in listed.get("objects", [])}


def test_the_indicators_collection_holds_indicators_only(harness: Harness) -> None:
    harness.post_objects([indicator(1, tlp=Tlp.CLEAR)])
    body = harness.get(f"{ROOT}collections/{INDICATORS}/objects/").json()
    assert {o["type"] for o in body["objects"]} == {"indicator"}
    manifest = harness.get(f"{ROOT}collections/{INDICATORS}/manifest/").json()
    assert [m["id"] for m in manifest["objects"]] == [indicator(1)["id"]]


def test_delete_removes_the_object_and_its_marking_rows(harness: Harness) -> None:
    obj = indicator(5, tlp=Tlp.GREEN)
    harness.post_objects([obj])
    url = f"{OBJECTS}{obj['id']}/"
    assert harness.client.delete(url, headers=harness.headers["reader_b"]).status_code == 403
    assert harness.client.delete(url, headers=harness.headers["analyst"]).status_code == 200
    assert harness.get(url).status_code == 404
    assert harness.client.delete(url, headers=harness.headers["analyst"]).status_code == 404


def test_delete_answers_200_with_no_body_and_no_media_type_claiming_one(
    harness: Harness,
) -> None:
    # Found by schemathesis: the empty 200 said application/taxii+json, which is not JSON.
    obj = indicator(6, tlp=Tlp.GREEN)
    harness.post_objects([obj])
    headers = {**harness.headers["analyst"], "Accept": TAXII}
    response = harness.client.delete(f"{OBJECTS}{obj['id']}/", headers=headers)
    assert response.status_code == 200
    assert response.content == b""
    assert "content-type" not in response.headers
    document = harness.client.get("/api/v1/openapi.json").json()
    deleted = document["paths"][f"{ROOT}collections/{{collection_id}}/objects/{{object_id}}/"]
    assert "content" not in deleted["delete"]["responses"]["200"]


def test_rest_search_detail_stats_and_tokens(harness: Harness) -> None:
    harness.post_objects([indicator(1, tlp=Tlp.GREEN), indicator(2, tlp=Tlp.RED)])
    headers = harness.headers["reader_b"]
    found = harness.client.get("/api/v1/objects", params={"type": "indicator"}, headers=headers)
    assert [o["id"] for o in found.json()["objects"]] == [indicator(1)["id"]]
    detail = harness.client.get(f"/api/v1/objects/{indicator(2)['id']}", headers=headers)
    assert detail.status_code == 404
    stats = harness.client.get("/api/v1/stats", headers=headers).json()
    assert stats["by_type"] == {"indicator": 1}
    assert harness.client.get("/api/v1/tokens", headers=headers).status_code == 403
    tokens = harness.client.get("/api/v1/tokens", headers=harness.headers["admin"]).json()
    assert len(tokens) == 5
    assert all("secret_hash" not in t for t in tokens)
    bad = harness.client.get("/api/v1/objects", params={"limit": "0"}, headers=headers)
    assert bad.status_code == 400


def test_openapi_is_served(harness: Harness) -> None:
    body = harness.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/objects" in body["paths"]
