"""The real-browser harness: a served node with users, and pages that audit themselves.

A scenario drives ``UiBrowser`` (one browser context: its own cookies) through the node that
``UiNode`` serves. Every page the browser lands on is checked by axe-core, every request is
checked to go to the node and nowhere else, and every Content-Security-Policy violation is
recorded; ``UiBrowser.assert_clean`` fails on any of them. To add a scenario for a new page:
``ui.goto("/your/page")`` (or ``ui.follow(locator)`` for a link or button), assert what the
page shows, and let the fixture's teardown (or an explicit ``assert_clean()``) do the rest.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, Request, Route

from entente.accounts import PERIOD_S, time_step, totp_at
from entente.cli.local_nodes import LocalNode, free_port

__all__ = [
    "AXE_BLOCKING_IMPACTS",
    "Authenticator",
    "AxeViolation",
    "UiBrowser",
    "UiNode",
    "UiUser",
    "load_axe_script",
    "new_local_node",
    "session_cookie",
    "text_of",
]

# axe-core impacts are minor < moderate < serious < critical; issue 13 asks for no serious or
# critical violation on any page (minor and moderate ones are reported, not failed).
AXE_BLOCKING_IMPACTS = frozenset({"serious", "critical"})
# Bounded waits: an action or navigation that takes longer is a failure, never a hang.
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 20_000
_AXE_RUN = "() => axe.run(document, {resultTypes: ['violations']})"
# Reported by the page itself: the event the CSP spec fires on every violation (CSP Level 3
# §5.3 "Report a violation"). Added through the DevTools protocol, which CSP does not govern,
# so the listener does not itself need 'unsafe-inline'.
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__ententeCspViolation(JSON.stringify({
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, document: e.documentURI,
  }));
});
"""


def load_axe_script() -> str:
    """axe-core as the ``axe-playwright-python`` wheel bundles it (never kept in this repo)."""
    return (
        resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    )


class Authenticator:
    """An authenticator app for one TOTP secret: RFC 6238 codes from ``entente.accounts``.

    The node accepts each time step once (ADR 0009), so a code is never reused: each call gives
    the code of the current or the next step, whichever is after the last one handed out, and
    waits for the next step when both are used. The previous step is never offered: by the time
    the node checks it, it may have left the ±1 window.
    """

    def __init__(self, secret_base32: str) -> None:
        padded = secret_base32 + "=" * (-len(secret_base32) % 8)
        self.key = base64.b32decode(padded, casefold=True)
        self.last_step: int | None = None

    def code(self) -> str:
        """A code the node has not yet accepted."""
        while True:
            now = time.time()
            current = time_step(int(now))
            for step in (current, current + 1):
                if self.last_step is None or step > self.last_step:
                    self.last_step = step
                    return totp_at(self.key, step * PERIOD_S)
            time.sleep(PERIOD_S - now % PERIOD_S + 0.05)

    def wrong_code(self) -> str:
        """Six digits that are no valid code for any step the node would accept now."""
        current = time_step(int(time.time()))
        valid = {totp_at(self.key, step * PERIOD_S) for step in range(current - 2, current + 3)}
        candidate = int(totp_at(self.key, current * PERIOD_S))
        while f"{candidate:06d}" in valid:
            candidate = (candidate + 1) % 1_000_000
        return f"{candidate:06d}"


@dataclass
class UiUser:
    """A user added with ``entente user add``: its password and its authenticator."""

    username: str
    org: str
    role: str
    password: str
    authenticator: Authenticator


@dataclass
class UiNode:
    """A real node served by ``entente serve`` on loopback, with the users added to it."""

    node: LocalNode
    users: dict[str, UiUser] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The node's ``http://127.0.0.1:PORT``."""
        return self.node.base_url

    def add_user(self, username: str, *, org: str, role: str, password: str) -> UiUser:
        """``entente user add --password-file --json``; the printed secret drives its codes."""
        password_file = self.node.home / f"password-{username}.txt"
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        printed = self.node.cli_json(
            "user", "add", username, "--org", org, "--role", role, "--password-file",
            str(password_file),
        )  # fmt: skip
        password_file.unlink()
        user = UiUser(
            username=str(printed["username"]),
            org=str(printed["org_name"]),
            role=str(printed["role"]),
            password=password,
            authenticator=Authenticator(str(printed["totp_secret"])),
        )
        self.users[username] = user
        return user


@dataclass(frozen=True, slots=True)
class AxeViolation:
    """One axe-core rule that failed on a page."""

    url: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]


