"""Contract of the signature port (``object_signatures``) on SQLite and PostgreSQL."""

from __future__ import annotations

from entente.store import SignatureStore, StoredSignature
from entente.store.sql import SqlStore
from entente.store.sql_signatures import SqlSignatureStore

A = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade"
B = "indicator--0f6a2e4b-7e51-4c37-9d6c-2a4f6b8d0c11"
V1 = "2024-03-01T12:00:00.000000000Z"
V2 = "2024-03-02T12:00:00.000000000Z"


def _signature(object_id: str, version: str, text: str = "{}") -> StoredSignature:
    return StoredSignature(object_id, version, "ab" * 32, text)


def test_kept_signatures_are_found_by_id_and_version(sql_store: SqlStore) -> None:
    store: SignatureStore = SqlSignatureStore(sql_store.engine)
    store.put([_signature(A, V1, '{"n": 1}'), _signature(A, V2, '{"n": 2}')])
    found = store.get([(A, V1), (A, V2), (B, V1)])
    assert set(found) == {(A, V1), (A, V2)}
    assert found[(A, V2)].extension == '{"n": 2}'
    assert store.get([]) == {}


def test_a_version_signed_again_replaces_its_signature(sql_store: SqlStore) -> None:
    store = SqlSignatureStore(sql_store.engine)
    store.put([_signature(A, V1, "old")])
    store.put([StoredSignature(A, V1, "cd" * 32, "new"), _signature(B, V1)])
    found = store.get([(A, V1), (B, V1)])
    assert found[(A, V1)] == StoredSignature(A, V1, "cd" * 32, "new")
    assert found[(B, V1)].extension == "{}"


def test_many_keys_are_looked_up_in_chunks(sql_store: SqlStore) -> None:
    store = SqlSignatureStore(sql_store.engine)
    ids = [f"indicator--00000000-0000-4000-8000-{n:012d}" for n in range(1_200)]
    store.put([_signature(i, V1) for i in ids])
    assert len(store.get([(i, V1) for i in ids])) == 1_200
    assert store.get([(ids[0], V2)]) == {}
