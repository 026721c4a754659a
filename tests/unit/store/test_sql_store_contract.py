"""Contract of the ObjectStore port, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text

from entente.clock import Clock, FixedClock
from entente.errors import ConfigurationError, ObjectNotFound, StorageError
from entente.store import (
    NewVersion,
    ObjectQuery,
    ObjectStore,
    Provenance,
    SourceKind,
    StoredVersion,
)
from entente.store.schema import object_markings, object_versions
from entente.store.sql import HEAD_REVISION, SqlStore, open_store

OpenStore = Callable[[Clock], SqlStore]

PROV = Provenance(SourceKind.FILE, "bundle.json", "alice")
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"


def key(n: int) -> str:
    """The version key of the n-th second of 2024-01-01 (nine fraction digits)."""
    return f"2024-01-01T00:00:{n:02d}.000000000Z"


def ident(n: int, kind: str = "indicator") -> str:
    """A deterministic STIX identifier."""
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


def new(
    object_id: str,
    version: str = "2024-01-01T00:00:00.000000000Z",
    *,
    spec_version: str = "2.1",
    markings: tuple[str, ...] = (),
    raw: bytes | None = None,
) -> NewVersion:
    """A NewVersion whose raw JSON matches its fields."""
    kind = object_id.split("--", 1)[0]
    if raw is None:
        raw = orjson.dumps(
            {"type": kind, "spec_version": spec_version, "id": object_id, "modified": version}
        )
    return NewVersion(
        id=object_id,
        type=kind,
        spec_version=spec_version,
        version=version,
        created=version or None,
        modified=version or None,
        created_by_ref=None,
        revoked=False,
        marking_refs=markings,
        raw_json=raw,
    )


def insert(
    store: ObjectStore, *versions: NewVersion, prov: Provenance = PROV
) -> list[StoredVersion]:
    """Insert ``versions`` in one transaction."""
    with store.transaction() as tx:
        return tx.insert([(v, prov) for v in versions])


def everything(store: ObjectStore, **filters: Any) -> list[StoredVersion]:
    """Every version matching ``ObjectQuery(**filters)``."""
    return list(store.iter_all(ObjectQuery(**filters)))


def pairs(records: list[StoredVersion]) -> list[tuple[str, str]]:
    """(id, version) of each record, in order."""
    return [(r.id, r.version) for r in records]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def open_at(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens a store at one fixed location per test (reopening sees the same data)."""
    opened: list[SqlStore] = []
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'db' / 'entente.db'}", None
    else:
        url, schema = request.getfixturevalue("postgres_schema")

    def opener(clock: Clock) -> SqlStore:
        store = open_store(url, clock, schema=schema)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def clock() -> FixedClock:
    """A clock that stands still unless a test moves it."""
    return FixedClock()


@pytest.fixture
def store(open_at: OpenStore, clock: FixedClock) -> SqlStore:
    """A fresh, empty store on the backend under test."""
    return open_at(clock)


# --- what goes in comes out -------------------------------------------------------------


def test_raw_json_round_trips_byte_for_byte(store: SqlStore) -> None:
    raw = (
        b'{ "z_last_key_first": 1, "type":"note",\n  "id": "note--00000000-0000-4000-8000-'
        b'000000000001", "content": "caf\xc3\xa9 \\u00e9 \\"quoted\\"", "n": 1.50E+3 }'
    )
    written = insert(store, new(ident(1, "note"), key(1), raw=raw))
    [read] = everything(store)
    assert written[0].raw_json == raw
    assert read.raw_json == raw
    assert store.get_versions(ident(1, "note"))[0].raw_json == raw
    assert read.to_json()["content"] == 'café é "quoted"'


def test_all_fields_and_provenance_round_trip(store: SqlStore) -> None:
    prov = Provenance(SourceKind.PARTNER, "partner-a", "bob", agreement="agreement--1")
    version = NewVersion(
        id=ident(1),
        type="indicator",
        spec_version="2.1",
        version=key(5),
        created=key(1),
        modified=key(5),
        created_by_ref="identity--00000000-0000-4000-8000-000000000009",
        revoked=True,
        marking_refs=(TLP_AMBER,),
        raw_json=b"{}",
    )
    [written] = insert(store, version, prov=prov)
    [read] = store.get_versions(ident(1))
    assert read == written
    assert read.provenance == prov
    assert (read.created, read.modified, read.created_by_ref, read.revoked) == (
        key(1),
        key(5),
        "identity--00000000-0000-4000-8000-000000000009",
        True,
    )
    insert(store, new(ident(2)), prov=Provenance(SourceKind.FEED, "feed-x", "system"))
    assert store.get_versions(ident(2))[0].provenance.agreement is None


