"""Alembic migrations of the object store, run by ``open_store`` (no alembic.ini on disk)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

__all__ = ["stored_json_batches"]


def stored_json_batches(conn: sa.Connection, size: int) -> Iterator[list[tuple[int, str]]]:
    """(date_added_us, raw JSON) of every stored version, oldest first, ``size`` at a time:
    the backfills of the revisions that index what was stored before them. Keyset paging on
    the primary key, so each batch is one index range however large the store."""
    after = -1
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT date_added_us, raw_json FROM object_versions WHERE date_added_us > :a "
                "ORDER BY date_added_us LIMIT :n"
            ),
            {"a": after, "n": size},
        ).all()
        if not rows:
            return
        batch = [(int(added), str(raw)) for added, raw in rows]
        yield batch
        after = batch[-1][0]
