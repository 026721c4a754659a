"""A leaner value index: no label rows (the full-text index answers the label filter), no
second B-tree by version, and a small table for the newest rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Nearly every object carries one of a handful of labels, so label rows were most of
``search_values`` for a filter whose answer the full-text index already holds (its text
includes the labels; the search service checks the exact label on the copy it shows).
Dropping them makes the value index, written on every ingest, a third of the size on typical
feeds. The index on ``date_added_us`` served only deletes, which now find a version's rows
by their full key, worked out from its stored JSON; every insert paid for it. New rows go to
``search_values_recent`` and move into ``search_values`` in key order in bulk
(``store.search_index``), which costs ingest a fraction of random inserts into a large tree.
Downgrading moves the recent rows back and puts the label rows and the index back.
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

from entente.store.migrations import stored_json_batches

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 2000


def upgrade() -> None:
    """Delete the label rows and the index by version; create the recent-rows table."""
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM search_values WHERE kind = 'label'"))
    op.drop_index("ix_search_values_date_added_us", table_name="search_values")
    key_type = sa.Text(collation="C") if conn.dialect.name == "postgresql" else sa.Text()
    op.create_table(
        "search_values_recent",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", key_type, nullable=False),
        sa.Column(
            "date_added_us",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("kind", "key", "date_added_us", name="pk_search_values_recent"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recent_rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_state"),
    )
    conn.execute(sa.text("INSERT INTO search_state (id, recent_rows) VALUES (1, 0)"))


def downgrade() -> None:
    """Move the recent rows back, index by version again, and write the label rows of every
    stored version as revision 0007 kept them."""
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "INSERT INTO search_values (kind, key, date_added_us) "
            "SELECT kind, key, date_added_us FROM search_values_recent"
        )
    )
    op.drop_table("search_state")
    op.drop_table("search_values_recent")
    op.create_index("ix_search_values_date_added_us", "search_values", ["date_added_us"])
    for rows in stored_json_batches(conn, _BATCH):
        entries: set[tuple[str, str, int]] = set()
        for added, raw in rows:
            labels = orjson.loads(raw).get("labels")
            if isinstance(labels, list):
                entries.update(
                    ("label", label.casefold(), added) for label in labels if isinstance(label, str)
                )
        if entries:
            conn.execute(
                sa.text("INSERT INTO search_values (kind, key, date_added_us) VALUES (:k, :v, :d)"),
                [{"k": k, "v": v, "d": d} for k, v, d in sorted(entries)],
            )
