"""REST for a case's attribution and hypotheses: the relationship stored with the case and
the custody event recorded; client mistakes are 4xx and write nothing."""

from __future__ import annotations

from typing import Any

from tests.unit.server.conftest import Harness, indicator

from entente.bootstrap import audit_log

CASES = "/api/v1/cases"
CREW = "intrusion-set--00000000-0000-4000-8000-0000000000c1"
OTHERS = "intrusion-set--00000000-0000-4000-8000-0000000000c2"


def _set(object_id: str, name: str) -> dict[str, Any]:
    return {
        "type": "intrusion-set",
        "spec_version": "2.1",
        "id": object_id,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": name,
    }


def _matrix(ref: str) -> dict[str, Any]:
    return {
        "hypotheses": [CREW, OTHERS],
        "evidence": [
            {"ref": ref, "reliability": "A", "credibility": "2",
             "cells": {CREW: "consistent", OTHERS: "inconsistent"}},
        ],
    }  # fmt: skip


def _case(h: Harness) -> str:
    objects = [indicator(1), _set(CREW, "Crew"), _set(OTHERS, "Others")]
    posted = h.client.post("/api/v1/objects", json=objects, headers=h.headers["analyst"])
    assert posted.json()["failure_count"] == 0, posted.text
    body = {"name": "Wave", "case_type": "incident", "tlp": "green"}
    made = h.client.post(CASES, json=body, headers=h.headers["analyst"])
    assert made.status_code == 201, made.text
    cid: str = made.json()["id"]
    attach = {"objects": [indicator(1)["id"]], "evidence": False}
    assert h.client.post(f"{CASES}/{cid}/attach", json=attach, headers=h.headers["analyst"])
    return cid


def test_attribute_stores_the_relationship_with_the_case(harness: Harness) -> None:
    h = harness
    cid = _case(h)
    response = h.client.post(
        f"{CASES}/{cid}/attribute", json=_matrix(indicator(1)["id"]), headers=h.headers["analyst"]
    )
    assert response.status_code == 200, response.text
    made = response.json()["relationship"]
    assert (made["relationship_type"], made["target_ref"]) == ("attributed-to", CREW)
    shown = h.client.get(f"{CASES}/{cid}", headers=h.headers["analyst"]).json()
    assert made["id"] in shown["refs"]
    actions = [e.action for e in audit_log(h.node).custody_entries(cid)]
    assert actions == ["acquired", "acquired", "viewed"]


def test_client_mistakes_are_4xx_and_write_nothing(harness: Harness) -> None:
    h = harness
    cid = _case(h)
    before = h.node.store.stats().versions
    path = f"{CASES}/{cid}/attribute"
    cases = [
        ("reader_b", _matrix(indicator(1)["id"]), 403),
        ("analyst", {"hypotheses": "nope"}, 400),
        ("analyst", [1, 2], 400),
        ("analyst", _matrix("indicator--00000000-0000-4000-8000-0000000000ff"), 404),
        ("analyst_b", _matrix(indicator(1)["id"]), 403),
    ]
    for who, body, status in cases:
        response = h.client.post(path, json=body, headers=h.headers[who])
        assert response.status_code == status, (who, body, response.text)
    bad_case = "grouping--00000000-0000-4000-8000-0000000000ff"
    response = h.client.post(
        f"{CASES}/{bad_case}/attribute",
        json=_matrix(indicator(1)["id"]),
        headers=h.headers["analyst"],
    )
    assert response.status_code == 404
    assert h.node.store.stats().versions == before


def test_hypotheses_need_techniques(harness: Harness) -> None:
    h = harness
    cid = _case(h)
    response = h.client.get(f"{CASES}/{cid}/hypotheses", headers=h.headers["analyst"])
    assert response.status_code == 400
    assert "no ATT&CK technique" in response.text
