"""Signed-in browser sessions for UI page tests: a user of some org and role, and its client."""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass

from starlette.testclient import TestClient
from tests.unit.server.conftest import SECRET, Harness

from entente.accounts import totp_at
from entente.bootstrap import users
from entente.sharing import Principal

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Browser:
    """A client holding one user's session, and the principal the node reads it as."""

    client: TestClient
    principal: Principal

    def csrf(self) -> str:
        """The session's CSRF token, as a page's forms carry it."""
        page = self.client.get("/search")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)


def sign_in(harness: Harness, username: str, *, org: str, role: str) -> Browser:
    """Add ``username`` to the harness node and sign it in with a client of its own."""
    node = harness.node
    accounts = users(node, SECRET)
    enrolment = accounts.add_user(username, org_name=org, role=role, password=PASSWORD)
    client = TestClient(harness.client.app, raise_server_exceptions=False, follow_redirects=False)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    key = base64.b32decode(enrolment.secret + "=" * (-len(enrolment.secret) % 8))
    answer = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": username,
            "password": PASSWORD,
            "code": totp_at(key, node.clock.now_us() // 1_000_000),
        },
    )
    assert answer.status_code == 303, answer.text
    session = accounts.session_of(client.cookies["entente_session"])
    return Browser(client, session.principal)


def assert_page_rules(html: str) -> None:
    """What every UI page keeps to: a label for each field, headings that do not skip a
    level, tables with header cells that have a scope, and nothing inline that the CSP
    forbids (no style attributes, no on* handlers, no inline script)."""
    fields = re.findall(
        r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html
    )
    controls = re.findall(r"<(?:input|select|textarea)\b(?![^>]*type=\"hidden\")", html)
    assert len(fields) == len(controls), "a field without an id"
    for field in fields:
        assert f'<label for="{field}"' in html, field
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", html)]
    assert levels and levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    assert all("scope=" in th for th in re.findall(r"<th\b[^>]*>", html))
    assert not re.search(r"\sstyle=|\son[a-z]+=|<script(?![^>]*\bsrc=)", html)
