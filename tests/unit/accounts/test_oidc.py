"""The sans-IO part of single sign-on: the authorization request, ID token checks (OpenID
Connect Core §3.1.3.7) and the claims mapping, on tokens signed here with joserfc."""

from __future__ import annotations

import base64
import hashlib
import itertools
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from entente.accounts import parse_username
from entente.accounts.oidc import (
    Discovery,
    OidcConfig,
    authorization_url,
    map_claims,
    new_login_request,
    oidc_username,
    parse_discovery,
    verify_id_token,
)
from entente.errors import AuthenticationFailed, ConfigurationError

ISSUER = "https://id.example.org"
NOW = 1_800_000_000
KEY = RSAKey.generate_key(2048, {"kid": "k1"})
JWKS = {"keys": [KEY.as_dict(private=False)]}
CONFIG = OidcConfig(
    issuer=ISSUER,
    client_id="node",
    client_secret="the client secret",
    org_claim="org",
    role_claim="realm_access.roles",
    orgs={"grid": "Power Utility"},
    roles={"soc": "analyst"},
)
DISCOVERY = Discovery(ISSUER, ISSUER + "/auth", ISSUER + "/token", ISSUER + "/jwks")


def _token(key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    claims = {"iss": ISSUER, "sub": "u-1", "aud": "node", "iat": NOW, "exp": NOW + 300}
    claims["nonce"] = "n-1"
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key, algorithms=[alg])


def test_a_good_token_gives_its_claims() -> None:
    claims = verify_id_token(_token(), JWKS, config=CONFIG, nonce="n-1", now_s=NOW)
    assert claims["sub"] == "u-1"


@pytest.mark.parametrize(
    ("changes", "now"),
    [
        ({"aud": "another client"}, NOW),
        ({"iss": "https://evil.example"}, NOW),
        ({"nonce": "n-2"}, NOW),
        ({"nonce": None}, NOW),
        ({"sub": None}, NOW),
        ({}, NOW + 300 + 61),  # expired, past the minute of leeway
    ],
)
def test_a_token_that_fails_a_check_is_refused(changes: dict[str, Any], now: int) -> None:
    with pytest.raises(AuthenticationFailed):
        verify_id_token(_token(**changes), JWKS, config=CONFIG, nonce="n-1", now_s=now)


def test_a_token_just_past_expiry_passes_within_the_leeway() -> None:
    verify_id_token(_token(), JWKS, config=CONFIG, nonce="n-1", now_s=NOW + 330)


def test_only_the_issuers_asymmetric_keys_verify() -> None:
    other = RSAKey.generate_key(2048, {"kid": "k1"})
    # HS256 keyed with the client secret is what a holder of the secret could forge.
    secret = OctKey.import_key(CONFIG.client_secret.encode())
    for token in (_token(other), _token(secret, "HS256")):
        with pytest.raises(AuthenticationFailed, match="signature"):
            verify_id_token(token, JWKS, config=CONFIG, nonce="n-1", now_s=NOW)
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    unsigned = header + "." + _token().split(".")[1] + "."
    with pytest.raises(AuthenticationFailed):
        verify_id_token(unsigned, JWKS, config=CONFIG, nonce="n-1", now_s=NOW)
    with pytest.raises(AuthenticationFailed, match="key set"):
        verify_id_token(_token(), {"keys": "none"}, config=CONFIG, nonce="n-1", now_s=NOW)


def test_the_authorization_request_carries_state_nonce_and_an_s256_challenge() -> None:
    counter = itertools.count()
    login = new_login_request(lambda n: bytes([next(counter) % 256]) * n)
    assert len({login.state, login.nonce, login.code_verifier}) == 3
    url = authorization_url(DISCOVERY, CONFIG, "http://127.0.0.1:8080/cb", login)
    assert url.startswith(ISSUER + "/auth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    digest = hashlib.sha256(login.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert query["code_challenge_method"] == "S256"
    assert (query["state"], query["nonce"]) == (login.state, login.nonce)
    assert query["response_type"] == "code" and query["client_id"] == "node"
    assert query["scope"].split() == ["openid", "profile", "email"]
    assert "code_verifier" not in query


def test_discovery_must_name_the_configured_issuer() -> None:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/auth",
        "token_endpoint": ISSUER + "/token",
        "jwks_uri": ISSUER + "/jwks",
    }
    assert parse_discovery(document, ISSUER) == DISCOVERY
    with pytest.raises(AuthenticationFailed, match="another issuer"):
        parse_discovery({**document, "issuer": "https://evil.example"}, ISSUER)
    with pytest.raises(AuthenticationFailed, match="jwks_uri"):
        parse_discovery({**document, "jwks_uri": None}, ISSUER)
    with pytest.raises(AuthenticationFailed):
        parse_discovery(["not", "an", "object"], ISSUER)


def test_claims_map_by_the_tables_only_and_read_nested_claims() -> None:
    claims = {"org": "grid", "realm_access": {"roles": ["offline", "soc"]}}
    assert map_claims(claims, CONFIG) == ("Power Utility", "analyst")
    with pytest.raises(AuthenticationFailed, match="no role"):
        map_claims({"org": "grid", "realm_access": {"roles": ["admin"]}}, CONFIG)
    with pytest.raises(AuthenticationFailed, match="no organization"):
        map_claims({"org": "Power Utility", "realm_access": {"roles": "soc"}}, CONFIG)


def test_the_username_is_stable_per_issuer_and_subject_and_valid() -> None:
    name = oidc_username(ISSUER, "u-1")
    assert name == oidc_username(ISSUER, "u-1") == parse_username(name)
    assert name != oidc_username("https://other.example", "u-1")


def test_a_role_table_may_not_name_an_unknown_role() -> None:
    with pytest.raises(ConfigurationError, match="unknown roles"):
        OidcConfig(
            issuer=ISSUER,
            client_id="node",
            client_secret="s",
            org_claim="org",
            role_claim="role",
            orgs={"a": "A"},
            roles={"x": "superuser"},
        )
    assert "the client secret" not in repr(CONFIG)
