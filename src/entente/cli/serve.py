"""``entente serve``: the TAXII 2.1 and REST server of the node."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from entente.bootstrap import Node, federation, scheduled_hunt
from entente.cli.context import node
from entente.cli.output import err_console, run_command
from entente.config import DEFAULT_PUBLIC_URL, HUNT_HITS_FILE
from entente.errors import ConfigurationError
from entente.services.periodic import Periodic

__all__ = ["load_cursor_secret", "serve", "with_served_url"]

CURSOR_KEY_FILE = "cursor.key"
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def load_cursor_secret(home: Path) -> bytes:
    """The node's secret for TAXII ``next`` cursors, created (mode 0600) if missing."""
    path = home / CURSOR_KEY_FILE
    try:
        if not path.exists():
            # O_EXCL: two servers starting at once cannot both write a different key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        secret = path.read_bytes()
    except FileExistsError:
        secret = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read or create {path}: {exc}") from exc
    if len(secret) < 16:
        raise ConfigurationError(f"{path} holds fewer than 16 bytes; delete it to make a new one")
    return secret


def with_served_url(opened: Node, host: str, port: int) -> Node:
    """``opened`` with the public URL its server names in discovery and redirects.

    The server never takes it from the Host header (issue 11 §5). A node whose public_url is
    left at its default (``http://127.0.0.1:8080``) but served on another address names the
    address it is served on instead, so that ``serve --port 9090`` names port 9090; a
    wildcard address (0.0.0.0, ::) names no host anyone can reach, so the default stays and
    a warning says to set ``ENTENTE_PUBLIC_URL``.
    """
    settings = opened.settings
    if settings.public_url != DEFAULT_PUBLIC_URL:
        return opened
    if host in _WILDCARDS:
        err_console.print(
            f"public_url is not set: discovery and redirects name {DEFAULT_PUBLIC_URL}; set "
            "ENTENTE_PUBLIC_URL (or public_url in entente.toml) to the URL partners reach"
        )
        return opened
    address = f"[{host}]" if ":" in host else host
    return replace(opened, settings=replace(settings, public_url=f"http://{address}:{port}"))


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8080,
) -> None:
    """Serve TAXII 2.1 at /taxii2/ and the REST API at /api/v1/ until interrupted."""

    def body() -> int:
        with node() as stored:
            # Imported here: the web stack costs most of a second that other commands need not pay.
            import uvicorn

            from entente.server import create_app

            opened = with_served_url(stored, host, port)
            app = create_app(opened, secret=load_cursor_secret(opened.settings.home))
            err_console.print(f"serving TAXII 2.1 on http://{host}:{port}/taxii2/")
            interval = opened.settings.sync_interval
            service = federation(opened)
            scheduler = Periodic(interval, service.sync, "sync") if interval > 0 else None
            if scheduler is not None:
                err_console.print(f"syncing with partners every {interval:g} s")
                scheduler.start()
            hunt = scheduled_hunt(opened)
            hunter = Periodic(opened.settings.hunt_interval, hunt, "hunt") if hunt else None
            if hunter is not None:
                err_console.print(
                    f"hunting {', '.join(opened.settings.hunt_archive)} every "
                    f"{opened.settings.hunt_interval:g} s; new hits go to "
                    f"{opened.settings.home / HUNT_HITS_FILE}"
                )
                hunter.start()
            try:
                uvicorn.run(app, host=host, port=port, log_level="info")
            finally:
                for job in (scheduler, hunter):
                    if job is not None:
                        job.stop()
        return 0

    run_command(body)
