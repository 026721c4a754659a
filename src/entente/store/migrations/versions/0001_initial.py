"""Initial object store: object versions, their markings, and the node's date_added state.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# INTEGER PRIMARY KEY aliases the rowid on SQLite; 64-bit there as elsewhere.
_DATE_ADDED = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the three tables and their indexes."""
    op.create_table(
        "object_versions",
        sa.Column("date_added_us", _DATE_ADDED, nullable=False, autoincrement=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("spec_version", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("created", sa.Text(), nullable=True),
        sa.Column("modified", sa.Text(), nullable=True),
        sa.Column("created_by_ref", sa.Text(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("is_first", sa.Boolean(), nullable=False),
        sa.Column("is_last", sa.Boolean(), nullable=False),
        sa.Column("raw_json", sa.Text(), nullable=False),
        sa.Column("source_kind", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=True),
        sa.Column("marking_refs", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("date_added_us", name="pk_object_versions"),
        sa.UniqueConstraint("id", "version", name="uq_object_versions_id_version"),
    )
    for name, columns in (
        ("ix_object_versions_modified", ["modified"]),
        ("ix_object_versions_created_by_ref", ["created_by_ref"]),
        ("ix_object_versions_is_last_date_added_us", ["is_last", "date_added_us"]),
        ("ix_object_versions_type_is_last_date_added_us", ["type", "is_last", "date_added_us"]),
    ):
        op.create_index(name, "object_versions", columns)

    op.create_table(
        "object_markings",
        sa.Column("marking_ref", sa.Text(), nullable=False),
        sa.Column("date_added_us", _DATE_ADDED, nullable=False),
        sa.PrimaryKeyConstraint("marking_ref", "date_added_us", name="pk_object_markings"),
        sqlite_with_rowid=False,
    )

    node_state = op.create_table(
        "node_state",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("last_date_added_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_node_state"),
    )
    # The single row; 0 means "nothing handed out yet".
    op.bulk_insert(node_state, [{"id": 1, "last_date_added_us": 0}])


def downgrade() -> None:
    """Drop everything the upgrade created."""
    op.drop_table("node_state")
    op.drop_table("object_markings")
    op.drop_table("object_versions")
