"""Search: the value index and the full-text index, backfilled from every stored version.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

``search_values`` holds one row per value occurrence (an address, block, domain, URL, hash,
e-mail address, label, name or referenced id) in a stored version, keyed so that containment
is a range (``store.search_values``). ``search_text`` is the full-text index over names,
aliases, descriptions and labels: an FTS5 table on SQLite (rowid = date_added_us), a
``tsvector`` with a GIN index on PostgreSQL. The store writes both in its insert transaction;
this revision indexes what was stored before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from entente.store.migrations import stored_json_batches
from entente.store.search_index import TEXT_TABLE, write_index

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 2000


def upgrade() -> None:
    """Create the two indexes and fill them from the stored versions, a batch at a time."""
    conn = op.get_bind()
    postgresql = conn.dialect.name == "postgresql"
    key_type = sa.Text(collation="C") if postgresql else sa.Text()
    op.create_table(
        "search_values",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", key_type, nullable=False),
        sa.Column(
            "date_added_us",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("kind", "key", "date_added_us", name="pk_search_values"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_values_date_added_us", "search_values", ["date_added_us"])
    if postgresql:
        conn.execute(
            sa.text(
                f"CREATE TABLE {TEXT_TABLE} (date_added_us BIGINT PRIMARY KEY, "
                "doc TSVECTOR NOT NULL)"
            )
        )
        conn.execute(sa.text(f"CREATE INDEX ix_{TEXT_TABLE}_doc ON {TEXT_TABLE} USING GIN (doc)"))
    else:
        # Diacritics kept: the service re-checks matches on the copy a reader is shown with
        # the same words (store.search_values.tokens_of), which keeps them too.
        conn.execute(
            sa.text(
                f"CREATE VIRTUAL TABLE {TEXT_TABLE} USING fts5("
                "body, tokenize = 'unicode61 remove_diacritics 0')"
            )
        )
    for rows in stored_json_batches(conn, _BATCH):
        write_index(conn, rows, direct=True)


def downgrade() -> None:
    """Drop both indexes."""
    op.execute(sa.text(f"DROP TABLE {TEXT_TABLE}"))
    op.drop_index("ix_search_values_date_added_us", table_name="search_values")
    op.drop_table("search_values")
