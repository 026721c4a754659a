"""The SQL adapters of the federation ports, on the object store's engine (migration 0004).

Four classes rather than one: the ports share method names (``get``, ``list``) with
different signatures. Every write commits before it returns. Lists of names and ids are
sorted in Python, by code point, so that SQLite (BINARY) and PostgreSQL (whatever the
database's collation is) give the same order; these tables hold a handful of rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Engine,
    Table,
    delete,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import ReturningInsert

from entente.errors import InvalidInput, ObjectNotFound
from entente.store.failures import storage_errors
from entente.store.federation_port import (
    AgreementRecord,
    Checkpoint,
    PartnerRecord,
    SyncReport,
    is_partner_name,
)
from entente.store.schema import agreements, partners, sync_checkpoints, sync_reports

__all__ = [
    "SqlAgreementStore",
    "SqlCheckpointStore",
    "SqlPartnerStore",
    "SqlSyncReportStore",
]

_P = partners.c
_A = agreements.c
_C = sync_checkpoints.c
_R = sync_reports.c

_PARTNER_COLUMNS = (
    _P.name,
    _P.org_id,
    _P.org_name,
    _P.public_key,
    _P.api_root,
    _P.token,
    _P.added_us,
    _P.last_sync_us,
    _P.last_error,
    _P.objects_received,
)
_CHECKPOINT_COLUMNS = (_C.partner, _C.collection_id, _C.added_after, _C.next_cursor, _C.updated_us)
_REPORT_COLUMNS = (
    _R.report_id,
    _R.partner,
    _R.started_us,
    _R.finished_us,
    _R.added,
    _R.duplicates,
    _R.new_versions,
    _R.rejected,
    _R.error,
    _R.rejections,
    _R.corrected,
    _R.equivocations,
)


def _optional_int(value: Any) -> int | None:
    """An int, or None for SQL NULL."""
    return None if value is None else int(value)


def _partner(row: Sequence[Any]) -> PartnerRecord:
    """A PartnerRecord from a row of ``_PARTNER_COLUMNS``."""
    return PartnerRecord(
        name=row[0],
        org_id=row[1],
        org_name=row[2],
        public_key=row[3],
        api_root=row[4],
        token=row[5],
        added_us=int(row[6]),
        last_sync_us=_optional_int(row[7]),
        last_error=row[8],
        objects_received=int(row[9]),
    )


def _checkpoint(row: Sequence[Any]) -> Checkpoint:
    """A Checkpoint from a row of ``_CHECKPOINT_COLUMNS``."""
    return Checkpoint(row[0], row[1], row[2], row[3], int(row[4]))


def _report(row: Sequence[Any]) -> SyncReport:
    """A SyncReport from a row of ``_REPORT_COLUMNS``."""
    return SyncReport(
        report_id=int(row[0]),
        partner=row[1],
        started_us=int(row[2]),
        finished_us=int(row[3]),
        added=int(row[4]),
        duplicates=int(row[5]),
        new_versions=int(row[6]),
        rejected=int(row[7]),
        error=row[8],
        rejections=tuple(dict(item) for item in orjson.loads(row[9])),
        corrected=int(row[10]),
        equivocations=tuple(dict(item) for item in orjson.loads(row[11])),
    )


def _replace(
    conn: Connection, table: Table, key: ColumnElement[bool], values: Mapping[str, Any]
) -> bool:
    """Update the row matching ``key``, else insert ``values``; True if it inserted.

    PostgreSQL: one ``INSERT ... ON CONFLICT DO UPDATE``; the new row version's ``xmax`` is 0
    only when it was inserted, so exactly one of several racing writers is told "new".
    SQLite: the update comes first so that the transaction takes the database's write lock at
    once; writers are serialised from there.
    """
    if conn.dialect.name == "postgresql":
        # Imported here: the dialect package loads asyncio and asyncpg's adapter, which a
        # SQLite node never needs (start-up time of every command).
        from sqlalchemy.dialects import postgresql

        upsert: ReturningInsert[tuple[bool]] = (
            postgresql.insert(table)
            .values(**values)
            .on_conflict_do_update(
                index_elements=list(table.primary_key.columns), set_=dict(values)
            )
            .returning(literal_column("xmax = 0", Boolean))
        )
        return bool(conn.execute(upsert).scalar_one())
    if conn.execute(update(table).where(key).values(**values)).rowcount:
        return False
    absent = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    if conn.execute(absent).rowcount:
        return True
    conn.execute(update(table).where(key).values(**values))
    return False


class SqlPartnerStore:
    """Partners in the ``partners`` table; removing one removes its checkpoints."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, partner: PartnerRecord) -> None:
        """Store a new partner; a used ``name`` or ``org_id`` raises ``InvalidInput``."""
        if not is_partner_name(partner.name):
            raise InvalidInput(f"not a partner name (1-64 of A-Za-z0-9._-): {partner.name!r}")
        values = {column.name: getattr(partner, column.name) for column in _PARTNER_COLUMNS}
        with storage_errors(f"storing partner {partner.name}"):
            try:
                with self._engine.begin() as conn:
                    conn.execute(insert(partners).values(**values))
            except IntegrityError as exc:
                # Which one: the failed transaction is gone, so look in a fresh one.
                holder = self.by_org(partner.org_id)
                if holder is None or holder.name == partner.name:
                    raise InvalidInput(f"partner {partner.name} already exists") from exc
                raise InvalidInput(
                    f"partner {holder.name} already exists for org {partner.org_id}"
                ) from exc

    def get(self, name: str) -> PartnerRecord | None:
        """The partner with that name, or None."""
        return self._one(_P.name == name)

    def by_org(self, org_id: str) -> PartnerRecord | None:
        """The partner of that org, or None."""
        return self._one(_P.org_id == org_id)

    def _one(self, condition: ColumnElement[bool]) -> PartnerRecord | None:
        """The partner meeting ``condition`` (a unique column), or None."""
        with storage_errors("reading a partner"), self._engine.connect() as conn:
            row = conn.execute(select(*_PARTNER_COLUMNS).where(condition)).one_or_none()
        return None if row is None else _partner(row)

    def list(self) -> Sequence[PartnerRecord]:
        """Every partner, by name."""
        with storage_errors("listing partners"), self._engine.connect() as conn:
            found = [_partner(row) for row in conn.execute(select(*_PARTNER_COLUMNS))]
        return tuple(sorted(found, key=lambda p: p.name))

    def remove(self, name: str) -> bool:
        """Delete the partner and its checkpoints; False if there was no such partner."""
        with storage_errors(f"removing partner {name}"), self._engine.begin() as conn:
            # Explicitly too, not only by ON DELETE CASCADE: SQLite enforces foreign keys
            # only on connections that ask for it (https://sqlite.org/foreignkeys.html §2).
            conn.execute(delete(sync_checkpoints).where(_C.partner == name))
            removed = conn.execute(delete(partners).where(_P.name == name)).rowcount
        return bool(removed)

    def record_sync(self, name: str, *, at_us: int, received: int, error: str | None) -> None:
        """Add ``received`` to ``objects_received`` and set ``last_sync_us`` and ``last_error``.

        An unknown partner raises ``ObjectNotFound``.
        """
        stmt = (
            update(partners)
            .where(_P.name == name)
            .values(
                objects_received=_P.objects_received + received,
                last_sync_us=at_us,
                last_error=error,
            )
        )
        with storage_errors(f"recording a sync of {name}"), self._engine.begin() as conn:
            updated = conn.execute(stmt).rowcount
        if not updated:
            raise ObjectNotFound(f"no partner {name}")


