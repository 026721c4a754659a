"""The Admin page over the real app and a real SQLite node: who may see it, each action with
its result, CSRF, and bad input answered with a 4xx page that changed nothing."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.unit.server.conftest import SECRET
from tests.unit.server.ui_sessions import NODE_ORG_NAME, PASSWORD, UiNode, ui_node
from tests.unit.server.ui_users import assert_page_rules

from entente.accounts import totp_at
from entente.bootstrap import open_node, users, warninglists
from entente.clock import FixedClock
from entente.config import Settings, render_settings, without_password
from entente.server import create_app
from entente.services import authenticate, list_tokens
from entente.store import TokenStatus

TOTP_URI = re.compile(r"otpauth://totp/[^<\s]+")


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    with ui_node(tmp_path) as opened:
        yield opened


def _csrf(ui: UiNode, who: str) -> str:
    page = ui.get("/", who)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def _post(ui: UiNode, who: str, path: str, **fields: str) -> Any:
    """POST a form to ``path`` as ``who``, with the session's CSRF token."""
    return ui.client.post(path, data={"csrf_token": _csrf(ui, who), **fields})


def _post_forged(ui: UiNode, who: str, path: str, **fields: str) -> Any:
    """POST a form to ``path`` with ``who``'s session cookie but not its CSRF token."""
    _csrf(ui, who)
    return ui.client.post(path, data={"csrf_token": "not-the-token", **fields})


def _message(html: str) -> str:
    found = re.search(r'<p id="result-message">(.*?)</p>', html, re.S)
    assert found is not None, html
    return found.group(1)


def test_the_node_admin_sees_every_section_and_the_nav_item(ui: UiNode) -> None:
    page = ui.get("/admin", "admin")
    assert page.status_code == 200
    html = page.text
    for heading in ("Users", "API tokens", "Collections", "Warninglists", "Settings"):
        assert f">{heading}</h2>" in html
    assert '<a href="/admin" aria-current="page">Admin</a>' in html
    # Every user of the node, with org and role.
    for name in ("admin", "analyst", "reader", "analyst_b", "reader_c"):
        assert f'<th scope="row">{name}</th>' in html
    # The default collections, and the shipped warninglists.
    assert "All objects" in html and "Indicators" in html
    assert 'id="warninglists-table"' in html
    assert f"<code>{NODE_ORG_NAME}</code>" in html
    assert page.headers["cache-control"] == "no-store"
    assert_page_rules(html)


@pytest.mark.parametrize("who", ["analyst", "reader", "analyst_b", "reader_c"])
def test_anyone_but_a_node_admin_gets_403_and_no_nav_item(ui: UiNode, who: str) -> None:
    page = ui.get("/admin", who)
    assert page.status_code == 403
    assert "Not allowed" in page.text
    assert 'href="/admin"' not in page.text
    assert "users-table" not in page.text
    assert 'href="/admin"' not in ui.get("/", who).text


