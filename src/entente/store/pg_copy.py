"""Bulk writes on PostgreSQL through ``COPY ... FROM STDIN`` (psycopg 3's ``Cursor.copy``).

A multi-row ``executemany`` costs PostgreSQL a bind and an execute per row, and psycopg a
round of parameter adaptation per statement; ``COPY FROM STDIN`` streams the rows in one
command (PostgreSQL 15 manual, "COPY": "considerably faster than INSERT for loading large
numbers of rows"). The store writes a large insert batch this way; the plain ``INSERT``
stays the reference twin (``store.sql._insert_sql``), and a contract test compares the rows
both write. COPY runs on the same connection, so it is part of the caller's transaction and
rolls back with it, as the INSERTs would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from entente.errors import StorageError

__all__ = ["COPY_MIN_ROWS", "copy_rows", "copy_texts"]

# Batches of at least this many object versions go through COPY: the ingest service's
# batches (5,000) and sync's pages (1,000) do, a TAXII POST of a few objects keeps the
# INSERTs. COPY costs a statement per table and the full-text rows three, which only pay
# for themselves over many rows.
COPY_MIN_ROWS = 200

# The staging table of the full-text rows: COPY cannot call to_tsvector, so the bodies are
# copied here and turned into search_text rows by one INSERT ... SELECT. Temporary (each
# session its own) and emptied at commit.
_TEXT_STAGING = "entente_text_staging"


def _driver_cursor(conn: Connection) -> Any:
    """A psycopg cursor on the connection ``conn`` holds (so inside its transaction)."""
    if conn.dialect.name != "postgresql":
        raise StorageError(f"COPY is a PostgreSQL command, not one of {conn.dialect.name}")
    return conn.connection.cursor()


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write ``rows`` (tuples in the order of ``columns``) into ``table`` with one COPY."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    cursor = _driver_cursor(conn)
    try:
        # Text format: psycopg adapts int, str, bool and None as an INSERT's parameters would
        # be (None as \N), and the server parses them with the columns' own input functions.
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        # The driver's error as SQLAlchemy would have wrapped it (a clash on a key is an
        # IntegrityError), so that callers handle both write paths alike.
        raise DBAPIError.instance(
            statement, None, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


def copy_texts(conn: Connection, table: str, rows: Sequence[tuple[int, str]]) -> None:
    """Write full-text rows (date_added_us, body) into ``table`` as ``to_tsvector('simple',
    body)``: COPY into a session-local staging table, then one INSERT ... SELECT."""
    # ON COMMIT DELETE ROWS: nothing stays behind for the next transaction; created inside
    # the caller's transaction, a rollback takes the table away and the next call makes it.
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_TEXT_STAGING} "
        "(date_added_us BIGINT NOT NULL, body TEXT NOT NULL) ON COMMIT DELETE ROWS"
    )
    copy_rows(conn, _TEXT_STAGING, ("date_added_us", "body"), rows)
    conn.exec_driver_sql(
        f"INSERT INTO {table} (date_added_us, doc) "
        f"SELECT date_added_us, to_tsvector('simple', body) FROM {_TEXT_STAGING}"
    )
    # Emptied now, not only at commit: one transaction may write many batches. DELETE, not
    # TRUNCATE, which would give the table a new file on every batch.
    conn.exec_driver_sql(f"DELETE FROM {_TEXT_STAGING}")
