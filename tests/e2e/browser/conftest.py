"""Fixtures for the real-browser tests: Debian's Chromium, a served node, an audited page.

The browser is the system's Chromium (``/usr/bin/chromium``, Debian package ``chromium``, or
``ENTENTE_TEST_CHROMIUM``), driven by Playwright with ``executable_path``: Playwright's own
browser downloads are never used. Without it the tests are skipped, except under ``CI=true``
where they fail: CI must run them (as the PostgreSQL tests do, tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, sync_playwright
from tests.e2e.browser.harness import UiBrowser, UiNode, load_axe_script, new_local_node

CHROMIUM_ENV = "ENTENTE_TEST_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
LAUNCH_TIMEOUT_MS = 30_000

# The node's org and its users' orgs. The users' org names carry markup and quotes: the pages
# must show them as text (Jinja2 autoescape), never as elements.
NODE_ORG = "Coalition Hub"
ANALYST_ORG = 'CERT-X <b>"Lead"</b> & Co'
PARTNER_ORG = "Power Utility <i>Grid</i>"
ALICE = "alice"
BOB = "bob"
CAROL = "carol.ops"


def _unavailable(message: str) -> None:
    full = f"{message}; install Debian's chromium (apt-get install chromium) or set {CHROMIUM_ENV}"
    if os.environ.get("CI") == "true":
        pytest.fail(full)
    pytest.skip(full)


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """The Chromium binary to drive (skips without one; fails under ``CI=true``)."""
    path = Path(os.environ.get(CHROMIUM_ENV, DEFAULT_CHROMIUM))
    if not (path.is_file() and os.access(path, os.X_OK)):
        _unavailable(f"no Chromium at {path}")
    return path


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, and tests after these that call asyncio.run() would fail; it closes with the module.
@pytest.fixture(scope="module")
def browser(chromium_executable: Path) -> Iterator[Browser]:
    """Headless Chromium for the browser tests, closed after the last of them."""
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=chromium_executable, headless=True, timeout=LAUNCH_TIMEOUT_MS
            )
        except Error as exc:
            _unavailable(f"Chromium at {chromium_executable} did not start: {exc.message}")
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core's source, from its PyPI wheel."""
    return load_axe_script()


@pytest.fixture(scope="module")
def ui_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    """A node initialised with ``entente init``, three users, and served on loopback."""
    node = new_local_node(tmp_path_factory.mktemp("ui-node"), NODE_ORG)
    node.init()
    served = UiNode(node)
    served.add_user(ALICE, org=ANALYST_ORG, role="analyst", password="correct horse battery")
    served.add_user(BOB, org=ANALYST_ORG, role="reader", password="bob's long passphrase")
    served.add_user(CAROL, org=PARTNER_ORG, role="analyst", password="carol at the utility")
    node.start()
    try:
        yield served
    finally:
        node.stop()


@pytest.fixture
def ui(browser: Browser, ui_node: UiNode, axe_script: str) -> Iterator[UiBrowser]:
    """A fresh browser context (no cookies) on the node; clean-checked at teardown."""
    context = browser.new_context(base_url=ui_node.base_url)
    try:
        opened = UiBrowser.open(context, ui_node.base_url, axe_script)
        yield opened
        opened.assert_clean()
    finally:
        context.close()
