"""Contract of the MatchRunStore port on SQLite and PostgreSQL; migration 0012."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from entente.clock import FixedClock
from entente.errors import InvalidInput
from entente.store import MatchRunRecord
from entente.store.schema import match_runs, metadata
from entente.store.sql import SqlStore, open_store
from entente.store.sql_runs import SqlMatchRunStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A fresh, migrated store on the backend under test."""
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    else:
        url, schema = request.getfixturevalue("postgres_schema")
        opened = open_store(url, FixedClock(), schema=schema)
    yield opened
    opened.close()


def run(n: int, kind: str = "match") -> MatchRunRecord:
    return MatchRunRecord(
        None, kind, 1_000 + n, 2_000 + n, {"hits": n, "sightings": [f"sighting-{n}"], "ok": True}
    )


def test_runs_come_back_newest_first_with_their_reports(store: SqlStore) -> None:
    runs = SqlMatchRunStore(store.engine)
    assert runs.count() == 0 and runs.latest(10) == [] and runs.get(1) is None
    ids = [runs.add(run(n, "hunt" if n % 2 else "match")) for n in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    latest = runs.latest(2)
    assert [r.run_id for r in latest] == [ids[4], ids[3]]
    assert latest[0] == MatchRunRecord(
        ids[4], "match", 1_004, 2_004, {"hits": 4, "sightings": ["sighting-4"], "ok": True}
    )
    assert [r.run_id for r in runs.latest(2, offset=3)] == [ids[1], ids[0]]
    assert runs.latest(2, offset=5) == []
    assert runs.count() == 5
    found = runs.get(ids[1])
    assert found is not None and found.kind == "hunt" and found.report["hits"] == 1


def test_adding_a_run_prunes_to_the_newest_kept(store: SqlStore) -> None:
    runs = SqlMatchRunStore(store.engine, keep=3)
    ids = [runs.add(run(n)) for n in range(7)]
    assert runs.count() == 3
    assert [r.run_id for r in runs.latest(10)] == ids[-1:-4:-1]
    assert runs.get(ids[0]) is None and runs.get(ids[3]) is None


def test_an_unknown_kind_is_refused_and_nothing_is_stored(store: SqlStore) -> None:
    runs = SqlMatchRunStore(store.engine)
    with pytest.raises(InvalidInput):
        runs.add(run(1, "sync"))
    assert runs.count() == 0
    with pytest.raises(ValueError):
        SqlMatchRunStore(store.engine, keep=0)


def test_migration_creates_exactly_the_declared_match_runs_table(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "match_runs" in repr(d)] == []
    columns = [c["name"] for c in inspect(store.engine).get_columns(match_runs.name)]
    assert columns == [c.name for c in match_runs.columns]


def test_migration_0012_downgrades_to_0011_and_upgrades_again(store: SqlStore) -> None:
    from alembic import command
    from alembic.config import Config

    SqlMatchRunStore(store.engine).add(run(1))
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
    assert "match_runs" not in inspect(store.engine).get_table_names()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert SqlMatchRunStore(store.engine).count() == 0
