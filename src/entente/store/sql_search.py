"""The SearchIndex port on SQL: reads of the value index and the full-text index.

``SqlSearchIndex`` returns candidate versions in ``date_added`` order; the search service
passes each through the sharing policy. The indexes are written by ``store.search_index``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    Select,
    Table,
    TextClause,
    and_,
    bindparam,
    column,
    exists,
    literal_column,
    select,
    table,
    text,
    true,
    union,
)

from entente.store.failures import storage_errors
from entente.store.records import StoredVersion
from entente.store.schema import object_markings, object_versions
from entente.store.search_index import TEXT_TABLE, VALUE_TABLES
from entente.store.search_port import Probe, SearchFilter
from entente.store.search_values import tokens_of
from entente.store.sql import _READ_COLUMNS, _to_records

__all__ = ["SqlSearchIndex", "fts_query"]

_V = object_versions.c
_M = object_markings.c


def fts_query(words: Sequence[Sequence[str]], dialect: str) -> str:
    """The full-text query of words (each a phrase of tokens), all of which must occur.

    Tokens are runs of letters and digits (``search_values.tokens_of``), so they need no
    quoting beyond the phrase syntax: FTS5 ``"a b" AND "c"`` (https://sqlite.org/fts5.html
    §3), PostgreSQL ``a <-> b & c`` (to_tsquery, §12.3.2 of its manual).
    """
    if dialect == "postgresql":
        return " & ".join("(" + " <-> ".join(tokens) + ")" for tokens in words if tokens)
    return " AND ".join('"' + " ".join(tokens) + '"' for tokens in words if tokens)


def _probe_conditions(table: Table, probes: Sequence[Probe]) -> list[ColumnElement[bool]]:
    """One condition per range probe, and one ``key IN (...)`` per kind for the exact ones:
    an address is itself and the 32 (128) blocks that may hold it, one index walk each either
    way, but one statement instead of 33."""
    c = table.c
    exact: dict[str, list[str]] = {}
    conditions: list[ColumnElement[bool]] = []
    for probe in probes:
        if probe.low == probe.high:
            exact.setdefault(probe.kind, []).append(probe.low)
        else:
            conditions.append(and_(c.kind == probe.kind, c.key >= probe.low, c.key <= probe.high))
    for kind, keys in exact.items():
        conditions.append(and_(c.kind == kind, c.key.in_(keys)))
    return conditions


def _holding(conditions: Callable[[Table], Sequence[ColumnElement[bool]]]) -> Any:
    """The date_added_us of the versions whose value rows meet any of ``conditions``, in
    either table of the value index (the large one and its recent rows: store.search_index);
    one SELECT per condition, so that each is one index walk."""
    return union(
        *(
            select(table.c.date_added_us).where(condition)
            for table in VALUE_TABLES
            for condition in conditions(table)
        )
    ).subquery()


def _occurrences_statement(after: bool) -> Select[Any]:
    """The versions holding one value, by bound parameters ``kind``, ``key``, ``limit`` (and
    ``after``): built once, so that a page correlating many values compiles nothing per value
    (SQLAlchemy caches the compiled form of one statement object)."""
    holding = _holding(lambda t: [and_(t.c.kind == bindparam("kind"), t.c.key == bindparam("key"))])
    conditions: list[ColumnElement[bool]] = [_V.date_added_us.in_(select(holding.c.date_added_us))]
    if after:
        conditions.append(_V.date_added_us > bindparam("after"))
    return (
        select(*_READ_COLUMNS)
        .where(*conditions)
        .order_by(_V.date_added_us)
        .limit(bindparam("limit", type_=Integer))
    )


_OCCURRENCES = _occurrences_statement(after=False)
_OCCURRENCES_AFTER = _occurrences_statement(after=True)


class SqlSearchIndex:
    """The SearchIndex port over the store's engine (same database, same transactions)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def candidates(
        self, where: SearchFilter, after_us: int | None, limit: int
    ) -> list[StoredVersion]:
        """Versions matching ``where`` after ``after_us``, by date_added, at most ``limit``.

        Not yet through the policy: the search service releases each one, and reads on
        past those it may not show.
        """
        conditions: list[ColumnElement[bool] | TextClause] = []
        dialect = self._engine.dialect.name
        # On SQLite the FTS5 table drives the query when there are words: it yields rowids
        # (= date_added_us) in order and stops at the limit, where an IN list would first
        # collect every match of a common word (https://sqlite.org/fts5.html §6, rowid order).
        fts_driven: Any = None
        if where.probes:
            probes = where.probes
            hits = _holding(lambda t: _probe_conditions(t, probes))
            conditions.append(_V.date_added_us.in_(select(hits.c.date_added_us)))
        # A label narrows through the full-text index (labels are its first words, and not
        # value rows: store.search_values); the service checks the exact label after.
        phrases = [*where.words, *(tuple(tokens_of(label)) for label in where.labels)]
        phrases = [p for p in phrases if p]
        if phrases:
            query = fts_query(phrases, dialect)
            if dialect == "postgresql":
                matched = text(
                    f"SELECT date_added_us FROM {TEXT_TABLE} WHERE doc @@ to_tsquery('simple', :q)"
                ).columns(literal_column("date_added_us"))
                conditions.append(
                    _V.date_added_us.in_(select(matched.subquery().c.date_added_us).params(q=query))
                )
            else:
                fts_driven = table(TEXT_TABLE, column("rowid"))
                conditions.append(text(f"{TEXT_TABLE} MATCH :q").bindparams(q=query))
        if where.ids:
            conditions.append(_V.id.in_(where.ids))
        if where.related:
            # The object's own versions and its referrers' as one IN over date_added_us: an
            # OR of "id IN" and "date_added_us IN" is not an index walk for SQLite's planner,
            # which then reads every latest version (about 1 s at a million objects).
            related = where.related
            own = select(_V.date_added_us).where(_V.id.in_(related))
            refs = [
                select(t.c.date_added_us).where(t.c.kind == "ref", t.c.key.in_(related))
                for t in VALUE_TABLES
            ]
            conditions.append(_V.date_added_us.in_(union(own, *refs)))
        if where.types:
            conditions.append(_V.type.in_(where.types))
        if where.sources:
            conditions.append(_V.source_name.in_(where.sources))
        if where.creators:
            conditions.append(_V.created_by_ref.in_(where.creators))
        if where.markings:
            conditions.append(
                exists().where(
                    _M.marking_ref.in_(where.markings), _M.date_added_us == _V.date_added_us
                )
            )
        if where.added_after_us is not None:
            conditions.append(_V.date_added_us > where.added_after_us)
        if where.added_before_us is not None:
            conditions.append(_V.date_added_us < where.added_before_us)
        if where.modified_after is not None:
            conditions.append(_V.modified >= where.modified_after)
        if where.modified_before is not None:
            conditions.append(_V.modified <= where.modified_before)
        if where.last_only:
            conditions.append(_V.is_last == true())
        if fts_driven is not None:
            if after_us is not None:
                conditions.append(fts_driven.c.rowid > after_us)
            statement: Select[Any] = (
                select(*_READ_COLUMNS)
                .select_from(
                    fts_driven.join(object_versions, _V.date_added_us == fts_driven.c.rowid)
                )
                .where(*conditions)
                .order_by(fts_driven.c.rowid)
                .limit(limit)
            )
        else:
            if after_us is not None:
                conditions.append(_V.date_added_us > after_us)
            statement = (
                select(*_READ_COLUMNS).where(*conditions).order_by(_V.date_added_us).limit(limit)
            )
        with storage_errors("searching"), self._engine.connect() as conn:
            if phrases and dialect == "postgresql":
                # A word common to many objects ("family" in every malware name) makes the
                # planner expect thousands of matches and start a parallel worker, whose
                # start-up (3-5 ms at 10M objects) is most of a query that reads a dozen
                # pages: a search page wants its first rows at once (PostgreSQL manual
                # §15.2, "When Can Parallel Query Be Used?"). For this transaction only.
                conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
            return _to_records(conn.execute(statement))

    def occurrences(
        self, kind: str, key: str, after_us: int | None, limit: int
    ) -> list[StoredVersion]:
        """Versions in which the value ``(kind, key)`` occurs, by date_added, at most ``limit``."""
        statement = _OCCURRENCES if after_us is None else _OCCURRENCES_AFTER
        params = {"kind": kind, "key": key, "after": after_us, "limit": limit}
        with storage_errors("reading correlations"), self._engine.connect() as conn:
            return _to_records(conn.execute(statement, params))
