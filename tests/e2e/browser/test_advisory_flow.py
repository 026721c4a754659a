"""A joint advisory in a real browser, over the real ATT&CK for ICS release: an analyst of
the node's org opens a case, adds two ICS techniques Sandworm Team uses to it, drafts an
advisory from the case on ``/advisories``, finds it pending approval, a second analyst
approves it on ``/approvals`` (a single-node advisory without co-authors: four-eyes, one
approver besides the author), and the author publishes it; the report is then read from the
collection over TAXII. Every page the browser lands on is audited by the harness (no serious
axe finding, no CSP violation, no request beyond the node)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.browser.conftest import NODE_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser, new_local_node, text_of
from tests.e2e.browser.test_case_attribution import ICS, _sandworm_techniques

from entente.services.collections import DEFAULT_COLLECTIONS

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CASE_NAME = "Breaker trips at two substations"
TITLE = "Sandworm Team against grid operators"
TAXII = "application/taxii+json;version=2.1"


@pytest.fixture(scope="module")
def ui_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    """A node holding the ICS release whose advisories need one approver (four-eyes)."""
    node = new_local_node(tmp_path_factory.mktemp("advisory-node"), NODE_ORG)
    node.init()
    with (node.home / "entente.toml").open("a", encoding="utf-8") as config:
        config.write("\n[approvals.advisory]\nmin_approvals = 1\n")
    node.cli("ingest", str(ICS))
    served = UiNode(node)
    node.start()
    try:
        yield served
    finally:
        node.stop()


@pytest.fixture(scope="module")
def analysts(ui_node: UiNode) -> tuple[UiUser, UiUser]:
    grace = ui_node.add_user("grace", org=NODE_ORG, role="analyst", password="grace's passphrase!")
    henry = ui_node.add_user("henry", org=NODE_ORG, role="analyst", password="henry's passphrase!")
    return grace, henry


def test_draft_approve_and_publish_an_advisory(
    ui: UiBrowser, ui_node: UiNode, analysts: tuple[UiUser, UiUser], tmp_path: Path
) -> None:
    grace, henry = analysts
    techniques = dict(list(_sandworm_techniques().items())[:2])
    assert len(techniques) == 2
    ui.sign_in(grace)
    ui.goto("/cases")
    form = ui.page.locator("form[method=post][action='/cases']")
    form.get_by_label("Type").select_option("incident")
    form.get_by_label("Title").fill(CASE_NAME)
    form.get_by_label("Marking").select_option("green")
    ui.follow(form.get_by_role("button", name="Open the case"))
    case_id = ui.path.removeprefix("/cases/")
    assert case_id.startswith("grouping--")
    for technique in techniques:
        ui.goto(f"/objects/{technique}")
        section = ui.page.locator("section#add-to-case")
        section.get_by_label("Open case of your org").select_option(label=CASE_NAME)
        ui.follow(section.get_by_role("button", name="Add to the case"))
    # Draft the advisory from the case.
    ui.goto("/advisories")
    assert "No advisory that you may see." in text_of(ui.page.locator("main"))
    draft = ui.page.locator("form[method=post][action='/advisories']")
    draft.get_by_label("Title").fill(TITLE)
    draft.get_by_label("Summary").fill("Agencies warn grid operators of Sandworm Team.")
    draft.get_by_label("Technical details (optional)").fill("Breakers were opened remotely.")
    draft.get_by_label("Case id (optional)").fill(case_id)
    draft.get_by_label("Mitigations, one a line (optional)").fill("Segment the OT network.")
    draft.get_by_label("Publish to collection").select_option("All objects")
    ui.follow(draft.get_by_role("button", name="Draft and ask for approval"))
    assert ui.path.startswith("/advisories/report--")
    advisory_path = ui.path
    report_id = advisory_path.removeprefix("/advisories/")
    assert "was drafted" in text_of(ui.page.get_by_role("status"))
    assert text_of(ui.page.locator("#advisory-state")) == "pending approval"
    assert text_of(ui.page.locator("#report-id")) == report_id
    markdown = text_of(ui.page.locator("#advisory-markdown"))
    assert TITLE in markdown
    for name in techniques.values():
        assert name in markdown
    assert "signed by every agency" in text_of(ui.page.locator("#signatures"))
    assert ui.page.get_by_role("button", name="Publish to All objects").count() == 0
    with ui.page.expect_download() as downloaded:
        ui.page.get_by_role("link", name="Download the PDF").click()
    pdf = tmp_path / "advisory.pdf"
    downloaded.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    ui.goto("/advisories")
    assert "pending approval" in text_of(ui.page.locator("table.records"))
    ui.sign_out()
    # The second analyst approves it on /approvals.
    ui.sign_in(henry)
    ui.goto("/approvals")
    waiting = ui.page.locator("section.approval-waiting")
    ui.follow(waiting.get_by_role("link", name=TITLE, exact=False))
    ui.follow(ui.page.get_by_role("button", name="Approve"))
    assert text_of(ui.page.locator("#approval-state")) == "approved"
    ui.sign_out()
    # The author publishes it.
    ui.sign_in(grace)
    ui.goto(advisory_path)
    assert text_of(ui.page.locator("#advisory-state")) == "approved"
    ui.follow(ui.page.get_by_role("button", name="Publish to All objects"))
    assert ui.path == advisory_path
    assert "published" in text_of(ui.page.get_by_role("status"))
    assert text_of(ui.page.locator("#advisory-state")) == "published"
    # The report is in the collection, read over TAXII with an analyst's token.
    secret = str(
        ui_node.node.cli_json("token", "create", "--org", NODE_ORG, "--role", "analyst")["secret"]
    )
    collection = DEFAULT_COLLECTIONS[0].id
    answer = httpx.get(
        f"{ui_node.base_url}/taxii2/api/collections/{collection}/objects/{report_id}/",
        headers={"Authorization": f"Bearer {secret}", "Accept": TAXII},
    )
    assert answer.status_code == 200
    report = answer.json()["objects"][0]
    assert report["type"] == "report"
    assert set(techniques) <= set(report["object_refs"])
