"""``entente token create|list|revoke``: API tokens for principals of an org."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from entente.cli.admin_actions import record_admin_action
from entente.cli.context import node
from entente.cli.output import console, err_console, print_json, run_command
from entente.services import ROLES, create_token, list_tokens, revoke_token
from entente.stix import format_timestamp_us
from entente.store import ApiToken

__all__ = ["app"]

app = typer.Typer(help="Issue, list and revoke API tokens.", no_args_is_help=True)


def _time(micros: int | None) -> str | None:
    """A STIX timestamp, or None."""
    return None if micros is None else format_timestamp_us(micros)


def _describe(token: ApiToken, now_us: int) -> dict[str, Any]:
    """What may be shown of a token: everything but its secret's hash."""
    return {
        "token_id": token.token_id,
        "name": token.name,
        "org": token.org,
        "org_name": token.org_name,
        "role": token.role,
        "status": token.status_at(now_us).value,
        "created": _time(token.created_us),
        "expires": _time(token.expires_us),
        "revoked": _time(token.revoked_us),
        "last_used": _time(token.last_used_us),
    }


@app.command("create")
def create(
    org: Annotated[str, typer.Option("--org", help="The org's name (its STIX identity).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str | None, typer.Option("--name", help="A label for the token.")] = None,
    expires: Annotated[
        int | None, typer.Option("--expires", metavar="DAYS", help="Expire after DAYS days.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Issue a token; its secret is printed once and never stored."""

    def body() -> int:
        with node() as opened:
            token, secret = create_token(
                opened.tokens,
                opened.clock,
                org_name=org,
                role=role,
                name=name,
                expires_days=expires,
            )
            record_admin_action(
                opened,
                "tokens.create",
                {"token_id": token.token_id, "org": token.org_name, "role": token.role},
            )
        if as_json:
            print_json(
                {
                    "token_id": token.token_id,
                    "secret": secret,
                    "org": token.org,
                    "org_name": token.org_name,
                    "role": token.role,
                    "expires": _time(token.expires_us),
                }
            )
            return 0
        console.print(
            f"Token [bold]{token.token_id}[/] ({token.name}) for {token.org_name} "
            f"({token.org}), role {token.role}, expires {_time(token.expires_us) or 'never'}",
            highlight=False,
        )
        console.print(secret, highlight=False, soft_wrap=True)
        err_console.print(
            "[bold yellow]warning:[/] copy this secret now: it is not stored and cannot be "
            "shown again.",
            highlight=False,
        )
        return 0

    run_command(body)


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List tokens with their status (active, expired, revoked); never their secrets."""

    def body() -> int:
        with node() as opened:
            found = list_tokens(opened.tokens)
            now = opened.clock.now_us()
        described = [_describe(token, now) for token in found]
        if as_json:
            print_json({"tokens": described})
            return 0
        table = Table(title=f"{len(described)} tokens")
        for column in ("token_id", "name", "org", "role", "status", "created", "expires"):
            table.add_column(column, overflow="fold")
        for item in described:
            table.add_row(
                item["token_id"],
                item["name"],
                item["org_name"],
                item["role"],
                item["status"],
                item["created"],
                item["expires"] or "never",
            )
        console.print(table)
        return 0

    run_command(body)


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="A token id (tok_...).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Revoke a token: it no longer authenticates (revoking twice is harmless)."""

    def body() -> int:
        with node() as opened:
            token = revoke_token(opened.tokens, token_id)
            record_admin_action(opened, "tokens.revoke", {"token_id": token.token_id})
            now = opened.clock.now_us()
        if as_json:
            print_json(_describe(token, now))
            return 0
        console.print(
            f"Revoked token [bold]{token.token_id}[/] ({token.name}) at {_time(token.revoked_us)}",
            highlight=False,
        )
        return 0

    run_command(body)
