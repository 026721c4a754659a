"""``entente serve``: the TAXII 2.1 and REST server of the node."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from entente.bootstrap import federation, scheduled_hunt
from entente.cli.context import node
from entente.cli.output import err_console, run_command
from entente.config import HUNT_HITS_FILE
from entente.errors import ConfigurationError
from entente.services.periodic import Periodic

__all__ = ["load_cursor_secret", "serve"]

CURSOR_KEY_FILE = "cursor.key"


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


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8080,
) -> None:
    """Serve TAXII 2.1 at /taxii2/ and the REST API at /api/v1/ until interrupted."""

    def body() -> int:
        with node() as opened:
            # Imported here: the web stack costs most of a second that other commands need not pay.
            import uvicorn

            from entente.server import create_app

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