@dataclass
class UiBrowser:
    """One browser context on the node, recording what every page does.

    ``navigations`` counts main-frame navigations; ``audited`` lists the URLs axe ran on. A
    scenario moves only through ``goto``/``follow``/``sign_in``/``sign_out`` (each audits the
    page it lands on), and ``assert_clean`` checks that no navigation went unaudited.
    """

    context: BrowserContext
    page: Page
    base_url: str
    axe_script: str
    navigations: list[str] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    # How many navigations there had been at each audit: a navigation is audited when an audit
    # ran after it and before the next one (a URL seen twice needs two audits).
    audited_at: set[int] = field(default_factory=set)
    axe_violations: list[AxeViolation] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    node_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context: BrowserContext, base_url: str, axe_script: str) -> UiBrowser:
        """Watch ``context`` and open its one page."""
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        page = context.new_page()
        ui = cls(context=context, page=page, base_url=base_url, axe_script=axe_script)
        context.expose_binding(
            "__ententeCspViolation", lambda _source, report: ui.csp_violations.append(report)
        )
        context.add_init_script(_CSP_LISTENER)
        # Everything not bound for the node is aborted, and recorded as a failure: the UI must
        # need nothing from outside the node (issue 13), and the test must not reach out.
        context.route("**/*", ui._route)
        page.on("console", ui._console)
        page.on("framenavigated", ui._navigated)
        return ui

    def _is_node(self, url: str) -> bool:
        wanted = urlsplit(self.base_url)
        seen = urlsplit(url)
        return (seen.scheme, seen.netloc) == (wanted.scheme, wanted.netloc)

    def _route(self, route: Route, request: Request) -> None:
        if self._is_node(request.url):
            self.node_requests.append(request.url)
            route.continue_()
            return
        self.foreign_requests.append(request.url)
        route.abort("blockedbyclient")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        self.console_errors.append(message.text)
        # Chromium logs every CSP violation to the console as well ("Refused to ... because it
        # violates the following Content Security Policy directive"); counted even if the DOM
        # event were missed.
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)

    def url(self, path: str) -> str:
        """The node's URL for ``path``."""
        return self.base_url + path

    @property
    def path(self) -> str:
        """The path of the page now shown."""
        return urlsplit(self.page.url).path

    def audit(self) -> None:
        """Run axe-core in the page now shown and record its violations."""
        self.page.wait_for_load_state("load")
        # Evaluated through the DevTools protocol, which the page's CSP does not govern: the
        # node's own CSP stays as strict as it is served (no bypass_csp).
        self.page.evaluate(self.axe_script)
        results: dict[str, Any] = self.page.evaluate(_AXE_RUN)
        url = self.page.url
        self.audited.append(url)
        self.audited_at.add(len(self.navigations))
        for violation in results["violations"]:
            self.axe_violations.append(
                AxeViolation(
                    url=url,
                    rule=str(violation["id"]),
                    impact=str(violation["impact"]),
                    help=str(violation["help"]),
                    targets=tuple(
                        json.dumps(node["target"]) for node in violation.get("nodes", [])
                    ),
                )
            )

    def goto(self, path: str) -> None:
        """Open ``path`` on the node and audit where it lands (after any redirects)."""
        self.page.goto(self.url(path), wait_until="load")
        self.audit()

    def follow(self, target: Locator) -> None:
        """Click ``target`` (a link or a submit button), wait for the next page, audit it."""
        with self.page.expect_navigation(wait_until="load"):
            target.click()
        self.audit()

    def sign_in(
        self, user: UiUser, *, password: str | None = None, code: str | None = None
    ) -> None:
        """Fill the sign-in form (``/login``) and submit it; a wrong value may be given."""
        if self.path != "/login":
            self.goto("/login")
        form = self.page.locator("form[action='/login']")
        form.get_by_label("Username").fill(user.username)
        form.get_by_label("Password").fill(user.password if password is None else password)
        form.get_by_label("Authenticator code").fill(
            user.authenticator.code() if code is None else code
        )
        self.follow(form.get_by_role("button", name="Sign in"))

    def sign_out(self) -> None:
        """Press the header's "Sign out" button."""
        self.follow(self.page.get_by_role("button", name="Sign out"))

    def assert_hidden(self, *canaries: str) -> None:
        """None of ``canaries`` is anywhere in the page now shown: text, attributes, comments,
        SVG titles (the serialised DOM), or the document as the node sent it.

        For leak-differential scenarios: put canary strings in the names and descriptions of
        objects the signed-in user may not read, and call this on every page that lists them.
        """
        dom = self.page.content()
        sent = self.page.request.get(self.page.url, timeout=ACTION_TIMEOUT_MS).text()
        found = [c for c in canaries if c in dom or c in sent]
        assert not found, f"{found} shown on {self.page.url}"

    def problems(self) -> list[str]:
        """Everything that makes a scenario fail regardless of what it asserts itself."""
        found: list[str] = []
        blocking = [v for v in self.axe_violations if v.impact in AXE_BLOCKING_IMPACTS]
        found += [
            f"axe {v.impact} {v.rule} on {v.url}: {v.help} at {', '.join(v.targets)}"
            for v in blocking
        ]
        found += [f"CSP violation: {report}" for report in self.csp_violations]
        found += [f"request outside the node: {url}" for url in self.foreign_requests]
        unaudited = [
            url for count, url in enumerate(self.navigations, 1) if count not in self.audited_at
        ]
        found += [f"page visited but never audited by axe: {url}" for url in unaudited]
        return found

    def assert_clean(self) -> None:
        """No serious/critical axe violation, CSP violation, foreign request or unaudited page."""
        problems = self.problems()
        assert not problems, "\n".join(problems)


def text_of(locator: Locator) -> str:
    """The element's text with runs of white space made one space."""
    return re.sub(r"\s+", " ", locator.inner_text()).strip()


def session_cookie(context: BrowserContext, name: str) -> dict[str, Any]:
    """The cookie ``name`` the context holds (fails if there is none)."""
    found = [dict(cookie) for cookie in context.cookies() if cookie["name"] == name]
    assert found, f"no {name} cookie in {[c['name'] for c in context.cookies()]}"
    return found[0]


def new_local_node(root: Path, org: str) -> LocalNode:
    """A ``LocalNode`` for ``org`` under ``root`` on a free loopback port."""
    return LocalNode(org=org, home=root / "home", port=free_port(), pycache=root / "pycache")
