"""The SQL adapter of the ObjectStore port: SQLite or PostgreSQL through SQLAlchemy Core."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    LargeBinary,
    Select,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from entente.clock import Clock
from entente.errors import ConfigurationError, ObjectNotFound, StorageError
from entente.stix import GranularMarking
from entente.store.dashboard_index import CountedRow, apply_counts, last_rows_of, rows_at
from entente.store.failures import storage_errors
from entente.store.pg_copy import COPY_MIN_ROWS, copy_rows
from entente.store.records import (
    NewVersion,
    ObjectQuery,
    Page,
    Provenance,
    ReplacedVersion,
    SourceKind,
    StoredVersion,
    StoreStats,
    VersionFilter,
)
from entente.store.schema import (
    node_state,
    object_corrections,
    object_markings,
    object_versions,
)
from entente.store.search_index import delete_index, write_index
from entente.store.sql_corrections import (
    histories_of,
    history_of,
    latest_from_source,
    record_replaced,
    remove_replaced,
    withdraw,
)

__all__ = ["SqlStore", "decode_granular", "encode_granular", "open_store"]

# Bound parameters per IN list: SQLite allows 32,766 per statement, PostgreSQL 65,535;
# 500 stays far below both and keeps each statement's plan cheap.
CHUNK = 500

# How long a SQLite writer waits for another writer's lock before failing (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000

# PostgreSQL statistics are refreshed after this many versions are written, then after twice
# as many, and so on (see SqlStore._maybe_analyze).
ANALYZE_FIRST = 1_000

_log = logging.getLogger(__name__)

# Execution option that makes the SQLite "begin" listener take the write lock up front.
_WRITE = "entente_write"

_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

_V = object_versions.c
_M = object_markings.c


class _Utf8Bytes(FunctionElement[bytes]):
    """A text column read back as its UTF-8 bytes.

    The verbatim JSON is sent on as bytes (TAXII pages splice it into the envelope): asking the
    database for the bytes skips a decode into ``str`` and an encode back for every row.
    """

    type = LargeBinary()
    name = "utf8_bytes"
    inherit_cache = True


@compiles(_Utf8Bytes, "sqlite")
def _utf8_bytes_sqlite(element: _Utf8Bytes, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite: a CAST of TEXT to BLOB keeps the stored UTF-8 bytes as they are.
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


@compiles(_Utf8Bytes, "postgresql")
def _utf8_bytes_postgresql(element: _Utf8Bytes, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL: convert_to encodes the text as UTF-8 bytea (a ::bytea cast would read
    # backslashes in the JSON as escapes).
    return f"convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')"


class _Unindexed(FunctionElement[Any]):
    """A column SQLite must not look up through an index: a unary ``+`` before it.

    SQLite's planner, without statistics, answers ``id IN (...) AND is_last ORDER BY
    date_added_us LIMIT n`` by walking the (is_last, date_added_us) index in order (or the
    type index, or the date_added_us range), which avoids a sort but reads every such
    version until it has found the ids: one object's GET cost as much as a scan of the
    store. A unary ``+`` disqualifies a term from index use
    (https://sqlite.org/optoverview.html, "Disqualifying WHERE clause terms using unary-+"),
    so that a lookup by id uses the (id, version) index. PostgreSQL plans with statistics
    (``_maybe_analyze``) and gets the column as it is.
    """

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(_Unindexed)
def _unindexed_default(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


def _filter_column(column: ColumnElement[Any], by_id: bool) -> ColumnElement[Any]:
    """``column`` for a WHERE term; unindexed (``_Unindexed``) when the query selects ids."""
    return _Unindexed(column) if by_id else column


# Columns read back into a StoredVersion, in this order.
_READ_COLUMNS = (
    _V.date_added_us,
    _V.id,
    _V.type,
    _V.spec_version,
    _V.version,
    _V.created,
    _V.modified,
    _V.created_by_ref,
    _V.revoked,
    _Utf8Bytes(_V.raw_json),
    _V.source_kind,
    _V.source_name,
    _V.principal,
    _V.agreement,
    _V.marking_refs,
    _V.principal_org,
    _V.granular_markings,
    _V.is_first,
    _V.is_last,
)

# Row-flag fixes after an older or newer version arrives (few rows; compiled once, cached).
_CLEAR_FIRST = (
    update(object_versions).where(_V.date_added_us == bindparam("d")).values(is_first=False)
)
_CLEAR_LAST = (
    update(object_versions).where(_V.date_added_us == bindparam("d")).values(is_last=False)
)


def _insert_sql(table: Table, paramstyle: str) -> str:
    """A plain positional INSERT of every column of ``table``, in the driver's paramstyle.

    The bulk insert bypasses SQLAlchemy's per-row parameter processing (about half the cost
    of a row on SQLite) and hands tuples straight to the driver's ``executemany``.
    """
    marker = "?" if paramstyle == "qmark" else "%s"  # sqlite3: qmark; psycopg: %s
    names = ", ".join(column.name for column in table.columns)
    markers = ", ".join(marker for _ in table.columns)
    return f"INSERT INTO {table.name} ({names}) VALUES ({markers})"


# Column names of the tables the insert writes, in the order of its tuples.
_VERSION_COLUMNS = tuple(column.name for column in object_versions.columns)
_MARKING_COLUMNS = tuple(column.name for column in object_markings.columns)


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _records_where(*conditions: ColumnElement[bool]) -> Select[Any]:
    """Rows of the versions matching ``conditions``, in ``date_added_us`` order."""
    return select(*_READ_COLUMNS).where(*conditions).order_by(_V.date_added_us)


# ``_READ_COLUMNS`` with an empty text in place of the object (``ObjectQuery.raw``).
_META_COLUMNS = tuple(
    _Utf8Bytes(literal("")) if column is _READ_COLUMNS[9] else column for column in _READ_COLUMNS
)


def _records_of(selected: Select[Any], raw: bool = True) -> Select[Any]:
    """Rows of the versions whose ``date_added_us`` ``selected`` yields, in that order."""
    keys = selected.subquery()
    return (
        select(*(_READ_COLUMNS if raw else _META_COLUMNS))
        .join_from(object_versions, keys, keys.c.date_added_us == _V.date_added_us)
        .order_by(_V.date_added_us)
    )


def _fetch_rows(conn: Connection, statement: Select[Any]) -> list[Sequence[Any]]:
    """All rows of a read statement, fetched straight from the driver's cursor.

    Result rows are plain ints and strings that need no type processing, and for a page of a
    thousand versions SQLAlchemy's per-row Result machinery costs more than the query itself:
    the statement is executed by SQLAlchemy (so its compiled form is cached per statement
    shape, which saves compiling it on every page) and its rows read from the DBAPI cursor.
    """
    result = conn.execute(statement)
    try:
        cursor = result.cursor
        return [] if cursor is None else list(cursor.fetchall())
    finally:
        result.close()


def _to_records(rows: Iterable[Sequence[Any]]) -> list[StoredVersion]:
    """StoredVersions from rows of ``_READ_COLUMNS``.

    A page holds a handful of distinct marking lists and provenances repeated over hundreds of
    rows: each distinct one is decoded once and the (immutable) value shared.
    """
    markings: dict[str, tuple[str, ...]] = {}
    provenances: dict[tuple[Any, ...], Provenance] = {}
    records = []
    for row in rows:
        marking_json = row[14]
        marking_refs = markings.get(marking_json)
        if marking_refs is None:
            marking_refs = markings[marking_json] = tuple(orjson.loads(marking_json))
        source = (row[10], row[11], row[12], row[13], row[15])
        provenance = provenances.get(source)
        if provenance is None:
            provenance = provenances[source] = _provenance(source)
        granular = () if row[16] is None else decode_granular(row[16])
        records.append(_record(row, marking_refs, provenance, granular))
    return records


def _provenance(source: tuple[Any, ...]) -> Provenance:
    kind, name, principal, agreement, org = source
    return Provenance(
        source_kind=SourceKind(kind),
        source_name=name,
        principal=principal,
        agreement=agreement,
        org=org,
    )


def encode_granular(granular: Sequence[GranularMarking]) -> str | None:
    """The ``granular_markings`` column of a version: a JSON array, NULL when there are none."""
    if not granular:
        return None
    return orjson.dumps([[ref, list(selectors)] for ref, selectors in granular]).decode("utf-8")


def decode_granular(text: str) -> tuple[GranularMarking, ...]:
    """The granular markings ``encode_granular`` wrote."""
    return tuple((str(ref), tuple(selectors)) for ref, selectors in orjson.loads(text))


def _record(
    row: Sequence[Any],
    marking_refs: tuple[str, ...],
    provenance: Provenance,
    granular: tuple[GranularMarking, ...],
) -> StoredVersion:
    """One StoredVersion from a row of ``_READ_COLUMNS`` and its decoded markings and provenance."""
    return StoredVersion(
        id=row[1],
        type=row[2],
        spec_version=row[3],
        version=row[4],
        created=row[5],
        modified=row[6],
        created_by_ref=row[7],
        revoked=bool(row[8]),
        marking_refs=marking_refs,
        raw_json=bytes(row[9]),
        date_added_us=row[0],
        provenance=provenance,
        granular_markings=granular,
        is_first=bool(row[17]),
        is_last=bool(row[18]),
    )


# The columns the sharing policy reads of a version besides its id and type (which all
# versions of an object share): see ``ObjectQuery.policy_variants``.
_POLICY_COLUMNS = (
    "created_by_ref",
    "marking_refs",
    "source_kind",
    "principal",
    "agreement",
    "principal_org",
)


def _policy_variant(flag: Any) -> ColumnElement[bool]:
    """Rows whose policy facts differ from those of their object's ``flag`` (first/last) row.

    Granular markings are compared by presence: what a reader may see of an object carrying
    them depends on its content, so every version of such an object is a candidate.
    """
    edge = object_versions.alias("edge")
    differs = [
        getattr(edge.c, name).is_distinct_from(getattr(_V, name)) for name in _POLICY_COLUMNS
    ]
    differs.append(edge.c.granular_markings.is_not(None))
    differs.append(_V.granular_markings.is_not(None))
    # The flag unindexed (unary +), so that SQLite finds the edge row through the (id,
    # version) index rather than by walking every first or last row.
    return (
        select(edge.c.date_added_us)
        .where(edge.c.id == _V.id, _Unindexed(getattr(edge.c, flag)) == true(), or_(*differs))
        .exists()
    )


# Built once: SQLAlchemy constructs are immutable, and building these costs more than a query.
_FIRST_VARIANT = _policy_variant("is_first")
_LAST_VARIANT = _policy_variant("is_last")


def _single_flag(versions: Sequence[str]) -> str | None:
    """``"first"`` or ``"last"`` when ``versions`` selects exactly that, else ``None``."""
    wanted = set(versions) if versions else {VersionFilter.LAST.value}
    if wanted == {VersionFilter.FIRST.value}:
        return "first"
    if wanted == {VersionFilter.LAST.value}:
        return "last"
    return None


def _keys(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The ``date_added_us`` of the versions matching ``conditions``, in that order."""
    return select(_V.date_added_us).where(and_(true(), *conditions)).order_by(_V.date_added_us)


