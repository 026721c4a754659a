"""Single sign-on against a real OpenID Connect provider on loopback (tests/unit/server/
oidc_provider.py, authlib's server classes under uvicorn): the claims map to an org and a
role, and a wrong state, a wrong nonce, an expired token, another key or a claim value the
tables do not list each leave the browser signed out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey
from starlette.testclient import TestClient
from tests.unit.server.conftest import SECRET
from tests.unit.server.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

from entente.accounts.oidc import OidcConfig, oidc_username
from entente.bootstrap import Node, open_node, users
from entente.clock import SystemClock
from entente.config import Settings, load_settings, render_settings
from entente.errors import AuthenticationFailed, ConfigurationError
from entente.server import create_app
from entente.server.ui.oidc_login import CALLBACK_PATH
from entente.services.users import EXTERNAL_PASSWORD_HASH

PUBLIC_URL = "http://127.0.0.1:8080"
ORGS = {"grid": "Power Utility", "hub": "Coalition Hub"}
ROLES = {"soc-analyst": "analyst", "soc-lead": "admin", "viewer": "reader"}


@dataclass
class Sso:
    """The node (with single sign-on), a browser on it, and the provider."""

    node: Node
    browser: TestClient
    provider: Provider

    def start(self) -> str:
        """Follow the sign-in to the provider; the URL it sends the browser back to."""
        start = self.browser.get("/login/oidc")
        assert start.status_code == 303, start.text
        at_provider = httpx.get(start.headers["location"], follow_redirects=False)
        assert at_provider.status_code == 302, at_provider.text
        back = str(at_provider.headers["location"])
        assert back.startswith(PUBLIC_URL + CALLBACK_PATH)
        return back

    def sign_in(self) -> Any:
        """The whole round trip; the node's answer to the callback."""
        return self.browser.get(self.start())


def _config(issuer: str) -> OidcConfig:
    return OidcConfig(
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        org_claim="org",
        role_claim="groups",
        orgs=ORGS,
        roles=ROLES,
        provider_name="Coalition ID",
    )


@pytest.fixture
def sso(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sso]:
    """A node on SQLite and on PostgreSQL, with single sign-on at a running provider."""
    url, schema = f"sqlite:///{tmp_path / 'node.db'}", None
    if backend == "postgresql":
        url, schema = request.getfixturevalue("postgres_schema")
    with running_provider(PUBLIC_URL + CALLBACK_PATH) as provider:
        settings = Settings(
            home=tmp_path,
            database_url=url,
            public_url=PUBLIC_URL,
            org_name="Coalition Hub",
            oidc=_config(provider.issuer),
        )
        # The provider stamps its tokens with the real time, so the node reads it too.
        with open_node(settings, SystemClock(), schema=schema) as node:
            app = create_app(node, secret=SECRET)
            with TestClient(
                app, base_url=PUBLIC_URL, raise_server_exceptions=False, follow_redirects=False
            ) as browser:
                yield Sso(node, browser, provider)


def _refusal(answer: Any) -> str:
    assert "entente_session" not in answer.cookies
    found = re.search(r"<p>(Single sign-on with .*?)</p>", answer.text, re.S)
    assert found is not None, answer.text
    return found.group(1)


def test_the_login_page_offers_the_provider(sso: Sso) -> None:
    page = sso.browser.get("/login")
    assert '<a class="button-link" href="/login/oidc" id="sso">Sign in with Coalition ID</a>' in (
        page.text
    )


