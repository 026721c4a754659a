"""The graph's reverse references: ``link`` rows for every id a ``*_ref``/``*_refs`` holds.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

The value index held ``ref`` rows for what sightings and observed data name; the graph
neighbourhood (``services.graph``) also asks which relationships, reports and other objects
reference an object, so every other top-level reference but ``created_by_ref`` and
``object_marking_refs`` is now a ``link`` row (``store.search_values.index_entries``). This
revision writes them for the versions stored before it; downgrading deletes them.
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

from entente.store.migrations import stored_json_batches
from entente.store.search_values import index_entries

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 2000


def upgrade() -> None:
    """Write the ``link`` rows of every stored version, a batch at a time."""
    conn = op.get_bind()
    for rows in stored_json_batches(conn, _BATCH):
        entries: list[tuple[str, str, int]] = []
        for added, raw in rows:
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                entries.extend(
                    (kind, key, added) for kind, key in index_entries(obj) if kind == "link"
                )
        if entries:
            conn.execute(
                sa.text("INSERT INTO search_values (kind, key, date_added_us) VALUES (:k, :v, :d)"),
                [{"k": k, "v": v, "d": d} for k, v, d in sorted(entries)],
            )


def downgrade() -> None:
    """Delete the ``link`` rows, from both tables of the value index (migration 0008)."""
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM search_values WHERE kind = 'link'"))
    conn.execute(sa.text("DELETE FROM search_values_recent WHERE kind = 'link'"))
