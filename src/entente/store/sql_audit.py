"""The SQL adapter of the audit and custody logs, in the tables of migration 0013.

Appends to one chain are serialised by the database: SQLite takes its write lock at BEGIN
(``BEGIN IMMEDIATE``), PostgreSQL a transaction-scoped advisory lock keyed by the chain's
name; the primary key (chain, seq) refuses a second entry in one place should both fail.

An append writes the entry rows only. The object index (``audit_objects``, one row per id an
entry lists) is derived from the bodies and filled behind them by ``index``: when the
recorder is idle, and before every ``find``. A page of 1,000 objects read then costs its
request one body row instead of a thousand index rows (bench/audit.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, insert, select, text, update

from entente.audit import (
    GENESIS_HASH,
    Appended,
    ChainHead,
    Checkpoint,
    Entry,
    EntryRecord,
    parse_entry,
)
from entente.errors import InvalidInput, StorageError
from entente.store.audit_port import AuditQuery
from entente.store.failures import storage_errors
from entente.store.schema import (
    audit_checkpoints,
    audit_entries,
    audit_indexed,
    audit_objects,
)
from entente.store.sql import _WRITE

__all__ = ["SqlAuditStore"]

_E = audit_entries.c
_O = audit_objects.c
_C = audit_checkpoints.c
_I = audit_indexed.c


def _record(row: Sequence[Any]) -> EntryRecord:
    return EntryRecord(chain=row[0], seq=int(row[1]), body=bytes(row[2]), hash=row[3])


def _checkpoint(row: Sequence[Any]) -> Checkpoint:
    return Checkpoint(
        chain=row[0],
        seq=int(row[1]),
        head=row[2],
        time_us=int(row[3]),
        key=row[4],
        signature=row[5],
    )


# Entries indexed per transaction when catching up.
_INDEX_BATCH = 2000


def _listed(body: bytes) -> list[str]:
    """The object ids an entry's body lists; none when it is not readable (a tampered row:
    ``entente audit verify`` names it, and the index need not)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    objects = document.get("objects") if isinstance(document, dict) else None
    if not isinstance(objects, list):
        return []
    return list(dict.fromkeys(o for o in objects if isinstance(o, str)))