# Types of one query read as separate arms (``SqlObjectStore.query``); more go as one IN.
_TYPE_ARMS = 16


def _arm(condition: ColumnElement[bool] | None) -> tuple[ColumnElement[bool], ...]:
    return () if condition is None else (condition,)


def _merged(arms: Sequence[Select[Any]], limit: int) -> Select[Any]:
    """The first ``limit`` keys of several ordered, limited key queries, in date_added order.

    Each arm is a subquery: SQLite takes no ORDER BY or LIMIT on a compound's arms.
    """
    subqueries = [arm.subquery() for arm in arms]
    both = union_all(*(select(sub.c.date_added_us) for sub in subqueries)).subquery()
    return select(both.c.date_added_us).order_by(both.c.date_added_us).limit(limit)


def _version_condition(
    versions: Sequence[str], policy_variants: bool = False, *, by_id: bool = False
) -> ColumnElement[bool] | None:
    """The SQL form of ``ObjectQuery.versions`` (OR-ed), or None when it selects all.

    An empty selection means the TAXII 2.1 §3.4.3 default, ``last``. ``by_id``: the query
    also selects ids, whose index must be the one used (see ``_Unindexed``).
    """
    wanted = set(versions) if versions else {VersionFilter.LAST.value}
    if VersionFilter.ALL.value in wanted:
        return None
    terms: list[ColumnElement[bool]] = []
    if VersionFilter.FIRST.value in wanted:
        terms.append(_filter_column(_V.is_first, by_id) == true())
        if policy_variants:
            terms.append(_FIRST_VARIANT)
    if VersionFilter.LAST.value in wanted:
        terms.append(_filter_column(_V.is_last, by_id) == true())
        if policy_variants:
            terms.append(_LAST_VARIANT)
    exact = sorted(wanted - {VersionFilter.FIRST.value, VersionFilter.LAST.value})
    if exact:
        terms.append(_V.version.in_(exact))
    return or_(*terms)


