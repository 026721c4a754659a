"""Abuse reports in a real browser (issue 15 items 2 and 6): analyst Ann drafts an X-ARF
report from her takedown case's indicator, its abuse contact found in recorded RDAP answers
served on loopback; she reads the report exactly as it will be sent and its SHA-256; her
send is refused, with the reason, before approval and nothing reaches the SMTP server
(aiosmtpd on loopback); analysts Ben and Cat approve on /approvals; Ann's send then delivers
the report and she marks it acknowledged. Every page the browser lands on with no serious
axe finding, no CSP violation and no request beyond the node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from tests.e2e.browser.harness import UiBrowser, UiNode, new_local_node, text_of
from tests.unit.abuse.local_rdap import LocalRdap
from tests.unit.abuse.local_smtp import LocalSmtp

from entente.abuse import validate_xarf
from entente.services.tokens import org_identity_id

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NODE_ORG = "Coalition Hub"
AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
INDICATOR = "indicator--e2e00000-0000-4000-8000-0000000000e1"
# A cloud-hosted address in the recorded RDAP answers (ARIN, Microsoft's network).
ADDRESS = "13.92.82.125"
DESK = "abuse@microsoft.com"


@pytest.fixture(scope="module")
def smtp() -> Iterator[LocalSmtp]:
    with LocalSmtp() as server:
        yield server


@pytest.fixture(scope="module")
def abuse_node(
    tmp_path_factory: pytest.TempPathFactory, smtp: LocalSmtp
) -> Iterator[tuple[UiNode, str]]:
    """A served node whose [abuse] points at RDAP and SMTP on loopback, three analysts, and
    a takedown case holding the indicator; with the case's id."""
    with LocalRdap() as rdap:
        node = new_local_node(tmp_path_factory.mktemp("abuse-node"), NODE_ORG)
        node.init()
        with (node.home / "entente.toml").open("a", encoding="utf-8") as config:
            config.write(
                "\n[abuse]\n"
                f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_starttls = false\n'
                'reporter_org = "Coalition Hub CERT"\nreporter_email = "cert@hub.example"\n'
                'reporter_domain = "hub.example"\n'
                f'rdap_bootstrap_url = "{rdap.bootstrap_url}"\n'
            )
        served = UiNode(node)
        for name in ("ann", "ben", "cat"):
            served.add_user(name, org=NODE_ORG, role="analyst", password=f"{name}'s passphrase!")
        node.ingest(
            [
                {
                    "type": "indicator",
                    "spec_version": "2.1",
                    "id": INDICATOR,
                    "created": "2026-11-01T00:00:00.000Z",
                    "modified": "2026-11-01T00:00:00.000Z",
                    "created_by_ref": org_identity_id(NODE_ORG),
                    "name": "C2 server",
                    "indicator_types": ["malicious-activity"],
                    "pattern": f"[ipv4-addr:value = '{ADDRESS}']",
                    "pattern_type": "stix",
                    "valid_from": "2020-01-01T00:00:00Z",
                    "object_marking_refs": [AMBER],
                }
            ]
        )
        case = node.cli_json("case", "new", f"Takedown of {ADDRESS}", "--type", "takedown")
        node.cli_json("case", "attach", case["id"], INDICATOR)
        node.start()
        try:
            yield served, str(case["id"])
        finally:
            node.stop()


@pytest.fixture
def abuse_ui(
    browser: Browser, abuse_node: tuple[UiNode, str], axe_script: str
) -> Iterator[UiBrowser]:
    """A fresh browser context on the node, clean-checked at teardown."""
    served, _ = abuse_node
    context = browser.new_context(base_url=served.base_url)
    try:
        opened = UiBrowser.open(context, served.base_url, axe_script)
        yield opened
        opened.assert_clean()
    finally:
        context.close()


def test_a_report_is_sent_only_once_two_others_approved_it(
    abuse_ui: UiBrowser, abuse_node: tuple[UiNode, str], smtp: LocalSmtp
) -> None:
    ui = abuse_ui
    served, case_id = abuse_node
    # Ann drafts the report from her case's page.
    ui.sign_in(served.users["ann"])
    ui.goto(f"/cases/{case_id}")
    form = ui.page.locator("form[action='/abuse']")
    form.get_by_label("Draft an abuse report about").select_option(INDICATOR)
    ui.follow(form.get_by_role("button", name="Draft an abuse report"))
    assert ui.path.startswith("/abuse/note--")
    report_path = ui.path
    assert "drafted" in text_of(ui.page.get_by_role("status"))
    # Exactly what will be sent: the page's text is the document whose SHA-256 it shows.
    document = ui.page.locator("#report-document").text_content() or ""
    digest = text_of(ui.page.locator("#report-sha256"))
    assert hashlib.sha256(document.encode("utf-8")).hexdigest() == digest
    validate_xarf(json.loads(document))
    assert DESK in text_of(ui.page.locator("section[aria-labelledby=state-heading]"))
    assert "pending: 2 more approval(s)" in text_of(ui.page.locator("#report-approval"))
    assert "refused until the report is approved" in text_of(ui.page.locator("#send-refusal"))
    # Her send is refused, saying why; nothing reaches the SMTP server.
    ui.follow(ui.page.get_by_role("button", name="Send"))
    assert "Nothing was sent" in text_of(ui.page.locator("main"))
    assert "2 more approval(s)" in text_of(ui.page.locator("main"))
    assert smtp.received == []
    ui.goto(report_path)
    approval_link = ui.page.locator("a[href^='/approvals/grouping--']")
    approval_path = approval_link.get_attribute("href") or ""
    ui.sign_out()
    # Ben and Cat approve exactly these bytes on the approval request's page.
    for name in ("ben", "cat"):
        ui.sign_in(served.users[name])
        ui.goto(approval_path)
        assert text_of(ui.page.locator("#payload-sha256")) == digest
        form = ui.page.locator("form[action$='/decision']")
        ui.follow(form.get_by_role("button", name="Approve"))
        assert "Your approval was signed" in text_of(ui.page.get_by_role("status"))
        ui.sign_out()
    # Ann sends it now: delivered to the abuse desk; then the desk's answer is recorded.
    ui.sign_in(served.users["ann"])
    ui.goto(report_path)
    assert text_of(ui.page.locator("#report-approval")) == "approved"
    ui.follow(ui.page.get_by_role("button", name="Send"))
    assert text_of(ui.page.locator("#report-status")) == "sent"
    [received] = smtp.received
    assert received.rcpt_tos == (DESK,)
    ui.page.get_by_label("What the abuse desk said (optional)").fill("Ticket 2026-1205")
    ui.follow(ui.page.get_by_role("button", name="Mark acknowledged"))
    assert text_of(ui.page.locator("#report-status")) == "acknowledged"
    assert "Ticket 2026-1205" in text_of(
        ui.page.locator("section[aria-labelledby=timeline-heading]")
    )
    ui.follow(
        ui.page.get_by_role("navigation", name="Main").get_by_role("link", name="Abuse reports")
    )
    assert ui.path == "/abuse"
    row = text_of(ui.page.locator("table.abuse-reports tbody tr").first)
    assert ADDRESS in row and DESK in row and "acknowledged" in row and "answered" in row
