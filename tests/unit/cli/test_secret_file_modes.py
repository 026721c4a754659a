"""Every file that holds a secret is created 0600 and a home Entente creates is 0700
(issue 11 §5): the database (token hashes, partners' tokens), the node's signing key, the
cursor key and ``entente.toml`` (which may hold a database URL with its password)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from tests.unit.cli.conftest import bare_cli_for

from entente.bootstrap import open_node
from entente.cli.serve import load_cursor_secret
from entente.config import load_settings


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which a plain open() creates files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_the_home_0700_and_every_secret_file_0600(tmp_path: Path) -> None:
    home = tmp_path / "parent" / "home"
    result = bare_cli_for(home, "US CERT")("init", "--org", "US CERT")
    assert result.exit_code == 0, result.output
    assert _mode(home) == 0o700
    files = {p.name: _mode(p) for p in home.iterdir()}
    assert files == {"entente.toml": 0o600, "entente.db": 0o600, "node.key": 0o600}


def test_an_open_node_and_a_serve_set_up_keep_every_file_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        load_cursor_secret(node.settings.home)
        # The WAL side files exist while a connection is open.
        with closing(sqlite3.connect(home / "entente.db")) as conn:
            conn.execute("SELECT count(*) FROM node_state").fetchall()
            files = {p.name: _mode(p) for p in home.iterdir()}
    assert _mode(home) == 0o700
    assert files == {
        "entente.db": 0o600,
        "entente.db-wal": 0o600,
        "entente.db-shm": 0o600,
        "node.key": 0o600,
        "cursor.key": 0o600,
    }


def test_a_home_that_already_exists_keeps_its_mode(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o750)
    result = bare_cli_for(home)("init")
    assert result.exit_code == 0, result.output
    assert _mode(home) == 0o750
    assert _mode(home / "entente.toml") == 0o600