def test_an_admin_of_another_org_gets_403_and_can_change_nothing(tmp_path: Path) -> None:
    with ui_node(tmp_path) as ui:
        accounts = users(ui.node, SECRET)
        enrolment = accounts.add_user("admin_b", org_name="Org B", role="admin", password=PASSWORD)
        key = base64.b32decode(enrolment.secret + "=" * (-len(enrolment.secret) % 8))
        code = totp_at(key, ui.node.clock.now_us() // 1_000_000)
        ui.tokens["admin_b"] = accounts.sign_in("admin_b", PASSWORD, code).token
        assert ui.get("/admin", "admin_b").status_code == 403
        assert 'href="/admin"' not in ui.get("/", "admin_b").text
        answer = _post(ui, "admin_b", "/admin/users/disable", username="admin")
        assert answer.status_code == 403
        assert not accounts.get_user("admin").disabled
        answer = _post(ui, "admin_b", "/admin/tokens/create", org="Org B", role="admin")
        assert answer.status_code == 403
        assert "ent_tok_" not in answer.text
        assert len(list_tokens(ui.node.tokens)) == 1


def test_signed_out_the_page_sends_to_sign_in(ui: UiNode) -> None:
    ui.client.cookies.clear()
    answer = ui.client.get("/admin")
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/login")


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(ui: UiNode) -> None:
    answer = _post_forged(ui, "admin", "/admin/users/disable", username="reader")
    assert answer.status_code == 403
    assert "Form rejected" in answer.text
    assert not users(ui.node, SECRET).get_user("reader").disabled


def test_adding_a_user_shows_its_totp_key_once_and_the_user_can_sign_in(ui: UiNode) -> None:
    answer = _post(
        ui,
        "admin",
        "/admin/users/add",
        username="erin",
        org="Org E",
        role="analyst",
        password="erin's passphrase!",
    )
    assert answer.status_code == 200
    assert "User erin of Org E added with role analyst" in _message(answer.text)
    uri = TOTP_URI.search(answer.text)
    assert uri is not None
    secret = re.search(r"secret=([A-Z2-7]+)", uri.group(0))
    assert secret is not None
    key = base64.b32decode(secret.group(1) + "=" * (-len(secret.group(1)) % 8))
    accounts = users(ui.node, SECRET)
    code = totp_at(key, ui.node.clock.now_us() // 1_000_000)
    assert accounts.sign_in("erin", "erin's passphrase!", code).user.org_name == "Org E"
    # Shown once: the page read again holds the user but no key.
    again = ui.get("/admin", "admin").text
    assert '<th scope="row">erin</th>' in again
    assert TOTP_URI.search(again) is None and secret.group(1) not in again


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"username": "bad name!", "org": "Org E", "role": "reader"}, "username"),
        ({"username": "erin", "org": "  ", "role": "reader"}, "org name is required"),
        ({"username": "erin", "org": "Org E", "role": "root"}, "unknown role"),
        ({"username": "erin", "org": "Org E", "role": "reader", "password": "short"}, "password"),
        ({"username": "reader", "org": "Org E", "role": "reader"}, "already exists"),
        ({}, ""),
    ],
)
def test_adding_a_bad_user_is_a_400_that_adds_nothing(
    ui: UiNode, fields: dict[str, str], reason: str
) -> None:
    before = len(users(ui.node, SECRET).list_users())
    answer = _post(ui, "admin", "/admin/users/add", **{"password": "a long enough pass", **fields})
    assert answer.status_code == 400
    assert reason in _message(answer.text)
    assert TOTP_URI.search(answer.text) is None
    assert len(users(ui.node, SECRET).list_users()) == before


def test_disable_enable_and_reset_totp_of_a_user(ui: UiNode) -> None:
    accounts = users(ui.node, SECRET)
    answer = _post(ui, "admin", "/admin/users/disable", username="reader")
    assert answer.status_code == 200
    assert _message(answer.text) == "User reader disabled."
    assert accounts.get_user("reader").disabled
    # Its session ended with it.
    assert ui.get("/", "reader").status_code == 303
    answer = _post(ui, "admin", "/admin/users/enable", username="reader")
    assert _message(answer.text) == "User reader enabled."
    assert not accounts.get_user("reader").disabled
    answer = _post(ui, "admin", "/admin/users/reset-totp", username="analyst")
    assert answer.status_code == 200
    assert "new TOTP key" in _message(answer.text)
    assert TOTP_URI.search(answer.text) is not None
    assert ui.get("/", "analyst").status_code == 303


def test_user_actions_on_nobody_or_oneself_are_4xx(ui: UiNode) -> None:
    for action in ("disable", "enable", "reset-totp"):
        answer = _post(ui, "admin", f"/admin/users/{action}", username="nobody")
        assert answer.status_code == 404
        assert "no user nobody" in _message(answer.text)
    answer = _post(ui, "admin", "/admin/users/disable", username="admin")
    assert answer.status_code == 400
    assert "your own account" in _message(answer.text)
    assert not users(ui.node, SECRET).get_user("admin").disabled


def test_a_token_is_created_with_its_secret_shown_once_and_revoked(ui: UiNode) -> None:
    answer = _post(
        ui, "admin", "/admin/tokens/create", org="Org D", role="partner", expires_days="30"
    )
    assert answer.status_code == 200
    secret = re.search(r"ent_tok_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", answer.text)
    assert secret is not None
    token = authenticate(ui.node.tokens, ui.node.clock, secret.group(0))
    assert (token.org_name, token.role) == ("Org D", "partner")
    assert "with role partner" in _message(answer.text)
    again = ui.get("/admin", "admin").text
    assert f"<code>{token.token_id}</code>" in again and secret.group(0) not in again
    answer = _post(ui, "admin", "/admin/tokens/revoke", token_id=token.token_id)
    assert answer.status_code == 200
    assert f"Token {token.token_id}" in _message(answer.text)
    stored = {t.token_id: t for t in list_tokens(ui.node.tokens)}[token.token_id]
    assert stored.status_at(ui.node.clock.now_us()) is TokenStatus.REVOKED


