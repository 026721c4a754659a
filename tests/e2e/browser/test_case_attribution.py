"""A case's attribution page in a real browser, over the real ATT&CK for ICS release: an
analyst of the node's org opens a case, adds the ICS techniques Sandworm Team uses to it from
their object pages, opens the case's attribution page, reads the ATT&CK-overlap hypotheses,
fills the ACH matrix, submits it, reads the scored result and finds the attributed-to
relationship on the case page. Every page the browser lands on is audited by the harness (no
serious axe finding, no CSP violation, no request beyond the node). A user of another org
then gets the case pages' 404 for the attribution page of the TLP:AMBER case.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.e2e.browser.conftest import CAROL, NODE_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser, text_of

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ICS = Path(__file__).parents[2] / "data" / "corpus" / "mitre-attack" / "ics-attack.json"
SANDWORM = "intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192"
CASE_NAME = "Substation breaker trips"
FREE_TEXT = "The operator's VPN logs show a Ukrainian-language keyboard layout"


def _sandworm_techniques() -> dict[str, str]:
    """The ICS techniques (attack-pattern id to name) Sandworm Team uses in the release."""
    release = json.loads(ICS.read_text())["objects"]
    names = {o["id"]: o.get("name", "") for o in release}
    return {
        o["target_ref"]: names[o["target_ref"]]
        for o in release
        if o.get("type") == "relationship"
        and o.get("relationship_type") == "uses"
        and o.get("source_ref") == SANDWORM
        and str(o.get("target_ref")).startswith("attack-pattern--")
        and not o.get("revoked")
    }


@pytest.fixture(scope="module")
def grid_analyst(ui_node: UiNode) -> UiUser:
    """An analyst of the node's org, on a node holding the ATT&CK for ICS release."""
    ui_node.node.cli("ingest", str(ICS))
    return ui_node.add_user("grace", org=NODE_ORG, role="analyst", password="grace's passphrase!")


def test_attribute_a_case_with_an_ach_matrix(
    ui: UiBrowser, ui_node: UiNode, grid_analyst: UiUser
) -> None:
    techniques = _sandworm_techniques()
    assert techniques
    ui.sign_in(grid_analyst)
    ui.goto("/cases")
    form = ui.page.locator("form[method=post][action='/cases']")
    form.get_by_label("Type").select_option("incident")
    form.get_by_label("Title").fill(CASE_NAME)
    form.get_by_label("Marking").select_option("amber")
    ui.follow(form.get_by_role("button", name="Open the case"))
    case_path = ui.path
    assert case_path.startswith("/cases/grouping--")
    # Each technique observed is added to the case from its object page.
    for technique in techniques:
        ui.goto(f"/objects/{technique}")
        section = ui.page.locator("section#add-to-case")
        section.get_by_label("Open case of your org").select_option(label=CASE_NAME)
        ui.follow(section.get_by_role("button", name="Add to the case"))
        assert ui.path == case_path
    ui.follow(ui.page.get_by_role("link", name="Attribution of this case"))
    assert ui.path == f"{case_path}/attribution"
    hypotheses = ui.page.locator("section[aria-labelledby=hypotheses-heading]")
    assert "Hypotheses, not an attribution." in text_of(hypotheses)
    ranked = hypotheses.locator("tbody th[scope=row] a")
    assert ranked.count() >= 2
    assert ranked.first.get_attribute("href") == f"/objects/{SANDWORM}"
    leader, rival = ranked.nth(0).inner_text(), ranked.nth(1).inner_text()
    # Weigh the leader and its nearest rival only: uncheck the others, set the columns.
    boxes = hypotheses.get_by_role("checkbox")
    for index in range(2, boxes.count()):
        boxes.nth(index).uncheck()
    ui.follow(hypotheses.get_by_role("button", name="Set the matrix's hypotheses"))
    matrix = ui.page.locator("section[aria-labelledby=matrix-heading]")
    headers = matrix.locator("thead th").all_inner_texts()
    assert headers[-2:] == [leader, rival]
    # Every technique is consistent with the leader and inconsistent with the rival, the
    # strongest from an A1 source; the free-text item tells against the rival too.
    for number, name in enumerate(techniques.values()):
        matrix.get_by_label(f"{name} against {leader}", exact=True).select_option("consistent")
        matrix.get_by_label(f"{name} against {rival}", exact=True).select_option("inconsistent")
        if number == 0:
            matrix.get_by_label(f"Weight of {name}", exact=True).fill("3")
            matrix.get_by_label(f"Source reliability of {name}", exact=True).select_option("A")
            matrix.get_by_label(f"Credibility of {name}", exact=True).select_option("1")
    matrix.get_by_label("Free-text item 1", exact=True).fill(FREE_TEXT)
    matrix.get_by_label(f"Free-text item 1 against {rival}", exact=True).select_option(
        "inconsistent"
    )
    matrix.get_by_label("Source reliability of Free-text item 1").select_option("B")
    matrix.get_by_label("Credibility of Free-text item 1").select_option("2")
    ui.follow(matrix.get_by_role("button", name="Score and store the attribution"))
    assert ui.path == f"{case_path}/attribution"
    assert "The ACH matrix was scored" in text_of(ui.page.get_by_role("status"))
    stored = ui.page.locator("article.attribution.stored")
    result = text_of(stored)
    assert f"Attributed to {leader} (just stored)" in result
    assert "Confidence100" in result.replace(" ", "") or "Confidence 100" in result
    assert re.search(rf"1\. {SANDWORM}: inconsistency 0\.00", result)
    assert FREE_TEXT in result
    relationship = stored.locator("dd a[href^='/objects/relationship--']").inner_text()
    # The case page references the relationship.
    ui.follow(ui.page.get_by_role("link", name="Back to the case"))
    assert ui.path == case_path
    objects = ui.page.locator("section[aria-labelledby=objects-heading]")
    assert objects.get_by_role("link", name=relationship).count() == 1
    # A user of another org gets the case pages' 404, which names nothing of the case.
    ui.sign_out()
    ui.sign_in(ui_node.users[CAROL])
    ui.goto(f"{case_path}/attribution")
    assert ui.page.get_by_role("heading", level=1).inner_text() == "No such case"
    ui.assert_hidden(CASE_NAME, relationship, SANDWORM)
