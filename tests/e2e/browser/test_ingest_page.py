"""The ingest page in a real browser: an analyst of the node's org pastes a report, reviews the
values (google.com caught by the MISP warninglists the node ships), stores the rest and finds
the new indicator with the search; the ingest and exports pages have no serious axe finding,
no CSP violation and no request beyond the node. A reader of another org gets no form.
"""

from __future__ import annotations

import pytest
from tests.e2e.browser.conftest import BOB, NODE_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser, text_of

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ADDRESS = "185.220.101.33"
REPORT = f"The loader reaches {ADDRESS} after checking connectivity with google.com.\n"


@pytest.fixture(scope="module")
def ingesting_analyst(ui_node: UiNode) -> UiUser:
    """An analyst of the node's own org: the users the ingest page offers its form to."""
    return ui_node.add_user("erin", org=NODE_ORG, role="analyst", password="erin's passphrase!")


def test_paste_review_store_then_search(ui: UiBrowser, ingesting_analyst: UiUser) -> None:
    ui.sign_in(ingesting_analyst)
    nav = ui.page.get_by_role("navigation", name="Main")
    ui.follow(nav.get_by_role("link", name="Ingest"))
    assert ui.path == "/ingest"
    ui.page.get_by_label("Or paste text").fill(REPORT)
    ui.follow(ui.page.get_by_role("button", name="Preview"))
    assert ui.path == "/ingest/preview"
    rows = ui.page.locator("#preview-values tbody tr")
    decisions = {
        text_of(row.locator("td").nth(2)): text_of(row.locator("td").nth(3)) for row in rows.all()
    }
    assert decisions[ADDRESS] == "kept"
    assert decisions["google.com"].startswith("left out: warninglist ")
    ui.follow(ui.page.get_by_role("button", name="Store"))
    assert ui.path == "/ingest/confirm"
    assert "1 values left out" in text_of(ui.page.locator("#stored-heading + p"))
    ui.follow(nav.get_by_role("link", name="Search"))
    ui.page.get_by_label("Value, id, name or words").fill(ADDRESS)
    ui.follow(ui.page.locator("form[role=search]").get_by_role("button"))
    results = ui.page.locator("section[aria-labelledby=results-heading] table tbody tr")
    assert results.count() == 1
    assert ADDRESS in text_of(results.first)
    ui.follow(nav.get_by_role("link", name="Exports"))
    assert ui.path == "/exports"
    assert ui.page.locator("#exports-table tbody tr").count() >= 8


def test_a_reader_of_another_org_gets_no_form(ui: UiBrowser, ui_node: UiNode) -> None:
    ui.sign_in(ui_node.users[BOB])
    ui.goto("/ingest")
    assert ui.page.locator("form[action='/ingest/preview']").count() == 0
    assert "Only the admins and analysts" in ui.page.content()
    ui.goto("/exports")
    ui.assert_hidden(ADDRESS)
