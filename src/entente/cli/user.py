"""``entente user add|list|disable|enable|reset-totp|passwd``: people who sign in to the UI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from entente.bootstrap import users
from entente.cli.admin_actions import record_admin_action
from entente.cli.context import node
from entente.cli.output import console, err_console, print_json, run_command
from entente.cli.serve import load_cursor_secret
from entente.errors import InvalidInput
from entente.sharing import Role
from entente.stix import format_timestamp_us
from entente.store import UserAccount

__all__ = ["app"]

app = typer.Typer(
    help="Add, list, disable and enable the people who sign in to the web UI.",
    no_args_is_help=True,
)

_ROLES = ", ".join(role.value for role in Role)
PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file (its first line) instead of a prompt.",
        dir_okay=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _time(micros: int | None) -> str | None:
    return None if micros is None else format_timestamp_us(micros)


def _describe(user: UserAccount, now_us: int) -> dict[str, Any]:
    """What may be shown of a user: never its password hash or TOTP key."""
    locked = user.locked_until_us is not None and now_us < user.locked_until_us
    return {
        "username": user.username,
        "user_id": user.user_id,
        "org": user.org,
        "org_name": user.org_name,
        "role": user.role,
        "status": "disabled" if user.disabled else "locked" if locked else "active",
        "created": _time(user.created_us),
        "last_login": _time(user.last_login_us),
        "locked_until": _time(user.locked_until_us) if locked else None,
    }


def _password(password_file: Path | None) -> str:
    """The new password: the first line of ``password_file``, or typed twice at a prompt."""
    if password_file is None:
        entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return entered
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the password from {password_file}: {exc}") from exc
    if not lines:
        raise InvalidInput(f"{password_file} is empty")
    return lines[0]


def _show_enrolment(
    username: str, secret: str, uri: str, as_json: bool, extra: dict[str, Any]
) -> None:
    if as_json:
        print_json({**extra, "totp_secret": secret, "otpauth_uri": uri})
        return
    console.print(
        f"Add this to {username}'s authenticator app (scan the URI as a QR code, or type the "
        "secret):",
        highlight=False,
    )
    console.print(uri, highlight=False, soft_wrap=True)
    console.print(f"secret: {secret}", highlight=False, soft_wrap=True)
    err_console.print(
        "[bold yellow]warning:[/] this secret is shown once: it is stored sealed and cannot be "
        "shown again (`entente user reset-totp` makes a new one).",
        highlight=False,
    )


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="A-Z a-z 0-9 . _ @ -, up to 64; any case.")],
    org: Annotated[str, typer.Option("--org", help="The org's name (its STIX identity).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {_ROLES}.")],
    password_file: PasswordFile = None,
    as_json: Json = False,
) -> None:
    """Add a user; prints its TOTP secret and otpauth:// URI once."""

    def body() -> int:
        password = _password(password_file)
        with node() as opened:
            enrolment = users(opened, load_cursor_secret(opened.settings.home)).add_user(
                username, org_name=org, role=role, password=password
            )
            record_admin_action(
                opened, "users.add", {"username": enrolment.user.username, "org": org, "role": role}
            )
            described = _describe(enrolment.user, opened.clock.now_us())
        if not as_json:
            console.print(
                f"User [bold]{enrolment.user.username}[/] of {enrolment.user.org_name} "
                f"({enrolment.user.org}), role {enrolment.user.role}",
                highlight=False,
            )
        _show_enrolment(
            enrolment.user.username, enrolment.secret, enrolment.uri, as_json, described
        )
        return 0

    run_command(body)


@app.command("list")
def list_command(as_json: Json = False) -> None:
    """List users with their org, role and status; never passwords or TOTP secrets."""

    def body() -> int:
        with node() as opened:
            found = users(opened, load_cursor_secret(opened.settings.home)).list_users()
            now = opened.clock.now_us()
        described = [_describe(user, now) for user in found]
        if as_json:
            print_json({"users": described})
            return 0
        from rich.table import Table

        table = Table(title=f"{len(described)} users")
        for column in ("username", "org", "role", "status", "created", "last login"):
            table.add_column(column, overflow="fold")
        for item in described:
            table.add_row(
                item["username"],
                item["org_name"],
                item["role"],
                item["status"],
                item["created"],
                item["last_login"] or "never",
            )
        console.print(table)
        return 0

    run_command(body)


def _change(action: str, username: str, as_json: bool) -> None:
    """Run ``disable`` or ``enable`` on ``username`` and say so."""

    def body() -> int:
        with node() as opened:
            service = users(opened, load_cursor_secret(opened.settings.home))
            user = service.disable(username) if action == "disable" else service.enable(username)
            record_admin_action(opened, f"users.{action}", {"username": user.username})
            described = _describe(user, opened.clock.now_us())
        if as_json:
            print_json(described)
        else:
            console.print(
                f"User [bold]{user.username}[/] is {described['status']}", highlight=False
            )
        return 0

    run_command(body)


@app.command("disable")
def disable(
    username: Annotated[str, typer.Argument(help="The user (any case).")], as_json: Json = False
) -> None:
    """Disable a user: it cannot sign in, and its sessions end now."""
    _change("disable", username, as_json)


@app.command("enable")
def enable(
    username: Annotated[str, typer.Argument(help="The user (any case).")], as_json: Json = False
) -> None:
    """Enable a disabled user again (and lift a lock-out)."""
    _change("enable", username, as_json)


@app.command("reset-totp")
def reset_totp(
    username: Annotated[str, typer.Argument(help="The user (any case).")], as_json: Json = False
) -> None:
    """Give a user a new TOTP secret (a lost device); prints it once; its sessions end."""

    def body() -> int:
        with node() as opened:
            enrolment = users(opened, load_cursor_secret(opened.settings.home)).reset_totp(username)
            record_admin_action(opened, "users.reset-totp", {"username": enrolment.user.username})
            described = _describe(enrolment.user, opened.clock.now_us())
        _show_enrolment(
            enrolment.user.username, enrolment.secret, enrolment.uri, as_json, described
        )
        return 0

    run_command(body)


@app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="The user (any case).")],
    password_file: PasswordFile = None,
    as_json: Json = False,
) -> None:
    """Set a user's password (from a prompt or --password-file); its sessions end."""

    def body() -> int:
        password = _password(password_file)
        with node() as opened:
            user = users(opened, load_cursor_secret(opened.settings.home)).change_password(
                username, password
            )
            record_admin_action(opened, "users.passwd", {"username": user.username})
            described = _describe(user, opened.clock.now_us())
        if as_json:
            print_json(described)
        else:
            console.print(f"Password of [bold]{user.username}[/] changed", highlight=False)
        return 0

    run_command(body)