def test_sco_with_empty_version_key_is_stored(store: SqlStore) -> None:
    insert(store, new("ipv4-addr--00000000-0000-4000-8000-000000000001", ""))
    [read] = store.get_versions("ipv4-addr--00000000-0000-4000-8000-000000000001", ["last"])
    assert read.version == ""


def test_markings_are_stored_and_returned_in_order(store: SqlStore) -> None:
    refs = (TLP_GREEN, TLP_AMBER, "marking-definition--00000000-0000-4000-8000-000000000003")
    [written] = insert(store, new(ident(1), markings=refs), new(ident(2)))[:1]
    assert written.marking_refs == refs
    assert store.get_versions(ident(1))[0].marking_refs == refs
    assert store.get_versions(ident(2))[0].marking_refs == ()
    assert [r.marking_refs for r in everything(store)] == [refs, ()]
    with store.transaction() as tx:
        assert tx.versions_of([ident(1)])[ident(1)][0].marking_refs == refs


# --- date_added (TAXII 2.1 §3.2) --------------------------------------------------------


def test_date_added_follows_the_clock_when_it_moves_forward(
    store: SqlStore, clock: FixedClock
) -> None:
    [first] = insert(store, new(ident(1)))
    clock.advance(5_000_000)
    [second] = insert(store, new(ident(2)))
    assert first.date_added_us == clock.current_us - 5_000_000
    assert second.date_added_us == clock.current_us


def test_date_added_strictly_increases_within_a_batch(store: SqlStore) -> None:
    written = insert(store, *(new(ident(n)) for n in range(50)))
    stamps = [r.date_added_us for r in written]
    assert stamps == sorted(set(stamps))
    assert [r.date_added_us for r in everything(store)] == stamps


def test_date_added_strictly_increases_across_batches_and_transactions(store: SqlStore) -> None:
    stamps: list[int] = []
    with store.transaction() as tx:
        stamps += [r.date_added_us for r in tx.insert([(new(ident(1)), PROV)])]
        stamps += [r.date_added_us for r in tx.insert([(new(ident(2)), PROV)])]
    stamps += [r.date_added_us for r in insert(store, new(ident(3)), new(ident(4)))]
    assert stamps == sorted(set(stamps))


def test_date_added_keeps_increasing_when_the_clock_goes_backwards(
    store: SqlStore, clock: FixedClock
) -> None:
    [before] = insert(store, new(ident(1)))
    clock.current_us -= 3_600_000_000
    [after] = insert(store, new(ident(2)))
    assert after.date_added_us > before.date_added_us


def test_date_added_keeps_increasing_across_reopen(open_at: OpenStore) -> None:
    first = open_at(FixedClock(2_000_000_000_000_000))
    written = insert(first, *(new(ident(n)) for n in range(3)))
    first.close()
    # A restart with a clock an hour behind must not reuse or go below stored instants.
    second = open_at(FixedClock(2_000_000_000_000_000 - 3_600_000_000))
    [later] = insert(second, new(ident(9)))
    assert later.date_added_us > max(r.date_added_us for r in written)
    assert len(everything(second)) == 4


# --- uniqueness and atomicity -----------------------------------------------------------


def test_storing_a_stored_id_and_version_again_is_a_storage_error(store: SqlStore) -> None:
    insert(store, new(ident(1), key(1)))
    with pytest.raises(StorageError, match="already stored"):
        insert(store, new(ident(2), key(1)), new(ident(1), key(1)))
    assert pairs(everything(store, versions=("all",))) == [(ident(1), key(1))]


def test_the_same_id_and_version_twice_in_one_batch_is_a_storage_error(store: SqlStore) -> None:
    with pytest.raises(StorageError, match="twice"):
        insert(store, new(ident(1), key(1)), new(ident(1), key(1)))
    assert store.stats().versions == 0


def test_a_clash_rolls_back_everything_of_its_transaction(store: SqlStore) -> None:
    insert(store, new(ident(1), key(1)))
    with pytest.raises(StorageError), store.transaction() as tx:
        tx.insert([(new(ident(2), key(1)), PROV)])
        tx.insert([(new(ident(1), key(2)), PROV), (new(ident(1), key(1)), PROV)])
    assert pairs(everything(store, versions=("all",))) == [(ident(1), key(1))]
    assert store.get_versions(ident(1), ["last"])[0].version == key(1)


def test_an_exception_inside_a_transaction_rolls_back_everything(store: SqlStore) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        tx.insert([(new(ident(1)), PROV)])
        tx.insert([(new(ident(2)), PROV)])
        raise RuntimeError("boom")
    assert store.stats().versions == 0
    assert everything(store, versions=("all",)) == []


