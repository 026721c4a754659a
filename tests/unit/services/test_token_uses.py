"""Token last use off the request path: noted in memory, written in one transaction per flush,
kept when a write fails, flushed by a background thread and once more on stop."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from entente.clock import FixedClock
from entente.errors import StorageError
from entente.services import TokenUseRecorder, create_token
from entente.store.sql import SqlStore, open_store
from entente.store.sql_tokens import SqlTokenStore

# Generous bounds: on a loaded 2-core machine a thread may wait a while for its turn.
_BOUND_S = 5.0


@pytest.fixture
def clock() -> FixedClock:
    """A clock that stands still unless a test moves it."""
    return FixedClock()


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[SqlStore]:
    """A fresh SQLite store."""
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", clock)
    yield opened
    opened.close()


@pytest.fixture
def tokens(store: SqlStore, clock: FixedClock) -> SqlTokenStore:
    """Its token store."""
    return SqlTokenStore(store.engine, clock)


def _ids(tokens: SqlTokenStore, clock: FixedClock, count: int) -> list[str]:
    return [
        create_token(tokens, clock, org_name="ACME", role="reader")[0].token_id
        for _ in range(count)
    ]


def _last_uses(tokens: SqlTokenStore) -> dict[str, int | None]:
    return {t.token_id: t.last_used_us for t in tokens.list()}


class _Counting(SqlTokenStore):
    """The real token store, recording each ``record_uses`` call (one transaction each); the
    first ``failures`` calls fail as a busy database does."""

    def __init__(self, store: SqlStore, clock: FixedClock, failures: int = 0) -> None:
        super().__init__(store.engine, clock)
        self.failures = failures
        self.calls: list[dict[str, int]] = []

    def record_uses(self, uses: Mapping[str, int]) -> None:
        self.calls.append(dict(uses))
        if self.failures:
            self.failures -= 1
            raise StorageError("recording token use failed: database is locked")
        super().record_uses(uses)


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + _BOUND_S
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.005)


def test_only_the_latest_use_per_token_is_kept_and_one_flush_writes_them_all(
    store: SqlStore, tokens: SqlTokenStore, clock: FixedClock
) -> None:
    first, second = _ids(tokens, clock, 2)
    counting = _Counting(store, clock)
    uses = TokenUseRecorder(counting)
    for at_us in (300, 100, 200):
        uses.note(first, at_us)
    uses.note(second, 50)
    assert uses.pending() == {first: 300, second: 50}
    assert uses.flush() == 2
    assert counting.calls == [{first: 300, second: 50}]
    assert _last_uses(tokens) == {first: 300, second: 50}
    assert uses.pending() == {}
    assert uses.flush() == 0  # nothing noted: no transaction at all
    assert len(counting.calls) == 1


def test_a_failed_write_keeps_the_uses_for_the_next_flush(
    store: SqlStore, tokens: SqlTokenStore, clock: FixedClock
) -> None:
    first, second = _ids(tokens, clock, 2)
    counting = _Counting(store, clock, failures=1)
    uses = TokenUseRecorder(counting)
    uses.note(first, 100)
    with pytest.raises(StorageError):
        uses.flush()
    uses.note(first, 50)  # older than the kept one: the kept one wins
    uses.note(second, 70)
    assert uses.pending() == {first: 100, second: 70}
    assert uses.flush() == 2
    assert _last_uses(tokens) == {first: 100, second: 70}


def test_a_locked_sqlite_database_delays_the_record_and_note_never_waits(
    tmp_path: Path, tokens: SqlTokenStore, clock: FixedClock
) -> None:
    [token_id] = _ids(tokens, clock, 1)
    uses = TokenUseRecorder(tokens)
    holder = sqlite3.connect(tmp_path / "entente.db", isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        noted = threading.Thread(target=uses.note, args=(token_id, 123))
        noted.start()
        noted.join(_BOUND_S)
        assert not noted.is_alive()
        flushing = threading.Thread(target=uses.flush, daemon=True)
        flushing.start()
        time.sleep(0.2)
        assert flushing.is_alive()  # waiting for the lock, off any request's path
        holder.execute("ROLLBACK")
        flushing.join(_BOUND_S)
        assert not flushing.is_alive()
    finally:
        holder.close()
    assert _last_uses(tokens) == {token_id: 123}


def test_the_thread_flushes_every_interval_and_stop_flushes_once_more(
    tokens: SqlTokenStore, clock: FixedClock
) -> None:
    first, second = _ids(tokens, clock, 2)
    uses = TokenUseRecorder(tokens, interval=0.02)
    uses.start()
    try:
        uses.note(first, 10)
        _wait_until(lambda: _last_uses(tokens)[first] == 10)
    finally:
        uses.stop()
    assert _last_uses(tokens) == {first: 10, second: None}
    # Noted after the thread stopped, written by the stop of the next run.
    slow = TokenUseRecorder(tokens, interval=3600)
    slow.start()
    slow.note(second, 20)
    slow.stop()
    assert _last_uses(tokens) == {first: 10, second: 20}


def test_a_failing_store_never_raises_from_the_thread_or_stop(
    store: SqlStore, tokens: SqlTokenStore, clock: FixedClock
) -> None:
    [token_id] = _ids(tokens, clock, 1)
    counting = _Counting(store, clock, failures=10**9)
    uses = TokenUseRecorder(counting, interval=0.01)
    uses.start()
    uses.note(token_id, 5)
    _wait_until(lambda: len(counting.calls) >= 3)
    uses.stop()
    assert uses.pending() == {token_id: 5}
    assert _last_uses(tokens) == {token_id: None}


def test_starting_twice_is_refused_and_a_stopped_recorder_starts_again(
    tokens: SqlTokenStore,
) -> None:
    uses = TokenUseRecorder(tokens, interval=3600)
    uses.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            uses.start()
    finally:
        uses.stop()
    uses.start()
    uses.stop()


def test_a_non_positive_interval_is_refused(tokens: SqlTokenStore) -> None:
    with pytest.raises(ValueError, match="interval"):
        TokenUseRecorder(tokens, interval=0)
