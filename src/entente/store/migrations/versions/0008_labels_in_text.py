"""Labels leave the value index: the full-text index answers the label filter.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Nearly every object carries one of a handful of labels, so label rows were most of
``search_values`` for a filter whose answer the full-text index already holds (its text
includes the labels; the search service checks the exact label on the copy it shows).
Dropping them makes the value index, written on every ingest, a third of the size on typical
feeds. Downgrading puts them back from the stored versions.
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 2000


def upgrade() -> None:
    """Delete the label rows."""
    op.get_bind().execute(sa.text("DELETE FROM search_values WHERE kind = 'label'"))


def downgrade() -> None:
    """Write the label rows of every stored version again, as revision 0007 kept them."""
    conn = op.get_bind()
    after = -1
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT date_added_us, raw_json FROM object_versions WHERE date_added_us > :a "
                "ORDER BY date_added_us LIMIT :n"
            ),
            {"a": after, "n": _BATCH},
        ).all()
        if not rows:
            break
        entries: set[tuple[str, str, int]] = set()
        for added, raw in rows:
            labels = orjson.loads(raw).get("labels")
            if isinstance(labels, list):
                entries.update(
                    ("label", label.casefold(), int(added))
                    for label in labels
                    if isinstance(label, str)
                )
        if entries:
            conn.execute(
                sa.text("INSERT INTO search_values (kind, key, date_added_us) VALUES (:k, :v, :d)"),
                [{"k": k, "v": v, "d": d} for k, v, d in sorted(entries)],
            )
        after = int(rows[-1][0])
