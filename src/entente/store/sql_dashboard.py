"""The DashboardCounts port on SQL: reads of the counters ``store.dashboard_index`` writes."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Engine, func, select, tuple_

from entente.store.dashboard_port import CountCell, MonthCount, TargetHits
from entente.store.failures import storage_errors
from entente.store.records import Provenance, SourceKind
from entente.store.schema import (
    dashboard_cells,
    dashboard_counts,
    dashboard_hit_totals,
    dashboard_hits,
)
from entente.store.sql import decode_granular

__all__ = ["SqlDashboardCounts"]

_C = dashboard_cells.c
_N = dashboard_counts.c
_H = dashboard_hits.c
_T = dashboard_hit_totals.c

# Per IN list, as in store.sql.
_CHUNK = 500


class SqlDashboardCounts:
    """The DashboardCounts port over the store's engine (same database)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def cells(self, types: Sequence[str] = ()) -> list[CountCell]:
        """Every cell (of these types, when given), by key."""
        statement = select(*dashboard_cells.columns).order_by(_C.cell)
        if types:
            statement = statement.where(_C.type.in_(sorted(set(types))))
        with storage_errors("reading dashboard cells"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        return [
            CountCell(
                cell=row.cell,
                type=row.type,
                created_by_ref=row.created_by_ref,
                marking_refs=tuple(orjson.loads(row.marking_refs)),
                granular_markings=()
                if row.granular_markings is None
                else decode_granular(row.granular_markings),
                provenance=Provenance(
                    source_kind=SourceKind(row.source_kind),
                    source_name=row.source_name,
                    principal=row.principal,
                    agreement=row.agreement,
                    org=row.principal_org,
                ),
            )
            for row in rows
        ]

    def month_counts(self, since_month: str) -> list[MonthCount]:
        """The counts of ``since_month`` (YYYY-MM) and later, by cell and month."""
        statement = (
            select(_N.cell, _N.month, _N.objects)
            .where(_N.month >= since_month)
            .order_by(_N.cell, _N.month)
        )
        with storage_errors("reading dashboard counts"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        return [MonthCount(cell, month, int(objects)) for cell, month, objects in rows]

    def targets_by_total(self, after: tuple[int, str] | None, limit: int) -> list[TargetHits]:
        """Sighted objects by the hits of all their sightings, (hits, id) descending."""
        if limit < 1:
            return []
        statement = (
            select(_T.target_ref, _T.sightings, _T.hits)
            # Both descending: the (hits, target_ref) index read backwards, with no sort.
            .order_by(_T.hits.desc(), _T.target_ref.desc())
            .limit(limit)
        )
        if after is not None:
            # Keyset paging by a row value (SQLite 3.15+, PostgreSQL), which both planners
            # answer from that index; an id prefix here would make SQLite range over the
            # primary key instead and sort every sighted object.
            statement = statement.where(tuple_(_T.hits, _T.target_ref) < tuple_(*after))
        with storage_errors("reading dashboard hits"), self._engine.connect() as conn:
            rows = conn.execute(statement).all()
        return [TargetHits(target, int(n), int(total)) for target, n, total in rows]

    def hits_in(self, targets: Sequence[str], cells: Sequence[str]) -> list[TargetHits]:
        """The sightings and hits of each of ``targets`` in ``cells``, summed, by target.

        Summed by the database, so that only one row per target comes back; sums are
        additive, so long lists are split into several IN lists and their sums added.
        """
        wanted = sorted(set(targets))
        allowed = sorted(set(cells))
        sums: dict[str, list[int]] = {}
        with storage_errors("reading dashboard hits"), self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                for cell_start in range(0, len(allowed), _CHUNK):
                    statement = (
                        select(_H.target_ref, func.sum(_H.sightings), func.sum(_H.hits))
                        .where(
                            _H.target_ref.in_(wanted[start : start + _CHUNK]),
                            _H.cell.in_(allowed[cell_start : cell_start + _CHUNK]),
                        )
                        .group_by(_H.target_ref)
                    )
                    for target, sightings, hits in conn.execute(statement):
                        tally = sums.setdefault(target, [0, 0])
                        tally[0] += int(sightings)
                        tally[1] += int(hits)
        return [TargetHits(target, n, hits) for target, (n, hits) in sorted(sums.items())]
