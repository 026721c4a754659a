"""The search indexes on SQLite and PostgreSQL: written with the versions, read as ranges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from tests.factories import new_version as version

from entente.clock import FixedClock
from entente.errors import StorageError
from entente.store import Provenance, SearchFilter, SourceKind, StoredVersion
from entente.store.search_index import merge_recent, write_index
from entente.store.search_values import probes_for, tokens_of
from entente.store.sql import SqlStore, open_store
from entente.store.sql_search import SqlSearchIndex

PROV = Provenance(SourceKind.FEED, "feed A", "alice")
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def ident(n: int, kind: str = "indicator") -> str:
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


def indicator(n: int, pattern: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "id": ident(n),
        "pattern": pattern,
        "pattern_type": "stix",
        **extra,
    }


OBJECTS = [
    indicator(1, "[ipv4-addr:value = '10.1.2.3']", labels=["C2"]),
    indicator(2, "[ipv4-addr:value ISSUBSET '10.1.0.0/16']", object_marking_refs=[GREEN]),
    indicator(3, "[domain-name:value = 'www.evil.example']", created_by_ref=ident(9, "identity")),
    indicator(4, "[domain-name:value LIKE '%.bad.example']"),
    indicator(5, "[url:value = 'http://evil.example/x']", description="Dropper of Sofacy"),
    {"type": "intrusion-set", "id": ident(6, "intrusion-set"), "name": "APT28",
     "aliases": ["Sofacy", "Fancy Bear"]},
    {"type": "ipv6-addr", "id": ident(7, "ipv6-addr"), "value": "2001:db8::7"},
]  # fmt: skip


@pytest.fixture
def store(sql_store: SqlStore) -> SqlStore:
    """The shared fresh store (conftest), on each backend."""
    return sql_store


def _fill(store: SqlStore) -> list[StoredVersion]:
    with store.transaction() as tx:
        return tx.insert([(version(obj), PROV) for obj in OBJECTS])


def _ids(found: list[StoredVersion]) -> list[int]:
    return [int(v.id[-12:]) for v in found]


def _find(index: SqlSearchIndex, value: str | None = None, **filters: Any) -> list[int]:
    probes = tuple(probes_for(value)) if value is not None else ()
    return _ids(index.candidates(SearchFilter(probes=probes, **filters), None, 100))


def test_value_lookups_cover_addresses_blocks_domains_urls(store: SqlStore) -> None:
    _fill(store)
    index = SqlSearchIndex(store.engine)
    assert _find(index, "10.1.2.3") == [1, 2]  # the address, and the /16 holding it
    assert _find(index, "10.1.0.0/16") == [1, 2]
    assert _find(index, "10.1.2.0/24") == [1]  # the /16 is larger: not inside
    assert _find(index, "10.2.0.0/16") == []
    assert _find(index, "evil.example") == [3]  # subdomains of it
    assert _find(index, "a.b.bad.example") == [4]  # LIKE '%.bad.example' covers it
    assert _find(index, "HTTP://EVIL.example/x") == [5]
    assert _find(index, "2001:db8::/32") == [7]


def test_full_text_and_filters(store: SqlStore) -> None:
    _fill(store)
    index = SqlSearchIndex(store.engine)
    assert _find(index, words=(("sofacy",),)) == [5, 6]
    assert _find(index, words=(("fancy", "bear"),)) == [6]
    assert _find(index, words=(("bear", "fancy"),)) == []  # a phrase keeps its order
    assert _find(index, words=(tuple(tokens_of("Sofacy")), ("dropper",))) == [5]
    assert _find(index, types=("intrusion-set",)) == [6]
    assert _find(index, labels=("c2",)) == [1]
    assert _find(index, markings=(GREEN,)) == [2]
    assert _find(index, creators=(ident(9, "identity"),)) == [3]
    assert _find(index, sources=("feed A",)) == [1, 2, 3, 4, 5, 6, 7]
    assert _find(index, sources=("feed B",)) == []
    assert _find(index, "10.1.2.3", labels=("c2",)) == [1]


@pytest.mark.parametrize(
    "sql_store", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_word_search_on_postgresql_runs_without_parallel_workers(store: SqlStore) -> None:
    # At 10M objects a common word made the planner start a parallel worker for a query that
    # reads a dozen pages; its start-up was most of the search (ADR 0024). The setting is
    # read on the search's own connection right after its query, and is gone afterwards.
    _fill(store)
    seen: list[str] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "to_tsquery" in statement:
            # Another cursor on the same connection: this one still holds the results.
            with cursor.connection.cursor() as probe:
                probe.execute("SELECT current_setting('max_parallel_workers_per_gather')")
                seen.append(probe.fetchone()[0])

    event.listen(store.engine, "after_cursor_execute", after)
    try:
        assert _find(SqlSearchIndex(store.engine), words=(("sofacy",),)) == [5, 6]
    finally:
        event.remove(store.engine, "after_cursor_execute", after)
    assert seen == ["0"]
    with store.engine.connect() as conn:
        default = conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar_one()
    assert default != "0"


def test_paging_after_a_position_and_latest_versions_only(store: SqlStore) -> None:
    stored = _fill(store)
    index = SqlSearchIndex(store.engine)
    first = index.candidates(SearchFilter(), None, 3)
    rest = index.candidates(SearchFilter(), first[-1].date_added_us, 100)
    assert _ids(first + rest) == [1, 2, 3, 4, 5, 6, 7]
    newer = dict(OBJECTS[0], pattern="[ipv4-addr:value = '10.9.9.9']")
    with store.transaction() as tx:
        tx.insert([(version(newer, "2024-02-01T00:00:00.000000000Z"), PROV)])
    assert _find(index, "10.1.2.3") == [2]  # only the old version of 1 held it
    assert _find(index, "10.1.2.3", last_only=False) == [1, 2]
    assert stored[0].date_added_us < first[-1].date_added_us


def test_occurrences_of_one_value(store: SqlStore) -> None:
    _fill(store)
    index = SqlSearchIndex(store.engine)
    assert _ids(index.occurrences("name", "sofacy", None, 10)) == [6]
    assert _ids(index.occurrences("ipv4", "0a010203", None, 10)) == [1]


def test_a_rolled_back_insert_leaves_no_entry(store: SqlStore) -> None:
    with pytest.raises(StorageError), store.transaction() as tx:
        tx.insert([(version(OBJECTS[0]), PROV)])
        raise StorageError("abort")
    index = SqlSearchIndex(store.engine)
    assert _find(index, "10.1.2.3") == []
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM search_values")).scalar_one() == 0


def test_deleted_versions_leave_the_indexes(store: SqlStore) -> None:
    _fill(store)
    store.delete_versions(ident(5), ["2024-01-01T00:00:00.000000000Z"])
    index = SqlSearchIndex(store.engine)
    assert _find(index, words=(("sofacy",),)) == [6]
    assert _find(index, "http://evil.example/x") == []


def _rows_in(store: SqlStore, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_lookups_read_recent_and_merged_rows_alike(store: SqlStore) -> None:
    # The first half is merged into the large table, the second stays recent: every lookup
    # finds both halves, and deletes reach a row in either table.
    with store.transaction() as tx:
        tx.insert([(version(obj), PROV) for obj in OBJECTS[:3]])
    with store.engine.begin() as conn:
        merge_recent(conn)
    assert _rows_in(store, "search_values_recent") == 0
    with store.transaction() as tx:
        tx.insert([(version(obj), PROV) for obj in OBJECTS[3:]])
    assert _rows_in(store, "search_values") > 0
    assert _rows_in(store, "search_values_recent") > 0
    index = SqlSearchIndex(store.engine)
    assert _find(index, "10.1.2.3") == [1, 2]  # both merged
    assert _find(index, "evil.example") == [3]  # merged
    assert _find(index, "a.b.bad.example") == [4]  # recent
    assert _find(index, "2001:db8::/32") == [7]  # recent
    assert _ids(index.occurrences("name", "sofacy", None, 10)) == [6]  # recent
    assert _ids(index.occurrences("ipv4", "0a010203", None, 10)) == [1]  # merged
    store.delete_versions(ident(1), ["2024-01-01T00:00:00.000000000Z"])
    store.delete_versions(ident(4), ["2024-01-01T00:00:00.000000000Z"])
    assert _find(index, "10.1.2.3") == [2]
    assert _find(index, "a.b.bad.example") == []
    with store.engine.begin() as conn:
        merge_recent(conn)
    assert _find(index, "2001:db8::/32") == [7]
    assert _rows_in(store, "search_values_recent") == 0


def test_recent_rows_move_once_the_threshold_is_reached(store: SqlStore) -> None:
    stored = _fill(store)
    recent = _rows_in(store, "search_values_recent")
    assert recent > 0
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT recent_rows FROM search_state")).scalar_one() == recent
        # One more version over a threshold of what is already there: all of it moves.
        newer = dict(OBJECTS[0], pattern="[ipv4-addr:value = '10.9.9.9']")
        write_index(conn, [(stored[-1].date_added_us + 1, newer)], merge_rows=recent + 1)
        assert conn.execute(text("SELECT recent_rows FROM search_state")).scalar_one() == 0
    assert _rows_in(store, "search_values_recent") == 0
    assert _rows_in(store, "search_values") == recent + 1


def test_migration_backfills_what_was_stored_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = open_store(url, FixedClock())
    _fill(store)
    with store.engine.begin() as conn:
        # Back to revision 0006: the data without the search tables (nor the tables of later
        # revisions, which the upgrade creates again).
        for table in (
            "search_text",
            "search_values",
            "search_values_recent",
            "search_state",
            "ui_sessions",
            "users",
            "dashboard_cells",
            "dashboard_counts",
            "dashboard_hits",
            "dashboard_hit_totals",
            "match_runs",
            "audit_entries",
            "audit_objects",
            "audit_indexed",
            "audit_checkpoints",
            "object_signatures",
        ):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    store.close()
    upgraded = open_store(url, FixedClock())
    try:
        index = SqlSearchIndex(upgraded.engine)
        assert _find(index, "10.1.2.3") == [1, 2]
        assert _find(index, words=(("sofacy",),)) == [5, 6]
    finally:
        upgraded.close()


def test_0008_drops_label_rows_and_its_downgrade_writes_them_back(store: SqlStore) -> None:
    _fill(store)
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")

    def labels() -> list[tuple[str, int]]:
        with store.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT key, date_added_us FROM search_values WHERE kind = 'label'")
            ).all()
        return [(str(key), int(added)) for key, added in rows]

    assert labels() == []
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    # Revision 0007 kept one row per label, lower-cased: object 1 is labelled "C2".
    (label,) = labels()
    assert label[0] == "c2"
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0008")
    assert labels() == []
    assert _find(SqlSearchIndex(store.engine), labels=("c2",)) == [1]


def test_0011_backfills_reference_links_and_its_downgrade_deletes_them(store: SqlStore) -> None:
    report = {
        "type": "report",
        "id": ident(8, "report"),
        "object_refs": [ident(1), ident(6, "intrusion-set")],
        "created_by_ref": ident(9, "identity"),
    }
    with store.transaction() as tx:
        tx.insert([(version(obj), PROV) for obj in [*OBJECTS, report]])
    config = Config()
    config.set_main_option("script_location", "entente.store:migrations")
    index = SqlSearchIndex(store.engine)

    def referrers(target: str) -> list[int]:
        return _ids(index.occurrences("link", target, None, 10))

    assert referrers(ident(1)) == [8]
    assert referrers(ident(9, "identity")) == []  # the creator is no link
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
    assert referrers(ident(1)) == []
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0011")
    assert referrers(ident(1)) == [8]
    assert referrers(ident(6, "intrusion-set")) == [8]
