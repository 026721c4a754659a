"""The analyst's pages in a real browser, over real STIX data nobody here wrote (the Poison Ivy
report bundle of the STIX 2.1 examples): search, follow a result to its object page, open its
graph, the dashboard and the ATT&CK page, each with no CSP violation, no request beyond the
node and no serious axe finding; a user of another org finds none of it. The Admin page, with
the result of an action on it, is audited alike, and refused to anyone but a node admin.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.browser.conftest import CAROL, NODE_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser

pytestmark = [pytest.mark.integration, pytest.mark.browser]

POISONIVY = Path(__file__).parents[2] / "data" / "stix" / "poisonivy.json"
# An address of a Poison Ivy C2 indicator, and that indicator's name.
C2_ADDRESS = "219.76.208.163"
INDICATOR_NAME = "IP address: 219.76.208.163"


@pytest.fixture(scope="module")
def node_analyst(ui_node: UiNode) -> UiUser:
    """An analyst of the node's own org, on a node holding the Poison Ivy bundle.

    The bundle is unmarked, so it reads as the node's default marking (TLP:AMBER+STRICT): its
    own org sees it, the other orgs' users do not.
    """
    ui_node.node.cli("ingest", str(POISONIVY), "--source", "stix examples")
    return ui_node.add_user("dana", org=NODE_ORG, role="analyst", password="dana's passphrase!")


def test_search_then_object_page_then_graph(ui: UiBrowser, node_analyst: UiUser) -> None:
    ui.sign_in(node_analyst)
    assert ui.path == "/"
    ui.follow(ui.page.get_by_role("navigation", name="Main").get_by_role("link", name="Search"))
    assert ui.path == "/search"
    ui.page.get_by_label("Value, id, name or words").fill(C2_ADDRESS)
    ui.follow(ui.page.locator("form[role=search]").get_by_role("button"))
    results = ui.page.locator("section[aria-labelledby=results-heading] table tbody tr")
    assert results.count() >= 1
    first = results.first.get_by_role("link").first
    href = first.get_attribute("href")
    assert href is not None and href.startswith("/objects/indicator--")
    ui.follow(first)
    assert ui.path == href
    assert ui.page.get_by_role("heading", level=1).count() == 1
    assert C2_ADDRESS in ui.page.content()
    ui.goto(href.replace("/objects/", "/graph/"))
    assert ui.page.locator("svg[role=group]").count() >= 1
    ui.goto("/attack")
    ui.goto("/cases")
    ui.goto("/cases/board")
    ui.goto("/exports")
    ui.goto("/ingest")
    ui.goto("/")


def test_a_user_of_another_org_finds_none_of_it(
    ui: UiBrowser, ui_node: UiNode, node_analyst: UiUser
) -> None:
    ui.sign_in(ui_node.users[CAROL])
    ui.goto(f"/search?q={C2_ADDRESS}")
    assert ui.page.locator("section[aria-labelledby=results-heading] table tbody tr").count() == 0
    ui.assert_hidden(INDICATOR_NAME, "Poison Ivy")
    ui.goto("/")
    ui.assert_hidden(INDICATOR_NAME, "Poison Ivy")


@pytest.fixture(scope="module")
def node_admin(ui_node: UiNode) -> UiUser:
    """An admin of the node's own org (the one who may open the Admin page)."""
    return ui_node.add_user("ada", org=NODE_ORG, role="admin", password="ada's admin passphrase")


def test_the_admin_page_and_an_action_on_it(ui: UiBrowser, node_admin: UiUser) -> None:
    ui.sign_in(node_admin)
    ui.follow(ui.page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin"))
    assert ui.path == "/admin"
    for section in ("Users", "API tokens", "Collections", "Warninglists", "Settings"):
        assert ui.page.get_by_role("heading", level=2, name=section).count() == 1
    form = ui.page.locator("form[action='/admin/tokens/create']")
    form.get_by_label("Organization").fill("Grid <b>ops</b>")
    form.get_by_label("Role").select_option("reader")
    ui.follow(form.get_by_role("button", name="Create token"))
    assert "created for Grid <b>ops</b>" in ui.page.locator("#result-message").inner_text()
    assert ui.page.locator("code.secret").inner_text().startswith("ent_tok_")


def test_the_admin_page_is_refused_to_an_analyst(ui: UiBrowser, node_analyst: UiUser) -> None:
    ui.sign_in(node_analyst)
    nav = ui.page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Admin").count() == 0
    ui.goto("/admin")
    assert ui.page.get_by_role("heading", level=1).inner_text() == "Not allowed"
