"""The DashboardCounts port on SQL: reads of the counters ``store.dashboard_index`` writes."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Engine, bindparam, func, select

from entente.store.dashboard_port import CountCell, MonthCount, TargetHits
from entente.store.failures import storage_errors
from entente.store.records import Provenance, SourceKind
from entente.store.schema import dashboard_cells, dashboard_counts, dashboard_hits
from entente.store.sql import decode_granular

__all__ = ["SqlDashboardCounts"]

_C = dashboard_cells.c
_N = dashboard_counts.c
_H = dashboard_hits.c

# The cells a top-hits query may name in one IN list: SQLite allows 32,766 bound
# parameters per statement; a reader sees far fewer distinct sighting cells than that.
MAX_CELLS = 30_000


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

    def top_targets(
        self, cells: Sequence[str], prefix: str, limit: int, offset: int = 0
    ) -> list[TargetHits]:
        """Objects whose id starts with ``prefix`` by the hits of the sightings in ``cells``."""
        wanted = sorted(set(cells))
        if not wanted or limit < 1:
            return []
        if len(wanted) > MAX_CELLS:
            raise ValueError(f"at most {MAX_CELLS} cells per query, not {len(wanted)}")
        hits = func.sum(_H.hits)
        # A range on the key rather than LIKE, which would need escaping and (on
        # PostgreSQL with a non-C collation) could not use the index.
        statement = (
            select(_H.target_ref, func.sum(_H.sightings), hits)
            .where(
                _H.cell.in_(bindparam("cells", expanding=True)),
                _H.target_ref >= prefix,
                _H.target_ref < prefix + "\U0010ffff",
            )
            .group_by(_H.target_ref)
            .order_by(hits.desc(), _H.target_ref)
            .limit(limit)
            .offset(offset)
        )
        with storage_errors("reading dashboard hits"), self._engine.connect() as conn:
            rows = conn.execute(statement, {"cells": wanted}).all()
        return [TargetHits(target, int(sightings), int(total)) for target, sightings, total in rows]
