"""TAXII status resources of add-objects requests (TAXII 2.1 §4.3).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the taxii_status table."""
    op.create_table(
        "taxii_status",
        sa.Column("status_id", sa.Text(), nullable=False),
        sa.Column("collection_id", sa.Text(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("request_us", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("status_id", name="pk_taxii_status"),
    )
    op.create_index("ix_taxii_status_request_us", "taxii_status", ["request_us"])


def downgrade() -> None:
    """Drop what the upgrade created."""
    op.drop_index("ix_taxii_status_request_us", table_name="taxii_status")
    op.drop_table("taxii_status")
