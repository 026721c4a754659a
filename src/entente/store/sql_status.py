"""The SQL adapter of the StatusStore port, on the object store's engine."""

from __future__ import annotations

import orjson
from sqlalchemy import Engine, delete, insert, select

from entente.store.failures import storage_errors
from entente.store.schema import taxii_status
from entente.store.status_port import StatusEntry, StatusRecord

__all__ = ["SqlStatusStore"]

_S = taxii_status.c


class SqlStatusStore:
    """Status records in the ``taxii_status`` table; entries are one JSON array per row."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, record: StatusRecord) -> None:
        """Store a new status record."""
        entries = [[e.id, e.version, e.outcome, e.message] for e in record.entries]
        with storage_errors("storing a status"), self._engine.begin() as conn:
            conn.execute(
                insert(taxii_status).values(
                    status_id=record.status_id,
                    collection_id=record.collection_id,
                    principal=record.principal,
                    request_us=record.request_us,
                    entries=orjson.dumps(entries).decode("utf-8"),
                )
            )

    def get(self, status_id: str) -> StatusRecord | None:
        """The record with that id, or None."""
        query = select(
            _S.status_id, _S.collection_id, _S.principal, _S.request_us, _S.entries
        ).where(_S.status_id == status_id)
        with storage_errors("reading a status"), self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        entries = tuple(StatusEntry(*entry) for entry in orjson.loads(row[4]))
        return StatusRecord(row[0], row[1], row[2], int(row[3]), entries)

    def purge_before(self, request_us: int) -> int:
        """Delete records of requests made before ``request_us``; return how many."""
        with storage_errors("purging statuses"), self._engine.begin() as conn:
            result = conn.execute(delete(taxii_status).where(_S.request_us < request_us))
        return int(result.rowcount)
