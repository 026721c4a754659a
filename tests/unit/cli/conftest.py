"""Shared helpers for CLI tests: run ``entente`` in-process against a home of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from entente.cli.main import app

__all__ = ["bare_cli_for", "cli_for", "said"]


def said(result: Any) -> str:
    """What the command said on stderr, with Rich's line wrapping undone."""
    return " ".join(result.stderr.split())


def cli_for(home: Path, org: str = "", public_url: str = "") -> Callable[..., Any]:
    """``invoke(*args)`` running ``entente ARGS`` for the node in ``home`` (org ``org``),
    which ``entente init`` has created (every command but ``init`` and ``demo`` needs one).

    Every other ENTENTE_* setting is blanked so that nothing of the caller's environment leaks
    into the test.
    """
    invoke = bare_cli_for(home, org, public_url)
    initialised = invoke("init")
    assert initialised.exit_code == 0, initialised.output
    return invoke


def bare_cli_for(home: Path, org: str = "", public_url: str = "") -> Callable[..., Any]:
    """``cli_for`` without the ``entente init``: ``home`` may hold no node yet."""
    runner = CliRunner()
    env = {
        "ENTENTE_HOME": str(home),
        "ENTENTE_DATABASE_URL": "",
        "ENTENTE_ORG": org,
        "ENTENTE_PUBLIC_URL": public_url,
        "ENTENTE_SYNC_INTERVAL": "",
        "ENTENTE_HUNT_ARCHIVE": "",
        "ENTENTE_EXPORT_MIN_SCORE": "",
        "ENTENTE_DEFAULT_WARNINGLISTS": "",
        "ENTENTE_SOURCE_RELIABILITY": "",
        "ENTENTE_OWN_NETWORKS": "",
        "ENTENTE_OWN_DOMAINS": "",
    }

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), env=env)

    return invoke
