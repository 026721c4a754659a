"""The SQL adapter of the matching-run log, in the ``match_runs`` table (migration 0012)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, delete, func, insert, select

from entente.errors import InvalidInput
from entente.store.failures import storage_errors
from entente.store.run_port import RUN_KINDS, MatchRunRecord
from entente.store.schema import match_runs

__all__ = ["KEEP_RUNS", "SqlMatchRunStore"]

# Runs kept: a run's report is bounded (``services.match_runs``), so this caps the table too.
KEEP_RUNS = 1000

_M = match_runs.c
_COLUMNS = (_M.run_id, _M.kind, _M.started_us, _M.finished_us, _M.report)


def _record(row: Sequence[Any]) -> MatchRunRecord:
    report = orjson.loads(row[4])
    return MatchRunRecord(
        run_id=int(row[0]),
        kind=row[1],
        started_us=int(row[2]),
        finished_us=int(row[3]),
        report=report if isinstance(report, dict) else {},
    )


class SqlMatchRunStore:
    """The newest ``keep`` matching runs; every ``add`` deletes the older ones in its
    transaction, so the table never holds more than ``keep`` rows once it commits."""

    def __init__(self, engine: Engine, *, keep: int = KEEP_RUNS) -> None:
        if keep < 1:
            raise ValueError(f"keep at least one run, not {keep}")
        self._engine = engine
        self._keep = keep

    def add(self, run: MatchRunRecord) -> int:
        """Store the run under a new, increasing ``run_id`` and prune older runs."""
        if run.kind not in RUN_KINDS:
            raise InvalidInput(f"a run is one of {', '.join(RUN_KINDS)}, not {run.kind!r}")
        report = orjson.dumps(dict(run.report)).decode("utf-8")
        with storage_errors("storing a matching run"), self._engine.begin() as conn:
            stmt = (
                insert(match_runs)
                .values(
                    kind=run.kind,
                    started_us=run.started_us,
                    finished_us=run.finished_us,
                    report=report,
                )
                .returning(_M.run_id)
            )
            run_id = int(conn.execute(stmt).scalar_one())
            # The newest run that falls outside the cap; it and every older one go.
            oldest_dropped = conn.execute(
                select(_M.run_id).order_by(_M.run_id.desc()).offset(self._keep).limit(1)
            ).scalar_one_or_none()
            if oldest_dropped is not None:
                conn.execute(delete(match_runs).where(_M.run_id <= oldest_dropped))
            return run_id

    def latest(self, limit: int, offset: int = 0) -> Sequence[MatchRunRecord]:
        """Up to ``limit`` runs, newest first, after the ``offset`` newest."""
        if limit < 1 or offset < 0:
            return []
        stmt = select(*_COLUMNS).order_by(_M.run_id.desc()).limit(limit).offset(offset)
        with storage_errors("reading matching runs"), self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(stmt)]

    def count(self) -> int:
        """How many runs are kept."""
        with storage_errors("counting matching runs"), self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(match_runs)).scalar_one())

    def get(self, run_id: int) -> MatchRunRecord | None:
        """The run ``run_id``, or None."""
        stmt = select(*_COLUMNS).where(_M.run_id == run_id)
        with storage_errors("reading a matching run"), self._engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else _record(row)
