"""Contract of the UserStore and SessionStore ports on SQLite and PostgreSQL; migration 0009."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from entente.clock import FixedClock
from entente.errors import InvalidInput, ObjectNotFound
from entente.store import UiSession, UserAccount
from entente.store.schema import metadata, ui_sessions, users
from entente.store.sql import SqlStore, open_store
from entente.store.sql_users import SqlSessionStore, SqlUserStore


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


@pytest.fixture
def accounts(store: SqlStore) -> SqlUserStore:
    return SqlUserStore(store.engine)


@pytest.fixture
def sessions(store: SqlStore) -> SqlSessionStore:
    return SqlSessionStore(store.engine)


def user(n: int, username: str = "", **changes: object) -> UserAccount:
    """A user record with distinct id, name and (fake but distinct) secrets."""
    made = UserAccount(
        user_id=f"usr_{n:012x}",
        username=username or f"user{n}",
        org="identity--00000000-0000-5000-8000-000000000001",
        org_name="ACME",
        role="analyst",
        password_hash=f"$argon2id$v=19$m=65536,t=3,p=4$salt{n}$tag{n}",
        totp_sealed=bytes([1, n]) + b"\x00" * 40,
        created_us=1_000 + n,
        updated_us=1_000 + n,
    )
    return replace(made, **changes)  # type: ignore[arg-type]  # test builder: fields by name


def session(n: int, user_id: str, *, now: int = 10_000, **changes: object) -> UiSession:
    made = UiSession(
        session_hash=f"{n:064x}",
        user_id=user_id,
        csrf_token=f"csrf{n}",
        created_us=now,
        last_seen_us=now,
        expires_us=now + 1_000_000,
    )
    return replace(made, **changes)  # type: ignore[arg-type]  # test builder: fields by name


def test_an_added_user_reads_back_field_for_field_by_name_in_any_case(
    accounts: SqlUserStore,
) -> None:
    stored = user(1, "Alice", totp_last_step=7, last_login_us=5, locked_until_us=9)
    accounts.add(stored)
    assert accounts.get_by_username("alice") == stored
    assert accounts.get_by_username("ALICE") == stored
    assert accounts.get_by_id(stored.user_id) == stored
    assert accounts.get_by_username("bob") is None
    assert accounts.get_by_id("usr_000000000009") is None


def test_a_username_taken_in_another_case_is_refused(accounts: SqlUserStore) -> None:
    accounts.add(user(1, "Alice"))
    with pytest.raises(InvalidInput, match="already exists"):
        accounts.add(user(2, "aLiCe"))
    assert [u.username for u in accounts.list()] == ["Alice"]


def test_list_returns_every_user_oldest_first(accounts: SqlUserStore) -> None:
    accounts.add(user(2, created_us=3_000))
    accounts.add(user(1, created_us=1_000, disabled=True))
    assert [u.user_id for u in accounts.list()] == ["usr_000000000001", "usr_000000000002"]


def test_the_fifth_failure_in_a_row_locks_and_restarts_the_count(accounts: SqlUserStore) -> None:
    accounts.add(user(1))
    for attempt in range(1, 5):
        after = accounts.record_failure(
            "usr_000000000001", now_us=100, max_failures=5, lockout_us=900
        )
        assert (after.failed_attempts, after.locked_until_us) == (attempt, None)
    locked = accounts.record_failure("usr_000000000001", now_us=100, max_failures=5, lockout_us=900)
    assert (locked.failed_attempts, locked.locked_until_us) == (0, 1_000)


def test_a_success_clears_failures_and_a_step_is_accepted_once(accounts: SqlUserStore) -> None:
    accounts.add(user(1, failed_attempts=3, locked_until_us=50))
    assert accounts.record_success("usr_000000000001", totp_step=40, now_us=77)
    after = accounts.get_by_id("usr_000000000001")
    assert after is not None
    assert (after.failed_attempts, after.locked_until_us) == (0, None)
    assert (after.totp_last_step, after.last_login_us) == (40, 77)
    # The same step again, or an earlier one: a replay, nothing written.
    assert not accounts.record_success("usr_000000000001", totp_step=40, now_us=88)
    assert not accounts.record_success("usr_000000000001", totp_step=39, now_us=88)
    assert accounts.get_by_id("usr_000000000001") == after
    assert accounts.record_success("usr_000000000001", totp_step=41, now_us=99)


def test_password_and_totp_changes_are_stored(accounts: SqlUserStore) -> None:
    accounts.add(user(1, totp_last_step=12))
    accounts.set_password_hash("usr_000000000001", "$argon2id$new", now_us=5_000)
    accounts.set_totp("usr_000000000001", b"\x01sealed", now_us=6_000)
    after = accounts.get_by_id("usr_000000000001")
    assert after is not None
    assert (after.password_hash, after.totp_sealed) == ("$argon2id$new", b"\x01sealed")
    # A new key starts a new sequence of steps.
    assert (after.totp_last_step, after.updated_us) == (None, 6_000)
    with pytest.raises(ObjectNotFound):
        accounts.set_password_hash("usr_000000000009", "x", now_us=1)
    with pytest.raises(ObjectNotFound):
        accounts.set_totp("usr_000000000009", b"x", now_us=1)
    with pytest.raises(ObjectNotFound):
        accounts.set_disabled("usr_000000000009", True, now_us=1)


def test_disabling_ends_the_users_sessions_and_enabling_clears_the_lock(
    accounts: SqlUserStore, sessions: SqlSessionStore
) -> None:
    accounts.add(user(1))
    accounts.add(user(2))
    sessions.add(session(1, "usr_000000000001"))
    sessions.add(session(2, "usr_000000000001"))
    sessions.add(session(3, "usr_000000000002"))
    accounts.set_disabled("usr_000000000001", True, now_us=20_000)
    disabled = accounts.get_by_id("usr_000000000001")
    assert disabled is not None and disabled.disabled
    assert sessions.get(f"{1:064x}") is None and sessions.get(f"{2:064x}") is None
    assert sessions.get(f"{3:064x}") is not None
    accounts.record_failure("usr_000000000001", now_us=1, max_failures=1, lockout_us=10**9)
    accounts.set_disabled("usr_000000000001", False, now_us=30_000)
    enabled = accounts.get_by_id("usr_000000000001")
    assert enabled is not None
    assert (enabled.disabled, enabled.locked_until_us, enabled.failed_attempts) == (
        False,
        None,
        0,
    )


def test_sessions_read_back_touch_forward_only_and_delete(
    accounts: SqlUserStore, sessions: SqlSessionStore
) -> None:
    accounts.add(user(1))
    stored = session(1, "usr_000000000001")
    sessions.add(stored)
    assert sessions.get(stored.session_hash) == stored
    sessions.touch(stored.session_hash, 50_000)
    sessions.touch(stored.session_hash, 40_000)
    assert sessions.get(stored.session_hash) == replace(stored, last_seen_us=50_000)
    sessions.delete(stored.session_hash)
    sessions.delete(stored.session_hash)
    assert sessions.get(stored.session_hash) is None


def test_delete_ended_removes_expired_and_idle_sessions_only(
    accounts: SqlUserStore, sessions: SqlSessionStore
) -> None:
    accounts.add(user(1))
    sessions.add(session(1, "usr_000000000001", now=0, expires_us=100))  # expired at 100
    sessions.add(session(2, "usr_000000000001", now=0, expires_us=10**9))  # idle since 0
    sessions.add(session(3, "usr_000000000001", now=90, expires_us=10**9))  # active
    assert sessions.delete_ended(now_us=100, idle_us=50) == 2
    assert sessions.get(f"{3:064x}") is not None
    assert sessions.delete_for_user("usr_000000000001") == 1


def test_migration_creates_exactly_the_declared_users_tables(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "users" in repr(d) or "ui_sessions" in repr(d)] == []
    inspector = inspect(store.engine)
    for table in (users, ui_sessions):
        columns = [c["name"] for c in inspector.get_columns(table.name)]
        assert columns == [c.name for c in table.columns]
    [unique] = inspector.get_unique_constraints(users.name)
    assert unique["column_names"] == ["username_key"]
    [foreign] = inspector.get_foreign_keys(ui_sessions.name)
    assert foreign["referred_table"] == "users"
    assert foreign["options"].get("ondelete") == "CASCADE"


def test_migration_0009_downgrades_to_0008_and_upgrades_again(store: SqlStore) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
    assert not {"users", "ui_sessions"} & set(inspect(store.engine).get_table_names())
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    SqlUserStore(store.engine).add(user(1))
    assert SqlUserStore(store.engine).get_by_username("user1") == user(1)
