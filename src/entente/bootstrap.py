"""The one place that builds concrete adapters from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from entente.clock import Clock, SystemClock
from entente.config import Settings
from entente.errors import ConfigurationError
from entente.services import ensure_builtin_markings
from entente.store import ObjectStore, StatusStore, TokenStore
from entente.store.sql import open_store
from entente.store.sql_status import SqlStatusStore
from entente.store.sql_tokens import SqlTokenStore

__all__ = ["Node", "open_node"]


@dataclass(frozen=True, slots=True)
class Node:
    """A node's adapters, built from its settings."""

    settings: Settings
    store: ObjectStore
    clock: Clock
    tokens: TokenStore
    statuses: StatusStore


@contextmanager
def open_node(settings: Settings, clock: Clock | None = None) -> Iterator[Node]:
    """Open the node's store (creating and migrating it as needed) for the block's duration."""
    clock = clock or SystemClock()
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create ENTENTE_HOME {settings.home}: {exc}") from exc
    store = open_store(settings.database_url, clock)
    try:
        ensure_builtin_markings(store, clock)
        tokens = SqlTokenStore(store.engine, clock)
        statuses = SqlStatusStore(store.engine)
        yield Node(settings=settings, store=store, clock=clock, tokens=tokens, statuses=statuses)
    finally:
        store.close()
