"""Single sign-on with an OpenID Connect provider: GET /login/oidc and its callback.

``/login/oidc`` makes a fresh state, nonce and PKCE verifier (``accounts.oidc``), keeps them
in a short-lived cookie of this path sealed with an HMAC under a key derived from the node's
secret, and sends the browser to the provider. The callback (``/login/oidc/callback``) takes
the code only if the ``state`` it brings is the cookie's (RFC 6749 §10.12: another site cannot
complete a sign-in it started), exchanges it with the verifier, verifies the ID token (issuer,
audience, expiry, the cookie's nonce) and maps its claims to an org and a role by the
configured tables; then the person gets an ordinary UI session (``services.users``).

The cookie is SameSite=Lax, not Strict: the provider's redirect back is a cross-site
navigation, on which a Strict cookie is not sent (RFC 6265bis §5.6.7.1). For the same reason
the callback answers with a page of this node that then moves on to ``/`` (a same-site
navigation, which carries the new Strict session cookie), not with a redirect.
"""

# No "from __future__ import annotations": FastAPI reads the route signatures at def time.

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from entente.accounts.oidc import (
    LoginRequest,
    OidcConfig,
    authorization_url,
    map_claims,
    new_login_request,
    oidc_username,
    verify_id_token,
)
from entente.clock import Clock
from entente.errors import AuthenticationFailed, InvalidInput
from entente.server.oidc_client import OidcClient
from entente.server.public_url import EXTERNAL_REDIRECT_HEADER
from entente.server.ui.auth import SESSION_COOKIE, UiAuth
from entente.server.ui.pages import Pages
from entente.services.users import UserService

__all__ = ["CALLBACK_PATH", "OIDC_COOKIE", "START_PATH", "oidc_router"]

START_PATH = "/login/oidc"
CALLBACK_PATH = "/login/oidc/callback"
OIDC_COOKIE = "entente_oidc"
# A sign-in at the provider may take a while (a password, a second factor), not all day.
_COOKIE_SECONDS = 600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Sealer:
    """HMAC-SHA256 over the cookie's JSON, under a key of its own derived from the secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"entente oidc login cookie", hashlib.sha256).digest()

    def seal(self, request: LoginRequest, issued_s: int) -> str:
        body = json.dumps(
            [request.state, request.nonce, request.code_verifier, issued_s],
            separators=(",", ":"),
        ).encode()
        return _b64(body) + "." + _b64(hmac.new(self._key, body, hashlib.sha256).digest())

    def unseal(self, text: str, now_s: int) -> LoginRequest:
        body_text, _, mac_text = text.partition(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except ValueError:
            raise AuthenticationFailed("the sign-in cookie is not ours") from None
        if not hmac.compare_digest(hmac.new(self._key, body, hashlib.sha256).digest(), mac):
            raise AuthenticationFailed("the sign-in cookie is not ours")
        state, nonce, verifier, issued = json.loads(body)
        if not 0 <= now_s - int(issued) <= _COOKIE_SECONDS:
            raise AuthenticationFailed("the sign-in took too long; start again")
        return LoginRequest(state=str(state), nonce=str(nonce), code_verifier=str(verifier))


def oidc_router(
    *,
    config: OidcConfig,
    client: OidcClient,
    users: UserService,
    auth: UiAuth,
    pages: Pages,
    public_url: str,
    secret: bytes,
    clock: Clock,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> APIRouter:
    """GET /login/oidc (to the provider) and GET /login/oidc/callback (back from it)."""
    router = APIRouter(include_in_schema=False)
    sealer = _Sealer(secret)
    redirect_uri = public_url.rstrip("/") + CALLBACK_PATH

    def refused(request: Request, reason: str, status: int) -> Response:
        response = pages.response(
            "message.html",
            request,
            None,
            status_code=status,
            title="Sign-in refused",
            message=f"Single sign-on with {config.provider_name} did not sign you in: {reason}",
        )
        auth.clear_cookie(response, OIDC_COOKIE, START_PATH)
        return response

    @router.get(START_PATH)
    async def start(request: Request) -> Response:
        login = new_login_request(random_bytes)
        try:
            discovery = await run_in_threadpool(client.discovery)
        except AuthenticationFailed as exc:
            return refused(request, str(exc), 502)
        response = RedirectResponse(
            authorization_url(discovery, config, redirect_uri, login),
            status_code=303,
            # The one redirect off the node: PublicUrlRedirects keeps its Location.
            headers={EXTERNAL_REDIRECT_HEADER: "1"},
        )
        response.set_cookie(
            OIDC_COOKIE,
            sealer.seal(login, clock.now_us() // 1_000_000),
            path=START_PATH,
            max_age=_COOKIE_SECONDS,
            secure=public_url.startswith("https://"),
            httponly=True,
            samesite="lax",
        )
        return response

    def finish(code: str, login: LoginRequest) -> str:
        """The session token of the person the provider signed in (blocking I/O)."""
        discovery = client.discovery()
        id_token = client.exchange(
            discovery, code=code, redirect_uri=redirect_uri, code_verifier=login.code_verifier
        )
        claims = verify_id_token(
            id_token,
            client.jwks(discovery),
            config=config,
            nonce=login.nonce,
            now_s=clock.now_us() // 1_000_000,
        )
        org_name, role = map_claims(claims, config)
        username = oidc_username(config.issuer, str(claims["sub"]))
        try:
            return users.sign_in_external(username, org_name=org_name, role=role).token
        except InvalidInput as exc:
            raise AuthenticationFailed(str(exc)) from None

    @router.get(CALLBACK_PATH)
    async def callback(request: Request) -> Response:
        params = request.query_params
        if "error" in params:
            # RFC 6749 §4.1.2.1: the provider refused; its code says why.
            return refused(request, f"the provider answered {params['error'][:100]!r}", 401)
        cookie = request.cookies.get(OIDC_COOKIE)
        if not cookie:
            return refused(request, "this browser did not start a sign-in here", 400)
        try:
            login = sealer.unseal(cookie, clock.now_us() // 1_000_000)
        except AuthenticationFailed as exc:
            return refused(request, str(exc), 400)
        state = params.get("state", "")
        if not hmac.compare_digest(state.encode(), login.state.encode()):
            return refused(request, "the answer is not for the sign-in this browser started", 400)
        code = params.get("code", "")
        if not code:
            return refused(request, "the provider's answer holds no code", 400)
        try:
            token = await run_in_threadpool(finish, code, login)
        except AuthenticationFailed as exc:
            return refused(request, str(exc), 401)
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            await run_in_threadpool(users.sign_out, previous)
        response = pages.response("signed_in.html", request, None)
        auth.set_session_cookie(response, token)
        auth.clear_cookie(response, OIDC_COOKIE, START_PATH)
        return response

    return router