def test_a_failed_insert_writes_none_of_its_batch_and_leaves_the_transaction_usable(
    store: SqlStore,
) -> None:
    insert(store, new(ident(1), key(1)))
    with store.transaction() as tx:
        tx.insert([(new(ident(2)), PROV)])
        with pytest.raises(StorageError):
            tx.insert([(new(ident(3)), PROV), (new(ident(1), key(1)), PROV)])
        tx.insert([(new(ident(4)), PROV)])
    assert {r.id for r in everything(store)} == {ident(1), ident(2), ident(4)}


def test_a_finished_transaction_cannot_be_used(store: SqlStore) -> None:
    with store.transaction() as tx:
        pass
    with pytest.raises(StorageError, match="over"):
        tx.insert([(new(ident(1)), PROV)])


# --- versions: first, last, all, exact (TAXII 2.1 §3.4.3) -------------------------------


def test_version_filters_select_first_last_all_and_exact(store: SqlStore) -> None:
    insert(store, new(ident(1), key(1)), new(ident(1), key(2)), new(ident(1), key(3)))
    insert(store, new(ident(2), key(7)))

    def of_one(*versions: str) -> list[str]:
        return [r.version for r in everything(store, ids=(ident(1),), versions=versions)]

    assert of_one("first") == [key(1)]
    assert of_one("last") == [key(3)]
    assert of_one() == [key(3)]  # an empty selection is the TAXII default, last
    assert of_one("all") == [key(1), key(2), key(3)]
    assert of_one(key(2)) == [key(2)]
    assert of_one("first", "last") == [key(1), key(3)]
    assert of_one("first", key(2)) == [key(1), key(2)]
    assert of_one("all", key(2)) == [key(1), key(2), key(3)]
    assert of_one(key(9)) == []
    assert pairs(everything(store, versions=("first",))) == [
        (ident(1), key(1)),
        (ident(2), key(7)),
    ]
    assert [r.version for r in store.get_versions(ident(1))] == [key(1), key(2), key(3)]
    assert [r.version for r in store.get_versions(ident(1), ["last", key(1)])] == [
        key(1),
        key(3),
    ]


def test_first_and_last_stay_right_when_versions_arrive_out_of_order(store: SqlStore) -> None:
    insert(store, new(ident(1), key(5)))
    insert(store, new(ident(1), key(3)))  # older than the stored one: the new first
    insert(store, new(ident(1), key(4)), new(ident(1), key(9)), new(ident(1), key(1)))
    insert(store, new(ident(1), key(7)))  # in the middle: changes nothing
    assert [r.version for r in store.get_versions(ident(1), ["first"])] == [key(1)]
    assert [r.version for r in store.get_versions(ident(1), ["last"])] == [key(9)]
    with store.transaction() as tx:
        held = tx.versions_of([ident(1)])[ident(1)]
        assert [r.version for r in held] == [key(n) for n in (1, 3, 4, 5, 7, 9)]
        # Same transaction: the insert relies on what versions_of has just read.
        tx.insert([(new(ident(1), key(0)), PROV), (new(ident(1), key(10)), PROV)])
    assert [r.version for r in store.get_versions(ident(1), ["first", "last"])] == [
        key(0),
        key(10),
    ]


def test_a_version_committed_by_another_writer_meanwhile_is_taken_into_account(
    open_at: OpenStore, clock: FixedClock
) -> None:
    mine, other = open_at(clock), open_at(clock)
    committed = threading.Event()

    def write_newer() -> None:
        insert(other, new(ident(1), key(5)))
        committed.set()

    with mine.transaction() as tx:
        assert tx.versions_of([ident(1)]) == {}
        writer = threading.Thread(target=write_newer)
        writer.start()
        # PostgreSQL: the other writer commits now, between our read and our insert.
        # SQLite: it waits for our write lock, so it cannot.
        committed.wait(timeout=1.0)
        tx.insert([(new(ident(1), key(3)), PROV)])
    writer.join()
    assert [r.version for r in mine.get_versions(ident(1), ["first"])] == [key(3)]
    assert [r.version for r in mine.get_versions(ident(1), ["last"])] == [key(5)]
    stamps = [r.date_added_us for r in everything(mine, versions=("all",))]
    assert stamps == sorted(set(stamps))


def test_get_versions_of_an_unknown_object_or_version_is_not_found(store: SqlStore) -> None:
    insert(store, new(ident(1), key(1)))
    with pytest.raises(ObjectNotFound):
        store.get_versions(ident(2))
    with pytest.raises(ObjectNotFound):
        store.get_versions(ident(1), [key(2)])


