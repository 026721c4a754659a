"""OpenID Connect sign-in, the sans-IO part: the provider's settings, the authorization
request (code flow with PKCE, state and nonce), ID token verification and the claims mapping.

Values in, values out: the discovery document, the JWKS and the token response are fetched by
``entente.server.oidc_client``; this module only decides. The flow is OpenID Connect Core 1.0
§3.1 (Authorization Code Flow) with PKCE (RFC 7636, S256) and the ID token checks of §3.1.3.7:
signature against the issuer's JWKS, ``iss`` equal to the configured issuer, ``aud`` holding
the client id, ``exp`` in the future, and ``nonce`` equal to the one sent. Every failure
raises ``AuthenticationFailed``; a claim value the mapping does not list is refused, never
read as a default org or role.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from entente.errors import AuthenticationFailed, ConfigurationError

__all__ = [
    "ID_TOKEN_ALGORITHMS",
    "Discovery",
    "LoginRequest",
    "OidcConfig",
    "authorization_url",
    "map_claims",
    "new_login_request",
    "oidc_username",
    "parse_discovery",
    "verify_id_token",
]

# Asymmetric algorithms only: with HS256 the client secret would verify a token anyone holding
# that secret made (OpenID Connect Core §10.1); "none" is never accepted.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
# Seconds of clock difference tolerated between the provider and this node.
LEEWAY_S = 60
_ROLES = frozenset({"admin", "analyst", "reader", "partner"})


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The ``[oidc]`` settings: one provider, its client, and how its claims map to an org
    and a role here. ``orgs`` and ``roles`` map a claim's value to an org name and a role."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    org_claim: str
    role_claim: str
    orgs: Mapping[str, str]
    roles: Mapping[str, str]
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    provider_name: str = "single sign-on"

    def __post_init__(self) -> None:
        if (
            urlsplit(self.issuer).scheme not in ("https", "http")
            or not urlsplit(self.issuer).netloc
        ):
            raise ConfigurationError(f"oidc.issuer {self.issuer!r} is not an http(s) URL")
        if not self.client_id or not self.client_secret:
            raise ConfigurationError("oidc needs a client_id and a client secret")
        if "openid" not in self.scopes:
            raise ConfigurationError(
                "oidc.scopes must include openid (OpenID Connect Core §3.1.2.1)"
            )
        if not self.org_claim or not self.role_claim:
            raise ConfigurationError("oidc needs an org_claim and a role_claim")
        if not self.orgs or not self.roles:
            raise ConfigurationError(
                "oidc needs [oidc.orgs] and [oidc.roles] tables of allowed values"
            )
        unknown = sorted(set(self.roles.values()) - _ROLES)
        if unknown:
            raise ConfigurationError(f"oidc.roles maps to unknown roles: {', '.join(unknown)}")
        if any(not name.strip() for name in self.orgs.values()):
            raise ConfigurationError("oidc.orgs maps a value to an empty org name")
        object.__setattr__(self, "orgs", MappingProxyType(dict(self.orgs)))
        object.__setattr__(self, "roles", MappingProxyType(dict(self.roles)))


@dataclass(frozen=True, slots=True)
class Discovery:
    """What this node needs of the provider's discovery document (OpenID Connect Discovery
    1.0 §3)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def parse_discovery(document: object, issuer: str) -> Discovery:
    """The endpoints of a discovery document, whose ``issuer`` must be exactly ``issuer``
    (Discovery §4.3: otherwise another provider could stand in for it)."""
    if not isinstance(document, Mapping):
        raise AuthenticationFailed("the provider's discovery document is not a JSON object")
    values = {}
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise AuthenticationFailed(f"the provider's discovery document has no {name}")
        values[name] = value
    if values["issuer"] != issuer:
        raise AuthenticationFailed("the provider's discovery document names another issuer")
    return Discovery(**values)


@dataclass(frozen=True, slots=True)
class LoginRequest:
    """One sign-in under way: what the callback must find again (RFC 6749 §10.12 state,
    OpenID Connect Core §15.5.2 nonce, RFC 7636 §4.1 code verifier)."""

    state: str
    nonce: str
    code_verifier: str


def _random_text(random_bytes: Callable[[int], bytes]) -> str:
    return base64.urlsafe_b64encode(random_bytes(32)).rstrip(b"=").decode("ascii")


def new_login_request(random_bytes: Callable[[int], bytes]) -> LoginRequest:
    """Fresh state, nonce and code verifier (256 random bits each; RFC 7636 §7.1)."""
    return LoginRequest(
        state=_random_text(random_bytes),
        nonce=_random_text(random_bytes),
        code_verifier=_random_text(random_bytes),
    )


def authorization_url(
    discovery: Discovery, config: OidcConfig, redirect_uri: str, request: LoginRequest
) -> str:
    """Where the browser goes to sign in: the authorization request of Core §3.1.2.1."""
    return str(
        prepare_grant_uri(
            discovery.authorization_endpoint,
            client_id=config.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(config.scopes),
            state=request.state,
            nonce=request.nonce,
            code_challenge=create_s256_code_challenge(request.code_verifier),
            code_challenge_method="S256",
        )
    )


def verify_id_token(
    id_token: str, jwks: object, *, config: OidcConfig, nonce: str, now_s: int
) -> dict[str, Any]:
    """The claims of ``id_token`` once its signature, issuer, audience, expiry and nonce are
    checked (Core §3.1.3.7); ``AuthenticationFailed`` otherwise."""
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise AuthenticationFailed("the provider's JWKS is not a key set")
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]  # checked above
        token = jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
    except (JoseError, ValueError, TypeError) as exc:
        raise AuthenticationFailed(f"the ID token's signature does not verify: {exc}") from None
    options = {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.client_id},
        "nonce": {"essential": True, "value": nonce},
        "sub": {"essential": True},
    }
    claims = CodeIDToken(
        token.claims, dict(token.header), options, {"nonce": nonce, "client_id": config.client_id}
    )
    try:
        claims.validate(now=now_s, leeway=LEEWAY_S)
    except JoseError as exc:
        raise AuthenticationFailed(f"the ID token was refused: {exc}") from None
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise AuthenticationFailed("the ID token has no subject")
    return dict(claims)


def _claim(claims: Mapping[str, Any], name: str) -> object:
    """A claim by name; a dotted name reads into nested objects (``realm_access.roles``)."""
    value: object = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _mapped(claims: Mapping[str, Any], name: str, table: Mapping[str, str], what: str) -> str:
    """The one value of ``table`` the claim names; a list claim must name exactly one."""
    value = _claim(claims, name)
    found = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    matches = {table[v] for v in found if isinstance(v, str) and v in table}
    if len(matches) != 1:
        raise AuthenticationFailed(
            f"the provider's {name} claim names no {what} this node accepts"
            if not matches
            else f"the provider's {name} claim names more than one {what}"
        )
    return matches.pop()


def map_claims(claims: Mapping[str, Any], config: OidcConfig) -> tuple[str, str]:
    """``(org_name, role)`` the provider's claims give, by the configured tables only."""
    return (
        _mapped(claims, config.org_claim, config.orgs, "organization"),
        _mapped(claims, config.role_claim, config.roles, "role"),
    )


def oidc_username(issuer: str, subject: str) -> str:
    """The local username of the provider's user ``subject``: stable for the pair
    (Core §2: ``sub`` is unique only within its issuer), and within the username rules."""
    digest = hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()
    return f"oidc-{digest[:24]}"
