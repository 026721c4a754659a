"""Granular markings (STIX 2.1 §7.2.3) on every surface: what a reader may not see is left out.

The attack: a GREEN object whose description (or name) is marked AMBER+STRICT, read by an
org of the community that may read the object but not that property, and by a partner node.
"""

from __future__ import annotations

from typing import Any

from tests.unit.server.conftest import ALL, ROOT, Harness, indicator

from entente.services import node_org_id
from entente.stix import Tlp, marking_id_for

OBJECTS = f"{ROOT}collections/{ALL}/objects/"
NODE = node_org_id("Entente node")
SECRET = "victim: the city hospital"


def marked(n: int, selectors: list[str], level: Tlp) -> dict[str, Any]:
    """A GREEN indicator of the node, its ``selectors`` under a granular ``level`` marking."""
    obj = indicator(n, tlp=Tlp.GREEN, creator=NODE)
    obj["valid_from"] = "2023-11-13T00:00:00Z"  # active at the harness clock: feeds export it
    obj["name"] = f"{SECRET} ({n})"
    obj["description"] = SECRET
    obj["labels"] = ["public", SECRET]
    obj["granular_markings"] = [{"marking_ref": marking_id_for(level), "selectors": selectors}]
    return obj


def test_a_property_under_a_stricter_marking_is_left_out_of_every_copy(
    with_partner: Harness,
) -> None:
    harness = with_partner
    obj = marked(1, ["name", "description", "labels.[1]"], Tlp.AMBER_STRICT)
    assert harness.post_objects([obj]).json()["success_count"] == 1
    for who in ("reader_b", "partner_c"):
        one = harness.get(f"{OBJECTS}{obj['id']}/", who=who)
        listed = harness.get(OBJECTS, who=who, **{"match[type]": "indicator"})
        rest = harness.client.get(f"/api/v1/objects/{obj['id']}", headers=harness.headers[who])
        feed = harness.client.get("/feeds/csv", headers=harness.headers[who])
        for response in (one, listed, rest, feed):
            assert response.status_code == 200, (who, response.text)
            assert SECRET not in response.text, (who, response.request.url)
        copy = one.json()["objects"][0]
        assert copy["labels"] == ["public"]
        assert "granular_markings" not in copy
    # The node's own org reads all of it.
    full = harness.get(f"{OBJECTS}{obj['id']}/", who="analyst").json()["objects"][0]
    assert full == obj


def test_an_object_that_cannot_lose_what_is_hidden_is_withheld_everywhere(
    harness: Harness,
) -> None:
    obj = marked(2, ["pattern"], Tlp.RED)
    assert harness.post_objects([obj]).json()["success_count"] == 1
    for who in ("admin", "reader_b"):
        assert harness.get(f"{OBJECTS}{obj['id']}/", who=who).status_code == 404
        listed = harness.get(OBJECTS, who=who, **{"match[type]": "indicator"}).json()
        assert obj["id"] not in {o["id"] for o in listed.get("objects", [])}
        feed = harness.client.get("/feeds/csv", headers=harness.headers[who])
        assert obj["id"] not in feed.text
        assert "10.0.0.2" not in feed.text
