"""Fixtures for integration tests: a real node store on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entente.clock import FixedClock
from entente.services import ensure_builtin_markings
from entente.store import ObjectStore
from entente.store.sql import open_store


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock
) -> Iterator[ObjectStore]:
    """A node store with its built-in markings, on each backend."""
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'node.db'}", clock)
    else:
        url, schema = request.getfixturevalue("postgres_schema")
        opened = open_store(url, clock, schema=schema)
    ensure_builtin_markings(opened, clock)
    try:
        yield opened
    finally:
        opened.close()
