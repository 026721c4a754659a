"""The audit log and the custody logs: ``audit_entries``, their object index, checkpoints.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Issue 14, item 3: every read of non-CLEAR content and every admin action goes into a
hash-chained log with signed checkpoints (``entente.audit``); each case's custody log is a chain
of its own in the same tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the audit tables."""
    op.create_table(
        "audit_entries",
        sa.Column("chain", sa.Text(), nullable=False),
        sa.Column("seq", _SEQ, nullable=False, autoincrement=False),
        sa.Column("time_us", sa.BigInteger(), nullable=False),
        sa.Column("actor_org", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("chain", "seq", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_org_time", "audit_entries", ["chain", "actor_org", "time_us"])
    op.create_index("ix_audit_entries_time", "audit_entries", ["chain", "time_us"])
    op.create_table(
        "audit_objects",
        sa.Column("object_id", sa.Text(), nullable=False),
        sa.Column("chain", sa.Text(), nullable=False),
        sa.Column("seq", _SEQ, nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("object_id", "chain", "seq", name="pk_audit_objects"),
        # SQLite: the key is the whole row, one B-tree (schema.audit_objects says why).
        sqlite_with_rowid=False,
    )
    op.create_table(
        "audit_indexed",
        sa.Column("chain", sa.Text(), nullable=False),
        sa.Column("seq", _SEQ, nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("chain", sa.Text(), nullable=False),
        sa.Column("seq", _SEQ, nullable=False, autoincrement=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("time_us", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("chain", "seq", name="pk_audit_checkpoints"),
    )


def downgrade() -> None:
    """Drop the audit tables."""
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_indexed")
    op.drop_table("audit_objects")
    op.drop_index("ix_audit_entries_time", table_name="audit_entries")
    op.drop_index("ix_audit_entries_org_time", table_name="audit_entries")
    op.drop_table("audit_entries")
