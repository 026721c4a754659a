"""The dashboard counters (migration 0010) on SQLite and PostgreSQL: kept in step with the
stored versions by every write path, and read back by ``SqlDashboardCounts``."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select, true
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from tests.unit.store.test_sql_store_contract import TLP_AMBER, TLP_GREEN, ident, insert, key, new

from entente.clock import FixedClock
from entente.store import NewVersion, Provenance, SourceKind, TargetHits
from entente.store.dashboard_index import cell_of, month_of, sighting_target
from entente.store.schema import (
    dashboard_counts,
    dashboard_hit_totals,
    dashboard_hits,
    object_versions,
)
from entente.store.sql import SqlStore, open_store
from entente.store.sql_dashboard import SqlDashboardCounts

_V = object_versions.c
FEED = Provenance(SourceKind.FEED, "feed one", "node")
PARTNER = Provenance(SourceKind.PARTNER, "cert-b", "identity--b", "agreement--1", "identity--b")
DAY_US = 86_400_000_000


def sighting(n: int, version: str, target: str, count: int | None) -> NewVersion:
    """A sighting of ``target`` (with that ``count``, none when ``None``)."""
    oid = ident(n, "sighting")
    obj: dict[str, Any] = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": oid,
        "modified": version,
        "sighting_of_ref": target,
    }
    if count is not None:
        obj["count"] = count
    return new(oid, version, raw=orjson.dumps(obj))


def counters(store: SqlStore) -> tuple[Counter[tuple[str, ...]], Counter[tuple[str, ...]]]:
    """(objects by (cell, month), (sightings, hits) flattened by (target, cell)) as stored."""
    with store.engine.connect() as conn:
        counts: Counter[tuple[str, ...]] = Counter(
            {(c, m): int(n) for c, m, n in conn.execute(select(*dashboard_counts.columns))}
        )
        hits: Counter[tuple[str, ...]] = Counter()
        for target, cell, sightings, total in conn.execute(select(*dashboard_hits.columns)):
            hits[(target, cell, "sightings")] = int(sightings)
            hits[(target, cell, "hits")] = int(total)
        for target, sightings, total in conn.execute(select(*dashboard_hit_totals.columns)):
            hits[(target, "sightings")] = int(sightings)
            hits[(target, "hits")] = int(total)
    return counts, hits


def recount(store: SqlStore) -> tuple[Counter[tuple[str, ...]], Counter[tuple[str, ...]]]:
    """The same counters worked out again from the latest versions (the slow twin)."""
    counts: Counter[tuple[str, ...]] = Counter()
    hits: Counter[tuple[str, ...]] = Counter()
    with store.engine.connect() as conn:
        rows = conn.execute(select(object_versions).where(_V.is_last == true())).all()
    for row in rows:
        facts = (
            row.type,
            row.created_by_ref,
            row.marking_refs,
            row.granular_markings,
            row.source_kind,
            row.source_name,
            row.principal,
            row.agreement,
            row.principal_org,
        )
        cell = cell_of(facts)
        counts[(cell, month_of(row.date_added_us))] += 1
        if row.type == "sighting":
            obj = orjson.loads(row.raw_json)
            for where in ((cell,), ()):
                hits[(obj["sighting_of_ref"], *where, "sightings")] += 1
                hits[(obj["sighting_of_ref"], *where, "hits")] += obj.get("count", 1)
    return +counts, +hits


def test_each_object_is_counted_once_by_its_latest_version(sql_store: SqlStore) -> None:
    insert(
        sql_store,
        new(ident(1), key(1), markings=(TLP_GREEN,)),
        new(ident(1), key(2), markings=(TLP_AMBER,)),
        new(ident(2, "report"), key(1)),
    )
    counts, _ = counters(sql_store)
    assert sum(counts.values()) == 2
    assert (counts, counters(sql_store)[1]) == recount(sql_store)
    amber = SqlDashboardCounts(sql_store.engine).cells(["indicator"])
    assert [c.marking_refs for c in amber if c.cell in {k[0] for k in counts}] == [(TLP_AMBER,)]


def test_a_new_version_moves_its_object_to_the_month_and_cell_it_was_added_in(
    sql_store: SqlStore,
) -> None:
    clock = FixedClock()
    store = SqlStore(sql_store.engine, clock)
    insert(store, new(ident(1), key(1), markings=(TLP_GREEN,)))
    first_month = month_of(clock.now_us())
    clock.advance(40 * DAY_US)
    insert(store, new(ident(1), key(2), markings=(TLP_AMBER,)), prov=FEED)
    counts, _ = counters(store)
    assert [month for _, month in counts] == [month_of(clock.now_us())]
    assert month_of(clock.now_us()) != first_month
    assert counts == recount(store)[0]


def test_an_older_version_arriving_later_changes_no_count(sql_store: SqlStore) -> None:
    insert(sql_store, new(ident(1), key(5), markings=(TLP_GREEN,)))
    before = counters(sql_store)
    insert(sql_store, new(ident(1), key(1), markings=(TLP_AMBER,)))
    assert counters(sql_store) == before == recount(sql_store)


def test_sightings_add_their_count_to_what_they_sighted(sql_store: SqlStore) -> None:
    target = ident(7)
    insert(
        sql_store,
        sighting(1, key(1), target, 5),
        sighting(2, key(1), target, None),  # STIX 2.1 §5.7: no count, seen at least once
        sighting(3, key(1), ident(8), 2),
    )
    # A newer version of a sighting replaces its count rather than adding to it.
    insert(sql_store, sighting(1, key(2), target, 9))
    reader = SqlDashboardCounts(sql_store.engine)
    top = reader.targets_by_total(None, 10)
    assert top == [TargetHits(target, 2, 10), TargetHits(ident(8), 1, 2)]
    assert reader.targets_by_total((10, target), 10) == [top[1]]
    assert reader.targets_by_total(None, 1) == [top[0]]
    assert reader.targets_by_total(None, 0) == []
    (cell,) = [cell.cell for cell in reader.cells(["sighting"])]
    assert reader.hits_in([target, ident(8), ident(9)], [cell]) == top
    assert reader.hits_in([target], ["another cell"]) == []
    assert reader.hits_in([], [cell]) == []
    # Past one IN list of cells and of targets ("!" sorts before every hex digit).
    many_cells = [f"!{i:04d}" for i in range(1200)] + [cell]
    many_targets = [f"indicator--!{i:04d}" for i in range(1200)] + [target]
    assert reader.hits_in(many_targets, many_cells) == [top[0]]
    assert counters(sql_store) == recount(sql_store)


def test_keyset_paging_breaks_ties_by_id_descending(sql_store: SqlStore) -> None:
    insert(sql_store, *(sighting(n, key(1), ident(10 + n), 4) for n in range(5)))
    reader = SqlDashboardCounts(sql_store.engine)
    pages, after = [], None
    while page := reader.targets_by_total(after, 2):
        pages.append([t.target_ref for t in page])
        after = (page[-1].hits, page[-1].target_ref)
    assert [target for page in pages for target in page] == [ident(14 - n) for n in range(5)]
    assert [len(p) for p in pages] == [2, 2, 1]


def test_deleting_versions_takes_their_counts_away(sql_store: SqlStore) -> None:
    insert(sql_store, sighting(1, key(1), ident(7), 3), sighting(1, key(2), ident(7), 4))
    assert sql_store.delete_versions(ident(1, "sighting"), [key(2)]) == 1
    assert counters(sql_store) == recount(sql_store)
    _, hits = counters(sql_store)
    assert sorted(hits.values()) == [1, 1, 3, 3]  # per cell and in all
    sql_store.delete_versions(ident(1, "sighting"), [key(1)])
    assert counters(sql_store) == (Counter(), Counter())


def test_corrections_and_withdrawals_keep_the_counts(sql_store: SqlStore) -> None:
    insert(sql_store, sighting(1, key(1), ident(7), 3), new(ident(2), key(1)))
    replacement = sighting(1, key(1), ident(7), 8)
    with sql_store.transaction() as tx:
        tx.correct([(replacement, FEED, "content")])
    assert counters(sql_store) == recount(sql_store)
    assert sorted(counters(sql_store)[1].values()) == [1, 1, 8, 8]
    with sql_store.transaction() as tx:
        tx.withdraw([ident(1, "sighting")])
    assert counters(sql_store) == recount(sql_store)
    assert counters(sql_store)[1] == Counter()


def test_a_rolled_back_insert_leaves_no_count(sql_store: SqlStore) -> None:
    with pytest.raises(RuntimeError), sql_store.transaction() as tx:
        tx.insert([(sighting(1, key(1), ident(7), 3), PARTNER)])
        raise RuntimeError("abort")
    assert counters(sql_store) == (Counter(), Counter())


def test_month_counts_start_at_the_month_asked(sql_store: SqlStore) -> None:
    clock = FixedClock()
    store = SqlStore(sql_store.engine, clock)
    insert(store, new(ident(1), key(1)))
    clock.advance(62 * DAY_US)
    insert(store, new(ident(2), key(1)))
    reader = SqlDashboardCounts(store.engine)
    late = month_of(clock.now_us())
    assert [(c.month, c.objects) for c in reader.month_counts(late)] == [(late, 1)]
    assert len(reader.month_counts("0000-00")) == 2


def test_sighting_target_reads_ref_and_count() -> None:
    assert sighting_target('{"sighting_of_ref": "indicator--a", "count": 4}') == ("indicator--a", 4)
    assert sighting_target({"sighting_of_ref": "indicator--a"}) == ("indicator--a", 1)
    assert sighting_target({"sighting_of_ref": "indicator--a", "count": True}) == (
        "indicator--a",
        1,
    )
    assert sighting_target("not json") is None
    assert sighting_target({"count": 2}) is None
    assert sighting_target(None) is None


def test_migration_0010_backfills_what_was_stored_before(sql_store: SqlStore) -> None:
    insert(
        sql_store,
        new(ident(1), key(1), markings=(TLP_GREEN,)),
        new(ident(1), key(2)),
        sighting(3, key(1), ident(1), 6),
    )
    expected = counters(sql_store)
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    with sql_store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
        command.upgrade(config, "0010")
    assert counters(sql_store) == expected == recount(sql_store)


# --- A property: every write path keeps the counters equal to a recount. ---

_TYPES = ("indicator", "sighting", "incident", "report")
_PROVENANCES = (FEED, PARTNER, Provenance(SourceKind.FILE, "bundle.json", "alice"))
_MARKINGS = ((), (TLP_GREEN,), (TLP_AMBER,), (TLP_GREEN, TLP_AMBER))

_operation = st.one_of(
    st.tuples(
        st.just("insert"),
        st.integers(0, 5),  # object
        st.integers(1, 6),  # version
        st.sampled_from(_MARKINGS),
        st.sampled_from(_PROVENANCES),
        st.integers(0, 20),  # count of a sighting
    ),
    st.tuples(st.just("delete"), st.integers(0, 5), st.integers(1, 6)),
    st.tuples(st.just("withdraw"), st.integers(0, 5)),
    st.tuples(st.just("advance"), st.integers(0, 45)),
)


def _object(n: int) -> tuple[str, str]:
    kind = _TYPES[n % len(_TYPES)]
    return kind, ident(n, kind)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=st.lists(_operation, max_size=12))
def test_counters_always_equal_a_recount_of_the_latest_versions(
    sql_store: SqlStore, operations: list[tuple[Any, ...]]
) -> None:
    clock = FixedClock()
    store = SqlStore(sql_store.engine, clock)
    with store.engine.begin() as conn:  # each example starts from an empty store
        for table in (dashboard_counts, dashboard_hits, dashboard_hit_totals, object_versions):
            conn.execute(delete(table))
    for operation in operations:
        if operation[0] == "insert":
            _, n, version, markings, prov, count = operation
            kind, oid = _object(n)
            if kind == "sighting":
                item = sighting(n, key(version), ident(n % 2), count)
                item = dataclasses.replace(item, marking_refs=markings)
            else:
                item = new(oid, key(version), markings=markings)
            if (oid, key(version)) in {(v.id, v.version) for v in _held(store, oid)}:
                with store.transaction() as tx:
                    tx.correct([(item, prov, "content")])
            else:
                insert(store, item, prov=prov)
        elif operation[0] == "delete":
            store.delete_versions(_object(operation[1])[1], [key(operation[2])])
        elif operation[0] == "withdraw":
            with store.transaction() as tx:
                tx.withdraw([_object(operation[1])[1]])
        else:
            clock.advance(operation[1] * DAY_US)
        assert counters(store) == recount(store)


def _held(store: SqlStore, oid: str) -> list[Any]:
    with store.transaction() as tx:
        return tx.versions_of([oid]).get(oid, [])


def test_the_top_hits_walk_reads_the_totals_index_without_sorting(tmp_path: Path) -> None:
    database = tmp_path / "plans.db"
    store = open_store(f"sqlite:///{database}", FixedClock())
    try:
        insert(store, *(sighting(n, key(1), ident(100 + n), n) for n in range(30)))
        statements: list[str] = []

        @event.listens_for(store.engine, "connect")
        def _trace(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # sqlite3 hands the statement with its parameters bound (sqlite3_expanded_sql).
            dbapi_conn.set_trace_callback(statements.append)

        store.engine.dispose()  # reconnect, traced
        reader = SqlDashboardCounts(store.engine)
        first = reader.targets_by_total(None, 5)
        reader.targets_by_total((first[-1].hits, first[-1].target_ref), 5)
    finally:
        store.close()
    reads = [s for s in statements if "FROM dashboard_hit_totals" in s]
    assert len(reads) == 2
    for statement in reads:
        with closing(sqlite3.connect(database)) as conn:
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]
        assert any("ix_dashboard_hit_totals_hits_target_ref" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
