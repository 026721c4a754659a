"""The web UI shell over the real app and a real SQLite node: sign in, sessions, CSRF, headers."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends
from starlette.testclient import TestClient
from tests.unit.server.conftest import SECRET

from entente.accounts import IDLE_TIMEOUT_US, totp_at
from entente.bootstrap import Node, open_node, users
from entente.clock import FixedClock
from entente.config import Settings
from entente.server import create_app
from entente.services import create_token
from entente.services.users import LOGIN_FAILED, Enrolment
from entente.sharing import Principal

PASSWORD = "correct horse battery"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class Ui:
    """A browser-like client of the app, and the node under it."""

    def __init__(self, node: Node, client: TestClient, clock: FixedClock) -> None:
        self.node = node
        self.client = client
        self.clock = clock

    def add_user(self, username: str = "alice", role: str = "analyst") -> Enrolment:
        return users(self.node, SECRET).add_user(
            username, org_name="Org B", role=role, password=PASSWORD
        )

    def code(self, enrolment: Enrolment) -> str:
        key = base64.b32decode(enrolment.secret + "=" * (-len(enrolment.secret) % 8))
        return totp_at(key, self.clock.now_us() // 1_000_000)

    def login_token(self) -> str:
        page = self.client.get("/login")
        assert page.status_code == 200
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)

    def sign_in(self, enrolment: Enrolment, username: str = "alice", **changes: str) -> Any:
        form = {
            "csrf_token": self.login_token(),
            "username": username,
            "password": PASSWORD,
            "code": self.code(enrolment),
            **changes,
        }
        return self.client.post("/login", data=form)

    def csrf(self) -> str:
        home = self.client.get("/")
        assert home.status_code == 200
        found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
        assert found is not None
        return found.group(1)


def _ui(tmp_path: Path, public_url: str = "http://127.0.0.1:8080") -> Iterator[Ui]:
    """A node named CERT-X on SQLite in ``tmp_path``, its app, and a client that talks to it
    over the public URL's scheme (a browser sends a Secure cookie over https only)."""
    clock = FixedClock()
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        public_url=public_url,
        org_name="CERT-X",
    )
    with open_node(settings, clock) as node:
        app = create_app(node, secret=SECRET)

        # A later page's way to learn who is asking: the app's own dependency.
        @app.get("/whoami")
        def whoami(who: Principal = Depends(app.state.ui_auth.principal)) -> dict[str, Any]:  # noqa: B008
            return {"id": who.id, "org": who.org, "role": who.role.value, "ind": who.is_individual}

        scheme = public_url.partition(":")[0]
        with TestClient(
            app,
            base_url=f"{scheme}://testserver",
            raise_server_exceptions=False,
            follow_redirects=False,
        ) as client:
            yield Ui(node, client, clock)


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[Ui]:
    yield from _ui(tmp_path)


def test_the_root_without_a_session_redirects_to_login(ui: Ui) -> None:
    answer = ui.client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "http://127.0.0.1:8080/login"


def test_ui_pages_carry_the_csp_and_security_headers(ui: Ui) -> None:
    page = ui.client.get("/login")
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["content-type"].startswith("text/html")
    # Every input has its label, and nothing is loaded from elsewhere.
    for field in ("username", "password", "code"):
        assert f'<label for="{field}">' in page.text
        assert f'id="{field}" name="{field}"' in page.text
    assert "http" not in page.text.replace('href="/static/entente.css"', "")
    assert "<script" not in page.text and "style=" not in page.text