# The (version key, date_added_us) of an id's first and last stored versions.
_Bounds = tuple[tuple[str, int], tuple[str, int]]


def _counted(row: tuple[Any, ...], new: NewVersion) -> CountedRow:
    """What the dashboard counters need of a row of ``object_versions`` being written."""
    content = None
    if new.type == "sighting":  # only sightings are read (their sighting_of_ref and count)
        content = new.content if new.content is not None else row[11]
    return CountedRow(
        date_added_us=row[0],
        type=row[2],
        created_by_ref=row[7],
        marking_refs=row[16],
        granular_markings=row[18],
        source_kind=row[12],
        source_name=row[13],
        principal=row[14],
        agreement=row[15],
        principal_org=row[17],
        content=content,
    )


class SqlTransaction:
    """A StoreTransaction bound to one database transaction on one connection."""

    def __init__(self, conn: Connection, clock: Clock, copy_min_rows: int = COPY_MIN_ROWS) -> None:
        self._conn = conn
        self._clock = clock
        # PostgreSQL: batches of at least this many versions are written with COPY
        # (store.pg_copy), the same rows as the INSERTs write.
        self._copy = conn.dialect.name == "postgresql"
        self._copy_min_rows = copy_min_rows
        self._open = True
        # Whether this transaction holds the writers' lock: SQLite takes it at BEGIN
        # IMMEDIATE, PostgreSQL at the first insert (node_state FOR UPDATE). While it is
        # held no other writer can add versions, so what this transaction has read about
        # an id stays true: ``_bounds`` caches it (None: no version stored) and saves the
        # insert a lookup of ids that versions_of has just read. It holds only what the
        # latest versions_of or insert saw, so that memory stays bounded by the batch size
        # however large the transaction (a 1 GB bundle is one transaction); anything else
        # is read again from the database, which sees this transaction's own writes.
        self._locked = conn.dialect.name == "sqlite"
        self._last_us: int | None = None  # node_state.last_date_added_us, once locked
        self._bounds: dict[str, _Bounds | None] = {}
        self.inserted = 0  # versions written so far

    def _check_open(self) -> None:
        if not self._open:
            raise StorageError("the transaction is over; open a new one with transaction()")

    def versions_of(self, ids: Sequence[str]) -> dict[str, list[StoredVersion]]:
        """All stored versions of each id (ids with none are absent), oldest version first."""
        self._check_open()
        unique = list(dict.fromkeys(ids))
        found: dict[str, list[StoredVersion]] = {}
        with storage_errors("reading stored versions"):
            for chunk in _chunks(self._existing(unique)):
                stmt = _records_where(_V.id.in_(chunk))
                for record in _to_records(self._conn.execute(stmt)):
                    found.setdefault(record.id, []).append(record)
        for records in found.values():
            records.sort(key=lambda r: r.version)
        if self._locked:
            self._bounds = {}
            for oid in unique:
                held = found.get(oid)
                self._bounds[oid] = (
                    (
                        (held[0].version, held[0].date_added_us),
                        (held[-1].version, held[-1].date_added_us),
                    )
                    if held
                    else None
                )
        return found

    def _existing(self, ids: Sequence[str]) -> list[str]:
        """Those of ``ids`` that have a stored version.

        Ingest asks about every incoming id and most are new, so this probe is a plain
        driver-level ``IN`` over the (id, version) index; SQLAlchemy's per-parameter
        processing cost more than the lookup itself (bench/ingest.py).
        """
        marker = "?" if self._conn.dialect.paramstyle == "qmark" else "%s"
        present: list[str] = []
        for chunk in _chunks(ids):
            sql = (
                f"SELECT DISTINCT id FROM {object_versions.name} "
                f"WHERE id IN ({', '.join(marker for _ in chunk)})"
            )
            present.extend(row[0] for row in self._conn.exec_driver_sql(sql, tuple(chunk)))
        return present

    def insert(self, versions: Sequence[tuple[NewVersion, Provenance]]) -> list[StoredVersion]:
        """Write new versions; each gets a ``date_added`` strictly greater than any before.

        All of them or none are written. A clash on ``(id, version)``, within the batch or
        with a stored version, raises StorageError.
        """
        self._check_open()
        if not versions:
            return []
        by_id: dict[str, list[str]] = {}
        for new, _ in versions:
            keys = by_id.setdefault(new.id, [])
            if new.version in keys:
                raise StorageError(
                    f"cannot store {new.id} version {new.version!r} twice in one insert"
                )
            keys.append(new.version)
        try:
            texts = [new.raw_json.decode("utf-8") for new, _ in versions]
        except UnicodeDecodeError as exc:
            # RFC 8259 §8.1: JSON exchanged between systems is UTF-8.
            raise StorageError(f"raw_json is not UTF-8: {exc}") from exc
        try:
            # A savepoint makes one insert atomic on its own: SQLite keeps the rows of an
            # executemany written before a failing one, and PostgreSQL would otherwise
            # refuse every later statement of the transaction. Rolling back to it also
            # drops a lock taken inside it, hence the state is only kept on success.
            with self._conn.begin_nested():
                stored, last_us, bounds = self._write(versions, texts, by_id)
        except IntegrityError as exc:
            raise StorageError(
                f"cannot store versions: an (id, version) pair is already stored ({exc.orig})"
            ) from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"storing versions failed: {exc}") from exc
        self._locked = True
        self._last_us = last_us
        self._bounds = dict(bounds)
        self.inserted += len(stored)
        return stored

    def replaced_of(self, ids: Sequence[str]) -> dict[str, list[StoredVersion]]:
        """What corrections replaced of each of ``ids``; see the port."""
        self._check_open()
        with storage_errors("reading corrections"):
            found = histories_of(self._conn, ids)
        return {oid: [item.version for item in items] for oid, items in found.items()}

    def latest_from_source(self, source_name: str) -> list[str]:
        """The ids whose latest version's provenance names ``source_name``."""
        self._check_open()
        with storage_errors("reading versions by source"):
            return latest_from_source(self._conn, source_name)

    def withdraw(self, ids: Sequence[str]) -> int:
        """Move every version of these objects to history as withdrawn; see the port."""
        self._check_open()
        if not ids:
            return 0
        try:
            with self._conn.begin_nested():
                count = withdraw(self._conn, ids, self._clock.now_us())
        except SQLAlchemyError as exc:
            raise StorageError(f"withdrawing objects failed: {exc}") from exc
        for oid in ids:
            self._bounds.pop(oid, None)
        return count

    def correct(
        self, corrections: Sequence[tuple[NewVersion, Provenance, str]]
    ) -> list[StoredVersion]:
        """Replace stored versions by their creator's corrections; see the port."""
        self._check_open()
        stored: list[StoredVersion] = []
        group: list[tuple[NewVersion, Provenance, str]] = []
        keys: set[tuple[str, str]] = set()
        for item in corrections:
            key = (item[0].id, item[0].version)
            if key in keys:  # corrected twice in one call: the second replaces the first
                stored.extend(self._correct_group(group))
                group, keys = [], set()
            group.append(item)
            keys.add(key)
        if group:
            stored.extend(self._correct_group(group))
        return stored

    def _correct_group(
        self, group: Sequence[tuple[NewVersion, Provenance, str]]
    ) -> list[StoredVersion]:
        """Correct versions with distinct (id, version) keys."""
        try:
            with self._conn.begin_nested():
                removed = remove_replaced(self._conn, [(n.id, n.version) for n, _, _ in group])
        except SQLAlchemyError as exc:
            raise StorageError(f"correcting versions failed: {exc}") from exc
        for new, _, _ in group:
            # The flags were set again in the database; the insert reads them there.
            self._bounds.pop(new.id, None)
        replacements = self.insert([(new, prov) for new, prov, _ in group])
        try:
            with self._conn.begin_nested():
                record_replaced(
                    self._conn,
                    removed,
                    replacements,
                    [kind for _, _, kind in group],
                    self._clock.now_us(),
                )
        except SQLAlchemyError as exc:
            raise StorageError(f"recording corrected versions failed: {exc}") from exc
        return replacements

    def _stored_bounds(self, ids: Sequence[str]) -> dict[str, _Bounds | None]:
        """First and last stored versions of ``ids``, from the cache or the database."""
        known = self._bounds if self._locked else {}
        out = {oid: known[oid] for oid in ids if oid in known}
        missing = [oid for oid in ids if oid not in out]
        firsts: dict[str, tuple[str, int]] = {}
        lasts: dict[str, tuple[str, int]] = {}
        for chunk in _chunks(missing):
            # At most two rows per id, through the flag columns kept on every insert.
            rows = self._conn.execute(
                select(_V.id, _V.version, _V.date_added_us, _V.is_first, _V.is_last).where(
                    _V.id.in_(chunk), or_(_V.is_first == true(), _V.is_last == true())
                )
            )
            for oid, version, added, is_first, is_last in rows:
                if is_first:
                    firsts[oid] = (version, added)
                if is_last:
                    lasts[oid] = (version, added)
        for oid in missing:
            out[oid] = (firsts[oid], lasts[oid]) if oid in firsts and oid in lasts else None
        return out

    def _write(
        self,
        versions: Sequence[tuple[NewVersion, Provenance]],
        texts: list[str],
        by_id: dict[str, list[str]],
    ) -> tuple[list[StoredVersion], int, dict[str, _Bounds]]:
        """Assign date_added, write rows and markings, fix first/last flags."""
        conn = self._conn
        if self._last_us is None:
            # PostgreSQL: the row lock, held until commit, serialises writers so that
            # date_added order is commit order and a reader's cursor never skips a row
            # committed later with a smaller date_added. (SQLite holds the write lock since
            # BEGIN IMMEDIATE; FOR UPDATE is not rendered there.)
            last = conn.execute(
                select(node_state.c.last_date_added_us)
                .where(node_state.c.id == 1)
                .with_for_update()
            ).scalar_one()
        else:
            last = self._last_us
        # TAXII 2.1 §3.2 date_added: strictly increasing even if the clock goes backwards.
        first_us = max(self._clock.now_us(), last + 1)
        # The first and last version of each id within this batch, with their date_added.
        lows: dict[str, tuple[str, int]] = {}
        highs: dict[str, tuple[str, int]] = {}
        added_us = first_us
        for new, _ in versions:
            entry = (new.version, added_us)
            low = lows.get(new.id)
            if low is None:
                lows[new.id] = highs[new.id] = entry
            elif new.version < low[0]:
                lows[new.id] = entry
            elif new.version > highs[new.id][0]:
                highs[new.id] = entry
            added_us += 1

        # The first and last version of each id once this batch is in; the flags of the
        # stored rows that stop being first or last are cleared (STIX 2.1 §3.6: versions
        # may arrive in any order, so an older one may come after a newer one).
        stored_bounds = self._stored_bounds(list(by_id))
        bounds: dict[str, _Bounds] = {}
        clear_first: list[dict[str, int]] = []
        clear_last: list[dict[str, int]] = []
        for oid in by_id:
            first, last_version = lows[oid], highs[oid]
            current = stored_bounds[oid]
            if current is not None:
                (old_first, old_last) = current
                if old_first[0] < first[0]:
                    first = old_first
                else:
                    clear_first.append({"d": old_first[1]})
                if old_last[0] > last_version[0]:
                    last_version = old_last
                else:
                    clear_last.append({"d": old_last[1]})
            bounds[oid] = (first, last_version)

        # Tuples in the column order of schema.object_versions / object_markings.
        rows_out: list[tuple[Any, ...]] = []
        marking_rows: list[tuple[str, int]] = []
        stored: list[StoredVersion] = []
        added_us = first_us
        kinds: dict[SourceKind, str] = {}  # enum .value is a property: once per kind
        for (new, prov), raw_text in zip(versions, texts, strict=True):
            first, last_version = bounds[new.id]
            kind = kinds.get(prov.source_kind)
            if kind is None:
                kind = kinds[prov.source_kind] = prov.source_kind.value
            rows_out.append(
                (
                    added_us,
                    new.id,
                    new.type,
                    new.spec_version,
                    new.version,
                    new.created,
                    new.modified,
                    new.created_by_ref,
                    new.revoked,
                    added_us == first[1],
                    added_us == last_version[1],
                    raw_text,
                    kind,
                    prov.source_name,
                    prov.principal,
                    prov.agreement,
                    orjson.dumps(new.marking_refs).decode("utf-8"),
                    prov.org,
                    encode_granular(new.granular_markings),
                )
            )
            refs = new.marking_refs
            if len(refs) == 1:
                marking_rows.append((refs[0], added_us))
            elif refs:
                # A ref listed twice in one object is one index entry.
                for ref in dict.fromkeys(refs):
                    marking_rows.append((ref, added_us))
            stored.append(
                StoredVersion(
                    id=new.id,
                    type=new.type,
                    spec_version=new.spec_version,
                    version=new.version,
                    created=new.created,
                    modified=new.modified,
                    created_by_ref=new.created_by_ref,
                    revoked=new.revoked,
                    marking_refs=tuple(refs),
                    raw_json=new.raw_json,
                    date_added_us=added_us,
                    provenance=prov,
                    granular_markings=new.granular_markings,
                    is_first=added_us == first[1],
                    is_last=added_us == last_version[1],
                )
            )
            added_us += 1
        last_us = added_us - 1

        # The dashboard counters (migration 0010) move each object whose latest version
        # changes from the old latest version's cell to the new one's, in this transaction.
        apply_counts(
            conn,
            (
                _counted(row, new)
                for row, (new, _) in zip(rows_out, versions, strict=True)
                if row[10]  # is_last
            ),
            rows_at(conn, [entry["d"] for entry in clear_last]) if clear_last else (),
        )
        if clear_first:
            conn.execute(_CLEAR_FIRST, clear_first)
        if clear_last:
            conn.execute(_CLEAR_LAST, clear_last)
        paramstyle = conn.dialect.paramstyle
        copy = self._copy and len(rows_out) >= self._copy_min_rows
        if copy:
            copy_rows(conn, object_versions.name, _VERSION_COLUMNS, rows_out)
            if marking_rows:
                copy_rows(conn, object_markings.name, _MARKING_COLUMNS, marking_rows)
        else:
            conn.exec_driver_sql(_insert_sql(object_versions, paramstyle), rows_out)
            if marking_rows:
                conn.exec_driver_sql(_insert_sql(object_markings, paramstyle), marking_rows)
        # The search indexes (migration 0007) commit or roll back with the versions.
        write_index(
            conn,
            (
                (row[0], new.content if new.content is not None else row[11])
                for row, (new, _) in zip(rows_out, versions, strict=True)
            ),
            copy=copy,
        )
        conn.execute(
            update(node_state).where(node_state.c.id == 1).values(last_date_added_us=last_us)
        )
        return stored, last_us, bounds