class SqlAuditStore:
    """Audit chains in SQL; appends commit before they return."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _head(self, conn: Connection, chain: str) -> ChainHead:
        last = conn.execute(
            select(_E.seq, _E.hash).where(_E.chain == chain).order_by(_E.seq.desc()).limit(1)
        ).first()
        signed = conn.execute(
            select(func.max(_C.seq)).where(_C.chain == chain)
        ).scalar_one_or_none()
        if last is None:
            return ChainHead(chain, 0, GENESIS_HASH, int(signed or 0))
        return ChainHead(chain, int(last[0]), str(last[1]), int(signed or 0))

    @staticmethod
    def _lock(conn: Connection, chain: str) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:chain))"), {"chain": chain})

    def append(self, chain: str, build: Callable[[ChainHead], Appended]) -> Appended:
        """Write what ``build`` makes of the chain's head in one transaction."""
        with (
            storage_errors("appending to the audit log"),
            self._engine.connect().execution_options(**{_WRITE: True}) as conn,
            conn.begin(),
        ):
            self._lock(conn, chain)
            appended = build(self._head(conn, chain))
            for entry in appended.entries:
                if entry.chain != chain:
                    raise StorageError(f"an entry of {entry.chain!r} cannot go into {chain!r}")
            if appended.entries:
                conn.execute(
                    insert(audit_entries),
                    [
                        {
                            "chain": chain,
                            "seq": e.seq,
                            "time_us": e.time_us,
                            "actor_org": e.actor.org,
                            "hash": e.hash,
                            "body": e.body,
                        }
                        for e in appended.entries
                    ],
                )
            cp = appended.checkpoint
            if cp is not None:
                conn.execute(
                    insert(audit_checkpoints).values(
                        chain=cp.chain,
                        seq=cp.seq,
                        head=cp.head,
                        time_us=cp.time_us,
                        key=cp.key,
                        signature=cp.signature,
                    )
                )
            return appended

    def head(self, chain: str) -> ChainHead:
        """Where ``chain`` stands."""
        with storage_errors("reading the audit log"), self._engine.connect() as conn:
            return self._head(conn, chain)

    def entries(self, chain: str, *, page: int = 1000) -> Iterator[EntryRecord]:
        """Every entry of ``chain`` in sequence order, a page of rows at a time (keyset)."""
        after = 0
        while True:
            stmt = (
                select(_E.chain, _E.seq, _E.body, _E.hash)
                .where(_E.chain == chain, _E.seq > after)
                .order_by(_E.seq)
                .limit(page)
            )
            with storage_errors("reading the audit log"), self._engine.connect() as conn:
                rows = [_record(row) for row in conn.execute(stmt)]
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1].seq

    def checkpoints(self, chain: str) -> Sequence[Checkpoint]:
        """The checkpoints of ``chain`` in sequence order."""
        stmt = (
            select(_C.chain, _C.seq, _C.head, _C.time_us, _C.key, _C.signature)
            .where(_C.chain == chain)
            .order_by(_C.seq)
        )
        with storage_errors("reading audit checkpoints"), self._engine.connect() as conn:
            return [_checkpoint(row) for row in conn.execute(stmt)]

    def chains(self) -> Sequence[str]:
        """Every chain that holds an entry, sorted."""
        stmt = select(_E.chain).distinct().order_by(_E.chain)
        with storage_errors("listing audit chains"), self._engine.connect() as conn:
            return [str(chain) for chain in conn.execute(stmt).scalars()]

    def index(self, chain: str, limit: int) -> int:
        """Index the object ids of up to ``limit`` more entries of ``chain``."""
        if limit < 1:
            return 0
        with (
            storage_errors("indexing the audit log"),
            self._engine.connect().execution_options(**{_WRITE: True}) as conn,
            conn.begin(),
        ):
            self._lock(conn, chain)
            done = conn.execute(select(_I.seq).where(_I.chain == chain)).scalar_one_or_none()
            rows = conn.execute(
                select(_E.seq, _E.body)
                .where(_E.chain == chain, _E.seq > (done or 0))
                .order_by(_E.seq)
                .limit(limit)
            ).all()
            if not rows:
                return 0
            objects = [
                {"object_id": object_id, "chain": chain, "seq": int(seq)}
                for seq, body in rows
                for object_id in _listed(bytes(body))
            ]
            if objects:
                conn.execute(insert(audit_objects), objects)
            last = int(rows[-1][0])
            if done is None:
                conn.execute(insert(audit_indexed).values(chain=chain, seq=last))
            else:
                conn.execute(update(audit_indexed).where(_I.chain == chain).values(seq=last))
            return len(rows)

    def find(self, query: AuditQuery) -> Sequence[Entry]:
        """The newest matching entries of one chain, newest first."""
        if query.limit < 1:
            return []
        if query.object_id is not None:
            while self.index(query.chain, _INDEX_BATCH):
                pass
        stmt = select(_E.body).where(_E.chain == query.chain)
        if query.org is not None:
            stmt = stmt.where(_E.actor_org == query.org)
        if query.since_us is not None:
            stmt = stmt.where(_E.time_us >= query.since_us)
        if query.before_seq is not None:
            stmt = stmt.where(_E.seq < query.before_seq)
        if query.object_id is not None:
            listed = select(_O.seq).where(_O.object_id == query.object_id, _O.chain == query.chain)
            stmt = stmt.where(_E.seq.in_(listed))
        stmt = stmt.order_by(_E.seq.desc()).limit(query.limit)
        with storage_errors("querying the audit log"), self._engine.connect() as conn:
            bodies = [bytes(body) for body in conn.execute(stmt).scalars()]
        found: list[Entry] = []
        for body in bodies:
            try:
                found.append(parse_entry(body))
            except InvalidInput as exc:
                # A row that no longer parses was tampered with: `entente audit verify` says where.
                raise StorageError(f"the audit log holds an unreadable entry: {exc}") from exc
        return found
