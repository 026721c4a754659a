"""Dashboard counters: objects per policy cell and month, sightings per sighted object.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The store keeps these in its write transactions (``store.dashboard_index``, which explains
the cells); this revision creates the four tables and counts the latest version of every
object stored before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from entente.store.dashboard_index import CountedRow, apply_counts

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 5000


def upgrade() -> None:
    """Create the counters and backfill them from the latest versions, a batch at a time."""
    op.create_table(
        "dashboard_cells",
        sa.Column("cell", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("created_by_ref", sa.Text(), nullable=True),
        sa.Column("marking_refs", sa.Text(), nullable=False),
        sa.Column("granular_markings", sa.Text(), nullable=True),
        sa.Column("source_kind", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=True),
        sa.Column("principal_org", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("cell", name="pk_dashboard_cells"),
    )
    op.create_table(
        "dashboard_counts",
        sa.Column("cell", sa.Text(), nullable=False),
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("objects", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cell", "month", name="pk_dashboard_counts"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dashboard_hits",
        sa.Column("target_ref", sa.Text(), nullable=False),
        sa.Column("cell", sa.Text(), nullable=False),
        sa.Column("sightings", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("target_ref", "cell", name="pk_dashboard_hits"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dashboard_hit_totals",
        sa.Column("target_ref", sa.Text(), nullable=False),
        sa.Column("sightings", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("target_ref", name="pk_dashboard_hit_totals"),
    )
    op.create_index(
        "ix_dashboard_hit_totals_hits_target_ref", "dashboard_hit_totals", ["hits", "target_ref"]
    )
    conn = op.get_bind()
    after = -1
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT date_added_us, type, created_by_ref, marking_refs, granular_markings, "
                "source_kind, source_name, principal, agreement, principal_org, "
                "CASE WHEN type = 'sighting' THEN raw_json END "
                "FROM object_versions WHERE is_last AND date_added_us > :a "
                "ORDER BY date_added_us LIMIT :n"
            ),
            {"a": after, "n": _BATCH},
        ).all()
        if not rows:
            break
        apply_counts(conn, [CountedRow(*row) for row in rows])
        after = int(rows[-1][0])


def downgrade() -> None:
    """Drop the counters."""
    op.drop_index("ix_dashboard_hit_totals_hits_target_ref", table_name="dashboard_hit_totals")
    op.drop_table("dashboard_hit_totals")
    op.drop_table("dashboard_hits")
    op.drop_table("dashboard_counts")
    op.drop_table("dashboard_cells")