class SqlStore:
    """The ObjectStore port over SQLite or PostgreSQL (SQLAlchemy Core, no ORM)."""

    def __init__(self, engine: Engine, clock: Clock, *, copy_min_rows: int = COPY_MIN_ROWS) -> None:
        self._engine = engine
        self._clock = clock
        # PostgreSQL: the size from which an insert batch is written with COPY.
        self._copy_min_rows = copy_min_rows
        # Versions still to be written before the next ANALYZE, and the next step.
        self._analyze_step = ANALYZE_FIRST
        self._analyze_after = ANALYZE_FIRST

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for migrations, diagnostics and tests)."""
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        """Open a unit of work; it commits on normal exit and rolls back on an exception."""
        with storage_errors("opening a transaction"):
            conn = self._engine.connect().execution_options(**{_WRITE: True})
        try:
            with storage_errors("opening a transaction"):
                trans = conn.begin()
            tx = SqlTransaction(conn, self._clock, self._copy_min_rows)
            try:
                yield tx
            except BaseException:
                tx._open = False
                try:
                    trans.rollback()
                except SQLAlchemyError as exc:
                    # The caller's exception is the one that matters; a connection that
                    # cannot even roll back is discarded by the pool.
                    _log.warning("rollback failed: %s", exc)
                raise
            tx._open = False
            with storage_errors("committing"):
                trans.commit()
        finally:
            conn.close()
        if self._engine.dialect.name == "postgresql":
            self._maybe_analyze(tx.inserted)

    def _maybe_analyze(self, inserted: int) -> None:
        """Refresh PostgreSQL's statistics after the first 1k, 2k, 4k... versions written.

        A freshly bulk-loaded table has no statistics until autovacuum gets to it (a minute
        or more), and without them the planner scans the whole table for every ``id IN
        (...)`` lookup instead of using the (id, version) index; ingest then slows down
        quadratically. Doubling the threshold bounds the cost to a few ANALYZEs.
        """
        self._analyze_after -= inserted
        if inserted == 0 or self._analyze_after > 0:
            return
        try:
            with self._engine.connect() as conn:
                conn.execute(text("ANALYZE object_versions, object_markings"))
                conn.commit()
        except SQLAlchemyError as exc:
            # Only a planner hint: the data is committed already, so do not fail the caller.
            _log.warning("ANALYZE after bulk insert failed: %s", exc)
        self._analyze_step *= 2
        self._analyze_after = self._analyze_step

    def get_versions(
        self, object_id: str, versions: Sequence[str] = ("all",)
    ) -> list[StoredVersion]:
        """Versions of one object selected as in ``ObjectQuery.versions``, oldest first.

        Raises ObjectNotFound when nothing matches (no such object, or no such version).
        """
        conditions = [_V.id == object_id]
        condition = _version_condition(versions, by_id=True)
        if condition is not None:
            conditions.append(condition)
        with storage_errors("reading versions"), self._engine.connect() as conn:
            records = _to_records(_fetch_rows(conn, _records_where(*conditions)))
        if not records:
            raise ObjectNotFound(f"no stored version of {object_id} matches {list(versions)}")
        records.sort(key=lambda r: r.version)
        return records

    def query(self, query: ObjectQuery) -> Page:
        """One page of versions matching ``query``, ordered by ``date_added``."""
        if query.limit < 1:
            raise ValueError(f"query limit must be at least 1, not {query.limit}")
        conditions: list[ColumnElement[bool]] = []
        # A lookup by id goes through the (id, version) index whatever else it filters on.
        by_id = bool(query.ids)
        types = sorted(set(query.types))
        # Several types are read one arm each, merged in date_added order: with "type IN
        # (...)" SQLite walks the (flag, date_added) index to skip the sort and reads every
        # row of other types (a second for three rare types among a million objects).
        arms: list[ColumnElement[bool] | None] = [None]
        if types and (by_id or len(types) == 1 or len(types) > _TYPE_ARMS):
            conditions.append(_filter_column(_V.type, by_id).in_(types))
        elif types:
            arms = [_V.type == name for name in types]
        if query.ids:
            conditions.append(_V.id.in_(sorted(set(query.ids))))
        if query.spec_versions:
            conditions.append(_V.spec_version.in_(sorted(set(query.spec_versions))))
        added = _filter_column(_V.date_added_us, by_id)
        if query.added_after_us is not None:
            # TAXII 2.1 §3.4.2 added_after: strictly later than the given instant.
            conditions.append(added > query.added_after_us)
        if query.after_cursor is not None:
            conditions.append(added > query.after_cursor)
        # One more than asked tells whether another page follows.
        limit = query.limit + 1
        flag = _single_flag(query.versions) if query.policy_variants and not by_id else None
        if flag is not None:
            # The flagged rows through the (type, flag, date_added) or (flag, date_added)
            # index, and beside them the few policy variants; merged in date_added order.
            # One OR of both would keep SQLite from either index and sort every row.
            column, variant = (
                (_V.is_first, _FIRST_VARIANT)
                if flag == "first"
                else (
                    _V.is_last,
                    _LAST_VARIANT,
                )
            )
            keys = _merged(
                [
                    _keys(*conditions, *_arm(arm), *extra).limit(limit)
                    for arm in arms
                    for extra in ((column == true(),), (column == false(), variant))
                ],
                limit,
            )
        else:
            version_condition = _version_condition(
                query.versions, query.policy_variants, by_id=by_id
            )
            if version_condition is not None:
                conditions.append(version_condition)
            # Every version of some types (TAXII 2.1 §3.4.3 match[version]=all with
            # match[type]): the (type, is_last, date_added_us) index holds them in two ranges
            # per type, each in date_added order; read as one, the scan would go through every
            # row of the type to find those after added_after, or sort them (issue 16: a
            # type's rows are a large share of 10M). One arm per range, merged.
            splits: tuple[tuple[ColumnElement[bool], ...], ...] = ((),)
            if version_condition is None and types and not by_id and len(types) <= _TYPE_ARMS:
                splits = ((_V.is_last == true(),), (_V.is_last == false(),))
            if len(arms) == 1 and len(splits) == 1:
                keys = _keys(*conditions, *_arm(arms[0])).limit(limit)
            else:
                keys = _merged(
                    [
                        _keys(*conditions, *_arm(a), *split).limit(limit)
                        for a in arms
                        for split in splits
                    ],
                    limit,
                )
        with storage_errors("querying versions"), self._engine.connect() as conn:
            records = _to_records(_fetch_rows(conn, _records_of(keys, query.raw)))
        if len(records) > query.limit:
            items = records[: query.limit]
            return Page(items=tuple(items), next_cursor=items[-1].date_added_us)
        return Page(items=tuple(records), next_cursor=None)

    def iter_all(self, query: ObjectQuery) -> Iterator[StoredVersion]:
        """Every version matching ``query``, page after page."""
        cursor = query.after_cursor
        while True:
            page = self.query(_replace_cursor(query, cursor))
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def history(self, object_id: str) -> list[ReplacedVersion]:
        """The versions of ``object_id`` that corrections replaced, oldest first."""
        with storage_errors("reading corrections"), self._engine.connect() as conn:
            return history_of(conn, object_id)

    def delete_versions(self, object_id: str, version_keys: Sequence[str]) -> int:
        """Delete the versions of ``object_id`` with these version keys; return how many."""
        keys = sorted(set(version_keys))
        if not keys:
            return 0
        with storage_errors("deleting versions"):
            conn = self._engine.connect().execution_options(**{_WRITE: True})
            try:
                with conn.begin():
                    deleted = self._delete_rows(conn, object_id, keys)
            finally:
                conn.close()
        return deleted

    @staticmethod
    def _delete_rows(conn: Connection, object_id: str, keys: Sequence[str]) -> int:
        """Delete rows and their marking-index rows, then fix the first/last flags."""
        rows = conn.execute(
            select(_V.date_added_us, _V.marking_refs).where(
                _V.id == object_id, _V.version.in_(keys)
            )
        ).all()
        if not rows:
            return 0
        # The marking index is keyed (marking_ref, date_added_us); the row's own
        # marking_refs says which of its entries exist.
        marking_keys = [
            {"r": ref, "d": row[0]} for row in rows for ref in dict.fromkeys(orjson.loads(row[1]))
        ]
        if marking_keys:
            conn.execute(
                delete(object_markings).where(
                    _M.marking_ref == bindparam("r"), _M.date_added_us == bindparam("d")
                ),
                marking_keys,
            )
        # What corrections replaced of these versions goes with them.
        conn.execute(
            delete(object_corrections).where(
                object_corrections.c.id == object_id, object_corrections.c.version.in_(keys)
            )
        )
        gone = [row[0] for row in rows]
        delete_index(conn, gone)
        # The dashboard counters: the object leaves its latest version's cell and, if
        # versions remain, enters the cell of the one that is latest now.
        counted = last_rows_of(conn, [object_id])
        for chunk in range(0, len(gone), CHUNK):
            conn.execute(
                delete(object_versions).where(_V.date_added_us.in_(gone[chunk : chunk + CHUNK]))
            )
        remaining = conn.execute(
            select(_V.date_added_us, _V.version).where(_V.id == object_id)
        ).all()
        if remaining:
            first = min(remaining, key=lambda r: r[1])[0]
            last = max(remaining, key=lambda r: r[1])[0]
            conn.execute(
                update(object_versions)
                .where(_V.id == object_id)
                .values(
                    is_first=_V.date_added_us == first,
                    is_last=_V.date_added_us == last,
                )
            )
        apply_counts(conn, last_rows_of(conn, [object_id]), counted)
        return len(rows)

    def stats(self) -> StoreStats:
        """Counts of objects (distinct ids), versions (rows) and objects per type."""
        with storage_errors("counting"), self._engine.connect() as conn:
            objects, count = conn.execute(select(func.count(_V.id.distinct()), func.count())).one()
            by_type = {
                row[0]: int(row[1])
                for row in conn.execute(
                    select(_V.type, func.count(_V.id.distinct())).group_by(_V.type)
                )
            }
        return StoreStats(objects=int(objects), versions=int(count), by_type=by_type)

    def close(self) -> None:
        """Release connections."""
        self._engine.dispose()


def _replace_cursor(query: ObjectQuery, cursor: int | None) -> ObjectQuery:
    """The same query continuing after ``cursor``."""
    return ObjectQuery(
        types=query.types,
        ids=query.ids,
        versions=query.versions,
        spec_versions=query.spec_versions,
        added_after_us=query.added_after_us,
        after_cursor=cursor,
        limit=query.limit,
        policy_variants=query.policy_variants,
        raw=query.raw,
    )


def _create_private(path: Path) -> None:
    """Create an empty database file with mode 0600 unless one is there (issue 11 §5).

    The database holds token hashes and the tokens partners issued to this node, and SQLite
    would create it with the umask's mode (0644: readable by every local user). It opens an
    empty file as an empty database and gives its -wal and -shm files the database file's
    mode, so creating the file first, private, keeps all three private. An existing file
    keeps the mode its owner gave it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise ConfigurationError(f"cannot create the database {path}: {exc}") from exc
    os.close(fd)


