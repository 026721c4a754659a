"""SQLite's plans for reads: a lookup by id uses the (id, version) index whatever else it
filters on, and paging keeps the (is_last / type, date_added_us) indexes. Without them one
object's GET read every latest version of the store (issue 11 §5: reads answer in bounded
time). Plans, not timings: ``EXPLAIN QUERY PLAN`` of the statement the store runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from tests.unit.store.test_sql_store_contract import ident, insert, key, new

from entente.clock import FixedClock
from entente.store import ObjectQuery
from entente.store.sql import SqlStore, open_store

ID_INDEX = "sqlite_autoindex_object_versions_1"  # the UNIQUE (id, version) constraint's


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[tuple[SqlStore, list[str], Path]]:
    """A SQLite store with a few versions, and the SQL statements it runs from now on."""
    database = tmp_path / "entente.db"
    store = open_store(f"sqlite:///{database}", FixedClock())
    insert(store, *(new(ident(n), key(1)) for n in range(1, 30)), new(ident(1), key(2)))
    statements: list[str] = []

    @event.listens_for(store.engine, "connect")
    def _trace(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # sqlite3 hands the statement with its parameters bound (sqlite3_expanded_sql).
        dbapi_conn.set_trace_callback(statements.append)

    store.engine.dispose()  # reconnect, traced
    try:
        yield store, statements, database
    finally:
        store.close()


def _plan(database: Path, statement: str) -> list[str]:
    with closing(sqlite3.connect(database)) as conn:
        return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]


def _read_plan(traced: tuple[SqlStore, list[str], Path], query: ObjectQuery) -> str:
    store, statements, database = traced
    statements.clear()
    store.query(query)
    [select] = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The inner query picks the keys; the outer one joins them back by rowid.
    return _plan(database, select)[1]


@pytest.mark.parametrize(
    "query",
    [
        ObjectQuery(ids=(ident(1),)),
        ObjectQuery(ids=(ident(1),), versions=("first",)),
        ObjectQuery(ids=(ident(1),), versions=("first", "last")),
        ObjectQuery(ids=(ident(1),), versions=("all",)),
        ObjectQuery(ids=(ident(1),), types=("indicator",)),
        ObjectQuery(ids=(ident(1), ident(2)), types=("indicator",), after_cursor=1),
        ObjectQuery(ids=(ident(1),), added_after_us=1),
    ],
)
def test_a_lookup_by_id_uses_the_id_index(
    traced: tuple[SqlStore, list[str], Path], query: ObjectQuery
) -> None:
    assert f"USING INDEX {ID_INDEX} (id=?)" in _read_plan(traced, query).replace(
        "COVERING INDEX", "INDEX"
    )


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (ObjectQuery(), "ix_object_versions_is_last_date_added_us (is_last=?)"),
        (
            ObjectQuery(after_cursor=1),
            "ix_object_versions_is_last_date_added_us (is_last=? AND date_added_us>?)",
        ),
        (
            ObjectQuery(types=("indicator",)),
            "ix_object_versions_type_is_last_date_added_us (type=? AND is_last=?)",
        ),
    ],
)
def test_paging_keeps_the_date_ordered_indexes(
    traced: tuple[SqlStore, list[str], Path], query: ObjectQuery, index: str
) -> None:
    assert _read_plan(traced, query).endswith(index)
