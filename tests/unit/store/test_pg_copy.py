"""COPY writes exactly the rows the INSERTs write (store.pg_copy against its reference twin,
the plain INSERT path of store.sql), all or nothing per batch, on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from entente.clock import FixedClock
from entente.errors import StorageError
from entente.stix import GranularMarking
from entente.store import NewVersion, ObjectQuery, Provenance, SourceKind
from entente.store.sql import SqlStore, open_store

pytestmark = pytest.mark.postgres

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
CREATOR = "identity--8ce3f695-d5a4-4dc8-9e93-a65af453a31a"
WORDS = ("alpha", "beta", "gamma", "d\u00e9j\u00e0", "tab\there", "back\\slash", "new\nline")

# Every table the insert transaction writes, and its order for a stable comparison. The
# tsvector is compared as its text form.
TABLES = {
    "object_versions": "SELECT * FROM object_versions ORDER BY date_added_us",
    "object_markings": "SELECT * FROM object_markings ORDER BY marking_ref, date_added_us",
    "search_values": "SELECT * FROM search_values ORDER BY kind, key, date_added_us",
    "search_values_recent": "SELECT * FROM search_values_recent ORDER BY kind, key, date_added_us",
    "search_state": "SELECT * FROM search_state",
    "search_text": "SELECT date_added_us, doc::text FROM search_text ORDER BY date_added_us",
    "dashboard_cells": "SELECT * FROM dashboard_cells ORDER BY cell",
    "dashboard_counts": "SELECT * FROM dashboard_counts ORDER BY cell, month",
    "dashboard_hits": "SELECT * FROM dashboard_hits ORDER BY target_ref, cell",
    "dashboard_hit_totals": "SELECT * FROM dashboard_hit_totals ORDER BY target_ref",
    "node_state": "SELECT * FROM node_state",
}


@pytest.fixture
def twin_stores(postgres_schema: tuple[str, str]) -> Iterator[tuple[SqlStore, SqlStore]]:
    """Two empty stores on one server: every batch through COPY, and none (the twin)."""
    url, schema = postgres_schema
    other = f"{schema}_twin"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{other}"'))
    copying = open_store(url, FixedClock(), schema=schema, copy_min_rows=1)
    inserting = open_store(url, FixedClock(), schema=other, copy_min_rows=10**9)
    try:
        yield copying, inserting
    finally:
        copying.close()
        inserting.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{other}" CASCADE'))
        admin.dispose()


def _dump(store: SqlStore) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.exec_driver_sql(sql)] for name, sql in TABLES.items()
        }


def _version(n: int) -> str:
    return f"2024-01-01T00:00:{n:02d}.000000000Z"


@st.composite
def objects(draw: st.DrawFn) -> list[tuple[NewVersion, Provenance]]:
    """A batch of versions of a few objects: indicators with values and words, sightings
    (which the dashboard counts), unmarked or marked, with and without granular markings."""
    batch: list[tuple[NewVersion, Provenance]] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(("indicator", "sighting", "malware")))
        oid = f"{kind}--{uuid.UUID(int=draw(st.integers(0, 2**128 - 1)), version=4)}"
        keys = draw(st.lists(st.integers(0, 59), min_size=1, max_size=3, unique=True))
        for key in keys:
            version = _version(key)
            markings = tuple(draw(st.lists(st.sampled_from((TLP_GREEN, TLP_AMBER)), max_size=2)))
            body: dict[str, Any] = {
                "type": kind,
                "spec_version": "2.1",
                "id": oid,
                "created": _version(min(keys))[:23] + "Z",
                "modified": version[:23] + "Z",
                "name": " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4))),
                "labels": draw(st.lists(st.sampled_from(WORDS), max_size=2)),
            }
            if kind == "indicator":
                octets = draw(st.tuples(*(st.integers(1, 254) for _ in range(4))))
                body["pattern"] = f"[ipv4-addr:value = '{'.'.join(map(str, octets))}']"
            elif kind == "sighting":
                body["sighting_of_ref"] = "indicator--" + str(uuid.UUID(int=key, version=4))
                body["count"] = draw(st.integers(1, 50))
            if markings:
                body["object_marking_refs"] = list(markings)
            granular: tuple[GranularMarking, ...] = ()
            if draw(st.booleans()):
                granular = ((TLP_AMBER, ("name",)),)
                body["granular_markings"] = [{"marking_ref": TLP_AMBER, "selectors": ["name"]}]
            new = NewVersion(
                id=oid,
                type=kind,
                spec_version="2.1",
                version=version,
                created=body["created"],
                modified=body["modified"],
                created_by_ref=draw(st.sampled_from((None, CREATOR))),
                revoked=draw(st.booleans()),
                marking_refs=markings,
                raw_json=orjson.dumps(body),
                granular_markings=granular,
            )
            provenance = Provenance(
                draw(st.sampled_from((SourceKind.FILE, SourceKind.PARTNER))),
                draw(st.sampled_from(("bundle.json", "feed \\ one"))),
                "alice",
                agreement=draw(st.sampled_from((None, "agreement-1"))),
                org=draw(st.sampled_from((None, CREATOR))),
            )
            batch.append((new, provenance))
    return batch


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(objects(), min_size=1, max_size=3))
def test_copy_writes_exactly_the_rows_the_inserts_write(
    twin_stores: tuple[SqlStore, SqlStore], batches: list[list[tuple[NewVersion, Provenance]]]
) -> None:
    copying, inserting = twin_stores
    for store in twin_stores:
        with store.transaction() as tx:
            for batch in batches:
                # New versions of objects held already come in later batches too, so that the
                # first/last flags and the dashboard move for stored rows as well.
                held = tx.versions_of([new.id for new, _ in batch])
                fresh = {
                    (new.id, new.version): (new, prov) for new, prov in batch if new.id not in held
                }
                tx.insert(list(fresh.values()))
    assert _dump(copying) == _dump(inserting)


def test_a_copied_batch_that_clashes_writes_nothing_and_leaves_the_transaction_usable(
    twin_stores: tuple[SqlStore, SqlStore],
) -> None:
    copying, _ = twin_stores
    first = [(_new(n), Provenance(SourceKind.FILE, "b", "alice")) for n in range(5)]
    with copying.transaction() as tx:
        tx.insert(first)
    before = _dump(copying)
    with copying.transaction() as tx:
        clash = [(_new(n), Provenance(SourceKind.FILE, "b", "alice")) for n in range(4, 9)]
        with pytest.raises(StorageError, match="already stored"):
            tx.insert(clash)
        # Nothing of the failed batch, and the transaction still writes.
        tx.insert([(_new(20), Provenance(SourceKind.FILE, "b", "alice"))])
    after = _dump(copying)
    assert after["object_versions"] == [
        *before["object_versions"],
        *[row for row in after["object_versions"] if row[1] == _id(20)],
    ]
    assert len(after["object_versions"]) == 6


def test_a_copied_batch_rolls_back_with_its_transaction(
    twin_stores: tuple[SqlStore, SqlStore],
) -> None:
    copying, _ = twin_stores
    empty = _dump(copying)
    with pytest.raises(RuntimeError), copying.transaction() as tx:
        tx.insert([(_new(n), Provenance(SourceKind.FILE, "b", "alice")) for n in range(50)])
        raise RuntimeError("caller failed after the insert")
    assert _dump(copying) == empty
    assert copying.query(ObjectQuery(versions=("all",))).items == ()


def _id(n: int) -> str:
    return f"indicator--00000000-0000-4000-8000-{n:012d}"


def _new(n: int) -> NewVersion:
    raw = orjson.dumps(
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": _id(n),
            "modified": "2024-01-01T00:00:00.000Z",
            "name": f"indicator number {n}",
            "pattern": f"[ipv4-addr:value = '10.0.0.{n}']",
        }
    )
    return NewVersion(
        id=_id(n),
        type="indicator",
        spec_version="2.1",
        version=_version(0),
        created=None,
        modified=_version(0),
        created_by_ref=None,
        revoked=False,
        marking_refs=(),
        raw_json=raw,
    )
