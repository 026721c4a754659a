"""The advisory pages over the real app: the list and draft form, one advisory with its
Markdown, PDF and approval state, publishing once approved (CSRF, 303, 400/403/404 pages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.factories import GREEN, new_version
from tests.unit.server.ui_sessions import FEED, UiNode, ui_node

from entente.approvals import Verdict
from entente.bootstrap import advisory_desk, approvals
from entente.services import node_org_id
from entente.sharing import Principal, Role
from entente.store import ObjectQuery

INDICATOR: dict[str, Any] = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--a3000000-0000-4000-8000-000000000001",
    "created": "2024-01-01T00:00:00.000Z",
    "modified": "2024-01-01T00:00:00.000Z",
    "name": "Triton C2",
    "pattern": "[ipv4-addr:value = '10.7.0.1']",
    "pattern_type": "stix",
    "valid_from": "2024-01-01T00:00:00Z",
    "object_marking_refs": [GREEN],
}
ABSENT = "report--a0000000-0000-4000-8000-00000000ffff"


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    with ui_node(tmp_path) as opened:
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(INDICATOR, INDICATOR["modified"]), FEED)])
        yield opened


def draft(ui: UiNode, who: str = "analyst", **more: str) -> Any:
    form = {
        "title": "Triton on the grid",
        "summary": "Agencies warn of Triton.",
        "object_ids": INDICATOR["id"],
        "collection": "All objects",
        **more,
    }
    return ui.post("/advisories", who, **form)


def test_an_analyst_drafts_sees_it_pending_and_publishes_once_approved(ui: UiNode) -> None:
    listing = ui.get("/advisories", "analyst")
    assert listing.status_code == 200
    assert "No advisory that you may see." in listing.text
    assert 'label for="adv-title"' in listing.text
    answer = draft(ui, mitigations="Block 10.7.0.1\nPatch the SIS")
    assert answer.status_code == 303, answer.text
    path = urlsplit(answer.headers["location"]).path
    assert path.startswith("/advisories/report--"), answer.headers["location"]
    report_id = path.removeprefix("/advisories/")
    page = ui.get(path, "analyst", done="drafted")
    assert page.status_code == 200
    assert "was drafted, signed by this node and sent for approval" in page.text
    assert 'id="advisory-state">pending approval<' in page.text
    assert "Triton C2" in page.text and "Patch the SIS" in page.text
    assert "signed by every agency" in page.text
    assert f'action="{path}/publish"' not in page.text
    assert report_id in ui.get("/advisories", "admin").text
    pdf = ui.get(f"{path}/advisory.pdf", "analyst")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    # Publishing before approval: a 403 naming what is missing, nothing stored.
    refused = ui.post(f"{path}/publish", "analyst")
    assert refused.status_code == 403
    assert "more approval" in refused.text
    assert not list(ui.node.store.iter_all(ObjectQuery(ids=(report_id,))))
    org = node_org_id("CERT-X")
    (request,) = advisory_desk(ui.node).show(ui.principals["analyst"], report_id).requests
    for name in ("bob", "carol"):
        approver = Principal(f"user:{name}", org, Role.ANALYST, True)
        approvals(ui.node).approve(approver, request.request.id, Verdict.APPROVE, "ok")
    approved = ui.get(path, "analyst")
    assert 'id="advisory-state">approved<' in approved.text
    assert f'action="{path}/publish"' in approved.text
    done = ui.post(f"{path}/publish", "analyst")
    assert done.status_code == 303
    assert done.headers["location"].endswith(f"{path}?done=published")
    published = ui.get(path, "analyst", done="published")
    assert 'id="advisory-state">published<' in published.text
    assert list(ui.node.store.iter_all(ObjectQuery(ids=(report_id,))))
    assert ui.post(f"{path}/publish", "analyst").status_code == 400


def test_others_get_403_for_the_list_and_the_same_404_for_an_advisory(ui: UiNode) -> None:
    path = urlsplit(draft(ui).headers["location"]).path
    for who in ("reader", "analyst_b", "reader_c"):
        assert ui.get("/advisories", who).status_code == 403, who
        absent = ui.get(f"/advisories/{ABSENT}", who)
        for suffix in ("", "/advisory.pdf"):
            hidden = ui.get(f"{path}{suffix}", who)
            assert hidden.status_code == 404, who
            assert "Triton" not in hidden.text
        assert ui.get(path, who).text == absent.text
        assert draft(ui, who).status_code == 403, who
        assert ui.post(f"{path}/publish", who).status_code in (403, 404), who
    for bad in ("report--..%2F..%2Fnode.db", "indicator--x", "report--1", "x"):
        assert ui.get(f"/advisories/{bad}", "analyst").status_code == 404, bad


def test_an_operator_shown_another_version_of_its_objects_does_not_see_it(ui: UiNode) -> None:
    path = urlsplit(draft(ui).headers["location"]).path
    assert ui.get(path, "admin").status_code == 200
    # A newer version arrives: the admin is now shown the indicator otherwise than the
    # advisory holds it, so the draft is the author's alone (never more than the policy).
    newer = {**INDICATOR, "modified": "2024-02-01T00:00:00.000Z", "name": "Triton C2 (new)"}
    with ui.node.store.transaction() as tx:
        tx.insert([(new_version(newer, newer["modified"]), FEED)])
    assert ui.get(path, "admin").status_code == 404
    assert ui.get(path, "analyst").status_code == 200
    assert path.removeprefix("/advisories/") not in ui.get("/advisories", "admin").text


def test_bad_forms_are_400_and_a_missing_csrf_token_403(ui: UiNode) -> None:
    assert draft(ui, title="").status_code == 400
    assert draft(ui, collection="").status_code == 400
    assert draft(ui, object_ids="").status_code == 400
    assert draft(ui, summary="x" * 8001).status_code == 400
    assert draft(ui, collection="Nowhere").status_code == 404
    assert draft(ui, coauthors="nobody").status_code == 400
    hidden = draft(ui, object_ids="indicator--a3000000-0000-4000-8000-000000000999")
    assert hidden.status_code == 404
    ui.client.cookies.set("entente_session", ui.tokens["analyst"])
    forged = ui.client.post("/advisories", data={"title": "t", "summary": "s"})
    assert forged.status_code == 403
    assert list(ui.node.settings.home.glob("advisories/*")) == []


def test_the_nav_links_the_page_for_the_node_orgs_admins_and_analysts(ui: UiNode) -> None:
    link = '<a href="/advisories">Advisories</a>'
    linked_for = {"admin": True, "analyst": True, "reader": False, "analyst_b": False}
    for who, linked in linked_for.items():
        assert (link in ui.get("/", who).text) is linked, who
