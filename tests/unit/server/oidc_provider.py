"""A real OpenID Connect provider for the single sign-on tests, built from authlib's own
server-side classes (``AuthorizationServer``, ``AuthorizationCodeGrant``, ``OpenIDCode``,
``CodeChallenge``) and served by uvicorn on 127.0.0.1 in a thread that the test stops.

It is a test fixture for an external component, as medallion is for TAXII: the node talks to
it over HTTP exactly as to a production provider (discovery, authorization endpoint with
PKCE, token endpoint with HTTP Basic client authentication, JWKS). It signs in whichever user
``Provider.user`` holds without a login form, and can be told to misbehave in the ways a test
needs: a wrong nonce in the ID token, an ID token already expired, another signing key.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerToken
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from fastapi import FastAPI, Request
from joserfc.jwk import RSAKey
from starlette.responses import JSONResponse, Response
from tests.unit.server.conftest import listening, serving

CLIENT_ID = "entente-node"
CLIENT_SECRET = "client secret: with & odd = characters"


@dataclass
class Provider:
    """The provider's state: its issuer URL, the signed-in user, and what to get wrong."""

    issuer: str
    redirect_uri: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    # The subject and extra claims of the person who signs in next.
    user: dict[str, Any] = field(default_factory=dict)
    # Seconds the ID token lives; negative: it has expired when issued.
    id_token_lifetime: int = 300
    # A nonce to put in the ID token instead of the one the client sent.
    forged_nonce: str | None = None
    # A key to sign with instead of the one the JWKS publishes.
    signing_key: RSAKey | None = None
    codes: dict[str, _Code] = field(default_factory=dict)


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    user: dict[str, Any]

    # AuthorizationCodeMixin (RFC 6749) and the OpenID Connect additions.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(time.time())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class _Client:
    """The one registered client (ClientMixin): the node."""

    def __init__(self, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in {"openid", "profile", "email"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class _Payload(OAuth2Payload):  # type: ignore[misc]  # authlib is untyped
    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    @property
    def data(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._values.items()}

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._values


class _Request(OAuth2Request):  # type: ignore[misc]  # authlib is untyped
    """authlib's request of a Starlette one: the query (``args``), the urlencoded body
    (``form``, RFC 6749 §4.1.3) and both together (``payload``)."""

    def __init__(self, request: Request, body: bytes) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args = dict(request.query_params)
        self._form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        self.payload = _Payload({k: [v] for k, v in {**self._args, **self._form}.items()})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def _oauth_request(request: Request) -> OAuth2Request:
    return _Request(request, await request.body())


class _Server(AuthorizationServer):  # type: ignore[misc]  # authlib is untyped
    def __init__(self, provider: Provider) -> None:
        super().__init__(scopes_supported=["openid", "profile", "email"])
        self.provider = provider
        self.client = _Client(provider.redirect_uri)
        self.register_token_generator("default", BearerToken(lambda **_: secrets.token_urlsafe(32)))

    def query_client(self, client_id: str) -> _Client | None:
        return self.client if client_id == CLIENT_ID else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        return None

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body or b"", status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]  # authlib is untyped
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012 - authlib's API

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        provider: Provider = self.server.provider
        data = request.payload.data
        provider.codes[code] = _Code(
            code=code,
            client_id=CLIENT_ID,
            redirect_uri=str(data.get("redirect_uri", "")),
            scope=request.payload.scope or "",
            nonce=provider.forged_nonce or data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            user=dict(request.user),
        )

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        found: _Code | None = self.server.provider.codes.get(code)
        return found

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        self.server.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: _Code) -> dict[str, Any]:
        return authorization_code.user


class _OpenIdCode(OpenIDCode):  # type: ignore[misc]  # authlib is untyped
    def __init__(self, provider: Provider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False

    def resolve_client_private_key(self, client: _Client) -> RSAKey:
        return self.provider.signing_key or self.provider.key

    def get_client_algorithm(self, client: _Client) -> str:
        return "RS256"

    def get_encode_header(self, client: _Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": "k1"}

    def get_client_claims(self, client: _Client) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.provider.issuer,
            "aud": [CLIENT_ID],
            "iat": now,
            "exp": now + self.provider.id_token_lifetime,
        }

    def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
        return UserInfo(user)


def provider_app(provider: Provider) -> FastAPI:
    """Discovery, JWKS, the authorization endpoint (no login form) and the token endpoint."""
    server = _Server(provider)
    server.register_grant(_CodeGrant, [CodeChallenge(required=True), _OpenIdCode(provider)])
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": provider.issuer + "/authorize",
            "token_endpoint": provider.issuer + "/token",
            "jwks_uri": provider.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return {"keys": [provider.key.as_dict(private=False)]}

    @app.get("/authorize")
    async def authorize(request: Request) -> Response:
        wrapped = await _oauth_request(request)
        grant = server.get_consent_grant(wrapped, end_user=provider.user)
        response: Response = server.create_authorization_response(
            wrapped, grant_user=provider.user, grant=grant
        )
        return response

    @app.post("/token")
    async def token(request: Request) -> Response:
        response: Response = server.create_token_response(await _oauth_request(request))
        return response

    return app


@contextmanager
def running_provider(redirect_uri: str) -> Iterator[Provider]:
    """The provider served on a free loopback port until the ``with`` ends."""
    with listening() as (sock, base_url):
        provider = Provider(issuer=base_url, redirect_uri=redirect_uri)
        with serving(provider_app(provider), sock):
            yield provider
