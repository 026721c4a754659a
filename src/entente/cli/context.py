"""Opening the node for a command: settings from the environment, adapters from bootstrap."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from entente.bootstrap import Node, open_node
from entente.config import Settings, load_settings
from entente.errors import ConfigurationError

if TYPE_CHECKING:
    from entente.sharing import Principal

__all__ = [
    "cli_principal",
    "is_initialised",
    "new_or_existing_node",
    "node",
    "node_settings",
    "operator",
]


def is_initialised(settings: Settings) -> bool:
    """Whether ``settings.home`` holds a node: ``entente init`` writes its settings file, and
    every node ever opened has its key (homes made before ``init`` existed have only that)."""
    return settings.home.is_dir() and (
        settings.config_path.is_file() or settings.key_path.is_file()
    )


def node_settings() -> Settings:
    """The settings of the node ``ENTENTE_HOME`` names; a ``ConfigurationError`` (exit 2) if
    there is no node there, rather than a new empty one in a home nobody meant."""
    settings = load_settings()
    if not is_initialised(settings):
        raise ConfigurationError(
            f"no Entente node at {settings.home}; run `entente init` to create one there, or "
            "set ENTENTE_HOME to the home of an existing node"
        )
    return settings


@contextmanager
def node() -> Iterator[Node]:
    """The node that ``ENTENTE_HOME`` / ``ENTENTE_DATABASE_URL`` select, which must exist."""
    with open_node(node_settings()) as opened:
        yield opened


@contextmanager
def new_or_existing_node() -> Iterator[Node]:
    """The node ``ENTENTE_HOME`` selects, created there first if there is none (``demo``)."""
    with open_node(load_settings()) as opened:
        yield opened


def cli_principal() -> str:
    """The principal recorded in provenance for objects ingested from this shell."""
    try:
        return f"local:{getpass.getuser()}"
    except (KeyError, OSError):
        return "local:unknown"


def operator(opened: Node) -> Principal:
    """Whoever runs this command, as the node org's operator (``operator_principal``)."""
    # Imported here: the services would slow every command's start (ADR 0008).
    from entente.services import node_org_id
    from entente.services.ownership import operator_principal

    return operator_principal(cli_principal(), node_org_id(opened.settings.org_name))
