"""Contract of the AuditStore port on SQLite and PostgreSQL; migration 0013."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, update

from entente.audit import (
    NODE_CHAIN,
    Actor,
    Appended,
    ChainHead,
    EntryDraft,
    Verifier,
    case_chain,
    extend,
    verify_chain,
)
from entente.clock import FixedClock
from entente.federation import NodeKey, generate_key
from entente.store import AuditQuery
from entente.store.schema import (
    audit_checkpoints,
    audit_entries,
    audit_indexed,
    audit_objects,
    metadata,
)
from entente.store.sql import SqlStore, open_store
from entente.store.sql_audit import SqlAuditStore

ORG_A = "identity--aaaaaaaa-0000-4000-8000-000000000000"
ORG_B = "identity--bbbbbbbb-0000-4000-8000-000000000000"
OBJECT = "indicator--11111111-0000-4000-8000-000000000000"


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


def read(org: str, objects: tuple[str, ...], tlp: str = "amber") -> EntryDraft:
    return EntryDraft(Actor(f"user--{org[10:14]}", org, "reader"), "read", "rest", objects, tlp)


def appender(
    key: NodeKey, drafts: list[EntryDraft], time_us: int, every: int = 3
) -> Callable[[ChainHead], Appended]:
    def build(head: ChainHead) -> Appended:
        return extend(head, drafts, time_us=time_us, signer=key, every=every)

    return build


def trusted(key: NodeKey) -> dict[str, Verifier]:
    return {key.public_key_text: key.public_key}


def test_appended_entries_come_back_in_order_and_verify(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    for i in range(7):
        audit.append(NODE_CHAIN, appender(key, [read(ORG_A, (OBJECT,))], 10 + i))
    records = list(audit.entries(NODE_CHAIN, page=2))
    assert [r.seq for r in records] == list(range(1, 8))
    assert [c.seq for c in audit.checkpoints(NODE_CHAIN)] == [3, 6]
    verdict = verify_chain(NODE_CHAIN, records, audit.checkpoints(NODE_CHAIN), trusted(key))
    assert verdict.ok and verdict.entries_checked == 7 and verdict.checkpoints_checked == 2
    head = audit.head(NODE_CHAIN)
    assert (head.seq, head.hash, head.checkpoint_seq) == (7, records[-1].hash, 6)


def test_one_append_writes_several_entries_atomically(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    drafts = [read(ORG_A, (OBJECT,)), read(ORG_B, ())]
    appended = audit.append(NODE_CHAIN, appender(key, drafts, 5, every=100))
    assert [e.seq for e in appended.entries] == [1, 2]

    def broken(head: ChainHead) -> Appended:
        made = extend(head, drafts, time_us=6, signer=key, every=100)
        raise RuntimeError(f"failed after making {len(made.entries)} entries")

    with pytest.raises(RuntimeError):
        audit.append(NODE_CHAIN, broken)
    assert audit.head(NODE_CHAIN).seq == 2


def test_who_saw_this_finds_entries_by_org_object_and_time(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    audit.append(NODE_CHAIN, appender(key, [read(ORG_A, (OBJECT,))], 100))
    audit.append(NODE_CHAIN, appender(key, [read(ORG_B, (OBJECT, "note--x"))], 200))
    audit.append(NODE_CHAIN, appender(key, [read(ORG_B, ("note--y",))], 300))
    saw = audit.find(AuditQuery(NODE_CHAIN, object_id=OBJECT))
    assert [(e.seq, e.actor.org) for e in saw] == [(2, ORG_B), (1, ORG_A)]
    assert [e.seq for e in audit.find(AuditQuery(NODE_CHAIN, org=ORG_B))] == [3, 2]
    assert [e.seq for e in audit.find(AuditQuery(NODE_CHAIN, since_us=200))] == [3, 2]
    found = audit.find(AuditQuery(NODE_CHAIN, org=ORG_B, object_id=OBJECT, since_us=150))
    assert [e.seq for e in found] == [2]
    assert audit.find(AuditQuery(NODE_CHAIN, limit=1))[0].seq == 3
    assert audit.find(AuditQuery(case_chain("incident--1"))) == []


def test_a_page_continues_before_the_sequence_number_it_ended_at(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    for i in range(5):
        audit.append(NODE_CHAIN, appender(key, [read(ORG_A, (OBJECT,))], i))
    first = audit.find(AuditQuery(NODE_CHAIN, object_id=OBJECT, limit=2))
    assert [e.seq for e in first] == [5, 4]
    after = audit.find(AuditQuery(NODE_CHAIN, object_id=OBJECT, limit=2, before_seq=4))
    assert [e.seq for e in after] == [3, 2]
    assert [e.seq for e in audit.find(AuditQuery(NODE_CHAIN, before_seq=2))] == [1]


def test_each_chain_is_numbered_on_its_own(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    case = case_chain("incident--1")
    audit.append(NODE_CHAIN, appender(key, [read(ORG_A, ())], 1))
    audit.append(case, appender(key, [read(ORG_A, ())], 2, every=1))
    audit.append(case, appender(key, [read(ORG_A, ())], 3, every=1))
    assert audit.chains() == [case, NODE_CHAIN]
    assert [c.seq for c in audit.checkpoints(case)] == [1, 2]
    records = list(audit.entries(case))
    assert verify_chain(case, records, audit.checkpoints(case), trusted(key)).ok


def test_a_byte_changed_in_the_database_is_named_by_the_verifier(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    for i in range(4):
        audit.append(NODE_CHAIN, appender(key, [read(ORG_A, (OBJECT,))], i))
    body = next(r.body for r in audit.entries(NODE_CHAIN) if r.seq == 2)
    with store.engine.begin() as conn:
        conn.execute(
            update(audit_entries)
            .where(audit_entries.c.seq == 2)
            .values(body=body.replace(b"amber", b"clear"))
        )
    verdict = verify_chain(
        NODE_CHAIN, audit.entries(NODE_CHAIN), audit.checkpoints(NODE_CHAIN), trusted(key)
    )
    assert verdict.failure is not None
    assert (verdict.failure.subject, verdict.failure.seq) == ("entry", 2)


def test_concurrent_appends_never_fork_the_chain(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(10):
                audit.append(NODE_CHAIN, appender(key, [read(ORG_A, (OBJECT,))], i, every=7))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = verify_chain(
        NODE_CHAIN, audit.entries(NODE_CHAIN), audit.checkpoints(NODE_CHAIN), trusted(key)
    )
    assert verdict.ok and verdict.entries_checked == 40


def test_migration_creates_exactly_the_declared_audit_tables(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "audit_" in repr(d)] == []
    for table in (audit_entries, audit_objects, audit_indexed, audit_checkpoints):
        columns = [c["name"] for c in inspect(store.engine).get_columns(table.name)]
        assert columns == [c.name for c in table.columns]


def test_migration_0013_downgrades_to_0012_and_upgrades_again(store: SqlStore) -> None:
    from alembic import command
    from alembic.config import Config

    SqlAuditStore(store.engine).append(NODE_CHAIN, appender(generate_key(), [read(ORG_A, ())], 1))
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    assert "audit_entries" not in inspect(store.engine).get_table_names()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert SqlAuditStore(store.engine).head(NODE_CHAIN).seq == 0


def test_the_object_index_fills_behind_the_appends(store: SqlStore) -> None:
    audit, key = SqlAuditStore(store.engine), generate_key()
    for i in range(5):
        audit.append(NODE_CHAIN, appender(key, [read(ORG_A, (OBJECT, f"note--{i}"))], i))
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_objects)).scalar_one() == 0
    assert audit.index(NODE_CHAIN, 2) == 2
    assert audit.index(NODE_CHAIN, 0) == 0
    assert [e.seq for e in audit.find(AuditQuery(NODE_CHAIN, object_id="note--4"))] == [5]
    assert audit.index(NODE_CHAIN, 100) == 0
    audit.append(NODE_CHAIN, appender(key, [read(ORG_B, (OBJECT,))], 9))
    assert [e.seq for e in audit.find(AuditQuery(NODE_CHAIN, object_id=OBJECT))] == [
        6,
        5,
        4,
        3,
        2,
        1,
    ]
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_objects)).scalar_one() == 11
