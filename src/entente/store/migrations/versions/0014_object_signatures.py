"""This node's signatures of its own versions: the ``object_signatures`` table (ADR 0025).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

Objects are signed once, in signed batches, when this node's org creates them, and the
signature is served to every partner afterwards instead of signing on every read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the ``object_signatures`` table."""
    op.create_table(
        "object_signatures",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column("extension", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_object_signatures"),
    )


def downgrade() -> None:
    """Drop the ``object_signatures`` table."""
    op.drop_table("object_signatures")
