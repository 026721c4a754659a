"""The SQL adapter of the signature port: the ``object_signatures`` table (migration 0014)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import sqlite

from entente.store.failures import storage_errors
from entente.store.schema import object_signatures
from entente.store.signature_port import StoredSignature

__all__ = ["SqlSignatureStore"]

_S = object_signatures.c
_COLUMNS = (_S.id, _S.version, _S.content_sha256, _S.extension)
# Ids per look-up: well under SQLite's bound-parameter limit (32,766 since 3.32).
_IDS_PER_LOOKUP = 500


class SqlSignatureStore:
    """Signatures of this node's own versions, one row per ``(id, version)``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, signatures: Sequence[StoredSignature]) -> None:
        """Insert or replace the signatures of these versions, committed on return."""
        if not signatures:
            return
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "version": s.version,
                "content_sha256": s.content_sha256,
                "extension": s.extension,
            }
            for s in signatures
        ]
        with storage_errors("keeping signatures"), self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Imported here, as in sql_federation: SQLite nodes never load the dialect.
                from sqlalchemy.dialects import postgresql

                upsert: postgresql.Insert | sqlite.Insert = postgresql.insert(object_signatures)
            else:
                upsert = sqlite.insert(object_signatures)
            # Both dialects spell "insert, or replace the kept signature" the same way.
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[_S.id, _S.version],
                    set_={
                        "content_sha256": upsert.excluded.content_sha256,
                        "extension": upsert.excluded.extension,
                    },
                ),
                rows,
            )

    def get(self, keys: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], StoredSignature]:
        """The signatures kept for these ``(id, version)`` keys; missing ones are left out."""
        wanted = set(keys)
        ids = sorted({object_id for object_id, _ in wanted})
        found: dict[tuple[str, str], StoredSignature] = {}
        with storage_errors("reading signatures"), self._engine.connect() as conn:
            for start in range(0, len(ids), _IDS_PER_LOOKUP):
                chunk = ids[start : start + _IDS_PER_LOOKUP]
                for row in conn.execute(select(*_COLUMNS).where(_S.id.in_(chunk))):
                    key = (str(row[0]), str(row[1]))
                    if key in wanted:
                        found[key] = StoredSignature(key[0], key[1], str(row[2]), str(row[3]))
        return found
