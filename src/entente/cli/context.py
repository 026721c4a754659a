"""Opening the node for a command: settings from the environment, adapters from bootstrap."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

from entente.bootstrap import Node, open_node
from entente.config import load_settings

__all__ = ["cli_principal", "node"]


@contextmanager
def node() -> Iterator[Node]:
    """The node that ``ENTENTE_HOME`` / ``ENTENTE_DATABASE_URL`` select."""
    with open_node(load_settings()) as opened:
        yield opened


def cli_principal() -> str:
    """The principal recorded in provenance for objects ingested from this shell."""
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return "local:unknown"
