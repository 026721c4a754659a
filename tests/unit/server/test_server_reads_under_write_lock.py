"""Reads never wait for writes (issue 11 §5): authenticated GETs answer while another
connection holds the database's write lock, as a long ``entente ingest`` does for its whole
document; the tokens' last use is written once the lock is gone."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from tests.unit.server.conftest import ALL, SECRET, TAXII, indicator, serving

from entente.bootstrap import Node, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.ingest import Candidate
from entente.server import create_app
from entente.services import IngestService, create_token
from entente.stix import Tlp
from entente.store import Provenance, SourceKind

# Generous for a loaded machine, yet far below SQLite's 30 s busy timeout: a GET that waited
# for the write lock would still be waiting when this runs out.
ANSWER_S = 10.0
OBJECT_ID = indicator(1)["id"]
COLLECTION = f"/taxii2/api/collections/{ALL}"
# Every kind of read, with the status it answers: TAXII, REST, federation status and feeds.
READS = {
    "/taxii2/": 200,
    "/taxii2/api/": 200,
    "/taxii2/api/collections/": 200,
    f"{COLLECTION}/": 200,
    f"{COLLECTION}/objects/": 200,
    f"{COLLECTION}/objects/{OBJECT_ID}/": 200,
    f"{COLLECTION}/objects/{OBJECT_ID}/versions/": 200,
    f"{COLLECTION}/manifest/": 200,
    "/taxii2/api/status/00000000-0000-4000-8000-000000000000/": 404,
    "/api/v1/objects": 200,
    f"/api/v1/objects/{OBJECT_ID}": 200,
    "/api/v1/stats": 200,
    "/api/v1/tokens": 200,
    "/api/v1/partners": 200,
    "/api/v1/agreements": 200,
    "/api/v1/sync/reports": 200,
    "/api/v1/openapi.json": 200,
    "/feeds/csv": 200,
    "/feeds/edl-addresses": 200,
    "/feeds/suricata/entente-md5.lst": 404,  # no hash indicators: no such file
}


@dataclass(frozen=True)
class Served:
    """A node, the admin token's id and secret, and what holds its write lock."""

    node: Node
    token_id: str
    secret: str
    clock: FixedClock


def _seed(node: Node) -> None:
    service = IngestService(node.store, node.clock, principal="local:test")
    objects = [indicator(n, tlp=Tlp.GREEN) for n in range(1, 6)]
    summary = service.ingest_candidates(
        [Candidate("test", f"[{i}]", o) for i, o in enumerate(objects)],
        Provenance(SourceKind.FILE, "test", "local:test"),
        source="test",
    )
    assert summary.added == len(objects)


@contextmanager
def _node(settings: Settings, schema: str | None = None) -> Iterator[Served]:
    clock = FixedClock()
    with open_node(settings, clock, schema=schema) as node:
        token, secret = create_token(node.tokens, clock, org_name="Entente node", role="admin")
        _seed(node)
        yield Served(node, token.token_id, secret, clock)


@contextmanager
def _sqlite_write_lock(database: Path) -> Iterator[None]:
    """Another connection in ``BEGIN IMMEDIATE`` with an uncommitted write: SQLite's write lock."""
    conn = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE node_state SET last_date_added_us = last_date_added_us")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextmanager
def _postgresql_write_lock(url: str, schema: str) -> Iterator[None]:
    """Another transaction holding the writers' lock (node_state, as ingest takes it) and
    every token row (as a revoke or another writer of api_tokens would)."""
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(text("SELECT * FROM node_state FOR UPDATE"))
            conn.execute(text("SELECT * FROM api_tokens FOR UPDATE"))
            yield
            transaction.rollback()
    finally:
        engine.dispose()


Lock = Callable[[], AbstractContextManager[None]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def locked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Served, Lock]]:
    """``(served node, a context manager that holds its write lock)`` on each backend."""
    if request.param == "sqlite":
        database = tmp_path / "entente.db"
        settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{database}")
        with _node(settings) as served:
            yield served, lambda: _sqlite_write_lock(database)
        return
    url, schema = request.getfixturevalue("postgres_schema")
    with _node(Settings(home=tmp_path / "home", database_url=url), schema) as served:
        yield served, lambda: _postgresql_write_lock(url, schema)


def test_authenticated_reads_answer_while_a_writer_holds_the_lock(
    locked: tuple[Served, Lock],
) -> None:
    served, hold = locked
    auth = {"Authorization": f"Bearer {served.secret}"}
    # Left in reverse order: the lock is released before the server stops.
    with (
        serving(create_app(served.node, secret=SECRET)) as base,
        hold(),
        httpx.Client(base_url=base, timeout=ANSWER_S) as http,
    ):
        for path, status in READS.items():
            accept = TAXII if path.startswith("/taxii2") else "*/*"
            response = http.get(path, headers={**auth, "Accept": accept})
            assert response.status_code == status, (path, response.text)
        # Nothing was written on the request path: the use waits in memory.
        stored = served.node.tokens.get_by_id(served.token_id)
        assert stored is not None and stored.last_used_us is None
    # The lock is gone and the server stopped: its last flush recorded the use.
    stored = served.node.tokens.get_by_id(served.token_id)
    assert stored is not None and stored.last_used_us == served.clock.now_us()
