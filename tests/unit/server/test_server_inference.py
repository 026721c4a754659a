"""No inference through the protocol: what a caller may not see changes nothing it is told.

Each test is an attack a hostile reader or partner made against the node: it reads
``more``, ``match[version]=first|last``, the cost of asking about an object, and what a
partner receives of content this node only ingested.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.testclient import TestClient
from tests.unit.server.conftest import ALL, ROOT, SECRET, TAXII, Harness, indicator

from entente.server import create_app
from entente.services import node_org_id
from entente.stix import Tlp, marking_id_for
from entente.store import ObjectQuery, ObjectStore, Page, StoredVersion

OBJECTS = f"{ROOT}collections/{ALL}/objects/"
ORG_B = node_org_id("Org B")


def version(obj: dict[str, Any], day: int, tlp: Tlp) -> dict[str, Any]:
    """``obj`` modified on January ``day`` and marked ``tlp``."""
    return {
        **obj,
        "modified": f"2024-01-{day:02d}T00:00:00.000Z",
        "object_marking_refs": [marking_id_for(tlp)],
    }


def listed_ids(body: dict[str, Any]) -> list[str]:
    return [o["id"] for o in body.get("objects", [])]


def test_more_is_false_when_only_hidden_versions_follow(harness: Harness) -> None:
    shown = [indicator(n, tlp=Tlp.GREEN) for n in (1, 2)]
    # TLP:RED: no token reads it (tokens are not named individuals).
    hidden = [indicator(n, tlp=Tlp.RED) for n in (3, 4, 5)]
    assert harness.post_objects(shown + hidden).json()["success_count"] == 5
    page = harness.get(OBJECTS, who="reader_b", limit="2").json()
    assert listed_ids(page) == [o["id"] for o in shown]
    # Exactly what an empty remainder says: nothing follows.
    assert "more" not in page and "next" not in page
    manifest = harness.get(f"{ROOT}collections/{ALL}/manifest/", who="reader_b", limit="2")
    assert "more" not in manifest.json()


def test_more_is_true_only_when_a_visible_version_follows(harness: Harness) -> None:
    objects = [
        indicator(1, tlp=Tlp.GREEN),
        indicator(2, tlp=Tlp.RED),
        indicator(3, tlp=Tlp.RED),
        indicator(4, tlp=Tlp.GREEN),
        indicator(5, tlp=Tlp.RED),
    ]
    harness.post_objects(objects)
    first = harness.get(OBJECTS, who="reader_b", limit="1").json()
    assert listed_ids(first) == [objects[0]["id"]]
    assert first["more"] is True
    second = harness.get(OBJECTS, who="reader_b", limit="1", next=first["next"]).json()
    assert listed_ids(second) == [objects[3]["id"]]
    assert "more" not in second and "next" not in second


def test_last_and_first_are_the_last_and_first_versions_the_reader_may_see(
    harness: Harness,
) -> None:
    base = indicator(1)
    v1, v2 = version(base, 1, Tlp.GREEN), version(base, 2, Tlp.RED)
    rising = indicator(2)
    w1, w2 = version(rising, 1, Tlp.RED), version(rising, 2, Tlp.GREEN)
    harness.post_objects([v1, v2, w1, w2])
    for who in ("reader_b", "admin"):
        # match[version]=last by default (§3.4.3)
        latest = harness.get(OBJECTS, who=who, **{"match[type]": "indicator"}).json()
        modified = {o["id"]: o["modified"] for o in latest["objects"]}
        assert modified == {base["id"]: v1["modified"], rising["id"]: w2["modified"]}
        first = harness.get(
            OBJECTS, who=who, **{"match[version]": "first", "match[type]": "indicator"}
        ).json()
        assert {o["id"]: o["modified"] for o in first["objects"]} == modified
        one = harness.get(f"{OBJECTS}{base['id']}/", who=who, **{"match[version]": "last"})
        assert [o["modified"] for o in one.json()["objects"]] == [v1["modified"]]
        manifest = harness.get(
            f"{ROOT}collections/{ALL}/manifest/", who=who, **{"match[type]": "indicator"}
        ).json()
        assert {m["id"] for m in manifest["objects"]} == {base["id"], rising["id"]}


@dataclass
class CountingStore:
    """The node's real store, counting the queries it answers and the object text it reads."""

    inner: ObjectStore
    queries: int = 0
    text_bytes: int = 0
    rows: list[int] = field(default_factory=list)

    def query(self, query: ObjectQuery) -> Page:
        page = self.inner.query(query)
        self.queries += 1
        self.text_bytes += sum(len(item.raw_json) for item in page.items)
        return page

    def iter_all(self, query: ObjectQuery) -> Iterator[StoredVersion]:
        for item in self.inner.iter_all(query):
            self.text_bytes += len(item.raw_json)
            yield item

    def get_versions(self, object_id: str, versions: Sequence[str] = ("all",)) -> Any:
        self.queries += 1
        return self.inner.get_versions(object_id, versions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_hidden_and_an_absent_object_cost_the_same_work(harness: Harness) -> None:
    hidden = indicator(1, tlp=Tlp.RED)
    harness.post_objects([version(hidden, day, Tlp.RED) for day in range(1, 6)])
    counting = CountingStore(harness.node.store)
    node = replace(harness.node, store=counting)
    absent = indicator(2)["id"]
    with TestClient(create_app(node, secret=SECRET), raise_server_exceptions=False) as client:
        headers = {**harness.headers["reader_b"], "Accept": TAXII}
        costs = []
        answers = []
        for oid in (hidden["id"], absent):
            for path in (f"{OBJECTS}{oid}/", f"{OBJECTS}{oid}/versions/"):
                counting.queries = counting.text_bytes = 0
                response = client.get(path, headers=headers)
                costs.append((counting.queries, counting.text_bytes))
                answers.append((response.status_code, response.text.replace(oid, "ID")))
    assert costs[:2] == costs[2:]
    # No object text is read for what is not shown.
    assert all(text == 0 for _, text in costs)
    assert answers[:2] == answers[2:]
    assert {status for status, _ in answers} == {404}


def test_a_partner_gets_no_amber_a_third_party_created_that_this_node_only_ingested(
    with_partner: Harness,
) -> None:
    harness = with_partner
    theirs = indicator(1, tlp=Tlp.AMBER, creator=ORG_B)  # Org B's, ingested by our admin
    ours = indicator(2, tlp=Tlp.AMBER, creator=node_org_id("Entente node"))
    green = indicator(3, tlp=Tlp.GREEN, creator=ORG_B)
    assert harness.post_objects([theirs, ours, green]).json()["success_count"] == 3
    served = set(listed_ids(harness.get(OBJECTS, who="partner_c").json()))
    assert ours["id"] in served and green["id"] in served
    assert theirs["id"] not in served
    missing = harness.get(f"{OBJECTS}{theirs['id']}/", who="partner_c")
    assert missing.status_code == 404
