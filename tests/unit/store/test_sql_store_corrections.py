"""Creator corrections in the store: the replaced version moves to history, on both backends."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from sqlalchemy import select
from tests.unit.store.test_sql_store_contract import (
    PROV,
    TLP_AMBER,
    TLP_GREEN,
    everything,
    ident,
    insert,
    key,
    new,
)

from entente.errors import StorageError
from entente.store import ObjectQuery, Provenance, SourceKind, VersionFilter
from entente.store.schema import object_markings
from entente.store.sql import SqlStore

CORRECTOR = Provenance(SourceKind.FILE, "release-17.1.json", "operator")


@pytest.fixture
def store(sql_store: SqlStore) -> SqlStore:
    """The shared fresh store (tests/unit/store/conftest.py)."""
    return sql_store


def corrected(object_id: str, version: str, note: str) -> bytes:
    return orjson.dumps({"type": "indicator", "id": object_id, "modified": version, "x_note": note})


def test_a_correction_replaces_the_version_and_keeps_the_old_one_in_history(
    store: SqlStore,
) -> None:
    oid = ident(1)
    [first, second] = insert(store, new(oid, key(1)), new(oid, key(2), markings=(TLP_GREEN,)))
    replacement = dataclasses.replace(
        new(oid, key(2), markings=(TLP_AMBER,)), raw_json=corrected(oid, key(2), "fixed")
    )
    with store.transaction() as txn:
        [stored] = txn.correct([(replacement, CORRECTOR, "content")])
    # A new date_added, so that clients polling with added_after receive the correction.
    assert stored.date_added_us > second.date_added_us
    assert stored.is_last and not stored.is_first
    versions = everything(store, versions=(VersionFilter.ALL,))
    assert [(v.version, v.raw_json) for v in versions] == [
        (key(1), first.raw_json),
        (key(2), replacement.raw_json),
    ]
    [last] = store.query(ObjectQuery(ids=(oid,), versions=(VersionFilter.LAST,))).items
    assert last.raw_json == replacement.raw_json and last.provenance == CORRECTOR
    [firsts] = store.query(ObjectQuery(ids=(oid,), versions=(VersionFilter.FIRST,))).items
    assert firsts.date_added_us == first.date_added_us
    [history] = store.history(oid)
    assert history.version == second  # as it was stored, with its provenance and date_added
    assert history.version.provenance == PROV
    assert (history.replaced_by_us, history.correction) == (stored.date_added_us, "content")
    # The marking index follows the content: the replaced version's GREEN entry is gone.
    with store.engine.connect() as conn:
        index = set(conn.execute(select(object_markings.c.marking_ref)).scalars())
    assert index == {TLP_AMBER}


def test_the_only_version_of_an_unversioned_object_is_corrected_in_place(
    store: SqlStore,
) -> None:
    oid = ident(2, "marking-definition")
    [held] = insert(store, new(oid, key(1)))
    replacement = dataclasses.replace(new(oid, key(1)), raw_json=b'{"statement":"2025"}')
    with store.transaction() as txn:
        [stored] = txn.correct([(replacement, CORRECTOR, "content")])
    assert stored.is_first and stored.is_last
    assert [v.raw_json for v in everything(store)] == [b'{"statement":"2025"}']
    assert [h.version.raw_json for h in store.history(oid)] == [held.raw_json]


def test_correcting_twice_in_one_call_keeps_both_replaced_contents(store: SqlStore) -> None:
    oid = ident(3)
    insert(store, new(oid, key(1)))
    one = dataclasses.replace(new(oid, key(1)), raw_json=corrected(oid, key(1), "one"))
    two = dataclasses.replace(new(oid, key(1)), raw_json=corrected(oid, key(1), "two"))
    with store.transaction() as txn:
        txn.correct([(one, CORRECTOR, "content"), (two, CORRECTOR, "content")])
    assert [v.raw_json for v in everything(store)] == [two.raw_json]
    assert [h.version.raw_json for h in store.history(oid)][1:] == [one.raw_json]


def test_correcting_a_version_that_is_not_stored_is_a_storage_error(store: SqlStore) -> None:
    oid = ident(4)
    insert(store, new(oid, key(1)))
    with pytest.raises(StorageError, match="not stored"), store.transaction() as txn:
        txn.correct([(new(oid, key(2)), CORRECTOR, "content")])
    assert [v.version for v in everything(store, versions=(VersionFilter.ALL,))] == [key(1)]
    assert store.history(oid) == []


def test_a_failed_transaction_keeps_the_version_and_writes_no_history(store: SqlStore) -> None:
    oid = ident(5)
    [held] = insert(store, new(oid, key(1)))
    replacement = dataclasses.replace(new(oid, key(1)), raw_json=corrected(oid, key(1), "x"))
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.correct([(replacement, CORRECTOR, "content")])
        raise RuntimeError("the document broke later on")
    assert everything(store) == [held]
    assert store.history(oid) == []


def test_deleting_a_version_deletes_what_its_corrections_replaced(store: SqlStore) -> None:
    oid = ident(6)
    insert(store, new(oid, key(1)), new(oid, key(2)))
    replacement = dataclasses.replace(new(oid, key(2)), raw_json=corrected(oid, key(2), "x"))
    with store.transaction() as txn:
        txn.correct([(replacement, CORRECTOR, "content")])
    assert store.delete_versions(oid, [key(2)]) == 1
    assert store.history(oid) == []
    [remaining] = everything(store, versions=(VersionFilter.ALL,))
    assert remaining.version == key(1) and remaining.is_first and remaining.is_last