class SqlAgreementStore:
    """Sharing agreements in the ``agreements`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, record: AgreementRecord) -> bool:
        """Insert the agreement or replace the one with its id; True if it was new."""
        values = {"id": record.id, "document": record.document, "added_us": record.added_us}
        with storage_errors(f"storing agreement {record.id}"), self._engine.begin() as conn:
            return _replace(conn, agreements, _A.id == record.id, values)

    def get(self, agreement_id: str) -> AgreementRecord | None:
        """The agreement with that id, or None."""
        stmt = select(_A.id, _A.document, _A.added_us).where(_A.id == agreement_id)
        with storage_errors("reading an agreement"), self._engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else AgreementRecord(row[0], row[1], int(row[2]))

    def list(self) -> Sequence[AgreementRecord]:
        """Every agreement, by id."""
        with storage_errors("listing agreements"), self._engine.connect() as conn:
            rows = conn.execute(select(_A.id, _A.document, _A.added_us)).all()
        found = [AgreementRecord(row[0], row[1], int(row[2])) for row in rows]
        return tuple(sorted(found, key=lambda a: a.id))

    def remove(self, agreement_id: str) -> bool:
        """Delete the agreement; False if there was no such agreement."""
        with storage_errors(f"removing agreement {agreement_id}"), self._engine.begin() as conn:
            removed = conn.execute(delete(agreements).where(_A.id == agreement_id)).rowcount
        return bool(removed)


class SqlCheckpointStore:
    """Sync checkpoints in the ``sync_checkpoints`` table, one per (partner, collection)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, partner: str, collection_id: str) -> Checkpoint | None:
        """The checkpoint of that partner collection, or None."""
        stmt = select(*_CHECKPOINT_COLUMNS).where(
            _C.partner == partner, _C.collection_id == collection_id
        )
        with storage_errors("reading a checkpoint"), self._engine.connect() as conn:
            row = conn.execute(stmt).one_or_none()
        return None if row is None else _checkpoint(row)

    def list(self, partner: str | None = None) -> Sequence[Checkpoint]:
        """Every checkpoint (of ``partner`` only, if given), by partner then collection id."""
        stmt = select(*_CHECKPOINT_COLUMNS)
        if partner is not None:
            stmt = stmt.where(_C.partner == partner)
        with storage_errors("listing checkpoints"), self._engine.connect() as conn:
            found = [_checkpoint(row) for row in conn.execute(stmt)]
        return tuple(sorted(found, key=lambda c: (c.partner, c.collection_id)))

    def save(self, checkpoint: Checkpoint) -> None:
        """Insert or replace the checkpoint, durably (committed on return).

        A partner that is not stored raises ``ObjectNotFound``.
        """
        values = {column.name: getattr(checkpoint, column.name) for column in _CHECKPOINT_COLUMNS}
        key = (_C.partner == checkpoint.partner) & (_C.collection_id == checkpoint.collection_id)
        with storage_errors("saving a checkpoint"):
            try:
                with self._engine.begin() as conn:
                    _replace(conn, sync_checkpoints, key, values)
                    # The foreign key already refuses an unknown partner, but SQLite checks
                    # it only on connections that ask (https://sqlite.org/foreignkeys.html
                    # §2). After the write, so that SQLite holds its write lock by now.
                    known = conn.execute(
                        select(_P.name).where(_P.name == checkpoint.partner)
                    ).one_or_none()
                    if known is None:
                        raise ObjectNotFound(f"no partner {checkpoint.partner}")
            except IntegrityError as exc:
                raise ObjectNotFound(f"no partner {checkpoint.partner}") from exc


class SqlSyncReportStore:
    """The log of sync runs in the ``sync_reports`` table; it outlives removed partners."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, report: SyncReport) -> int:
        """Store the report under a new, increasing ``report_id`` and return that id."""
        values = {
            column.name: getattr(report, column.name)
            for column in _REPORT_COLUMNS
            if column.name not in {"report_id", "rejections", "equivocations"}
        }
        values["rejections"] = orjson.dumps(list(report.rejections)).decode("utf-8")
        values["equivocations"] = orjson.dumps(list(report.equivocations)).decode("utf-8")
        with storage_errors("storing a sync report"), self._engine.begin() as conn:
            stmt = insert(sync_reports).values(**values).returning(_R.report_id)
            return int(conn.execute(stmt).scalar_one())

    def latest(self, partner: str | None = None, limit: int = 20) -> Sequence[SyncReport]:
        """The newest ``limit`` reports (of ``partner`` only, if given), newest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        stmt = select(*_REPORT_COLUMNS).order_by(_R.report_id.desc()).limit(limit)
        if partner is not None:
            stmt = stmt.where(_R.partner == partner)
        with storage_errors("reading sync reports"), self._engine.connect() as conn:
            return tuple(_report(row) for row in conn.execute(stmt))
