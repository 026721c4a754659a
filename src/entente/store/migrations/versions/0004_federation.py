"""Federation: partners, sharing agreements, sync checkpoints and sync reports.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

# INTEGER PRIMARY KEY is the only column SQLite numbers itself (the rowid).
_REPORT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the partners, agreements, sync_checkpoints and sync_reports tables."""
    op.create_table(
        "partners",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("org_id", sa.Text(), nullable=False),
        sa.Column("org_name", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("api_root", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("added_us", sa.BigInteger(), nullable=False),
        sa.Column("last_sync_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("objects_received", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_partners"),
        sa.UniqueConstraint("org_id", name="uq_partners_org_id"),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("added_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agreements"),
    )
    op.create_table(
        "sync_checkpoints",
        sa.Column("partner", sa.Text(), nullable=False),
        sa.Column("collection_id", sa.Text(), nullable=False),
        sa.Column("added_after", sa.Text(), nullable=True),
        sa.Column("next_cursor", sa.Text(), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner"],
            ["partners.name"],
            name="fk_sync_checkpoints_partner_partners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner", "collection_id", name="pk_sync_checkpoints"),
    )
    op.create_table(
        "sync_reports",
        sa.Column("report_id", _REPORT_ID, nullable=False, autoincrement=True),
        sa.Column("partner", sa.Text(), nullable=False),
        sa.Column("started_us", sa.BigInteger(), nullable=False),
        sa.Column("finished_us", sa.BigInteger(), nullable=False),
        sa.Column("added", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("new_versions", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rejections", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name="pk_sync_reports"),
    )
    op.create_index("ix_sync_reports_partner_report_id", "sync_reports", ["partner", "report_id"])


def downgrade() -> None:
    """Drop what the upgrade created."""
    op.drop_index("ix_sync_reports_partner_report_id", table_name="sync_reports")
    op.drop_table("sync_reports")
    op.drop_table("sync_checkpoints")
    op.drop_table("agreements")
    op.drop_table("partners")
