"""The Admin page (``/admin``): the node's users, API tokens, collections, warninglists and
settings, for the admins of the node's own org only (issue 13).

Everyone else gets a 403 page and no nav item (``services.users.may_administer``). Each
action is a CSRF-checked POST (``UiAuth.csrf_checked``) that answers with the page again and
one result message: 200 when it was done, 400/404 with the reason when the input was wrong,
and nothing changed then (each action is one call of a service that checks before it
writes). A new user's TOTP key and a new token's secret are shown in that answer once; the
node keeps neither (``services.users``, ``services.tokens``) and the page is ``no-store``
(``ui.headers``).

Nothing here reads stored STIX objects: the page lists the node's own accounts and
configuration, so no sharing-policy decision is involved.
"""

# No "from __future__ import annotations": FastAPI reads the local dependency aliases at def
# time (as in ui.pages).

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from entente.clock import Clock
from entente.config import Settings, render_settings
from entente.errors import InvalidInput, ObjectNotFound
from entente.server.ui.auth import UiAuth, read_form
from entente.server.ui.pages import Pages
from entente.services.audit_reads import current_notes
from entente.services.collections import DEFAULT_COLLECTIONS, CollectionDef
from entente.services.tokens import ROLES, create_token, list_tokens, revoke_token
from entente.services.users import (
    EXTERNAL_PASSWORD_HASH,
    SignedIn,
    UserService,
    may_administer,
)
from entente.services.warninglist_store import WarninglistStore
from entente.services.warninglist_values import Kind, classify
from entente.sharing import Principal
from entente.store import TokenStore, UserAccount

__all__ = ["Result", "admin_router", "note_admin_action"]

_PATH = "/admin"
_DAY_US = 86_400 * 1_000_000
# The longest expiry the form takes (ten years): a larger number is a typing slip.
_MAX_EXPIRES_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Result:
    """What an action did: its message, whether it failed, and any secret shown this once."""

    message: str
    failed: bool = False
    # (label, value) pairs shown once: a TOTP key URI, an API token secret.
    once: tuple[tuple[str, str], ...] = ()


# An action: the form's fields in, what it did out (raising InvalidInput or ObjectNotFound).
_Action = Callable[[dict[str, str]], Result]


def _when(us: int | None) -> str:
    if us is None:
        return "never"
    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M UTC")


# The form fields that name what an admin action changed; never a password or a secret.
_TARGET_FIELDS = ("username", "token_id", "org", "role", "name", "value")


def note_admin_action(path: str, actor: Principal, form: Mapping[str, str]) -> None:
    """Note a done admin action (``admin.users.add``...) in the request's audit notes."""
    notes = current_notes()
    if notes is None:
        return
    action = "admin." + ".".join(path.strip("/").split("/")[1:])
    details: dict[str, str | int | bool | None] = {
        name: form[name] for name in _TARGET_FIELDS if form.get(name)
    }
    notes.note_action(actor, action, details=details)


def _status(user: UserAccount, now_us: int) -> str:
    # An account single sign-on made signs in only through the provider (services.users).
    how = ", single sign-on" if user.password_hash == EXTERNAL_PASSWORD_HASH else ""
    if user.disabled:
        return "disabled" + how
    if user.locked_until_us is not None and now_us < user.locked_until_us:
        return "locked" + how
    return "active" + how


def _holds(collection: CollectionDef) -> str:
    """What a collection holds, from its filters (each empty filter means any)."""
    parts = [
        "types " + ", ".join(sorted(collection.types)) if collection.types else "any type",
        "markings " + ", ".join(sorted(collection.marking_refs))
        if collection.marking_refs
        else "any marking",
        "sources " + ", ".join(sorted(collection.source_names))
        if collection.source_names
        else "any source",
    ]
    return "; ".join(parts)


