"""The audit recorder: requests submit entries, one transaction appends them in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from entente.audit import Actor, EntryDraft
from entente.bootstrap import Node, audit_log, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import StorageError
from entente.services.audit_recorder import AuditRecorder

ACTOR = Actor("token--a", "identity--a", "reader")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as opened:
        yield opened


def read(n: int) -> EntryDraft:
    return EntryDraft(ACTOR, "read", "taxii", (f"indicator--{n}",), "amber")


def test_submitted_entries_wait_for_a_flush_and_keep_their_order(node: Node) -> None:
    recorder = AuditRecorder(audit_log(node))
    recorder.submit([read(1), read(2)])
    recorder.submit([])
    recorder.submit([read(3)])
    assert recorder.pending() == 3
    assert audit_log(node).chains() == []
    assert recorder.flush() == 3
    assert recorder.flush() == 0
    found = audit_log(node).who_saw()
    assert [e.object_ids[0] for e in found] == ["indicator--3", "indicator--2", "indicator--1"]
    assert audit_log(node).verify().ok


def test_stop_appends_what_is_still_queued_and_signs_the_head(node: Node) -> None:
    recorder = AuditRecorder(audit_log(node), interval=3600)
    recorder.start()
    with pytest.raises(RuntimeError):
        recorder.start()
    recorder.submit([read(1)])
    recorder.stop()
    assert recorder.pending() == 0
    verdict = audit_log(node).verify()
    assert (verdict.entries_checked, verdict.signed_through) == (1, 1)


def test_a_failed_append_keeps_the_entries_for_the_next_try(node: Node) -> None:
    recorder = AuditRecorder(audit_log(node))
    recorder.submit([read(1)])
    # The store fails for real: the table the entries go into is gone.
    engine = create_engine(node.settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_entries"))
    engine.dispose()
    with pytest.raises(StorageError):
        recorder.flush()
    assert recorder.pending() == 1


def test_a_non_positive_interval_is_refused(node: Node) -> None:
    with pytest.raises(ValueError):
        AuditRecorder(audit_log(node), interval=0)


def test_when_idle_the_recorder_indexes_what_was_appended(node: Node) -> None:
    recorder = AuditRecorder(audit_log(node), interval=3600)
    recorder.submit([read(1), read(2)])
    recorder.start()  # the first run appends
    recorder.stop()  # the last run, with nothing queued, indexes
    assert audit_log(node).index() == 0
