"""Writes of the dashboard's counters, inside the object store's own write transactions.

The dashboard (issue 13) shows objects per month and type, intel received per source, the
TLP mix and the most sighted indicators. Counting those over a million stored versions per
request costs seconds, so ``store.sql`` keeps counters beside the versions, in the same
transaction (a rolled-back insert leaves no count behind), as ``store.search_index`` keeps
the search indexes; migration 0010 calls ``apply_counts`` to backfill them.

What is counted: each object once, by its latest version (``is_last``, the version TAXII 2.1
§3.4.3 serves by default), in the month (YYYY-MM, UTC) of that version's ``date_added``. A
new version moves its object from the old latest version's cell to its own; deleting or
correcting versions moves it back or takes it out. Sightings also add their ``count``
(STIX 2.1 §5.7; absent means seen once) to the object they are a sighting of.

Why cells: the counters hold every object of the node, but a reader may only be shown what
the sharing policy lets it see. The policy's answer for a version depends only on its type,
creator, markings, granular markings and provenance (``services.visibility.Visibility``
memoises on exactly those), so each counter is kept per **cell**, one combination of those
facts (``schema.dashboard_cells``): a reader's figure is the sum of the cells the policy lets
it see, and equals a recount of the objects it may see (the dashboard service's property
test checks this against the policy oracle). A cell's key is a hash of its facts, which can
be longer than a B-tree key may be.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, case, select, true

from entente.store.schema import (
    dashboard_cells,
    dashboard_counts,
    dashboard_hit_totals,
    dashboard_hits,
    object_versions,
)

__all__ = [
    "CountedRow",
    "apply_counts",
    "cell_of",
    "last_rows_of",
    "month_of",
    "rows_at",
    "sighting_target",
]

_V = object_versions.c

# Per IN list, as in store.sql.
_CHUNK = 500

_DAY_US = 86_400_000_000

# STIX 2.1 §5.7: count is at most 999,999,999; anything else in a stored sighting (it was
# validated, but be safe with history) counts as seen once.
_MAX_COUNT = 999_999_999


class CountedRow(NamedTuple):
    """What the counters need of one stored version (its cell facts, month and content)."""

    date_added_us: int
    type: str
    created_by_ref: str | None
    marking_refs: str  # the stored JSON array
    granular_markings: str | None
    source_kind: str
    source_name: str
    principal: str
    agreement: str | None
    principal_org: str | None
    # The object (raw JSON text or parsed); only read for sightings, ``None`` otherwise.
    content: str | Mapping[str, Any] | None


# The columns of a CountedRow, in order; the JSON only for sightings.
_COLUMNS = (
    _V.date_added_us,
    _V.type,
    _V.created_by_ref,
    _V.marking_refs,
    _V.granular_markings,
    _V.source_kind,
    _V.source_name,
    _V.principal,
    _V.agreement,
    _V.principal_org,
    case((_V.type == "sighting", _V.raw_json), else_=None),
)


def month_of(date_added_us: int) -> str:
    """The month (``YYYY-MM``, UTC) of a ``date_added`` in epoch microseconds."""
    return datetime.fromtimestamp(date_added_us / 1_000_000, UTC).strftime("%Y-%m")


def _facts(row: CountedRow) -> tuple[Any, ...]:
    return (
        row.type,
        row.created_by_ref,
        row.marking_refs,
        row.granular_markings,
        row.source_kind,
        row.source_name,
        row.principal,
        row.agreement,
        row.principal_org,
    )


def cell_of(facts: Sequence[Any]) -> str:
    """The key of the cell of these facts (the columns of ``schema.dashboard_cells`` but
    ``cell``, in order): the SHA-256 of their JSON, 32 hex digits."""
    return hashlib.sha256(orjson.dumps(list(facts))).hexdigest()[:32]


def sighting_target(content: str | Mapping[str, Any] | None) -> tuple[str, int] | None:
    """``(sighting_of_ref, count)`` of a sighting's JSON, or ``None`` when it names none."""
    if content is None:
        return None
    if isinstance(content, Mapping):
        obj: Any = content
    else:
        try:
            obj = orjson.loads(content)
        except orjson.JSONDecodeError:
            return None
    if not isinstance(obj, dict):
        return None
    target = obj.get("sighting_of_ref")
    if not isinstance(target, str):
        return None
    count = obj.get("count", 1)
    # bool is an int in Python; a stored sighting has a JSON integer there.
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= _MAX_COUNT:
        count = 1
    return target, count


def _rows(conn: Connection, where: Any) -> list[CountedRow]:
    return [CountedRow(*row) for row in conn.execute(select(*_COLUMNS).where(where))]