def test_versions_of_returns_oldest_first_and_omits_unknown_ids(store: SqlStore) -> None:
    ids = [ident(n) for n in range(1_200)]  # more than one statement's worth of ids
    insert(store, *(new(i, key(2)) for i in ids[::2]))
    insert(store, *(new(i, key(1)) for i in ids[::4]))
    with store.transaction() as tx:
        held = tx.versions_of([*ids, ids[0]])
    assert set(held) == set(ids[::2])
    assert [r.version for r in held[ids[0]]] == [key(1), key(2)]
    assert [r.version for r in held[ids[2]]] == [key(2)]


# --- filters and paging -----------------------------------------------------------------


def test_type_id_spec_version_and_added_after_filters(store: SqlStore, clock: FixedClock) -> None:
    [ind] = insert(store, new(ident(1, "indicator")))
    clock.advance(10)
    [mal] = insert(store, new(ident(2, "malware"), spec_version="2.0"))
    clock.advance(10)
    [note] = insert(store, new(ident(3, "note")))

    assert pairs(everything(store, types=("malware", "note"))) == pairs([mal, note])
    assert pairs(everything(store, ids=(ident(1, "indicator"), ident(3, "note")))) == pairs(
        [ind, note]
    )
    assert pairs(everything(store, spec_versions=("2.0",))) == pairs([mal])
    assert pairs(everything(store, added_after_us=ind.date_added_us)) == pairs([mal, note])
    assert everything(store, added_after_us=note.date_added_us) == []
    assert pairs(everything(store, types=("indicator", "malware"), spec_versions=("2.1",))) == (
        pairs([ind])
    )


def test_paging_is_stable_without_duplicates_or_gaps(store: SqlStore) -> None:
    expected: list[StoredVersion] = []
    for batch in range(5):  # 20 versions, four per transaction
        expected += insert(store, *(new(ident(batch * 4 + n)) for n in range(4)))
    seen: list[StoredVersion] = []
    cursor: int | None = None
    pages = 0
    while True:
        page = store.query(ObjectQuery(after_cursor=cursor, limit=3))
        seen += page.items
        pages += 1
        assert len(page.items) <= 3
        if not page.more:
            break
        assert page.next_cursor == page.items[-1].date_added_us
        cursor = page.next_cursor
    assert pages == 7
    assert seen == expected


def test_a_page_cursor_stays_valid_after_more_inserts(store: SqlStore) -> None:
    first_batch = insert(store, *(new(ident(n)) for n in range(6)))
    page = store.query(ObjectQuery(limit=3))
    assert page.next_cursor is not None
    later = insert(store, *(new(ident(n)) for n in range(6, 9)))
    rest = everything(store, after_cursor=page.next_cursor, limit=2)
    assert list(page.items) + rest == first_batch + later


def test_a_page_of_exactly_the_remaining_items_says_no_more(store: SqlStore) -> None:
    insert(store, *(new(ident(n)) for n in range(3)))
    page = store.query(ObjectQuery(limit=3))
    assert len(page.items) == 3
    assert page.next_cursor is None
    assert not page.more


def test_a_query_limit_below_one_is_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.query(ObjectQuery(limit=0))


def test_stats_count_objects_versions_and_objects_per_type(store: SqlStore) -> None:
    assert store.stats().objects == 0
    insert(store, new(ident(1), key(1)), new(ident(1), key(2)), new(ident(2), key(1)))
    insert(store, new(ident(3, "malware"), key(1)))
    stats = store.stats()
    assert (stats.objects, stats.versions) == (3, 4)
    assert stats.by_type == {"indicator": 2, "malware": 1}


# --- opening ----------------------------------------------------------------------------


def test_reopening_a_migrated_store_keeps_its_data(open_at: OpenStore) -> None:
    first = open_at(FixedClock())
    insert(first, new(ident(1)))
    first.close()
    second = open_at(FixedClock())
    assert second.stats().versions == 1
    with second.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            == _head_revision()
        )


def test_sqlite_store_creates_its_directory_and_sets_its_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "entente.db"
    store = open_store(f"sqlite:///{path}", FixedClock())
    try:
        assert path.exists()
        with store.engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        assert pragma == {
            "journal_mode": "wal",
            "synchronous": 2,  # FULL
            "foreign_keys": 1,
            "busy_timeout": 30_000,
        }
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "schema"),
    [("mysql://localhost/x", None), ("not a url", None), ("sqlite:///:memory:", "other")],
)
def test_open_store_refuses_what_it_cannot_serve(url: str, schema: str | None) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url, FixedClock(), schema=schema)


