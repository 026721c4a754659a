"""The object page's "Who will receive this?" and its revoke action in a real browser: an
analyst of the node's org opens an indicator, sees one partner allowed (under an agreement)
and one denied (a registered partner with no agreement), revokes it and sees it revoked;
every page with no serious axe finding, no CSP violation and no request beyond the node.
"""

from __future__ import annotations

import pytest
from tests.e2e.browser.conftest import NODE_ORG, PARTNER_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser, new_local_node, text_of

from entente.services.tokens import org_identity_id
from entente.stix import Tlp, marking_id_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]

INDICATOR_ID = "indicator--6b1e2c1a-8d3f-4c4e-9a51-0f2d3c4b5a61"
# A registered partner that no agreement covers.
UNBOUND_ORG = "Water Board"


@pytest.fixture(scope="module")
def node_analyst(ui_node: UiNode, tmp_path_factory: pytest.TempPathFactory) -> UiUser:
    """An analyst of the node's org, on a node holding one of its org's TLP:GREEN indicators,
    with an agreement with the partner org and a second partner registered without one."""
    node = ui_node.node
    node.ingest(
        [
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": INDICATOR_ID,
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "created_by_ref": org_identity_id(NODE_ORG),
                "name": "C2 address of the grid campaign",
                "pattern": "[ipv4-addr:value = '198.51.100.7']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
                "confidence": 70,
                "object_marking_refs": [marking_id_for(Tlp.GREEN)],
            }
        ]
    )
    node.add_agreement(
        {
            "id": "hub-grid",
            "name": "hub and grid",
            "parties": [NODE_ORG, PARTNER_ORG],
            "max_tlp": "amber",
            "onward_sharing": "none",
        }
    )
    unbound = new_local_node(tmp_path_factory.mktemp("unbound"), UNBOUND_ORG)
    unbound.init()
    node.cli("partner", "add", "--card", str(unbound.card()), "--token", "token-of-water")
    return ui_node.add_user("erin", org=NODE_ORG, role="analyst", password="erin's passphrase!")


def test_who_will_receive_it_then_revoke(ui: UiBrowser, node_analyst: UiUser) -> None:
    ui.sign_in(node_analyst)
    ui.goto(f"/objects/{INDICATOR_ID}")
    section = ui.page.locator("section#recipients")
    assert section.get_by_role("heading", name="Who will receive this?").count() == 1
    rows = section.locator("tbody tr")
    answers = {text_of(rows.nth(i).locator("th")): text_of(rows.nth(i).locator("td").first)
               for i in range(rows.count())}  # fmt: skip
    # A party to an agreement is named with the agreements that bind it to this node.
    assert answers == {org_identity_id(PARTNER_ORG) + " party to hub and grid": "allowed",
                       "Water-Board " + org_identity_id(UNBOUND_ORG): "denied"}  # fmt: skip
    assert "no agreement" in text_of(section)
    # The allowed partner's copy is the indicator as it would be sent.
    assert "198.51.100.7" in text_of(section.locator("pre"))
    score = ui.page.locator("section[aria-labelledby=score-heading]")
    assert "score:" in text_of(score)
    ui.follow(ui.page.get_by_role("button", name="Revoke this object"))
    assert ui.path == f"/objects/{INDICATOR_ID}"
    assert "Revoked: a revoked version" in text_of(ui.page.get_by_role("status"))
    assert "the indicator is revoked" in text_of(score)
    assert ui.page.get_by_role("button", name="Revoke this object").count() == 0