@pytest.mark.parametrize(
    ("fields", "status", "reason"),
    [
        ({"org": "Org D", "role": "god"}, 400, "unknown role"),
        ({"org": "", "role": "reader"}, 400, "org name is required"),
        ({"org": "Org D", "role": "reader", "expires_days": "0"}, 400, "expiry"),
        ({"org": "Org D", "role": "reader", "expires_days": "-3"}, 400, "expiry"),
        ({"org": "Org D", "role": "reader", "expires_days": "ten"}, 400, "expiry"),
    ],
)
def test_a_bad_token_request_is_a_4xx_that_creates_nothing(
    ui: UiNode, fields: dict[str, str], status: int, reason: str
) -> None:
    answer = _post(ui, "admin", "/admin/tokens/create", **fields)
    assert answer.status_code == status
    assert reason in _message(answer.text)
    assert len(list_tokens(ui.node.tokens)) == 1


def test_revoking_an_unknown_token_is_a_404(ui: UiNode) -> None:
    answer = _post(ui, "admin", "/admin/tokens/revoke", token_id="tok_000000000000")
    assert answer.status_code == 404


def test_a_warninglisted_value_is_allowed_and_disallowed(ui: UiNode) -> None:
    store = warninglists(ui.node.settings)
    answer = _post(ui, "admin", "/admin/warninglists/allow", value="8.8.8.8", kind="auto")
    assert answer.status_code == 200
    assert _message(answer.text) == "8.8.8.8: allowed."
    assert store.allowed() == frozenset({"8.8.8.8"})
    assert '<th scope="row"><code>8.8.8.8</code></th>' in answer.text
    answer = _post(ui, "admin", "/admin/warninglists/disallow", value="8.8.8.8")
    assert _message(answer.text) == "8.8.8.8: no longer allowed."
    assert store.allowed() == frozenset()


@pytest.mark.parametrize(
    ("path", "fields", "status"),
    [
        ("/admin/warninglists/allow", {"value": "not a host!", "kind": "ip"}, 400),
        ("/admin/warninglists/allow", {"value": "8.8.8.8", "kind": "colour"}, 400),
        ("/admin/warninglists/allow", {}, 400),
        ("/admin/warninglists/disallow", {"value": "1.1.1.1"}, 404),
    ],
)
def test_bad_warninglist_input_is_a_4xx_that_changes_nothing(
    ui: UiNode, path: str, fields: dict[str, str], status: int
) -> None:
    answer = _post(ui, "admin", path, **fields)
    assert answer.status_code == status
    assert warninglists(ui.node.settings).allowed() == frozenset()


def test_a_non_admin_post_with_its_own_csrf_token_is_refused(ui: UiNode) -> None:
    answer = _post(ui, "analyst", "/admin/warninglists/allow", value="8.8.8.8")
    assert answer.status_code == 403
    assert warninglists(ui.node.settings).allowed() == frozenset()


def test_the_actions_work_alike_on_each_backend(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url, schema = f"sqlite:///{tmp_path / 'node.db'}", None
    if backend == "postgresql":
        url, schema = request.getfixturevalue("postgres_schema")
    settings = Settings(
        home=tmp_path, database_url=url, public_url="http://127.0.0.1:8080", org_name="CERT-X"
    )
    with open_node(settings, FixedClock(), schema=schema) as node:
        accounts = users(node, SECRET)
        enrolment = accounts.add_user("root", org_name="CERT-X", role="admin", password=PASSWORD)
        key = base64.b32decode(enrolment.secret + "=" * (-len(enrolment.secret) % 8))
        code = totp_at(key, node.clock.now_us() // 1_000_000)
        token = accounts.sign_in("root", PASSWORD, code).token
        with TestClient(
            create_app(node, secret=SECRET),
            base_url="http://127.0.0.1:8080",
            raise_server_exceptions=False,
            follow_redirects=False,
        ) as client:
            client.cookies.set("entente_session", token)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin").text)
            assert csrf is not None
            form = {"csrf_token": csrf.group(1)}
            added = client.post(
                "/admin/users/add",
                data={**form, "username": "erin", "org": "Org E", "role": "reader",
                      "password": "erin's passphrase!"},
            )  # fmt: skip
            assert added.status_code == 200
            assert client.post("/admin/users/disable", data={**form, "username": "erin"}).is_success
            assert accounts.get_user("erin").disabled
            made = client.post("/admin/tokens/create", data={**form, "org": "B", "role": "reader"})
            assert made.status_code == 200
            assert [t.org_name for t in list_tokens(node.tokens)] == ["B"]


def test_settings_never_show_a_database_password(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, database_url="postgresql+psycopg://entente:s3cr3t@127.0.0.1:5432/test"
    )
    shown = dict(render_settings(settings))
    assert shown["database_url"] == "postgresql+psycopg://entente:***@127.0.0.1:5432/test"
    assert "s3cr3t" not in repr(render_settings(settings))
    assert without_password("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
