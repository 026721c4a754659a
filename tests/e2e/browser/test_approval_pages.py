"""Approvals in a real browser (issue 15 item 1: "shown in the UI with what exactly will be
sent"): analyst Ann asks to send an X-ARF abuse report (made through the approval service, as
the abuse flow will); analyst Ben finds it waiting for him, reads exactly the bytes that will
be sent and their SHA-256, downloads them and approves; Ann is shown that she does not
approve her own request (four-eyes); admin Cat approves too and the request shows approved.
Every page the browser lands on with no serious axe finding, no CSP violation and no request
beyond the node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from tests.e2e.browser.harness import UiBrowser, UiNode, new_local_node, text_of

from entente.approvals import ActionType
from entente.bootstrap import approvals, open_node
from entente.config import load_settings
from entente.services.tokens import org_identity_id
from entente.sharing import Principal, Role

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NODE_ORG = "Coalition Hub"
CASE = "grouping--e2e00000-0000-4000-8000-0000000000b2"
# What the abuse part builds: an X-ARF v4 report (its field names), compact as it is sent.
REPORT = json.dumps(
    {
        "Version": "4",
        "ReporterInfo": {"ReporterOrg": NODE_ORG, "ReporterOrgEmail": "cert@hub.example"},
        "Report": {
            "ReportClass": "Content",
            "ReportType": "phishing",
            "Date": "2026-12-05T10:00:00Z",
            "SourceIp": "198.51.100.7",
            "Url": "https://grid-invoices.example/login",
        },
    },
    separators=(",", ":"),
).encode()
SUMMARY = "X-ARF phishing report on 198.51.100.7 to abuse@hosting.example"


@pytest.fixture(scope="module")
def approval_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UiNode, str]]:
    """A served node with Ann's request waiting for approval, and the request's id."""
    node = new_local_node(tmp_path_factory.mktemp("approval-node"), NODE_ORG)
    node.init()
    served = UiNode(node)
    served.add_user("ann", org=NODE_ORG, role="analyst", password="ann's long passphrase")
    served.add_user("ben", org=NODE_ORG, role="analyst", password="ben's long passphrase")
    served.add_user("cat", org=NODE_ORG, role="admin", password="cat's long passphrase")
    ann = Principal("user:ann", org_identity_id(NODE_ORG), Role.ANALYST, True)
    # Before the node serves: the request is made in process, as the sending flows make it.
    with open_node(load_settings(node.env())) as opened:
        request = approvals(opened).request(
            ann,
            ActionType.ABUSE_REPORT,
            REPORT,
            summary=SUMMARY,
            targets=["abuse@hosting.example"],
            refs=[CASE],
            media_type="application/json",
            channel="ui",
        )
    node.start()
    try:
        yield served, request.id
    finally:
        node.stop()


@pytest.fixture
def approval_ui(
    browser: Browser, approval_node: tuple[UiNode, str], axe_script: str
) -> Iterator[UiBrowser]:
    """A fresh browser context on the node, clean-checked at teardown."""
    served, _ = approval_node
    context = browser.new_context(base_url=served.base_url, accept_downloads=True)
    try:
        opened = UiBrowser.open(context, served.base_url, axe_script)
        yield opened
        opened.assert_clean()
    finally:
        context.close()


def _state(ui: UiBrowser) -> str:
    return text_of(ui.page.locator("section[aria-labelledby=state-heading] p").first)


def test_a_second_analyst_approves_exactly_what_will_be_sent(
    approval_ui: UiBrowser, approval_node: tuple[UiNode, str], tmp_path: Path
) -> None:
    ui = approval_ui
    served, rid = approval_node
    # Ben: the request waits for him; he reads exactly what will be sent.
    ui.sign_in(served.users["ben"])
    nav = ui.page.get_by_role("navigation", name="Main")
    ui.follow(nav.get_by_role("link", name="Approvals"))
    assert ui.path == "/approvals"
    waiting = ui.page.locator("section[aria-labelledby=waiting-heading]")
    ui.follow(waiting.get_by_role("link", name=SUMMARY))
    assert ui.path == f"/approvals/{rid}"
    assert _state(ui) == "pending: missing 2 more approval(s)."
    shown = ui.page.locator("#payload").inner_text()
    assert json.loads(shown) == json.loads(REPORT)
    assert shown == json.dumps(json.loads(REPORT), indent=2)
    digest = hashlib.sha256(REPORT).hexdigest()
    assert ui.page.locator("#payload-sha256").inner_text() == digest
    with ui.page.expect_download() as download_info:
        ui.page.get_by_role("link", name="Download the exact bytes").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.read_bytes() == REPORT
    form = ui.page.locator(f"form[action='/approvals/{rid}/decision']")
    form.get_by_label("Comment (optional)").fill("Checked the URL against the sighting")
    ui.follow(form.get_by_role("button", name="Approve"))
    assert "Your approval was signed" in text_of(ui.page.get_by_role("status"))
    assert _state(ui) == "pending: missing 1 more approval(s)."
    row = ui.page.locator("section[aria-labelledby=approvals-heading] tbody tr")
    assert row.count() == 1
    decided = text_of(row.first)
    assert "user:ben" in decided and "approve" in decided and "verified" in decided
    ui.sign_out()
    # Ann, the requester: shown why she does not approve, and no form to do it.
    ui.sign_in(served.users["ann"])
    ui.goto(f"/approvals/{rid}")
    assert "the requester does not approve their own request (four-eyes)" in text_of(
        ui.page.locator("#refusal")
    )
    assert ui.page.get_by_role("button", name="Approve").count() == 0
    ui.goto("/approvals")
    assert "No request is waiting for your decision." in text_of(
        ui.page.locator("section[aria-labelledby=waiting-heading]")
    )
    ui.sign_out()
    # Cat, an admin: the second approval; the request is approved.
    ui.sign_in(served.users["cat"])
    ui.goto("/approvals?state=pending")
    waiting = ui.page.locator("section[aria-labelledby=waiting-heading]")
    ui.follow(waiting.get_by_role("link", name=SUMMARY))
    form = ui.page.locator(f"form[action='/approvals/{rid}/decision']")
    ui.follow(form.get_by_role("button", name="Approve"))
    assert _state(ui) == "approved."
    ui.goto("/approvals?state=approved")
    others = ui.page.locator("section[aria-labelledby=others-heading]")
    assert others.get_by_role("link", name=SUMMARY).count() == 1
