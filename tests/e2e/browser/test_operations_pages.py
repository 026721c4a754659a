"""The node's operations pages in a real browser: "Partners and agreements", "Hits and
hunts" after a real ``entente match`` over the Zeek samples, and "Who saw this?" after an
object page was read, each with no CSP violation, no request beyond the node and no serious
axe finding; a user of another org is refused them (403) and finds none of what they name.
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from tests.e2e.browser.conftest import CAROL, NODE_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser, new_local_node

from entente.services.audit_recorder import FLUSH_INTERVAL_S

pytestmark = [pytest.mark.integration, pytest.mark.browser]

LOGS = Path(__file__).parents[2] / "data" / "logs" / "zeek" / "zeek-json"
INDICATOR_NAME = "Default VMware host certificate"
INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--e0000000-0000-4000-8000-000000000001",
    "created": "2024-01-01T00:00:00.000Z",
    "modified": "2024-01-01T00:00:00.000Z",
    "name": INDICATOR_NAME,
    "pattern": "[domain-name:value = 'localhost.localdomain']",
    "pattern_type": "stix",
    "valid_from": "2018-01-01T00:00:00Z",
}
AGREEMENT = {
    "id": "with-the-utility",
    "name": "Hub and the utility",
    "parties": [NODE_ORG, "Power Utility"],
    "max_tlp": "green",
    "onward_sharing": "none",
    "redact": {"sighting": ["where_sighted_refs"]},
}


@pytest.fixture(scope="module")
def node_admin(ui_node: UiNode, tmp_path_factory: pytest.TempPathFactory) -> UiUser:
    """An admin of the node's org, on a node with an indicator, an agreement and a match run
    over the Zeek samples that stored a sighting (unmarked: the node's default, AMBER+STRICT)."""
    folder = tmp_path_factory.mktemp("operations")
    bundle = folder / "indicator.json"
    bundle.write_bytes(
        orjson.dumps({"type": "bundle", "id": "bundle--e0000000-0000-4000-8000-000000000002",
                      "objects": [INDICATOR]})
    )  # fmt: skip
    agreement = folder / "agreement.json"
    agreement.write_bytes(orjson.dumps(AGREEMENT))
    node = ui_node.node
    node.cli("ingest", str(bundle), "--source", "browser test")
    node.cli("agreement", "add", str(agreement))
    # A partner from a real card of another node (not started: the page shows it unsynced).
    utility = new_local_node(folder / "utility", "Power Utility")
    utility.init()
    node.cli(
        "partner", "add", "--card", str(utility.card()), "--token", "t0ken", "--name", "utility"
    )
    node.cli("match", str(LOGS / "notice.json.gz"), str(LOGS / "x509.json.gz"), "--sightings")
    return ui_node.add_user("erin", org=NODE_ORG, role="admin", password="erin's passphrase!")


def test_partners_then_hits_then_a_run_then_its_indicator(
    ui: UiBrowser, node_admin: UiUser
) -> None:
    ui.sign_in(node_admin)
    nav = ui.page.get_by_role("navigation", name="Main")
    ui.follow(nav.get_by_role("link", name="Partners"))
    assert ui.path == "/partners"
    assert "Hub and the utility" in ui.page.content()
    ui.follow(ui.page.get_by_role("link", name="utility", exact=True))
    assert ui.path == "/partners/utility"
    assert ui.page.get_by_role("heading", level=1).inner_text() == "Partner utility"
    assert "Hub and the utility" in ui.page.locator("#partner-agreements-table").inner_text()
    ui.follow(nav.get_by_role("link", name="Hits and hunts"))
    assert ui.path == "/hits"
    ui.follow(ui.page.get_by_role("link", name="Run 1"))
    assert ui.path == "/hits/1"
    assert ui.page.locator("#sightings-list li").count() == 1
    ui.follow(ui.page.get_by_role("link", name=INDICATOR_NAME))
    assert ui.path == f"/objects/{INDICATOR['id']}"


def test_who_saw_the_indicator_names_the_admin_who_read_it(
    ui: UiBrowser, node_admin: UiUser
) -> None:
    ui.sign_in(node_admin)
    ui.goto(f"/objects/{INDICATOR['id']}")
    nav = ui.page.get_by_role("navigation", name="Main")
    ui.follow(nav.get_by_role("link", name="Who saw this?"))
    assert ui.path == "/audit"
    form = ui.page.locator("form[action='/audit']")
    form.get_by_label("Object id").fill(str(INDICATOR["id"]))
    # The server appends the read of the object page off the request path, every 0.2 s.
    time.sleep(3 * FLUSH_INTERVAL_S)
    ui.follow(form.get_by_role("button", name="Ask"))
    table = ui.page.locator("#audit-table")
    assert table.get_by_role("link", name=str(INDICATOR["id"])).count() >= 1
    assert "admin" in table.inner_text()


def test_a_user_of_another_org_is_refused_the_operations_pages(
    ui: UiBrowser, ui_node: UiNode, node_admin: UiUser
) -> None:
    ui.sign_in(ui_node.users[CAROL])
    nav = ui.page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Partners").count() == 0
    assert nav.get_by_role("link", name="Hits and hunts").count() == 0
    assert nav.get_by_role("link", name="Who saw this?").count() == 0
    for path in ("/partners", "/partners/utility", "/hits", "/hits/1", "/audit"):
        ui.goto(path)
        assert ui.page.get_by_role("heading", level=1).inner_text() == "Not for your account"
        ui.assert_hidden(INDICATOR_NAME, "Hub and the utility", "localhost.localdomain")