def test_the_stylesheet_is_served_from_the_package(ui: Ui) -> None:
    css = ui.client.get("/static/entente.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text
    assert css.headers["x-content-type-options"] == "nosniff"


def test_signing_in_sets_a_strict_session_cookie_and_shows_who(ui: Ui) -> None:
    enrolment = ui.add_user("Alice")
    answer = ui.sign_in(enrolment, username="ALICE")
    assert answer.status_code == 303
    assert answer.headers["location"] == "http://127.0.0.1:8080/"
    cookie = next(
        value for name, value in answer.headers.multi_items()
        if name == "set-cookie" and value.startswith("entente_session=")
    )  # fmt: skip
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes
    home = ui.client.get("/")
    assert home.status_code == 200
    assert 'class="username">Alice<' in home.text
    assert "Org B" in home.text
    assert 'href="/api/v1/openapi.json"' in home.text
    assert 'action="/logout"' in home.text
    assert ui.client.get("/login").status_code == 303


def test_the_session_reads_as_an_individual_principal(ui: Ui) -> None:
    enrolment = ui.add_user(role="reader")
    ui.sign_in(enrolment)
    who = ui.client.get("/whoami").json()
    assert who == {"id": "user:alice", "org": enrolment.user.org, "role": "reader", "ind": True}


def test_every_failed_sign_in_gets_the_same_page(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.add_user("bob")
    users(ui.node, SECRET).disable("bob")
    wrong_code = "000000" if ui.code(enrolment) != "000000" else "111111"
    answers = [
        ui.sign_in(enrolment, username="nobody"),
        ui.sign_in(enrolment, password="not the password"),
        ui.sign_in(enrolment, code=wrong_code),
        ui.sign_in(enrolment, username="bob"),
    ]
    for answer in answers:
        assert answer.status_code == 401
        assert LOGIN_FAILED in answer.text
        assert "entente_session=" not in answer.headers.get("set-cookie", "")
    assert ui.client.get("/").status_code == 303


def test_a_sign_in_without_its_form_token_is_forbidden(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.login_token()
    form = {"username": "alice", "password": PASSWORD, "code": ui.code(enrolment)}
    assert ui.client.post("/login", data=form).status_code == 403
    assert ui.client.post("/login", data={**form, "csrf_token": "forged"}).status_code == 403
    # The code was not spent by the refused posts: the real form still signs in.
    assert ui.sign_in(enrolment).status_code == 303


def test_logout_needs_the_csrf_token_and_ends_the_session(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.sign_in(enrolment)
    token = ui.csrf()
    refused = ui.client.post("/logout")
    assert refused.status_code == 403
    assert refused.headers["content-security-policy"] == CSP
    assert ui.client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert ui.client.get("/").status_code == 200
    cookie = ui.client.cookies.get("entente_session")
    done = ui.client.post("/logout", data={"csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"].endswith("/login")
    assert ui.client.get("/").status_code == 303
    # The server forgot it: the old cookie, sent again, signs no one in.
    assert cookie is not None
    _only_session(ui, cookie)
    assert ui.client.get("/").status_code == 303


def test_the_csrf_token_is_accepted_in_a_header(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.sign_in(enrolment)
    token = ui.csrf()
    assert ui.client.post("/logout", headers={"X-CSRF-Token": "x" + token}).status_code == 403
    assert ui.client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303


def test_an_idle_session_and_a_disabled_user_are_signed_out(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.sign_in(enrolment)
    ui.clock.advance(IDLE_TIMEOUT_US)
    assert ui.client.get("/").status_code == 303
    ui.clock.advance(30_000_000)
    ui.sign_in(enrolment)
    assert ui.client.get("/").status_code == 200
    users(ui.node, SECRET).disable("alice")
    assert ui.client.get("/").status_code == 303


def test_the_api_keeps_its_token_auth_and_json_errors(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.sign_in(enrolment)
    # A UI session is no API credential.
    answer = ui.client.get("/taxii2/", headers={"Accept": "application/taxii+json;version=2.1"})
    assert answer.status_code == 401
    _, secret = create_token(ui.node.tokens, ui.node.clock, org_name="Org B", role="reader")
    answer = ui.client.get(
        "/taxii2/",
        headers={
            "Accept": "application/taxii+json;version=2.1",
            "Authorization": f"Bearer {secret}",
        },
    )
    assert answer.status_code == 200
    assert "content-security-policy" not in answer.headers
    missing = ui.client.get("/api/v1/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/json")
    assert missing.json()["http_status"] == "404"


def test_the_session_cookie_is_secure_when_the_node_is_served_over_https(
    tmp_path: Path,
) -> None:
    for ui in _ui(tmp_path, public_url="https://cti.example.org"):
        enrolment = ui.add_user()
        answer = ui.sign_in(enrolment)
        assert answer.status_code == 303
        sessions = [
            value for name, value in answer.headers.multi_items()
            if name == "set-cookie" and value.startswith("entente_session=")
        ]  # fmt: skip
        assert "secure" in {part.strip().lower() for part in sessions[0].split(";")}
        assert answer.headers["location"] == "https://cti.example.org/"
        assert ui.client.get("/").status_code == 200


def _only_session(ui: Ui, value: str) -> None:
    """Make ``value`` the one session cookie the client sends."""
    ui.client.cookies.clear()
    ui.client.cookies.set("entente_session", value)


def test_signing_in_again_replaces_the_previous_session(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.sign_in(enrolment)
    first = ui.client.cookies.get("entente_session")
    assert first is not None
    # A signed-in browser is sent home from /login; one whose cookie the form page did not
    # see (another tab) still posts it along with the new sign-in.
    assert ui.client.get("/login").status_code == 303
    ui.client.cookies.clear()
    token = ui.login_token()
    ui.client.cookies.set("entente_session", first)
    ui.clock.advance(30_000_000)
    form = {"csrf_token": token, "username": "alice", "password": PASSWORD}
    answer = ui.client.post("/login", data={**form, "code": ui.code(enrolment)})
    assert answer.status_code == 303
    second = answer.cookies.get("entente_session")
    assert second is not None and second != first
    _only_session(ui, first)
    assert ui.client.get("/").status_code == 303
    _only_session(ui, second)
    assert ui.client.get("/").status_code == 200


def test_a_post_that_is_not_a_form_or_too_large_is_refused(ui: Ui) -> None:
    enrolment = ui.add_user()
    ui.sign_in(enrolment)
    token = ui.csrf()
    as_json = ui.client.post("/logout", json={"csrf_token": token})
    assert as_json.status_code == 403
    huge = ui.client.post("/logout", data={"csrf_token": token, "pad": "x" * 20_000})
    assert huge.status_code == 413
    assert ui.client.get("/").status_code == 200


def test_values_are_html_escaped_in_pages(ui: Ui) -> None:
    enrolment = users(ui.node, SECRET).add_user(
        "mallory", org_name='<script>alert("x")</script>', role="reader", password=PASSWORD
    )
    ui.sign_in(enrolment, username="mallory")
    home = ui.client.get("/")
    assert home.status_code == 200
    assert "<script>" not in home.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in home.text
    ui.client.cookies.clear()
    failed = ui.sign_in(enrolment, username='"><b>x', password="wrong password!")
    assert failed.status_code == 401
    assert "<b>x" not in failed.text and "&#34;&gt;&lt;b&gt;x" in failed.text
