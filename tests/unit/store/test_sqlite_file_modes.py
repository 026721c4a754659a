"""The SQLite database holds token hashes and partners' tokens: it is created 0600, and SQLite
gives its -wal and -shm files the database file's mode (issue 11 §5)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from entente.clock import FixedClock
from entente.store import ApiToken
from entente.store.sql import open_store
from entente.store.sql_tokens import SqlTokenStore


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which a plain open() creates files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_and_shm_files_are_0600(tmp_path: Path) -> None:
    database = tmp_path / "deep" / "entente.db"
    clock = FixedClock()
    store = open_store(f"sqlite:///{database}", clock)
    try:
        SqlTokenStore(store.engine, clock).add(
            ApiToken("tok_000000000001", "t", "identity--x", "X", "reader", "0" * 64, 1)
        )
        # While a connection is open in WAL mode, both side files exist.
        with store.engine.connect():
            modes = {p.name: _mode(p) for p in database.parent.iterdir()}
    finally:
        store.close()
    assert modes == {"entente.db": 0o600, "entente.db-wal": 0o600, "entente.db-shm": 0o600}


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    database = tmp_path / "entente.db"
    open_store(f"sqlite:///{database}", FixedClock()).close()
    database.chmod(0o640)
    open_store(f"sqlite:///{database}", FixedClock()).close()
    assert _mode(database) == 0o640
