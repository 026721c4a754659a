"""Writes of the search indexes, inside the object store's own insert transaction.

``store.sql`` calls ``write_index`` where it writes the versions, so every ingest path
(bundles, MISP, feeds, free text, sync, matching's sightings) is indexed with no step of its
own, and a rolled-back insert leaves no entry behind; migration 0007 calls it to backfill.
The value index is ``schema.search_values`` and its newest rows ``search_values_recent``
(migration 0008): value rows go to the small table, and move to the large one in key order
once ``MERGE_ROWS`` have gathered, as a log-structured index does; readers look in both
(``store.sql_search``). The full-text index is ``search_text``: an FTS5 table on SQLite (its
rowid is the version's date_added_us), a ``tsvector`` column with a GIN index on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select, text, update

from entente.store.pg_copy import copy_rows, copy_texts
from entente.store.schema import object_versions, search_state, search_values, search_values_recent
from entente.store.search_values import index_entries, text_of

__all__ = [
    "MERGE_ROWS",
    "TEXT_TABLE",
    "VALUE_TABLES",
    "delete_index",
    "merge_recent",
    "write_index",
]

# Rows gathered in search_values_recent before they move into search_values. The small tree
# (~6 MB at this size) stays in SQLite's page cache, so its random inserts are cheap; each
# merge writes the rows in key order, touching a page of the large tree once for all the rows
# that land on it. Larger means fewer merges over the large tree, each a longer pause of the
# ingest that triggers it (about half a second at this size). bench/search.py measures it.
MERGE_ROWS = 100_000
# Both tables of the value index, the large one first.
VALUE_TABLES = (search_values, search_values_recent)

# The full-text table (migration 0007) is not in schema.metadata: FTS5 is a virtual table and
# the PostgreSQL one needs a GIN index SQLAlchemy's Index() would not name the same way.
TEXT_TABLE = "search_text"


def _objects_of(
    stored: Iterable[tuple[int, str | Mapping[str, Any]]],
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(date_added_us, object) of versions given as raw JSON text or the object already
    parsed; what is not a JSON object is skipped (it has no index entries)."""
    for added_us, raw in stored:
        if isinstance(raw, Mapping):
            yield added_us, raw
            continue
        try:
            obj: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            yield added_us, obj


def _rows_of(
    stored: Iterable[tuple[int, str | Mapping[str, Any]]],
) -> tuple[list[tuple[str, str, int]], list[tuple[int, str]]]:
    """(value rows, text rows) of versions given as (date_added_us, raw JSON text or the
    object already parsed)."""
    values: list[tuple[str, str, int]] = []
    texts: list[tuple[int, str]] = []
    for added_us, obj in _objects_of(stored):
        for kind, key in index_entries(obj):
            values.append((kind, key, added_us))
        body = text_of(obj)
        if body:
            texts.append((added_us, body))
    return values, texts


def write_index(
    conn: Connection,
    stored: Iterable[tuple[int, str | Mapping[str, Any]]],
    *,
    merge_rows: int = MERGE_ROWS,
    direct: bool = False,
    copy: bool = False,
) -> int:
    """Index versions given as (date_added_us, raw JSON text or the parsed object); return
    the value rows written. Moves the recent rows into the large table once ``merge_rows``
    have gathered; ``direct`` writes into the large table (migration 0007's backfill, from
    before the recent table existed); ``copy`` (PostgreSQL only) writes the rows with COPY
    (``store.pg_copy``) instead of INSERTs, the same rows."""
    values, texts = _rows_of(stored)
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    if values:
        values.sort()  # key order: each B-tree page the batch touches is touched once
        target = search_values if direct else search_values_recent
        if copy:
            copy_rows(conn, target.name, ("kind", "key", "date_added_us"), values)
        else:
            # Driver-level executemany, as the object rows are written (store.sql._insert_sql).
            conn.exec_driver_sql(
                f"INSERT INTO {target.name} (kind, key, date_added_us) "
                f"VALUES ({marker}, {marker}, {marker})",
                values,
            )
    if values and not direct:
        recent = conn.execute(
            update(search_state)
            .where(search_state.c.id == 1)
            .values(recent_rows=search_state.c.recent_rows + len(values))
            .returning(search_state.c.recent_rows)
        ).scalar_one()
        if recent >= merge_rows:
            merge_recent(conn)
    if texts and copy:
        copy_texts(conn, TEXT_TABLE, texts)
    elif texts:
        if conn.dialect.name == "postgresql":
            sql = (
                f"INSERT INTO {TEXT_TABLE} (date_added_us, doc) "
                f"VALUES (%s, to_tsvector('simple', %s))"
            )
        else:
            sql = f"INSERT INTO {TEXT_TABLE} (rowid, body) VALUES (?, ?)"
        conn.exec_driver_sql(sql, texts)
    return len(values)


def merge_recent(conn: Connection) -> None:
    """Move every row of search_values_recent into search_values, in key order."""
    new, recent = search_values.name, search_values_recent.name
    conn.exec_driver_sql(
        f"INSERT INTO {new} (kind, key, date_added_us) SELECT kind, key, date_added_us "
        f"FROM {recent} ORDER BY kind, key, date_added_us"
    )
    conn.exec_driver_sql(f"DELETE FROM {recent}")
    conn.execute(update(search_state).where(search_state.c.id == 1).values(recent_rows=0))


def delete_index(conn: Connection, gone: Sequence[int]) -> None:
    """Remove the index entries of versions about to be deleted (their rows still stored).

    The value rows are found by their full key, worked out again from each version's stored
    JSON, as the marking index's rows are from ``marking_refs``: the value index needs no
    second B-tree by version, which every ingest would pay for (bench/search.py).
    """
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for start in range(0, len(gone), 500):
        chunk = list(gone[start : start + 500])
        stored = conn.execute(
            select(object_versions.c.date_added_us, object_versions.c.raw_json).where(
                object_versions.c.date_added_us.in_(chunk)
            )
        ).all()
        # Only the value rows: the full-text rows go by rowid below, so no text is worked out.
        values = [
            (kind, key, added)
            for added, obj in _objects_of((int(a), str(raw)) for a, raw in stored)
            for kind, key in index_entries(obj)
        ]
        if values:
            for table in VALUE_TABLES:
                # The recent-rows count may then run high: it only decides when to merge.
                conn.exec_driver_sql(
                    f"DELETE FROM {table.name} "
                    f"WHERE kind = {marker} AND key = {marker} AND date_added_us = {marker}",
                    values,
                )
        column = "date_added_us" if conn.dialect.name == "postgresql" else "rowid"
        conn.execute(
            text(f"DELETE FROM {TEXT_TABLE} WHERE {column} IN :gone").bindparams(
                bindparam("gone", expanding=True)
            ),
            {"gone": chunk},
        )
