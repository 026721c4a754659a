"""The reports of recent matching runs: the ``match_runs`` table (issue 13, "Hits and hunts").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

``entente match`` and ``entente hunt`` wrote their reports to the terminal only; the web UI
lists the recent ones, so each run's bounded report (``services.match_runs``) is kept here,
the newest runs only (the store prunes older rows on every write).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

# INTEGER PRIMARY KEY is the only column SQLite numbers itself (the rowid), as in 0004.
_RUN_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the ``match_runs`` table."""
    op.create_table(
        "match_runs",
        sa.Column("run_id", _RUN_ID, nullable=False, autoincrement=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("started_us", sa.BigInteger(), nullable=False),
        sa.Column("finished_us", sa.BigInteger(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_match_runs"),
    )


def downgrade() -> None:
    """Drop the ``match_runs`` table."""
    op.drop_table("match_runs")
