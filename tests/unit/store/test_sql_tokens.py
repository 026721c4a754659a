"""Contract of the TokenStore port on SQLite and PostgreSQL, and migration 0002."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from entente.clock import FixedClock
from entente.errors import ObjectNotFound, StorageError
from entente.store import ApiToken, ObjectQuery, TokenStatus
from entente.store.schema import api_tokens, metadata
from entente.store.sql import SqlStore, open_store
from entente.store.sql_tokens import SqlTokenStore

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url, schema) of a fresh database on the backend under test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'entente.db'}", None
    url, schema = request.getfixturevalue("postgres_schema")
    return url, schema


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """Where the store under test lives."""
    return _location(request, tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    """A clock that stands still unless a test moves it."""
    return FixedClock()


@pytest.fixture
def store(location: tuple[str, str | None], clock: FixedClock) -> Iterator[SqlStore]:
    """A fresh, migrated store."""
    url, schema = location
    opened = open_store(url, clock, schema=schema)
    yield opened
    opened.close()


@pytest.fixture
def tokens(store: SqlStore, clock: FixedClock) -> SqlTokenStore:
    """The token store on that store's engine."""
    return SqlTokenStore(store.engine, clock)


def token(n: int, *, created_us: int = 1_000, **changes: object) -> ApiToken:
    """A token record with distinct id and hash."""
    values: dict[str, object] = {
        "token_id": f"tok_{n:012x}",
        "name": f"token {n}",
        "org": "identity--00000000-0000-5000-8000-000000000001",
        "org_name": "ACME",
        "role": "analyst",
        "secret_hash": f"{n:064x}",
        "created_us": created_us,
    }
    values.update(changes)
    return ApiToken(**values)  # type: ignore[arg-type]  # test builder: fields by name


def test_an_added_token_reads_back_field_for_field(tokens: SqlTokenStore) -> None:
    stored = token(1, expires_us=2**60, last_used_us=None)
    tokens.add(stored)
    assert tokens.get_by_id(stored.token_id) == stored


def test_an_unknown_token_id_reads_as_none(tokens: SqlTokenStore) -> None:
    assert tokens.get_by_id("tok_000000000000") is None


def test_list_returns_every_token_oldest_first(tokens: SqlTokenStore) -> None:
    tokens.add(token(2, created_us=3_000))
    tokens.add(token(1, created_us=1_000))
    tokens.add(token(3, created_us=2_000, revoked_us=2_500))
    assert [t.token_id for t in tokens.list()] == [
        "tok_000000000001",
        "tok_000000000003",
        "tok_000000000002",
    ]


def test_an_already_used_token_id_is_a_storage_error(tokens: SqlTokenStore) -> None:
    tokens.add(token(1))
    with pytest.raises(StorageError, match="already used"):
        tokens.add(token(1, name="other"))
    assert [t.name for t in tokens.list()] == ["token 1"]


def test_revoke_records_the_time_once(tokens: SqlTokenStore, clock: FixedClock) -> None:
    tokens.add(token(1))
    first = tokens.revoke("tok_000000000001")
    assert first.revoked_us == clock.now_us()
    assert first.status_at(clock.now_us()) is TokenStatus.REVOKED
    clock.advance(5_000_000)
    again = tokens.revoke("tok_000000000001")
    assert again.revoked_us == first.revoked_us
    assert tokens.get_by_id("tok_000000000001") == first


def test_revoking_an_unknown_token_is_not_found(tokens: SqlTokenStore) -> None:
    with pytest.raises(ObjectNotFound):
        tokens.revoke("tok_000000000009")


def test_record_uses_keeps_each_tokens_latest_use(tokens: SqlTokenStore) -> None:
    tokens.add(token(1))
    tokens.add(token(2))
    tokens.record_uses({"tok_000000000001": 5_000, "tok_000000000002": 7_000})
    # An older instant (a flush from another server, late) never moves a use back; unknown
    # ids are ignored; one call writes several tokens.
    tokens.record_uses(
        {"tok_000000000001": 9_000, "tok_000000000002": 6_000, "tok_000000000009": 1}
    )
    tokens.record_uses({})
    assert [t.last_used_us for t in tokens.list()] == [9_000, 7_000]
    assert len(tokens.list()) == 2


def test_tokens_survive_reopening(location: tuple[str, str | None], clock: FixedClock) -> None:
    url, schema = location
    first = open_store(url, clock, schema=schema)
    SqlTokenStore(first.engine, clock).add(token(1))
    first.close()
    second = open_store(url, clock, schema=schema)
    try:
        assert SqlTokenStore(second.engine, clock).get_by_id("tok_000000000001") == token(1)
    finally:
        second.close()


def test_status_is_revoked_then_expired_then_active() -> None:
    assert token(1, revoked_us=5, expires_us=1).status_at(10) is TokenStatus.REVOKED
    assert token(1, expires_us=10).status_at(10) is TokenStatus.EXPIRED
    assert token(1, expires_us=10).status_at(9) is TokenStatus.ACTIVE
    assert token(1).status_at(2**62) is TokenStatus.ACTIVE


# --- migration 0002 ---------------------------------------------------------------------


def _engine(url: str, schema: str | None) -> Engine:
    """A plain engine on the database under test (confined to ``schema`` if given)."""
    if schema is None:
        return create_engine(url)
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _upgrade(engine: Engine, revision: str) -> None:
    """Run the store's migrations up to ``revision`` as open_store does."""
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_a_store_at_0001_upgrades_to_head_and_keeps_its_objects(
    location: tuple[str, str | None], clock: FixedClock
) -> None:
    url, schema = location
    if schema is None:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = _engine(url, schema)
    try:
        _upgrade(engine, "0001")
        assert "api_tokens" not in inspect(engine).get_table_names()
        object_id = "indicator--00000000-0000-4000-8000-000000000001"
        version = "2024-01-01T00:00:00.000000000Z"
        raw = orjson.dumps({"type": "indicator", "id": object_id, "modified": version})
        # A row as the code of revision 0001 wrote it: its columns only (the current
        # SqlStore writes the columns later revisions added).
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO object_versions (date_added_us, id, type, spec_version, "
                    "version, created, modified, created_by_ref, revoked, is_first, is_last, "
                    "raw_json, source_kind, source_name, principal, agreement, marking_refs) "
                    "VALUES (:d, :id, 'indicator', '2.1', :v, :v, :v, NULL, FALSE, TRUE, TRUE, "
                    ":raw, 'file', 'bundle.json', 'alice', NULL, '[]')"
                ),
                {"d": 1_700_000_000_000_000, "id": object_id, "v": version, "raw": raw.decode()},
            )
    finally:
        engine.dispose()
    upgraded = open_store(url, clock, schema=schema)
    try:
        [kept] = upgraded.query(ObjectQuery()).items
        assert (kept.id, kept.raw_json) == (object_id, raw)
        with upgraded.engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert revision == _head_revision()
        tokens = SqlTokenStore(upgraded.engine, clock)
        tokens.add(token(1))
        assert tokens.get_by_id("tok_000000000001") == token(1)
    finally:
        upgraded.close()


def test_migration_creates_exactly_the_declared_api_tokens_table(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if api_tokens.name in repr(d)] == []
    columns = {c["name"]: c for c in inspect(store.engine).get_columns(api_tokens.name)}
    assert list(columns) == [c.name for c in api_tokens.columns]
    assert inspect(store.engine).get_pk_constraint(api_tokens.name)["constrained_columns"] == [
        "token_id"
    ]


def _head_revision() -> str:
    """The newest migration: what opening a store brings any database up to."""
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