# --- every fast path has a slow twin ----------------------------------------------------

ID_POOL = [ident(1), ident(2), ident(3, "malware"), ident(4, "note")]
KEY_POOL = [key(n) for n in range(5)]
SPEC_POOL = ["2.0", "2.1"]

versions_strategy = st.lists(
    st.tuples(st.sampled_from(ID_POOL), st.sampled_from(KEY_POOL), st.sampled_from(SPEC_POOL)),
    unique_by=lambda t: (t[0], t[1]),
    max_size=14,
)


@dataclass(frozen=True)
class QuerySpec:
    """An ObjectQuery to be, with added_after given as an index into what was stored."""

    types: tuple[str, ...]
    ids: tuple[str, ...]
    versions: tuple[str, ...]
    spec_versions: tuple[str, ...]
    added_after_index: int | None
    limit: int


def tuples(elements: st.SearchStrategy[str], max_size: int) -> st.SearchStrategy[tuple[str, ...]]:
    """Short tuples drawn from ``elements``."""
    return st.lists(elements, max_size=max_size).map(tuple)


query_strategy = st.builds(
    QuerySpec,
    types=tuples(st.sampled_from(["indicator", "malware", "note", "tool"]), 2),
    ids=tuples(st.sampled_from([*ID_POOL, ident(9)]), 2),
    versions=tuples(
        st.sampled_from(["first", "last", "all", KEY_POOL[0], KEY_POOL[3], key(59)]), 3
    ),
    spec_versions=tuples(st.sampled_from(SPEC_POOL), 1),
    added_after_index=st.none() | st.integers(0, 13),
    limit=st.integers(1, 4),
)


def reference(stored: list[StoredVersion], query: ObjectQuery) -> list[StoredVersion]:
    """The plain-Python meaning of ObjectQuery: a loop over every stored version."""
    firsts = {r.id: min(s.version for s in stored if s.id == r.id) for r in stored}
    lasts = {r.id: max(s.version for s in stored if s.id == r.id) for r in stored}
    wanted = set(query.versions) or {"last"}
    out = []
    for r in stored:
        chosen = (
            "all" in wanted
            or r.version in wanted
            or ("first" in wanted and r.version == firsts[r.id])
            or ("last" in wanted and r.version == lasts[r.id])
        )
        if not chosen:
            continue
        if query.types and r.type not in query.types:
            continue
        if query.ids and r.id not in query.ids:
            continue
        if query.spec_versions and r.spec_version not in query.spec_versions:
            continue
        if query.added_after_us is not None and r.date_added_us <= query.added_after_us:
            continue
        out.append(r)
    return sorted(out, key=lambda r: r.date_added_us)


@settings(
    max_examples=40,
    deadline=None,
    # Each example empties the tables itself, so a store per test (not per example) is fine.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    versions=versions_strategy,
    batch_sizes=st.lists(st.integers(1, 4), min_size=1, max_size=6),
    queries=st.lists(query_strategy, min_size=1, max_size=4),
)
def test_queries_match_a_naive_reference(
    store: SqlStore,
    versions: list[tuple[str, str, str]],
    batch_sizes: list[int],
    queries: list[QuerySpec],
) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(object_markings))
        conn.execute(delete(object_versions))
    stored: list[StoredVersion] = []
    position = 0
    batch = 0
    while position < len(versions):  # random batch boundaries, in insertion order
        size = batch_sizes[batch % len(batch_sizes)]
        chunk = versions[position : position + size]
        stored += insert(store, *(new(i, k, spec_version=s) for i, k, s in chunk))
        position += size
        batch += 1

    for spec in queries:
        index = spec.added_after_index
        query = ObjectQuery(
            types=spec.types,
            ids=spec.ids,
            versions=spec.versions,
            spec_versions=spec.spec_versions,
            added_after_us=stored[index].date_added_us
            if index is not None and index < len(stored)
            else None,
            limit=spec.limit,
        )
        assert list(store.iter_all(query)) == reference(stored, query)
    for object_id in {i for i, _, _ in versions}:
        mine = [r for r in stored if r.id == object_id]
        assert store.get_versions(object_id) == sorted(mine, key=lambda r: r.version)
        with store.transaction() as tx:
            assert tx.versions_of([object_id]) == {object_id: sorted(mine, key=lambda r: r.version)}


def _head_revision() -> str:
    """The newest migration: what opening a store brings any database up to."""
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_the_head_revision_constant_is_alembics_head() -> None:
    # open_store skips loading Alembic when a database is at HEAD_REVISION.
    assert _head_revision() == HEAD_REVISION