def test_a_provider_user_gets_a_session_with_the_mapped_org_and_role(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-1", "org": "grid", "groups": ["staff", "soc-analyst"]}
    answer = sso.sign_in()
    assert answer.status_code == 200, answer.text
    assert "entente_session" in answer.cookies
    assert 'http-equiv="refresh" content="0; url=/"' in answer.text
    home = sso.browser.get("/")
    assert home.status_code == 200
    assert '<span class="role">analyst</span>, <span class="org">Power Utility</span>' in home.text
    accounts = users(sso.node, SECRET)
    username = oidc_username(sso.provider.issuer, "u-1")
    user = accounts.get_user(username)
    assert (user.org_name, user.role) == ("Power Utility", "analyst")
    # No password signs the account in: it has none.
    assert user.password_hash == EXTERNAL_PASSWORD_HASH
    with pytest.raises(AuthenticationFailed):
        accounts.verify_login(username, EXTERNAL_PASSWORD_HASH, "000000")
    # Signing in again finds the same account.
    before = len(accounts.list_users())
    sso.browser.cookies.clear()
    assert sso.sign_in().status_code == 200
    assert len(accounts.list_users()) == before


def test_an_admin_claim_of_the_node_org_reaches_the_admin_page(sso: Sso) -> None:
    sso.provider.user = {"sub": "lead", "org": "hub", "groups": "soc-lead"}
    assert sso.sign_in().status_code == 200
    page = sso.browser.get("/admin")
    assert page.status_code == 200
    username = oidc_username(sso.provider.issuer, "lead")
    assert f'<th scope="row">{username}</th>' in page.text
    assert "<td>active, single sign-on</td>" in page.text


def test_a_wrong_state_is_refused(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-1", "org": "grid", "groups": "viewer"}
    back = sso.start()
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    answer = sso.browser.get(forged)
    assert answer.status_code == 400
    assert "not for the sign-in this browser started" in _refusal(answer)
    assert users(sso.node, SECRET).list_users() == []


def test_a_callback_in_a_browser_that_did_not_start_it_is_refused(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-1", "org": "grid", "groups": "viewer"}
    back = sso.start()
    sso.browser.cookies.clear()
    answer = sso.browser.get(back)
    assert answer.status_code == 400
    assert "did not start a sign-in" in _refusal(answer)


def test_a_tampered_sign_in_cookie_is_refused(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-1", "org": "grid", "groups": "viewer"}
    back = sso.start()
    cookie = sso.browser.cookies["entente_oidc"]
    sso.browser.cookies.clear()
    sso.browser.cookies.set("entente_oidc", "x" + cookie, path="/login/oidc")
    answer = sso.browser.get(back)
    assert answer.status_code == 400
    assert "not ours" in _refusal(answer)


def test_a_wrong_nonce_is_refused(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-1", "org": "grid", "groups": "viewer"}
    sso.provider.forged_nonce = "a nonce this node never sent"
    answer = sso.sign_in()
    assert answer.status_code == 401
    assert "nonce" in _refusal(answer)
    assert users(sso.node, SECRET).list_users() == []


def test_an_expired_id_token_is_refused(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-1", "org": "grid", "groups": "viewer"}
    sso.provider.id_token_lifetime = -600
    answer = sso.sign_in()
    assert answer.status_code == 401
    assert "exp" in _refusal(answer)


def test_a_token_signed_with_another_key_is_refused(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-1", "org": "grid", "groups": "viewer"}
    sso.provider.signing_key = RSAKey.generate_key(2048, {"kid": "k1"})
    answer = sso.sign_in()
    assert answer.status_code == 401
    assert "signature" in _refusal(answer)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"org": "grid", "groups": ["superuser"]}, "names no role"),
        ({"org": "grid"}, "names no role"),
        ({"org": "elsewhere", "groups": "viewer"}, "names no organization"),
        ({"org": "grid", "groups": ["viewer", "soc-lead"]}, "more than one role"),
        ({"org": ["grid"], "groups": {"admin": True}}, "names no role"),
    ],
)
def test_a_claim_value_the_tables_do_not_list_is_refused(
    sso: Sso, claims: dict[str, Any], reason: str
) -> None:
    sso.provider.user = {"sub": "u-2", **claims}
    answer = sso.sign_in()
    assert answer.status_code == 401
    assert reason in _refusal(answer)
    assert users(sso.node, SECRET).list_users() == []


def test_a_changed_role_is_refused_until_an_admin_acts(sso: Sso) -> None:
    sso.provider.user = {"sub": "u-3", "org": "grid", "groups": "viewer"}
    assert sso.sign_in().status_code == 200
    sso.browser.cookies.clear()
    sso.provider.user = {"sub": "u-3", "org": "grid", "groups": "soc-lead"}
    answer = sso.sign_in()
    assert answer.status_code == 401
    assert "an admin must" in _refusal(answer)


def test_the_provider_refusing_is_a_refusal(sso: Sso) -> None:
    answer = sso.browser.get(f"{CALLBACK_PATH}?error=access_denied&state=x")
    assert answer.status_code == 401
    assert "access_denied" in _refusal(answer)


def test_without_oidc_settings_there_is_no_single_sign_on(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with (
        open_node(settings, SystemClock()) as node,
        TestClient(create_app(node, secret=SECRET), base_url=PUBLIC_URL) as browser,
    ):
        assert "Sign in with" not in browser.get("/login").text
        assert browser.get("/login/oidc", follow_redirects=False).status_code == 404


def _write_config(home: Path, oidc: str) -> None:
    (home / "entente.toml").write_text(
        '[oidc]\nissuer = "https://id.example.org"\nclient_id = "node"\norg_claim = "org"\n'
        'role_claim = "role"\nprovider_name = "Example ID"\n' + oidc,
        encoding="utf-8",
    )


def test_the_settings_read_the_client_secret_from_a_file_and_never_show_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "oidc-secret").write_text("s3cr3t-value\n", encoding="utf-8")
    _write_config(
        tmp_path,
        'client_secret_file = "oidc-secret"\n[oidc.orgs]\nhub = "Coalition Hub"\n'
        '[oidc.roles]\nlead = "admin"\n',
    )
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert settings.oidc is not None
    assert settings.oidc.client_secret == "s3cr3t-value"
    assert dict(settings.oidc.roles) == {"lead": "admin"}
    shown = render_settings(settings)
    assert "s3cr3t-value" not in repr(shown) and "s3cr3t-value" not in repr(settings)
    assert ("oidc.client_secret", "set (not shown)") in shown
    from_env = load_settings(
        {"ENTENTE_HOME": str(tmp_path), "ENTENTE_OIDC_CLIENT_SECRET": "from the environment"}
    )
    assert from_env.oidc is not None and from_env.oidc.client_secret == "from the environment"


@pytest.mark.parametrize(
    ("oidc", "reason"),
    [
        ('client_secret = "inline"\n', "may not be written"),
        ('[oidc.orgs]\nhub = "Hub"\n[oidc.roles]\nlead = "admin"\n', "client secret"),
        (
            'client_secret_file = "s"\n[oidc.orgs]\nhub = "Hub"\n[oidc.roles]\nlead = "root"\n',
            "unknown roles",
        ),
        ('client_secret_file = "s"\n[oidc.orgs]\nhub = "Hub"\n', "allowed values"),
        ('client_secret_file = "missing"\n', "missing"),
        (
            'client_secret_file = "s"\nscopes = ["profile"]\n[oidc.orgs]\nhub = "Hub"\n'
            '[oidc.roles]\nlead = "admin"\n',
            "openid",
        ),
    ],
)
def test_bad_oidc_settings_are_refused(tmp_path: Path, oidc: str, reason: str) -> None:
    (tmp_path / "s").write_text("secret\n", encoding="utf-8")
    _write_config(tmp_path, oidc)
    with pytest.raises(ConfigurationError, match=reason):
        load_settings({"ENTENTE_HOME": str(tmp_path)})
