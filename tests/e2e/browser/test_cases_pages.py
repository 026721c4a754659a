"""The case pages in a real browser: an analyst of the node's org opens an indicator, opens a
new case from its "Add to a case" section, adds the indicator to it, adds a task, marks it
done and reads the timeline; the list, the board and the case page, like every page the
browser lands on, with no serious axe finding, no CSP violation and no request beyond the
node. A user of another org then finds the AMBER case neither listed nor readable.
"""

from __future__ import annotations

import pytest
from tests.e2e.browser.conftest import CAROL, NODE_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser, text_of

from entente.services.tokens import org_identity_id
from entente.stix import Tlp, marking_id_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]

INDICATOR_ID = "indicator--3c0d52f4-6f0e-4c8b-9d0a-2b1f0e6c7a11"
CASE_NAME = "Grid phishing wave"


@pytest.fixture(scope="module")
def case_analyst(ui_node: UiNode) -> UiUser:
    """An analyst of the node's org, on a node holding one of its org's TLP:GREEN indicators."""
    ui_node.node.ingest(
        [
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": INDICATOR_ID,
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "created_by_ref": org_identity_id(NODE_ORG),
                "name": "Phishing sender of the grid campaign",
                "pattern": "[email-addr:value = 'billing@grid-invoices.example']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": [marking_id_for(Tlp.GREEN)],
            }
        ]
    )
    return ui_node.add_user("frank", org=NODE_ORG, role="analyst", password="frank's passphrase!")


def test_open_a_case_from_an_indicator_then_work_it(ui: UiBrowser, case_analyst: UiUser) -> None:
    ui.sign_in(case_analyst)
    ui.goto(f"/objects/{INDICATOR_ID}")
    section = ui.page.locator("section#add-to-case")
    assert "no open case" in text_of(section)
    ui.follow(section.get_by_role("link", name="Open one on the cases page"))
    assert ui.path == "/cases"
    form = ui.page.locator("form[method=post][action='/cases']")
    form.get_by_label("Type").select_option("incident")
    form.get_by_label("Title").fill(CASE_NAME)
    form.get_by_label("Description (optional)").fill("Invoices from a look-alike domain")
    form.get_by_label("Marking").select_option("amber")
    ui.follow(form.get_by_role("button", name="Open the case"))
    assert ui.path.startswith("/cases/grouping--")
    case_path = ui.path
    assert "The case was opened." in text_of(ui.page.get_by_role("status"))
    # Back to the indicator: the case is now offered, and adding it leads to the case.
    ui.goto(f"/objects/{INDICATOR_ID}")
    section = ui.page.locator("section#add-to-case")
    section.get_by_label("Open case of your org").select_option(label=CASE_NAME)
    ui.follow(section.get_by_role("button", name="Add to the case"))
    assert ui.path == case_path
    objects = ui.page.locator("section[aria-labelledby=objects-heading]")
    assert objects.get_by_role("link", name=INDICATOR_ID).count() == 1
    # A task, then done with a result.
    task_form = ui.page.locator("form[action$='/task']")
    task_form.get_by_label("Task").fill("Ask the registrar to suspend the domain")
    task_form.get_by_label("Owner (optional)").fill("frank")
    ui.follow(task_form.get_by_role("button", name="Add the task"))
    assert "The task was added." in text_of(ui.page.get_by_role("status"))
    row = ui.page.locator("section[aria-labelledby=tasks-heading] tbody tr").filter(
        has_text="Ask the registrar"
    )
    row.get_by_label("Result (optional)").fill("suspended within the hour")
    ui.follow(row.get_by_role("button", name="Mark done"))
    assert "The task was marked done." in text_of(ui.page.get_by_role("status"))
    assert "suspended within the hour" in text_of(
        ui.page.locator("section[aria-labelledby=tasks-heading]")
    )
    timeline = text_of(ui.page.locator("section[aria-labelledby=timeline-heading]"))
    for event in ("opened", "referenced", "task-added", "task-done"):
        assert event in timeline, event
    ui.follow(ui.page.get_by_role("link", name="Board", exact=True))
    assert ui.path == "/cases/board"
    new_column = ui.page.locator("section.board-column").first
    assert new_column.get_by_role("link", name=CASE_NAME).count() == 1
    ui.follow(ui.page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases"))
    assert ui.page.locator("table.cases").get_by_role("link", name=CASE_NAME).count() == 1


def test_a_user_of_another_org_finds_no_amber_case(
    ui: UiBrowser, ui_node: UiNode, case_analyst: UiUser
) -> None:
    ui.sign_in(ui_node.users[CAROL])
    ui.goto("/cases")
    ui.assert_hidden(CASE_NAME)
    ui.goto("/cases/board")
    ui.assert_hidden(CASE_NAME)
