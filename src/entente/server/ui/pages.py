"""The UI's own routes (sign in, sign out) and what every page renders with."""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in taxii_routes).

import base64
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from entente.errors import AuthenticationFailed
from entente.server.ui.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    CsrfRejected,
    LoginRequired,
    UiAuth,
    read_form,
)
from entente.server.ui.templates import Templates
from entente.services.users import LOGIN_FAILED, SignedIn, UserService, may_administer
from entente.sharing import Role

__all__ = ["DEFAULT_NAV", "LOGIN_COOKIE", "NavItem", "Pages", "install_ui", "ui_router"]

# The sign-in form has no session yet to hold its CSRF token, so the token goes in a cookie
# of its own and in the form, and the POST must bring both alike ("double submit", OWASP CSRF
# Prevention Cheat Sheet): another site can neither read the cookie nor set it, so it cannot
# sign a victim in to the attacker's account (login CSRF).
LOGIN_COOKIE = "entente_login"
_LOGIN_PATH = "/login"


@dataclass(frozen=True, slots=True)
class NavItem:
    """A link of the header's navigation; ``admin_only``: shown to the node's admins only."""

    label: str
    href: str
    # A page of the node's own operations (partners, matching runs): linked only for the
    # admins and analysts of the node's own org, the only users it answers (with 403 to
    # anyone else; ``services.dashboard.may_see_operations``).
    operations: bool = False
    # Linked for the node org's admins only (``services.users.may_administer``).
    admin_only: bool = False


# The pages that exist; each page added to the UI adds its item here.
DEFAULT_NAV: tuple[NavItem, ...] = (
    NavItem("Dashboard", "/"),
    NavItem("Search", "/search"),
    NavItem("ATT&CK", "/attack"),
    NavItem("Cases", "/cases"),
    # Decided by the node org's admins and analysts (``services.approvals``).
    NavItem("Approvals", "/approvals", operations=True),
    NavItem("Abuse reports", "/abuse"),
    # Drafted and published by the node org's admins and analysts (``services.advisory_desk``).
    NavItem("Advisories", "/advisories", operations=True),
    NavItem("Partners", "/partners", operations=True),
    NavItem("Hits and hunts", "/hits", operations=True),
    NavItem("Who saw this?", "/audit", operations=True),
    NavItem("Exports", "/exports"),
    NavItem("Ingest", "/ingest"),
    NavItem("Admin", "/admin", admin_only=True),
)


class Pages:
    """Renders UI pages inside the base layout: what every page's template is given.

    Later pages render with ``pages.response("their.html", request, signed, **their_values)``
    so that the header (node name, user, org, nav, the sign-out form and its CSRF token) is
    the same everywhere.
    """

    def __init__(
        self,
        templates: Templates,
        *,
        node_name: str,
        node_org: str | None = None,
        nav: Sequence[NavItem] = DEFAULT_NAV,
    ) -> None:
        self.templates = templates
        self.node_name = node_name
        # The node org's identity id: who the operations and admin items are linked for
        # (None: nobody).
        self.node_org = node_org
        self.nav = tuple(nav)

    def nav_for(self, signed: SignedIn | None) -> tuple[NavItem, ...]:
        """The items linked for ``signed``: none signed out, operations pages for the node
        org's admins and analysts only, admin pages for its admins only."""
        if signed is None:
            return ()
        principal = signed.principal
        staff = (
            self.node_org is not None
            and principal.org == self.node_org
            and principal.role in (Role.ADMIN, Role.ANALYST)
        )
        admin = self.node_org is not None and may_administer(principal, self.node_org)
        return tuple(
            item
            for item in self.nav
            if (staff or not item.operations) and (admin or not item.admin_only)
        )

    def context(self, request: Request, signed: SignedIn | None, **extra: Any) -> dict[str, Any]:
        """The values ``base.html`` needs, and ``extra``."""
        return {
            "node_name": self.node_name,
            "nav": self.nav_for(signed),
            "path": request.url.path,
            "user": None if signed is None else signed.user,
            "principal": None if signed is None else signed.principal,
            "csrf_token": None if signed is None else signed.session.csrf_token,
            **extra,
        }

    def response(
        self,
        name: str,
        request: Request,
        signed: SignedIn | None,
        *,
        status_code: int = 200,
        **extra: Any,
    ) -> Response:
        """Template ``name`` rendered as an HTML response."""
        return self.templates.response(
            name, self.context(request, signed, **extra), status_code=status_code
        )

    def message(
        self, request: Request, signed: SignedIn | None, status: int, title: str, text: str
    ) -> Response:
        """The message page: a refusal, a mistake or a "not found", with ``status``."""
        return self.response(
            "message.html", request, signed, status_code=status, title=title, message=text
        )

    def no_such(self, request: Request, signed: SignedIn | None, noun: str) -> Response:
        """The one 404 of a kind of record (``noun``: "case", "abuse report"): no id in the
        answer, so a record that exists and one the user may not see are answered alike."""
        return self.message(
            request,
            signed,
            404,
            f"No such {noun}",
            f"There is no {noun} with this id that you may see.",
        )


