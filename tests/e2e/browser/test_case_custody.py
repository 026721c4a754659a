"""A case's custody log and evidence export in a real browser: an analyst of the node's org
opens a case, reads its custody log (verified, its view recorded), exports an evidence package
for the org the node has an agreement with, stamped by OpenSSL's TSA on loopback, receives it
as a download that ``verify_package`` passes (with the real CASE validator), and finds the
export in the custody log and among the case's past exports. Every page the browser lands on
with no serious axe finding, no CSP violation and no request beyond the node.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from tests.e2e.browser.harness import UiBrowser, UiNode, UiUser, new_local_node, text_of
from tests.unit.evidence.local_tsa import LocalTsa
from tests.unit.evidence.validated import verified

from entente.evidence import layout
from entente.evidence.tarball import read_tar
from entente.services.tokens import org_identity_id

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NODE_ORG = "Coalition Hub"
POLICE = "National Police"
AGREEMENT_NAME = "Coalition Hub to the National Police, evidence"
CASE_NAME = "Substation intrusion"


@pytest.fixture(scope="module")
def tsa() -> Iterator[LocalTsa]:
    """OpenSSL's TSA on loopback, stopped with the module."""
    with LocalTsa() as running:
        yield running


@pytest.fixture(scope="module")
def custody_node(tmp_path_factory: pytest.TempPathFactory, tsa: LocalTsa) -> Iterator[UiNode]:
    """A served node with the TSA configured and an agreement with the police."""
    root = tmp_path_factory.mktemp("custody-node")
    node = new_local_node(root, NODE_ORG)
    node.init()
    chain = root / "tsa-chain.pem"
    chain.write_bytes(tsa.chain_pem)
    with (node.home / "entente.toml").open("a", encoding="utf-8") as config:
        config.write(f'\ntsa_url = "{tsa.url}"\ntsa_chain_file = "{chain}"\n')
    node.add_agreement(
        {
            "id": "hub-police",
            "name": AGREEMENT_NAME,
            "parties": [NODE_ORG, POLICE],
            "max_tlp": "amber",
            "onward_sharing": "none",
        }
    )
    served = UiNode(node)
    served.add_user("erin", org=NODE_ORG, role="analyst", password="erin's long passphrase")
    node.start()
    try:
        yield served
    finally:
        node.stop()


@pytest.fixture
def custody_ui(browser: Browser, custody_node: UiNode, axe_script: str) -> Iterator[UiBrowser]:
    """A fresh browser context on the node, clean-checked at teardown."""
    context = browser.new_context(base_url=custody_node.base_url, accept_downloads=True)
    try:
        opened = UiBrowser.open(context, custody_node.base_url, axe_script)
        yield opened
        opened.assert_clean()
    finally:
        context.close()


def _open_case(ui: UiBrowser, analyst: UiUser) -> str:
    ui.sign_in(analyst)
    ui.goto("/cases")
    form = ui.page.locator("form[method=post][action='/cases']")
    form.get_by_label("Type").select_option("incident")
    form.get_by_label("Title").fill(CASE_NAME)
    form.get_by_label("Marking").select_option("green")
    ui.follow(form.get_by_role("button", name="Open the case"))
    assert ui.path.startswith("/cases/grouping--")
    return ui.path


def test_view_the_custody_log_then_export_a_verified_package(
    custody_ui: UiBrowser, custody_node: UiNode, tmp_path: Path
) -> None:
    ui = custody_ui
    case_path = _open_case(ui, custody_node.users["erin"])
    ui.follow(ui.page.get_by_role("link", name="Custody log"))
    assert ui.path == f"{case_path}/custody"
    assert "Verified:" in text_of(ui.page.locator("section[aria-labelledby=verdict-heading]"))
    entries = ui.page.locator("section[aria-labelledby=entries-heading] tbody tr")
    assert entries.count() == 1  # the case page's view, on channel ui
    assert "viewed" in text_of(entries.first) and " ui " in f" {text_of(entries.first)} "
    ui.follow(ui.page.get_by_role("link", name="Evidence export"))
    assert ui.path == f"{case_path}/evidence"
    assert "This case has not been exported." in text_of(ui.page.locator("main"))
    form = ui.page.locator(f"form[action='{case_path}/evidence/package']")
    police = org_identity_id(POLICE)
    form.get_by_label("Recipient org (agreement)").select_option(police)
    assert AGREEMENT_NAME in text_of(form.get_by_label("Recipient org (agreement)"))
    form.get_by_label("Recipient name").fill(POLICE)
    with ui.page.expect_download() as download_info:
        form.get_by_role("button", name="Export the package").click()
    download = download_info.value
    assert download.suggested_filename.startswith(case_path.rsplit("/", 1)[1] + "-evidence-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    package = saved.read_bytes()
    report = verified(package)
    assert report.passed, report.failures
    assert POLICE in read_tar(package)[layout.REPORT_MD].decode()
    # The export is in the custody log, last, under the agreement, and among past exports.
    ui.goto(f"{case_path}/custody")
    rows = ui.page.locator("section[aria-labelledby=entries-heading] tbody tr")
    last = text_of(rows.last)
    assert "exported" in last and "hub-police" in last and police in last
    assert "Verified:" in text_of(ui.page.locator("section[aria-labelledby=verdict-heading]"))
    ui.goto(f"{case_path}/evidence")
    past = text_of(ui.page.locator("section[aria-labelledby=exports-heading]"))
    assert police in past and "exported via ui" in past
