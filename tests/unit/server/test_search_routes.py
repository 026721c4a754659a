"""GET /api/v1/search and /api/v1/objects/{id}/correlations over HTTP, on SQLite and
PostgreSQL: answers, paging with sealed cursors, and client mistakes as 400s with the reason."""

from __future__ import annotations

from typing import Any

from tests.unit.server.conftest import Harness, indicator

from entente.stix import Tlp


def _search(harness: Harness, who: str = "admin", **params: Any) -> Any:
    return harness.client.get("/api/v1/search", params=params, headers=harness.headers[who])


def _numbers(body: dict[str, Any]) -> list[int]:
    return [int(o["object"]["id"][-12:]) for o in body["objects"]]


def test_search_pages_through_what_the_caller_may_see(backend_harness: Harness) -> None:
    h = backend_harness
    objects = [indicator(n, tlp=Tlp.AMBER if n % 3 == 0 else Tlp.GREEN) for n in range(1, 10)]
    assert h.post_objects(objects).status_code == 202
    seen: list[int] = []
    params: dict[str, Any] = {"q": "10.0.0.0/24", "limit": 2}
    for _ in range(10):  # bounded
        response = _search(h, "reader_b", **params)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += _numbers(body)
        if body["next"] is None:
            break
        params["next"] = body["next"]
    # Org B reads GREEN inside the community, never AMBER of another org.
    assert seen == [1, 2, 4, 5, 7, 8]
    admin = _search(h, q="10.0.0.0/24", limit=100).json()
    assert _numbers(admin) == list(range(1, 10))
    assert admin["next"] is None
    assert admin["objects"][0]["source_name"]
    assert admin["objects"][0]["date_added"].endswith("Z")


def test_filters_and_words(backend_harness: Harness) -> None:
    h = backend_harness
    named = dict(indicator(1), name="Sofacy dropper", labels=["c2"])
    assert h.post_objects([named, indicator(2)]).status_code == 202
    assert _numbers(_search(h, text="sofacy").json()) == [1]
    assert _numbers(_search(h, label="c2").json()) == [1]
    assert _numbers(_search(h, q="10.0.0.2", type="indicator").json()) == [2]
    assert _numbers(_search(h, q="10.0.0.2", type="malware").json()) == []
    assert _numbers(_search(h, id=indicator(2)["id"]).json()) == [2]


def test_client_mistakes_are_400_problems_that_say_what_is_wrong(harness: Harness) -> None:
    cases = {
        "value": ({"value": "not a value!"}, "not an IP address"),
        "text": ({"text": "!!"}, "holds no word"),
        "date": ({"q": "x", "added_after": "yesterday"}, "added_after: 'yesterday' is not a date"),
        "id": ({"id": "indicator--nope"}, "not a STIX id"),
    }
    for name, (params, reason) in cases.items():
        response = _search(harness, **params)
        assert response.status_code == 400, name
        assert reason in response.text, (name, response.text)
    assert _search(harness, q="x", limit=0).status_code == 400
    assert _search(harness, q="x", next="A" * 40).status_code == 400
    # A cursor of one query does not continue another.
    assert harness.post_objects([indicator(n) for n in range(1, 4)]).status_code == 202
    first = _search(harness, q="10.0.0.0/24", limit=1).json()
    other = _search(harness, q="10.0.0.0/16", limit=1, next=first["next"])
    assert other.status_code == 400
    assert "not issued by this server for these filters" in other.text


def test_correlations_through_the_policy(harness: Harness) -> None:
    shared = [dict(indicator(n), pattern="[ipv4-addr:value = '192.0.2.9']") for n in (1, 2)]
    shared[1]["object_marking_refs"] = [indicator(1, tlp=Tlp.AMBER)["object_marking_refs"][0]]
    shared[0]["object_marking_refs"] = [indicator(1, tlp=Tlp.GREEN)["object_marking_refs"][0]]
    assert harness.post_objects(shared).status_code == 202
    path = f"/api/v1/objects/{shared[0]['id']}/correlations"
    admin = harness.client.get(path, headers=harness.headers["admin"]).json()
    assert [o["id"] for o in admin["values"][0]["occurrences"]] == [shared[1]["id"]]
    reader = harness.client.get(path, headers=harness.headers["reader_b"]).json()
    assert reader["values"][0]["occurrences"] == []  # the AMBER holder is not shown
    hidden = f"/api/v1/objects/{shared[1]['id']}/correlations"
    assert harness.client.get(hidden, headers=harness.headers["reader_b"]).status_code == 404
    bad = harness.client.get("/api/v1/objects/nope/correlations", headers=harness.headers["admin"])
    assert bad.status_code == 400