def _random_token(random_bytes: Callable[[int], bytes]) -> str:
    return base64.urlsafe_b64encode(random_bytes(32)).rstrip(b"=").decode("ascii")


def ui_router(
    users: UserService,
    auth: UiAuth,
    pages: Pages,
    *,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    sso_name: str | None = None,
) -> APIRouter:
    """GET/POST /login and POST /logout; ``sso_name``: the single sign-on provider the login
    page offers (``ui.oidc_login``), if any. The home page, ``/``, is ``ui.dashboard_page``."""
    router = APIRouter(include_in_schema=False)
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias

    def login_page(
        request: Request, token: str, *, error: str | None, username: str, status: int
    ) -> Response:
        response = pages.response(
            "login.html",
            request,
            None,
            status_code=status,
            login_token=token,
            error=error,
            username=username,
            sso_name=sso_name,
        )
        auth.set_cookie(response, LOGIN_COOKIE, token, _LOGIN_PATH)
        return response

    @router.get(_LOGIN_PATH)
    def login_form(request: Request) -> Response:
        try:
            auth.signed_in(request)
        except LoginRequired:
            token = _random_token(random_bytes)
            return login_page(request, token, error=None, username="", status=200)
        return RedirectResponse("/", status_code=303)

    @router.post(_LOGIN_PATH)
    async def login(request: Request) -> Response:
        form = await read_form(request)
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        presented = form.get(CSRF_FIELD, "")
        if not cookie or not hmac.compare_digest(cookie.encode(), presented.encode()):
            raise CsrfRejected
        username = form.get("username", "")
        try:
            started = await run_in_threadpool(
                users.sign_in, username, form.get("password", ""), form.get("code", "")
            )
        except AuthenticationFailed:
            # One answer for every failure (services.users); a fresh form token each try.
            token = _random_token(random_bytes)
            return login_page(request, token, error=LOGIN_FAILED, username=username, status=401)
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            # A new sign-in replaces any session the browser held (OWASP Session Management
            # Cheat Sheet, "Renew the Session ID After Any Privilege Level Change").
            await run_in_threadpool(users.sign_out, previous)
        # 303: the browser follows with a GET (RFC 9110 §15.4.4), so a reload does not post
        # the credentials again.
        response = RedirectResponse("/", status_code=303)
        auth.set_session_cookie(response, started.token)
        auth.clear_cookie(response, LOGIN_COOKIE, _LOGIN_PATH)
        return response

    @router.post("/logout")
    def logout(request: Request, signed: CsrfChecked) -> Response:
        token = request.cookies.get(SESSION_COOKIE, "")
        users.sign_out(token)
        response = RedirectResponse(_LOGIN_PATH, status_code=303)
        auth.clear_session_cookie(response)
        return response

    return router


def install_ui(app: FastAPI, pages: Pages) -> None:
    """Serve the static files, and answer ``LoginRequired`` and ``CsrfRejected``."""
    app.mount("/static", StaticFiles(packages=[("entente.server.ui", "static")]), name="ui-static")

    async def on_login_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse(_LOGIN_PATH, status_code=303)

    async def on_csrf(request: Request, exc: Exception) -> Response:
        return pages.response(
            "message.html",
            request,
            None,
            status_code=403,
            title="Form rejected",
            message=(
                "The form was not sent from this node's current page, or it has expired. "
                "Go back, reload the page and try again."
            ),
        )

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(CsrfRejected, on_csrf)
