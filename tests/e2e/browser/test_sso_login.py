"""The sign-in page of a node with single sign-on, in a real browser: the "Sign in with"
link, and the refusal page when the provider cannot be reached, each audited (no serious axe
finding, no CSP violation, no request beyond the node).

The round trip through a provider is tested with an HTTP client (tests/unit/server/
test_ui_oidc_login.py): this harness blocks every request off the node, a provider's too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from tests.e2e.browser.harness import UiBrowser, new_local_node

from entente.cli.local_nodes import LocalNode, free_port

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PROVIDER = "Coalition <b>ID</b>"


@pytest.fixture(scope="module")
def sso_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    """A served node whose provider is a loopback port nothing listens on."""
    node = new_local_node(tmp_path_factory.mktemp("sso-node"), "Coalition Hub")
    node.init()
    (node.home / "oidc-secret").write_text("the client secret\n", encoding="utf-8")
    with (node.home / "entente.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'\n[oidc]\nprovider_name = "{PROVIDER}"\n'
            f'issuer = "http://127.0.0.1:{free_port()}"\nclient_id = "node"\n'
            'client_secret_file = "oidc-secret"\norg_claim = "org"\nrole_claim = "role"\n'
            '[oidc.orgs]\nhub = "Coalition Hub"\n[oidc.roles]\nlead = "admin"\n'
        )
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def sso_ui(browser: Browser, sso_node: LocalNode, axe_script: str) -> Iterator[UiBrowser]:
    """A fresh browser context on the SSO node; clean-checked at teardown."""
    context = browser.new_context(base_url=sso_node.base_url)
    try:
        opened = UiBrowser.open(context, sso_node.base_url, axe_script)
        yield opened
        opened.assert_clean()
    finally:
        context.close()


def test_the_sign_in_page_offers_the_provider_and_says_when_it_is_down(sso_ui: UiBrowser) -> None:
    sso_ui.goto("/login")
    link = sso_ui.page.get_by_role("link", name=f"Sign in with {PROVIDER}")
    assert link.count() == 1
    sso_ui.follow(link)
    assert sso_ui.path == "/login/oidc"
    assert sso_ui.page.get_by_role("heading", level=1).inner_text() == "Sign-in refused"
    assert "cannot be reached" in sso_ui.page.locator("main").inner_text()