def last_rows_of(conn: Connection, ids: Sequence[str]) -> list[CountedRow]:
    """The latest version of each of ``ids`` that has one (the rows the counters hold)."""
    unique = list(dict.fromkeys(ids))
    out: list[CountedRow] = []
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        out.extend(_rows(conn, _V.id.in_(chunk) & (_V.is_last == true())))
    return out


def rows_at(conn: Connection, added_us: Sequence[int]) -> list[CountedRow]:
    """The stored versions with these ``date_added_us``."""
    out: list[CountedRow] = []
    for start in range(0, len(added_us), _CHUNK):
        out.extend(_rows(conn, _V.date_added_us.in_(list(added_us[start : start + _CHUNK]))))
    return out


def apply_counts(
    conn: Connection, added: Iterable[CountedRow], removed: Iterable[CountedRow] = ()
) -> None:
    """Count the objects whose latest versions are ``added`` and uncount ``removed``."""
    cells: dict[tuple[Any, ...], str] = {}
    months: dict[int, str] = {}
    counts: dict[tuple[str, str], int] = {}
    hits: dict[tuple[str, str], list[int]] = {}
    for sign, rows in ((1, added), (-1, removed)):
        for row in rows:
            facts = _facts(row)
            cell = cells.get(facts)
            if cell is None:
                cell = cells[facts] = cell_of(facts)
            day = row.date_added_us // _DAY_US
            month = months.get(day)
            if month is None:
                month = months[day] = month_of(row.date_added_us)
            counts[(cell, month)] = counts.get((cell, month), 0) + sign
            if row.type == "sighting":
                target = sighting_target(row.content)
                if target is not None:
                    tally = hits.setdefault((target[0], cell), [0, 0])
                    tally[0] += sign
                    tally[1] += sign * target[1]
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    if cells:
        conn.exec_driver_sql(
            f"INSERT INTO {dashboard_cells.name} "
            f"({', '.join(column.name for column in dashboard_cells.columns)}) "
            f"VALUES ({', '.join(marker for _ in dashboard_cells.columns)}) "
            "ON CONFLICT (cell) DO NOTHING",
            sorted((cell, *facts) for facts, cell in cells.items()),
        )
    count_rows = sorted((cell, month, n) for (cell, month), n in counts.items() if n)
    if count_rows:
        # An upsert (SQLite 3.24+, PostgreSQL 9.5+ "INSERT ... ON CONFLICT"): one statement
        # per batch whether or not the cell's month is counted yet.
        table = dashboard_counts.name
        conn.exec_driver_sql(
            f"INSERT INTO {table} (cell, month, objects) VALUES ({marker}, {marker}, {marker}) "
            f"ON CONFLICT (cell, month) DO UPDATE SET objects = {table}.objects + excluded.objects",
            count_rows,
        )
        gone = [(cell, month) for cell, month, n in count_rows if n < 0]
        if gone:
            conn.exec_driver_sql(
                f"DELETE FROM {table} WHERE cell = {marker} AND month = {marker} AND objects <= 0",
                gone,
            )
    hit_rows = sorted(
        (target, cell, tally[0], tally[1]) for (target, cell), tally in hits.items() if any(tally)
    )
    if hit_rows:
        table = dashboard_hits.name
        conn.exec_driver_sql(
            f"INSERT INTO {table} (target_ref, cell, sightings, hits) "
            f"VALUES ({marker}, {marker}, {marker}, {marker}) "
            f"ON CONFLICT (target_ref, cell) DO UPDATE SET "
            f"sightings = {table}.sightings + excluded.sightings, "
            f"hits = {table}.hits + excluded.hits",
            hit_rows,
        )
        gone = [(target, cell) for target, cell, n, _ in hit_rows if n < 0]
        if gone:
            conn.exec_driver_sql(
                f"DELETE FROM {table} WHERE target_ref = {marker} AND cell = {marker} "
                "AND sightings <= 0",
                gone,
            )
        totals: dict[str, list[int]] = {}
        for target_ref, _, sightings, total in hit_rows:
            sums = totals.setdefault(target_ref, [0, 0])
            sums[0] += sightings
            sums[1] += total
        total_rows = sorted((t, n, h) for t, (n, h) in totals.items() if n or h)
        table = dashboard_hit_totals.name
        if total_rows:
            conn.exec_driver_sql(
                f"INSERT INTO {table} (target_ref, sightings, hits) "
                f"VALUES ({marker}, {marker}, {marker}) "
                f"ON CONFLICT (target_ref) DO UPDATE SET "
                f"sightings = {table}.sightings + excluded.sightings, "
                f"hits = {table}.hits + excluded.hits",
                total_rows,
            )
            gone_targets = [(t,) for t, n, _ in total_rows if n < 0]
            if gone_targets:
                conn.exec_driver_sql(
                    f"DELETE FROM {table} WHERE target_ref = {marker} AND sightings <= 0",
                    gone_targets,
                )
