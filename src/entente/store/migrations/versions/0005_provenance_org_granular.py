"""Provenance: the org of the principal that stored a version; its granular markings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

``principal_org`` records the org of whoever put a version on this node (an API token's org,
the sending partner's org); NULL is this node's own operator (the CLI, feeds it reads, its
matching). The sharing policy reads it to tell what this node's org created from what it only
ingested, and the ownership rules to tell who may add versions of an object or delete it.
Versions stored before this revision get it from the token that posted them (``user``) or
from the sending partner (``partner``).

``granular_markings`` holds the version's STIX 2.1 §7.2.3 granular markings that name a
marking-definition, as ``[[marking_ref, [selector, ...]], ...]`` (NULL when it has none), so
that reads know which properties a reader may not see without decoding every object.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 1000


def _granular(raw: str) -> str | None:
    """The stored form of a raw object's marking_ref granular markings (as the store writes)."""
    try:
        obj: Any = json.loads(raw)
    except ValueError:
        return None
    entries = obj.get("granular_markings") if isinstance(obj, dict) else None
    if not isinstance(entries, list):
        return None
    found = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("marking_ref"), str):
            continue
        selectors = entry.get("selectors")
        if isinstance(selectors, list):
            found.append([entry["marking_ref"], [s for s in selectors if isinstance(s, str)]])
    return json.dumps(found, separators=(",", ":")) if found else None


def upgrade() -> None:
    """Add and fill the two columns."""
    with op.batch_alter_table("object_versions") as batch:
        batch.add_column(sa.Column("principal_org", sa.Text(), nullable=True))
        batch.add_column(sa.Column("granular_markings", sa.Text(), nullable=True))
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "UPDATE object_versions SET principal_org = "
            "(SELECT org FROM api_tokens WHERE api_tokens.token_id = object_versions.principal) "
            "WHERE source_kind = 'user'"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE object_versions SET principal_org = principal WHERE source_kind = 'partner'"
        )
    )
    # Only objects whose text names the property can have one; the JSON decides.
    rows = conn.execute(
        sa.text(
            "SELECT date_added_us, raw_json FROM object_versions "
            "WHERE raw_json LIKE '%granular_markings%'"
        )
    ).all()
    update = sa.text("UPDATE object_versions SET granular_markings = :g WHERE date_added_us = :d")
    params = [{"d": row[0], "g": g} for row in rows if (g := _granular(row[1])) is not None]
    for start in range(0, len(params), _BATCH):
        conn.execute(update, params[start : start + _BATCH])


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("object_versions") as batch:
        batch.drop_column("granular_markings")
        batch.drop_column("principal_org")
