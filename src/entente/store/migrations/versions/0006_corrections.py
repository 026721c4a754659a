"""Corrections by an object's creator: the history of replaced content; equivocation reports.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

``object_corrections`` keeps each object version that a correction by its creator replaced
(STIX 2.1 §3.6 broken by the publisher itself: other content under the same ``modified``),
exactly as it was stored, with its provenance. ``sync_reports.equivocations`` lists the
objects for which a partner served two different signed contents under one (id, modified),
and ``sync_reports.corrected`` how many versions a sync stored as corrections.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the history table and add the report column."""
    op.create_table(
        "object_corrections",
        sa.Column("date_added_us", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("spec_version", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("created", sa.Text(), nullable=True),
        sa.Column("modified", sa.Text(), nullable=True),
        sa.Column("created_by_ref", sa.Text(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("raw_json", sa.Text(), nullable=False),
        sa.Column("source_kind", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=True),
        sa.Column("marking_refs", sa.Text(), nullable=False),
        sa.Column("principal_org", sa.Text(), nullable=True),
        sa.Column("granular_markings", sa.Text(), nullable=True),
        sa.Column("replaced_us", sa.BigInteger(), nullable=False),
        sa.Column("replaced_by_us", sa.BigInteger(), nullable=False),
        sa.Column("correction", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("date_added_us", name=op.f("pk_object_corrections")),
    )
    op.create_index(
        op.f("ix_object_corrections_id_date_added_us"),
        "object_corrections",
        ["id", "date_added_us"],
    )
    with op.batch_alter_table("sync_reports") as batch:
        batch.add_column(
            sa.Column("corrected", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("equivocations", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("sync_reports") as batch:
        batch.drop_column("equivocations")
        batch.drop_column("corrected")
    op.drop_index(op.f("ix_object_corrections_id_date_added_us"), "object_corrections")
    op.drop_table("object_corrections")
