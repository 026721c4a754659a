"""Contract of ``ObjectStore.delete_versions`` and the status store, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from tests.unit.store.test_sql_store_contract import TLP_AMBER, TLP_GREEN, ident, insert, key, new

from entente.store import ObjectQuery, StatusEntry, StatusRecord
from entente.store.schema import object_markings
from entente.store.sql import SqlStore
from entente.store.sql_status import SqlStatusStore


def _marking_rows(store: SqlStore) -> set[tuple[str, int]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(object_markings.c.marking_ref, object_markings.c.date_added_us))
        return {(r[0], int(r[1])) for r in rows}


def test_delete_versions_removes_rows_and_their_marking_index_entries(
    sql_store: SqlStore,
) -> None:
    oid = ident(1)
    stored = insert(
        sql_store,
        new(oid, key(1), markings=(TLP_GREEN, TLP_AMBER)),
        new(oid, key(2), markings=(TLP_GREEN,)),
        new(ident(2), key(1), markings=(TLP_GREEN,)),
    )
    assert sql_store.delete_versions(oid, [key(2)]) == 1
    assert [v.version for v in sql_store.get_versions(oid)] == [key(1)]
    kept = {(TLP_GREEN, stored[0].date_added_us), (TLP_AMBER, stored[0].date_added_us)}
    assert _marking_rows(sql_store) == kept | {(TLP_GREEN, stored[2].date_added_us)}


def test_first_and_last_follow_a_delete(sql_store: SqlStore) -> None:
    oid = ident(1)
    insert(sql_store, new(oid, key(1)), new(oid, key(2)), new(oid, key(3)))
    sql_store.delete_versions(oid, [key(3), key(1)])
    for flag in ("first", "last"):
        page = sql_store.query(ObjectQuery(ids=(oid,), versions=(flag,)))
        assert [v.version for v in page.items] == [key(2)]


def test_deleting_unknown_versions_deletes_nothing(sql_store: SqlStore) -> None:
    insert(sql_store, new(ident(1), key(1)))
    assert sql_store.delete_versions(ident(1), [key(9)]) == 0
    assert sql_store.delete_versions(ident(9), [key(1)]) == 0
    assert sql_store.delete_versions(ident(1), []) == 0
    assert len(sql_store.get_versions(ident(1))) == 1


def test_status_records_round_trip_and_purge(sql_store: SqlStore) -> None:
    statuses = SqlStatusStore(sql_store.engine)
    entries = (StatusEntry("indicator--x", key(1), "added"), StatusEntry("", "", "failed", "bad"))
    statuses.add(StatusRecord("s1", "c", "tok_1", 100, entries))
    statuses.add(StatusRecord("s2", "c", "tok_1", 300, ()))
    assert statuses.get("s1") == StatusRecord("s1", "c", "tok_1", 100, entries)
    assert statuses.purge_before(200) == 1
    assert statuses.get("s1") is None
    assert statuses.get("s2") is not None
