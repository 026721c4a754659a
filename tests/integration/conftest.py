"""Fixtures for integration tests: a real store on a temporary SQLite file."""

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


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[ObjectStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'node.db'}", clock)
    ensure_builtin_markings(opened, clock)
    try:
        yield opened
    finally:
        opened.close()
