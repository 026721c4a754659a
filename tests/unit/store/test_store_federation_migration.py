"""Migration 0004 (federation tables): from a 0003 database, back down, and against schema.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, create_engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from tests.unit.store.test_store_federation import (
    COLLECTION_A,
    checkpoint,
    partner,
    report,
)

from entente.clock import FixedClock
from entente.errors import StorageError
from entente.store import AgreementRecord, StatusEntry, StatusRecord
from entente.store.schema import agreements, metadata, partners, sync_checkpoints, sync_reports
from entente.store.sql import SqlStore, open_store
from entente.store.sql_federation import (
    SqlAgreementStore,
    SqlCheckpointStore,
    SqlPartnerStore,
    SqlSyncReportStore,
)
from entente.store.sql_status import SqlStatusStore

FEDERATION_TABLES = (partners, agreements, sync_checkpoints, sync_reports)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url, schema) of a fresh database on the backend under test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'entente.db'}", None
    url, schema = request.getfixturevalue("postgres_schema")
    return url, schema


@pytest.fixture
def store(location: tuple[str, str | None]) -> Iterator[SqlStore]:
    """A fresh store migrated to the newest revision."""
    url, schema = location
    opened = open_store(url, FixedClock(), schema=schema)
    yield opened
    opened.close()


def _config() -> Config:
    """The store's Alembic configuration, as open_store builds it."""
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    return config


def _engine(url: str, schema: str | None) -> Engine:
    """A plain engine on the database under test (confined to ``schema`` if given)."""
    if schema is None:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(url)
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    """Run the store's migrations up (or down) to ``revision`` as open_store does."""
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def _revision(engine: Engine) -> str:
    """The revision the database is at."""
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def _federation_tables(engine: Engine) -> set[str]:
    """Which of the federation tables exist."""
    names = {table.name for table in FEDERATION_TABLES}
    return names & set(inspect(engine).get_table_names())


def test_0004_follows_0003() -> None:
    script = ScriptDirectory.from_config(_config()).get_revision("0004")
    assert script is not None and script.down_revision == "0003"


def test_a_store_at_0003_upgrades_and_keeps_its_statuses(
    location: tuple[str, str | None],
) -> None:
    url, schema = location
    engine = _engine(url, schema)
    status = StatusRecord("status-1", COLLECTION_A, "tok_1", 10, (StatusEntry("x", "v", "ok"),))
    try:
        _migrate(engine, "0003")
        assert _federation_tables(engine) == set()
        SqlStatusStore(engine).add(status)
    finally:
        engine.dispose()
    upgraded = open_store(url, FixedClock(), schema=schema)
    try:
        head = ScriptDirectory.from_config(_config()).get_current_head()
        assert _revision(upgraded.engine) == head
        assert _federation_tables(upgraded.engine) == {t.name for t in FEDERATION_TABLES}
        assert SqlStatusStore(upgraded.engine).get("status-1") == status
        SqlPartnerStore(upgraded.engine).add(partner("p1", 1))
        SqlCheckpointStore(upgraded.engine).save(checkpoint("p1"))
        assert SqlAgreementStore(upgraded.engine).put(AgreementRecord("a", "{}", 1))
        assert SqlSyncReportStore(upgraded.engine).add(report("p1")) >= 1
        assert SqlCheckpointStore(upgraded.engine).get("p1", COLLECTION_A) == checkpoint("p1")
    finally:
        upgraded.close()


def test_0004_downgrades_to_0003_and_upgrades_again(location: tuple[str, str | None]) -> None:
    url, schema = location
    open_store(url, FixedClock(), schema=schema).close()
    engine = _engine(url, schema)
    try:
        _migrate(engine, "0003", down=True)
        assert _revision(engine) == "0003"
        assert _federation_tables(engine) == set()
        _migrate(engine, "0004")
        assert _federation_tables(engine) == {t.name for t in FEDERATION_TABLES}
        SqlPartnerStore(engine).add(partner("p1", 1))
    finally:
        engine.dispose()


def test_reading_federation_state_before_0004_is_a_storage_error(
    location: tuple[str, str | None],
) -> None:
    url, schema = location
    engine = _engine(url, schema)
    try:
        _migrate(engine, "0003")
        with pytest.raises(StorageError, match="listing partners failed") as caught:
            SqlPartnerStore(engine).list()
        assert isinstance(caught.value.__cause__, OperationalError | ProgrammingError)
    finally:
        engine.dispose()


@pytest.mark.parametrize("table", FEDERATION_TABLES, ids=lambda t: t.name)
def test_migration_creates_exactly_the_declared_federation_table(
    store: SqlStore, table: Table
) -> None:
    name = table.name
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if f"'{name}'" in repr(d) or f"{name}." in repr(d)] == []
    columns = [c["name"] for c in inspect(store.engine).get_columns(name)]
    assert columns == [c.name for c in table.columns]
    primary_key = inspect(store.engine).get_pk_constraint(name)["constrained_columns"]
    assert primary_key == [c.name for c in table.primary_key.columns]


def test_checkpoints_refer_to_partners_and_cascade(store: SqlStore) -> None:
    [foreign_key] = inspect(store.engine).get_foreign_keys(sync_checkpoints.name)
    assert foreign_key["referred_table"] == partners.name
    assert foreign_key["constrained_columns"] == ["partner"]
    assert foreign_key["referred_columns"] == ["name"]
    assert foreign_key["options"].get("ondelete") == "CASCADE"


def test_partner_orgs_are_unique(store: SqlStore) -> None:
    uniques = inspect(store.engine).get_unique_constraints(partners.name)
    assert [u["column_names"] for u in uniques] == [["org_id"]]