def _sqlite_engine(url: str) -> Engine:
    """A SQLite engine with WAL, full fsync, foreign keys and real transactions."""
    parsed = make_url(url)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"cannot create the directory of {database}: {exc}") from exc
        _create_private(path)
    engine = create_engine(parsed)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # pysqlite's own transaction handling defers BEGIN until the first write, so reads
        # would escape the transaction; take control of BEGIN instead (SQLAlchemy docs,
        # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # WAL lets readers proceed during a write; FULL makes each commit durable on power
        # loss in WAL mode too (NORMAL may lose the last commits).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # 64 MiB page cache: the default 2 MiB thrashes on the id and type indexes.
        cursor.execute("PRAGMA cache_size=-65536")
        # Checkpoint every ~40 MiB of WAL rather than 4 MiB: each checkpoint fsyncs the
        # database file, and bulk ingest otherwise spends a third of its time there.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front so that reading node_state and writing after
        # it cannot interleave with another writer (nor fail to upgrade a read lock).
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgresql_engine(url: str, schema: str | None) -> Engine:
    """A PostgreSQL engine on psycopg 3, optionally confined to one schema."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if schema is not None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ConfigurationError(f"not a plain SQL identifier: schema {schema!r}")
        connect_args["options"] = f"-csearch_path={schema}"
    engine = create_engine(parsed, connect_args=connect_args)
    if schema is not None:
        with storage_errors(f"creating schema {schema}"), engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine


# The newest migration in ``migrations/versions`` (a test checks it is Alembic's head). A store
# already there is opened without loading Alembic, which costs a second of start-up for
# every command.
HEAD_REVISION = "0014"


def _at_head(engine: Engine) -> bool:
    """Whether the database is already at ``HEAD_REVISION``."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        revisions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return list(revisions) == [HEAD_REVISION]


