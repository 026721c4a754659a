"""Forged provenance: a principal posts, versions and deletes only what its org owns.

Attacks of a careless or hostile insider with a token of another org (``analyst_b``) against
the node's own objects and identity, and what a partner then receives.
"""

from __future__ import annotations

from typing import Any

from tests.unit.server.conftest import ALL, ROOT, Harness, indicator

from entente.federation import EXTENSION_ID
from entente.services import node_org_id
from entente.stix import Tlp, marking_id_for

OBJECTS = f"{ROOT}collections/{ALL}/objects/"
NODE = node_org_id("Entente node")
ORG_B = node_org_id("Org B")
ORG_C = node_org_id("Org C")


def delete(harness: Harness, object_id: str, who: str) -> Any:
    return harness.client.delete(
        f"{OBJECTS}{object_id}/",
        headers={**harness.headers[who], "Accept": "application/taxii+json;version=2.1"},
    )


def signer_of(obj: dict[str, Any]) -> str | None:
    extension = obj.get("extensions", {}).get(EXTENSION_ID)
    return None if extension is None else str(extension["signer"])


def test_nobody_outside_the_node_org_posts_in_its_name(with_partner: Harness) -> None:
    harness = with_partner
    forged = indicator(1, tlp=Tlp.GREEN, creator=NODE)
    status = harness.post_objects([forged], who="analyst_b").json()
    assert status["failure_count"] == 1
    assert "this node's org" in status["failures"][0]["message"]
    # Not stored, so never signed and sent to partners as the node's own.
    assert harness.get(f"{OBJECTS}{forged['id']}/").status_code == 404
    assert forged["id"] not in {
        o["id"] for o in harness.get(OBJECTS, who="partner_c").json().get("objects", [])
    }


def test_a_principal_posts_its_own_org_and_no_other(harness: Harness) -> None:
    own = indicator(1, tlp=Tlp.GREEN, creator=ORG_B)
    anonymous = indicator(2, tlp=Tlp.GREEN)
    someone_else = indicator(3, tlp=Tlp.GREEN, creator=ORG_C)
    status = harness.post_objects([own, anonymous, someone_else], who="analyst_b").json()
    assert [d["id"] for d in status["successes"]] == [own["id"], anonymous["id"]]
    assert [d["id"] for d in status["failures"]] == [someone_else["id"]]
    assert "only this node's admins" in status["failures"][0]["message"]
    # This node's analysts do not ingest another org's content either; its admins do.
    status = harness.post_objects([someone_else], who="analyst").json()
    assert status["failure_count"] == 1
    assert harness.post_objects([someone_else], who="admin").json()["success_count"] == 1


def test_only_what_this_node_created_goes_out_signed_by_it(with_partner: Harness) -> None:
    harness = with_partner
    ours = indicator(1, tlp=Tlp.GREEN, creator=NODE)
    third_party = indicator(2, tlp=Tlp.GREEN, creator=ORG_B)
    assert harness.post_objects([ours, third_party]).json()["success_count"] == 2
    sent = {o["id"]: o for o in harness.get(OBJECTS, who="partner_c").json()["objects"]}
    assert signer_of(sent[ours["id"]]) == NODE
    assert signer_of(sent[third_party["id"]]) is None


def test_new_versions_come_from_the_owner_only(harness: Harness) -> None:
    ours = indicator(1, tlp=Tlp.GREEN, creator=NODE)
    anonymous = indicator(2, tlp=Tlp.GREEN)
    assert harness.post_objects([ours, anonymous], who="analyst").json()["success_count"] == 2
    hijack = [
        {**ours, "modified": "2024-02-01T00:00:00.000Z", "name": "hijacked"},
        {**anonymous, "modified": "2024-02-01T00:00:00.000Z", "name": "hijacked"},
    ]
    status = harness.post_objects(hijack, who="analyst_b").json()
    assert status["failure_count"] == 2
    for obj in (ours, anonymous):
        versions = harness.get(f"{OBJECTS}{obj['id']}/versions/").json()["versions"]
        assert len(versions) == 1
    # The owner's own analysts add versions.
    update = {**ours, "modified": "2024-02-01T00:00:00.000Z", "name": "updated"}
    assert harness.post_objects([update], who="analyst").json()["success_count"] == 1


def test_an_analyst_of_another_org_deletes_nothing_of_ours(harness: Harness) -> None:
    ours = indicator(1, tlp=Tlp.GREEN, creator=NODE)
    theirs = indicator(2, tlp=Tlp.GREEN, creator=ORG_B)
    harness.post_objects([ours])
    harness.post_objects([theirs], who="analyst_b")
    refused = delete(harness, ours["id"], "analyst_b")
    assert refused.status_code == 403
    assert harness.get(f"{OBJECTS}{ours['id']}/").status_code == 200
    assert delete(harness, theirs["id"], "analyst_b").status_code == 200
    assert delete(harness, ours["id"], "analyst").status_code == 200
    assert harness.get(f"{OBJECTS}{ours['id']}/").status_code == 404


def test_a_version_marked_for_the_node_only_is_not_a_way_in(harness: Harness) -> None:
    # Org B may not see it (AMBER+STRICT of the node): its delete is a 404, as for nothing.
    secret = indicator(1, tlp=Tlp.AMBER_STRICT, creator=NODE)
    harness.post_objects([secret])
    assert delete(harness, secret["id"], "analyst_b").status_code == 404
    assert delete(harness, indicator(9)["id"], "analyst_b").status_code == 404
    assert harness.get(f"{OBJECTS}{secret['id']}/").json()["objects"][0]["object_marking_refs"] == [
        marking_id_for(Tlp.AMBER_STRICT)
    ]
