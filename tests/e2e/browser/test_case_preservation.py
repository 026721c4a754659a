"""Legal hold and a preservation request in a real browser (issue 15 items 5 and 6): analyst
Ann places a legal hold on her case, drafts a Budapest Convention Art. 29 request to the
configured 24/7 point of contact with the data to preserve read from the case; analyst Ben
approves it (it leaves the coalition: four-eyes); Ann records it as sent, downloads the signed
PDF (its text holds the six elements' headings) and records the answer. Every page the browser
lands on with no serious axe finding, no CSP violation and no request beyond the node.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from tests.e2e.browser.harness import UiBrowser, UiNode, new_local_node, text_of

from entente.bootstrap import cases, open_node, taxii
from entente.cases import CaseType
from entente.config import load_settings
from entente.preservation import ELEMENTS
from entente.services.tokens import org_identity_id
from entente.sharing import Principal, Role
from entente.stix import Tlp

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NODE_ORG = "Coalition Hub"
CONFIG = """
[[preservation.contacts]]
country = "NL"
authority = "Team High Tech Crime, Netherlands Police"
email = "24-7@example.nl"
phone = "+31 70 000 0000"

[approvals.preservation-request]
min_approvals = 1
"""
INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--e2e00000-0000-4000-8000-0000000000c1",
    "created": "2026-11-01T00:00:00.000Z",
    "modified": "2026-11-01T00:00:00.000Z",
    "pattern": "[ipv4-addr:value = '198.51.100.23']",
    "pattern_type": "stix",
    "valid_from": "2026-11-01T00:00:00Z",
}


@pytest.fixture(scope="module")
def preservation_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UiNode, str]]:
    """A served node with a 24/7 contact configured and Ann's case naming an indicator."""
    node = new_local_node(tmp_path_factory.mktemp("preservation-node"), NODE_ORG)
    node.init()
    with (node.home / "entente.toml").open("a", encoding="utf-8") as config:
        config.write(CONFIG)
    served = UiNode(node)
    served.add_user("ann", org=NODE_ORG, role="analyst", password="ann's long passphrase")
    served.add_user("ben", org=NODE_ORG, role="analyst", password="ben's long passphrase")
    ann = Principal("user:ann", org_identity_id(NODE_ORG), Role.ANALYST, True)
    with open_node(load_settings(node.env())) as opened:
        taxii(opened).add([INDICATOR], ann, collection=None, source="e2e", source_name="e2e")
        service = cases(opened)
        made = service.create(
            ann, name="Operation Quiet Harbour", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN
        )
        service.attach(ann, made.case.id, [INDICATOR["id"]])
    node.start()
    try:
        yield served, made.case.id
    finally:
        node.stop()


@pytest.fixture
def preservation_ui(
    browser: Browser, preservation_node: tuple[UiNode, str], axe_script: str
) -> Iterator[UiBrowser]:
    """A fresh browser context on the node, clean-checked at teardown."""
    served, _ = preservation_node
    context = browser.new_context(base_url=served.base_url, accept_downloads=True)
    try:
        opened = UiBrowser.open(context, served.base_url, axe_script)
        yield opened
        opened.assert_clean()
    finally:
        context.close()


def _requests(ui: UiBrowser) -> str:
    return text_of(ui.page.locator("section[aria-labelledby=requests-heading]"))


def test_a_hold_and_an_approved_preservation_request_from_a_case(
    preservation_ui: UiBrowser, preservation_node: tuple[UiNode, str], tmp_path: Path
) -> None:
    ui = preservation_ui
    served, case_id = preservation_node
    base = f"/cases/{case_id}/preservation"
    # Ann: the hold, then the request.
    ui.sign_in(served.users["ann"])
    ui.goto(f"/cases/{case_id}")
    ui.follow(ui.page.get_by_role("link", name="Legal hold and preservation", exact=True))
    assert ui.path == base
    ui.page.get_by_label("Reason for the hold (an order, a file number)").fill("Order 2026/4711")
    ui.follow(ui.page.get_by_role("button", name="Place a legal hold"))
    assert "The legal hold was placed" in text_of(ui.page.get_by_role("status"))
    assert "On hold" in text_of(ui.page.locator("section[aria-labelledby=hold-heading]"))
    draft = ui.page.locator(f"form[action='{base}/new']")
    assert "198.51.100.23" in text_of(draft)  # the data to preserve, from the case
    draft.get_by_label("24/7 point of contact (Art. 35)").select_option("NL")
    draft.get_by_label("(b) The offence").fill("Illegal access (Art. 2)")
    draft.get_by_label("(b) A brief summary of the related facts").fill("Intrusions in 2026.")
    draft.get_by_label("(c) The data's relationship to the offence").fill("The C2 address.")
    draft.get_by_label("(d) The custodian of the data").fill("Example Hosting B.V.")
    draft.get_by_label("(e) The necessity of the preservation").fill("Logs rotate in 30 days.")
    draft.get_by_label("Signatory (name and title)").fill("A. Analyst, CERT lead")
    ui.follow(draft.get_by_role("button", name="Draft and ask for approval"))
    assert "waits for approval" in text_of(ui.page.get_by_role("status"))
    assert "pending approval" in _requests(ui)
    assert ui.page.get_by_role("button", name="Record request 1 as sent").count() == 0
    ui.sign_out()
    # Ben approves what will be sent.
    ui.sign_in(served.users["ben"])
    ui.goto(base)
    ui.follow(ui.page.locator("section[aria-labelledby=requests-heading]").get_by_role(
        "link", name="Approval"
    ))  # fmt: skip
    assert ui.path.startswith("/approvals/grouping--")
    # What Ben approves is the request itself: its elements and the data to preserve.
    payload = ui.page.locator("#payload").inner_text()
    assert "Illegal access (Art. 2)" in payload and "198.51.100.23" in payload
    ui.follow(ui.page.get_by_role("button", name="Approve"))
    ui.sign_out()
    # Ann records it as sent, downloads the letter and records the answer.
    ui.sign_in(served.users["ann"])
    ui.goto(base)
    ui.follow(ui.page.get_by_role("button", name="Record request 1 as sent"))
    assert "recorded as sent" in text_of(ui.page.get_by_role("status"))
    with ui.page.expect_download() as download_info:
        ui.page.get_by_role("link", name="PDF").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(saved), "-"], capture_output=True, check=True, text=True
        ).stdout
        flat = " ".join(text.split())
        for element in ELEMENTS:
            assert f"Art. 29(2)({element.letter})" in flat, element
    answer = ui.page.locator(f"form[action='{base}/1/answer']")
    answer.get_by_label("Answer to request 1").select_option("preserved")
    answer.get_by_label("Preserved until (YYYY-MM-DD, optional)").fill("2027-03-01")
    ui.follow(answer.get_by_role("button", name="Record the answer"))
    assert "The answer was recorded" in text_of(ui.page.get_by_role("status"))
    assert "preserved until 2027-03-01" in _requests(ui)