def _migrate(engine: Engine) -> None:
    """Upgrade the database to the newest schema (Alembic, scripts inside the package)."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    # Package resource notation: works wherever the package is installed, no alembic.ini.
    config.set_main_option("script_location", "entente.store:migrations")
    with engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            # Two processes opening the same database at once migrate one after the other.
            conn.execute(text("SELECT pg_advisory_xact_lock(7243610919)"))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_store(
    url: str, clock: Clock, *, schema: str | None = None, copy_min_rows: int = COPY_MIN_ROWS
) -> SqlStore:
    """Open (creating and migrating as needed) the store at a SQLAlchemy ``url``.

    ``sqlite:///path/to/file.db`` creates missing parent directories;
    ``postgresql+psycopg://user@host/db`` (or ``postgresql://``) uses psycopg 3. ``schema``
    (PostgreSQL only) confines the store to that schema, created if missing, through the
    connection's ``search_path``. ``copy_min_rows`` (PostgreSQL only): insert batches of at
    least this many versions are written with ``COPY`` (``store.pg_copy``).
    """
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise ConfigurationError(f"not a database URL: {url!r}") from exc
    if backend == "sqlite":
        if schema is not None:
            raise ConfigurationError("schema= applies to PostgreSQL only")
        engine = _sqlite_engine(url)
    elif backend == "postgresql":
        engine = _postgresql_engine(url, schema)
    else:
        raise ConfigurationError(f"unsupported database {backend!r}: use sqlite or postgresql")
    try:
        with storage_errors("migrating the store"):
            _migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine, clock, copy_min_rows=copy_min_rows)
