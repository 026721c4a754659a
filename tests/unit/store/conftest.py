"""Fixtures shared by the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from entente.clock import FixedClock
from entente.store.sql import SqlStore, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A fresh store on the backend under test."""
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    else:
        url, schema = request.getfixturevalue("postgres_schema")
        opened = open_store(url, FixedClock(), schema=schema)
    try:
        yield opened
    finally:
        opened.close()