def _expires_days(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= _MAX_EXPIRES_DAYS:
        raise InvalidInput(f"expiry must be a whole number of days from 1 to {_MAX_EXPIRES_DAYS}")
    return int(text)


def _kind(text: str) -> Kind:
    try:
        return Kind(text)
    except ValueError:
        raise InvalidInput(f"unknown kind {text!r}") from None


def admin_router(
    *,
    users: UserService,
    tokens: TokenStore,
    warninglists: Callable[[], WarninglistStore],
    settings: Settings,
    node_org: str,
    clock: Clock,
    auth: UiAuth,
    pages: Pages,
) -> APIRouter:
    """GET /admin and its actions (POST /admin/<section>/<action>)."""
    router = APIRouter(include_in_schema=False)
    SignedInUser = Annotated[SignedIn, Depends(auth.signed_in)]  # noqa: N806 - a type alias
    CsrfChecked = Annotated[SignedIn, Depends(auth.csrf_checked)]  # noqa: N806 - a type alias
    collections: Sequence[CollectionDef] = settings.collections or DEFAULT_COLLECTIONS
    shown_settings = render_settings(settings)

    def forbidden(request: Request, signed: SignedIn) -> Response:
        return pages.response(
            "message.html",
            request,
            signed,
            status_code=403,
            title="Not allowed",
            message="The Admin page is for the admins of this node's own organization.",
        )

    def page(request: Request, signed: SignedIn, result: Result | None, status: int) -> Response:
        store = warninglists()
        listed = store.lists()
        now = clock.now_us()
        return pages.response(
            "admin.html",
            request,
            signed,
            status_code=status,
            result=result,
            users=[(u, _status(u, now)) for u in users.list_users()],
            tokens=[(t, t.status_at(now).value) for t in list_tokens(tokens)],
            collections=[(c, _holds(c)) for c in collections],
            warninglists=listed,
            defaults_enabled=store.defaults_enabled,
            allowed=sorted(store.allowed()),
            settings=shown_settings,
            roles=ROLES,
            kinds=[k.value for k in Kind],
            when=_when,
        )

    async def act(request: Request, signed: SignedIn, action: _Action) -> Response:
        """Run ``action`` on the form if ``signed`` may; answer with the page and its result."""
        if not may_administer(signed.principal, node_org):
            return forbidden(request, signed)
        form = await read_form(request)
        try:
            result = await run_in_threadpool(action, form)
        except InvalidInput as exc:
            return await run_in_threadpool(page, request, signed, Result(str(exc), True), 400)
        except ObjectNotFound as exc:
            return await run_in_threadpool(page, request, signed, Result(str(exc), True), 404)
        note_admin_action(request.url.path, signed.principal, form)
        return await run_in_threadpool(page, request, signed, result, 200)

    @router.get(_PATH)
    def admin(request: Request, signed: SignedInUser) -> Response:
        if not may_administer(signed.principal, node_org):
            return forbidden(request, signed)
        return page(request, signed, None, 200)

    # --- users ----------------------------------------------------------------------------

    @router.post(f"{_PATH}/users/add")
    async def add_user(request: Request, signed: CsrfChecked) -> Response:
        def action(form: dict[str, str]) -> Result:
            enrolment = users.add_user(
                form.get("username", ""),
                org_name=form.get("org", ""),
                role=form.get("role", ""),
                password=form.get("password", ""),
            )
            user = enrolment.user
            return Result(
                f"User {user.username} of {user.org_name} added with role {user.role}. "
                "Add the key below to their authenticator app now: it is not shown again.",
                once=(("TOTP key URI", enrolment.uri), ("TOTP secret", enrolment.secret)),
            )

        return await act(request, signed, action)

    def _user_action(verb: str, call: Callable[[str], object]) -> _Action:
        def action(form: dict[str, str]) -> Result:
            username = form.get("username", "")
            call(username)
            return Result(f"User {users.get_user(username).username} {verb}.")

        return action

    @router.post(f"{_PATH}/users/disable")
    async def disable_user(request: Request, signed: CsrfChecked) -> Response:
        def disable(username: str) -> object:
            if users.get_user(username).user_id == signed.user.user_id:
                # Disabling oneself would end this session and could leave no admin.
                raise InvalidInput("you cannot disable your own account")
            return users.disable(username)

        return await act(request, signed, _user_action("disabled", disable))

    @router.post(f"{_PATH}/users/enable")
    async def enable_user(request: Request, signed: CsrfChecked) -> Response:
        return await act(request, signed, _user_action("enabled", users.enable))

    @router.post(f"{_PATH}/users/reset-totp")
    async def reset_totp(request: Request, signed: CsrfChecked) -> Response:
        def action(form: dict[str, str]) -> Result:
            enrolment = users.reset_totp(form.get("username", ""))
            return Result(
                f"User {enrolment.user.username} has a new TOTP key and was signed out. Add "
                "it to their authenticator app now: it is not shown again.",
                once=(("TOTP key URI", enrolment.uri), ("TOTP secret", enrolment.secret)),
            )

        return await act(request, signed, action)

    # --- API tokens -----------------------------------------------------------------------

    @router.post(f"{_PATH}/tokens/create")
    async def create(request: Request, signed: CsrfChecked) -> Response:
        def action(form: dict[str, str]) -> Result:
            expires = _expires_days(form.get("expires_days", ""))
            token, secret = create_token(
                tokens,
                clock,
                org_name=form.get("org", ""),
                role=form.get("role", ""),
                name=form.get("name") or None,
                expires_days=expires,
            )
            return Result(
                f"Token {token.token_id} ({token.name}) created for {token.org_name} with role "
                f"{token.role}. Copy its secret now: it is not shown again.",
                once=(("API token secret", secret),),
            )

        return await act(request, signed, action)

    @router.post(f"{_PATH}/tokens/revoke")
    async def revoke(request: Request, signed: CsrfChecked) -> Response:
        def action(form: dict[str, str]) -> Result:
            token = revoke_token(tokens, form.get("token_id", ""))
            return Result(f"Token {token.token_id} ({token.name}) revoked.")

        return await act(request, signed, action)

    # --- warninglists ---------------------------------------------------------------------

    @router.post(f"{_PATH}/warninglists/allow")
    async def allow(request: Request, signed: CsrfChecked) -> Response:
        def action(form: dict[str, str]) -> Result:
            _, _, value = classify(form.get("value", ""), _kind(form.get("kind", "auto")))
            added = warninglists().allow(value)
            return Result(f"{value}: {'allowed' if added else 'already allowed'}.")

        return await act(request, signed, action)

    @router.post(f"{_PATH}/warninglists/disallow")
    async def disallow(request: Request, signed: CsrfChecked) -> Response:
        def action(form: dict[str, str]) -> Result:
            value = form.get("value", "")
            removed = warninglists().disallow(value)
            if not removed:
                raise ObjectNotFound(f"{value} was not allowed")
            return Result(f"{value}: no longer allowed.")

        return await act(request, signed, action)

    return router
