"""Who is signed in to the UI: the session cookie, CSRF tokens and the dependencies pages use.

The cookie ``entente_session`` holds a random token (the node keeps its SHA-256,
``services.users``), HttpOnly so that no script can read it, SameSite=Strict so that no other
site's page can make the browser send it (RFC 6265bis §8.8), Path=/, and Secure when the node's
public URL is https. Every UI POST also carries the session's CSRF token (a hidden field
``csrf_token``, or the ``X-CSRF-Token`` header for scripts of our own): SameSite alone does
not cover older browsers or a sibling subdomain (OWASP CSRF Prevention Cheat Sheet,
"Synchronizer Token Pattern").
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.errors import AuthenticationFailed
from entente.server.problems import HttpProblem
from entente.services.users import SignedIn, UserService, is_csrf_token
from entente.sharing import Principal

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "CsrfRejected",
    "LoginRequired",
    "UiAuth",
    "read_form",
]

SESSION_COOKIE = "entente_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# A UI form holds a few short fields; a larger body is refused before it is read whole.
MAX_FORM_BYTES = 16 * 1024
_FORM_TYPE = "application/x-www-form-urlencoded"


class LoginRequired(Exception):
    """A UI request without a valid session: answered with a redirect to /login."""


class CsrfRejected(Exception):
    """A UI POST without the right CSRF token: answered with 403."""


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """The fields of a urlencoded form body (the first value of each), read once per request.

    Another media type reads as no fields (its CSRF check then fails); a body over ``limit``
    bytes is a 413 (a form that takes a pasted list reads it first with a larger limit).
    """
    cached = getattr(request.state, "form", None)
    if isinstance(cached, dict):
        return cached
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HttpProblem(413, f"a form body has at most {limit} bytes")
    fields: dict[str, str] = {}
    if media_type == _FORM_TYPE:
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            parsed = {}
        fields = {name: values[0] for name, values in parsed.items()}
    request.state.form = fields
    return fields


class UiAuth:
    """The session dependencies of UI routes, over the node's users service."""

    def __init__(self, users: UserService, *, secure_cookies: bool) -> None:
        self._users = users
        self._secure = secure_cookies

    def signed_in(self, request: Request) -> SignedIn:
        """The session of the request's cookie; ``LoginRequired`` if there is no valid one."""
        cached = getattr(request.state, "signed_in", None)
        if isinstance(cached, SignedIn):
            return cached
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise LoginRequired
        try:
            found = self._users.session_of(token)
        except AuthenticationFailed:
            raise LoginRequired from None
        request.state.signed_in = found
        return found

    def principal(self, request: Request) -> Principal:
        """The signed-in user as a principal (``is_individual``, its org and role)."""
        return self.signed_in(request).principal

    async def csrf_checked(self, request: Request) -> SignedIn:
        """``signed_in``, for a POST that carries the session's CSRF token (else 403)."""
        signed = await run_in_threadpool(self.signed_in, request)
        presented = request.headers.get(CSRF_HEADER)
        if presented is None:
            presented = (await read_form(request)).get(CSRF_FIELD)
        if not is_csrf_token(signed.session, presented):
            raise CsrfRejected
        return signed

    def set_session_cookie(self, response: Response, token: str) -> None:
        """Send the session cookie; no Max-Age, so it ends with the browser session too."""
        response.set_cookie(
            SESSION_COOKIE,
            token,
            path="/",
            secure=self._secure,
            httponly=True,
            samesite="strict",
        )

    def clear_session_cookie(self, response: Response) -> None:
        """Tell the browser to drop the session cookie."""
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=self._secure, httponly=True, samesite="strict"
        )

    def set_cookie(self, response: Response, name: str, value: str, path: str) -> None:
        """A short-lived cookie with the session cookie's protections."""
        response.set_cookie(
            name, value, path=path, max_age=3600, secure=self._secure, httponly=True,
            samesite="strict",
        )  # fmt: skip

    def clear_cookie(self, response: Response, name: str, path: str) -> None:
        """Drop a cookie set with ``set_cookie``."""
        response.delete_cookie(
            name, path=path, secure=self._secure, httponly=True, samesite="strict"
        )
