"""TAXII DELETE (§5.7) on the real app refuses what a case under legal hold preserves: 403
naming the case to whoever may see it, and no hint of the case to anyone else; released, the
object is deleted again."""

from __future__ import annotations

import pytest
from httpx import Response
from tests.unit.server.conftest import ALL, ROOT, Harness, indicator

from entente.bootstrap import cases
from entente.cases import CaseType
from entente.services import create_token, node_org_id, principal_of
from entente.services.cases import CaseService
from entente.sharing import Principal
from entente.stix import Tlp

OBJECTS = f"{ROOT}collections/{ALL}/objects/"
REASON = "Preservation ordered by the examining magistrate, file 2026/4711"
NAME = "Operation Quiet Harbour"


def _analyst(harness: Harness) -> tuple[CaseService, Principal]:
    token, _ = create_token(harness.node.tokens, harness.node.clock, org_name="Entente node",
                            role="analyst")  # fmt: skip
    return cases(harness.node), principal_of(token)


def _held_case(harness: Harness, *object_ids: str) -> tuple[CaseService, Principal, str]:
    """A case of the node's org, AMBER+STRICT (Org B may not see it), holding ``object_ids``."""
    service, analyst = _analyst(harness)
    case = service.create(analyst, name=NAME, case_type=CaseType.LAW_ENFORCEMENT_REFERRAL)
    service.attach(analyst, case.case.id, list(object_ids))
    service.place_hold(analyst, case.case.id, REASON)
    return service, analyst, case.case.id


def _delete(harness: Harness, object_id: str, who: str) -> Response:
    response: Response = harness.client.delete(
        f"{OBJECTS}{object_id}/", headers=harness.headers[who]
    )
    return response


def test_a_held_object_is_not_deleted_and_the_refusal_names_the_case(harness: Harness) -> None:
    ours = indicator(1, tlp=Tlp.GREEN)
    assert harness.post_objects([ours], who="analyst").status_code == 202
    service, analyst, case_id = _held_case(harness, ours["id"])
    response = _delete(harness, ours["id"], "analyst")
    assert response.status_code == 403
    detail = response.json()["description"]
    assert case_id in detail and NAME in detail and REASON in detail
    assert "Release the hold" in detail
    assert harness.get(f"{OBJECTS}{ours['id']}/").status_code == 200
    service.release_hold(analyst, case_id, "The magistrate lifted the order")
    assert _delete(harness, ours["id"], "analyst").status_code == 200
    assert harness.get(f"{OBJECTS}{ours['id']}/").status_code == 404


def test_the_case_and_its_incident_are_not_deleted_while_on_hold(harness: Harness) -> None:
    ours = indicator(2, tlp=Tlp.GREEN)
    harness.post_objects([ours], who="analyst")
    service, analyst, case_id = _held_case(harness, ours["id"])
    incident = service.show(analyst, case_id).shown.case.incident_id
    for object_id in (case_id, incident):
        response = _delete(harness, object_id, "admin")
        assert response.status_code == 403, object_id
    service.release_hold(analyst, case_id, "closed")
    assert _delete(harness, case_id, "admin").status_code == 200


def test_who_may_not_see_the_case_gets_no_hint_of_it(harness: Harness) -> None:
    theirs = indicator(3, tlp=Tlp.GREEN, creator=node_org_id("Org B"))
    assert harness.post_objects([theirs], who="analyst_b").status_code == 202
    _held_case(harness, theirs["id"])
    response = _delete(harness, theirs["id"], "analyst_b")
    assert response.status_code == 403
    body = response.text
    assert response.json()["description"] == (
        f"{theirs['id']} is preserved by a legal hold and cannot be deleted"
    )
    for secret in ("grouping--", "incident--", NAME, REASON, "Magistrate", "case"):
        assert secret not in body
    # Nor may Org B read the case by any other route.
    listing = harness.get(f"{OBJECTS}", who="analyst_b", **{"match[type]": "grouping"}).json()
    assert listing.get("objects", []) == []


@pytest.mark.parametrize("who", ["reader_b", "partner_c"])
def test_who_may_not_delete_at_all_is_refused_as_before(harness: Harness, who: str) -> None:
    ours = indicator(4, tlp=Tlp.GREEN)
    harness.post_objects([ours], who="analyst")
    _held_case(harness, ours["id"])
    response = _delete(harness, ours["id"], who)
    assert response.status_code in (403, 404)
    assert "legal hold" not in response.text
