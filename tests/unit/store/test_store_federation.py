"""Contract of the federation ports (partners, agreements, checkpoints, sync reports) on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select

from entente.clock import FixedClock
from entente.errors import InvalidInput, ObjectNotFound
from entente.store import (
    AgreementRecord,
    AgreementStore,
    Checkpoint,
    CheckpointStore,
    PartnerRecord,
    PartnerStore,
    SyncReport,
    SyncReportStore,
    is_partner_name,
)
from entente.store.schema import partners as partners_table
from entente.store.schema import sync_checkpoints
from entente.store.sql import SqlStore, open_store
from entente.store.sql_federation import (
    SqlAgreementStore,
    SqlCheckpointStore,
    SqlPartnerStore,
    SqlSyncReportStore,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
COLLECTION_A = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"
COLLECTION_B = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url, schema) of a fresh database on the backend under test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'entente.db'}", None
    url, schema = request.getfixturevalue("postgres_schema")
    return url, schema


@pytest.fixture
def store(location: tuple[str, str | None]) -> Iterator[SqlStore]:
    """A fresh, migrated store."""
    url, schema = location
    opened = open_store(url, FixedClock(), schema=schema)
    yield opened
    opened.close()


@pytest.fixture
def partners(store: SqlStore) -> PartnerStore:
    """The partner store on that store's engine."""
    return SqlPartnerStore(store.engine)


@pytest.fixture
def agreements(store: SqlStore) -> AgreementStore:
    """The agreement store on that store's engine."""
    return SqlAgreementStore(store.engine)


@pytest.fixture
def checkpoints(store: SqlStore) -> CheckpointStore:
    """The checkpoint store on that store's engine."""
    return SqlCheckpointStore(store.engine)


@pytest.fixture
def reports(store: SqlStore) -> SyncReportStore:
    """The sync report store on that store's engine."""
    return SqlSyncReportStore(store.engine)


def partner(name: str = "p1", n: int = 1, **changes: object) -> PartnerRecord:
    """A partner record with an org id and key derived from ``n``."""
    values: dict[str, object] = {
        "name": name,
        "org_id": f"identity--00000000-0000-5000-8000-{n:012d}",
        "org_name": f"Org {n}",
        "public_key": f"ed25519:{'A' * 42}{n:01d}",
        "api_root": f"https://node{n}.example/taxii2/api/",
        "token": f"ent_secret_{n}",
        "added_us": 1_000 + n,
    }
    values.update(changes)
    return PartnerRecord(**values)  # type: ignore[arg-type]  # test builder: fields by name


def checkpoint(partner_name: str = "p1", collection_id: str = COLLECTION_A) -> Checkpoint:
    """A checkpoint in the middle of a run."""
    return Checkpoint(
        partner=partner_name,
        collection_id=collection_id,
        added_after="2024-01-01T00:00:00.000000Z",
        next_cursor="opaque-next-token",
        updated_us=5_000,
    )


def report(partner_name: str = "p1", **changes: object) -> SyncReport:
    """A sync report with a couple of rejections."""
    values: dict[str, object] = {
        "report_id": None,
        "partner": partner_name,
        "started_us": 10,
        "finished_us": 20,
        "added": 3,
        "duplicates": 2,
        "new_versions": 1,
        "rejected": 2,
        "error": None,
        "rejections": (
            {"id": "indicator--00000000-0000-4000-8000-000000000001", "reason": "no agreement"},
            {"id": "note--00000000-0000-4000-8000-000000000002", "reason": "TLP:RED"},
        ),
    }
    values.update(changes)
    return SyncReport(**values)  # type: ignore[arg-type]  # test builder: fields by name


# --- partners ---------------------------------------------------------------------------


def test_an_added_partner_reads_back_field_for_field_by_name_and_by_org(
    partners: PartnerStore,
) -> None:
    stored = partner("p1", 1, last_sync_us=7, last_error="boom", objects_received=12)
    partners.add(stored)
    assert partners.get("p1") == stored
    assert partners.by_org(stored.org_id) == stored


def test_an_unknown_partner_reads_as_none(partners: PartnerStore) -> None:
    partners.add(partner("p1", 1))
    assert partners.get("p2") is None
    assert partners.by_org(partner("p2", 2).org_id) is None


def test_a_new_partner_has_not_synced_yet(partners: PartnerStore) -> None:
    partners.add(partner("p1", 1))
    found = partners.get("p1")
    assert found is not None
    assert (found.last_sync_us, found.last_error, found.objects_received) == (None, None, 0)


def test_partners_list_by_name_in_code_point_order(partners: PartnerStore) -> None:
    for n, name in enumerate(["beta", "Alpha", "alpha", "B.1", "_z"], start=1):
        partners.add(partner(name, n))
    # Code point order on every backend, whatever PostgreSQL's collation would say.
    assert [p.name for p in partners.list()] == ["Alpha", "B.1", "_z", "alpha", "beta"]


def test_no_partners_list_as_empty(partners: PartnerStore) -> None:
    assert list(partners.list()) == []


def test_a_used_partner_name_is_invalid_input_and_keeps_the_first(
    partners: PartnerStore,
) -> None:
    partners.add(partner("p1", 1))
    with pytest.raises(InvalidInput, match="partner p1 already exists"):
        partners.add(partner("p1", 2))
    assert partners.list() == (partner("p1", 1),)


def test_a_second_partner_for_an_org_is_invalid_input(partners: PartnerStore) -> None:
    partners.add(partner("p1", 1))
    with pytest.raises(InvalidInput, match="partner p1 already exists for org identity--"):
        partners.add(partner("p2", 1))
    assert [p.name for p in partners.list()] == ["p1"]


@pytest.mark.parametrize("name", ["", "x" * 65, "has space", "a/b", "caf\u00e9", "p1\n"])
def test_a_partner_name_outside_the_alphabet_is_invalid_input(
    partners: PartnerStore, name: str
) -> None:
    with pytest.raises(InvalidInput, match="not a partner name"):
        partners.add(partner(name, 1))
    assert list(partners.list()) == []


def test_partner_names_are_1_to_64_letters_digits_dots_underscores_and_hyphens() -> None:
    assert is_partner_name("a")
    assert is_partner_name("Node-2.example_org")
    assert is_partner_name("x" * 64)
    assert not is_partner_name("")
    assert not is_partner_name("x" * 65)
    assert not is_partner_name("a b")
    assert not is_partner_name("a\n")


def test_removing_a_partner_removes_its_checkpoints_only(
    partners: PartnerStore, checkpoints: CheckpointStore
) -> None:
    partners.add(partner("p1", 1))
    partners.add(partner("p2", 2))
    checkpoints.save(checkpoint("p1", COLLECTION_A))
    checkpoints.save(checkpoint("p1", COLLECTION_B))
    checkpoints.save(checkpoint("p2", COLLECTION_A))
    assert partners.remove("p1") is True
    assert partners.get("p1") is None
    assert [(c.partner, c.collection_id) for c in checkpoints.list()] == [("p2", COLLECTION_A)]
    assert partners.remove("p1") is False


def test_removing_an_unknown_partner_is_false(partners: PartnerStore) -> None:
    assert partners.remove("nobody") is False


def test_a_removed_partner_name_and_org_can_be_added_again(partners: PartnerStore) -> None:
    partners.add(partner("p1", 1))
    partners.remove("p1")
    partners.add(partner("p1", 1, org_name="Renamed"))
    found = partners.get("p1")
    assert found is not None and found.org_name == "Renamed"


def test_the_database_cascades_a_partner_delete_to_its_checkpoints(
    store: SqlStore, partners: PartnerStore, checkpoints: CheckpointStore
) -> None:
    partners.add(partner("p1", 1))
    checkpoints.save(checkpoint("p1"))
    with store.engine.begin() as conn:
        conn.execute(delete(partners_table).where(partners_table.c.name == "p1"))
    assert list(checkpoints.list()) == []


def test_record_sync_accumulates_received_and_keeps_the_last_time_and_error(
    partners: PartnerStore,
) -> None:
    partners.add(partner("p1", 1))
    partners.add(partner("p2", 2))
    partners.record_sync("p1", at_us=100, received=5, error=None)
    partners.record_sync("p1", at_us=200, received=0, error="partner answered 503")
    failed = partners.get("p1")
    assert failed is not None
    assert (failed.last_sync_us, failed.last_error, failed.objects_received) == (
        200,
        "partner answered 503",
        5,
    )
    partners.record_sync("p1", at_us=300, received=7, error=None)
    recovered = partners.get("p1")
    assert recovered is not None
    assert (recovered.last_sync_us, recovered.last_error, recovered.objects_received) == (
        300,
        None,
        12,
    )
    assert partners.get("p2") == partner("p2", 2)


def test_record_sync_of_an_unknown_partner_is_not_found(partners: PartnerStore) -> None:
    with pytest.raises(ObjectNotFound, match="no partner nobody"):
        partners.record_sync("nobody", at_us=1, received=1, error=None)


# --- agreements -------------------------------------------------------------------------


def test_put_inserts_then_replaces_an_agreement(agreements: AgreementStore) -> None:
    first = AgreementRecord("agreement--1", '{"id":"agreement--1","v":1}', 10)
    second = AgreementRecord("agreement--1", '{"id":"agreement--1","v":2}', 20)
    assert agreements.put(first) is True
    assert agreements.get("agreement--1") == first
    assert agreements.put(second) is False
    assert agreements.get("agreement--1") == second
    assert agreements.list() == (second,)


def test_putting_the_same_agreement_again_is_not_new(agreements: AgreementStore) -> None:
    record = AgreementRecord("agreement--1", "{}", 10)
    assert agreements.put(record) is True
    assert agreements.put(record) is False
    assert agreements.list() == (record,)


def test_agreement_text_round_trips_exactly(agreements: AgreementStore) -> None:
    document = '{"name":"caf\u00e9 \\"quoted\\"","n":1.50E+3,"z":[],"a":{}}'
    agreements.put(AgreementRecord("a", document, 1))
    found = agreements.get("a")
    assert found is not None and found.document == document


def test_agreements_list_by_id(agreements: AgreementStore) -> None:
    for agreement_id in ["b", "C", "a"]:
        agreements.put(AgreementRecord(agreement_id, "{}", 1))
    assert [a.id for a in agreements.list()] == ["C", "a", "b"]


def test_remove_deletes_an_agreement_once(agreements: AgreementStore) -> None:
    agreements.put(AgreementRecord("a", "{}", 1))
    agreements.put(AgreementRecord("b", "{}", 1))
    assert agreements.remove("a") is True
    assert agreements.remove("a") is False
    assert agreements.get("a") is None
    assert [a.id for a in agreements.list()] == ["b"]


def test_concurrent_puts_of_a_new_agreement_find_it_new_exactly_once(store: SqlStore) -> None:
    writers = 6
    barrier = threading.Barrier(writers)
    results: list[bool] = []
    failures: list[BaseException] = []

    def put(n: int) -> None:
        barrier.wait()
        try:
            results.append(
                SqlAgreementStore(store.engine).put(AgreementRecord("race", f'{{"n":{n}}}', n))
            )
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=put, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(results) == [False] * (writers - 1) + [True]
    assert len(SqlAgreementStore(store.engine).list()) == 1


# --- checkpoints ------------------------------------------------------------------------


def test_an_unknown_checkpoint_reads_as_none(
    partners: PartnerStore, checkpoints: CheckpointStore
) -> None:
    partners.add(partner("p1", 1))
    assert checkpoints.get("p1", COLLECTION_A) is None
    assert checkpoints.get("nobody", COLLECTION_A) is None


def test_a_saved_checkpoint_reads_back_field_for_field(
    partners: PartnerStore, checkpoints: CheckpointStore
) -> None:
    partners.add(partner("p1", 1))
    saved = checkpoint("p1")
    checkpoints.save(saved)
    assert checkpoints.get("p1", COLLECTION_A) == saved


def test_saving_a_checkpoint_again_replaces_it(
    store: SqlStore, partners: PartnerStore, checkpoints: CheckpointStore
) -> None:
    partners.add(partner("p1", 1))
    checkpoints.save(checkpoint("p1"))
    done = Checkpoint("p1", COLLECTION_A, "2024-02-01T00:00:00.000000Z", None, 9_000)
    checkpoints.save(done)
    assert checkpoints.get("p1", COLLECTION_A) == done
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(sync_checkpoints)).scalar_one()
    assert rows == 1


def test_a_checkpoint_may_hold_neither_timestamp_nor_cursor(
    partners: PartnerStore, checkpoints: CheckpointStore
) -> None:
    partners.add(partner("p1", 1))
    empty = Checkpoint("p1", COLLECTION_A, None, None, 1)
    checkpoints.save(empty)
    assert checkpoints.get("p1", COLLECTION_A) == empty


def test_checkpoints_list_by_partner_then_collection_and_filter_by_partner(
    partners: PartnerStore, checkpoints: CheckpointStore
) -> None:
    partners.add(partner("p2", 2))
    partners.add(partner("p1", 1))
    for name, collection_id in [
        ("p2", COLLECTION_B),
        ("p1", COLLECTION_B),
        ("p2", COLLECTION_A),
        ("p1", COLLECTION_A),
    ]:
        checkpoints.save(checkpoint(name, collection_id))
    assert [(c.partner, c.collection_id) for c in checkpoints.list()] == [
        ("p1", COLLECTION_A),
        ("p1", COLLECTION_B),
        ("p2", COLLECTION_A),
        ("p2", COLLECTION_B),
    ]
    assert [c.collection_id for c in checkpoints.list("p2")] == [COLLECTION_A, COLLECTION_B]
    assert list(checkpoints.list("nobody")) == []


def test_a_checkpoint_of_an_unknown_partner_is_not_found(checkpoints: CheckpointStore) -> None:
    with pytest.raises(ObjectNotFound, match="no partner nobody"):
        checkpoints.save(checkpoint("nobody"))
    assert list(checkpoints.list()) == []


def test_a_checkpoint_of_an_unknown_partner_is_refused_without_foreign_keys(
    tmp_path: Path,
) -> None:
    # A plain SQLite engine does not enforce foreign keys; the adapter still refuses.
    store = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    store.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'entente.db'}")
    try:
        with pytest.raises(ObjectNotFound):
            SqlCheckpointStore(engine).save(checkpoint("nobody"))
        assert list(SqlCheckpointStore(engine).list()) == []
    finally:
        engine.dispose()


# --- sync reports -----------------------------------------------------------------------


def test_a_report_reads_back_with_its_assigned_id(reports: SyncReportStore) -> None:
    added = report("p1", error="partner answered 503")
    report_id = reports.add(added)
    [found] = reports.latest()
    assert found.report_id == report_id
    assert found == SyncReport(
        report_id,
        added.partner,
        added.started_us,
        added.finished_us,
        added.added,
        added.duplicates,
        added.new_versions,
        added.rejected,
        added.error,
        added.rejections,
    )


def test_the_report_id_a_report_carries_is_ignored(reports: SyncReportStore) -> None:
    first = reports.add(report("p1", report_id=1_000))
    second = reports.add(report("p1", report_id=1_000))
    assert second > first
    assert [r.report_id for r in reports.latest()] == [second, first]


def test_rejections_round_trip_as_json(reports: SyncReportStore) -> None:
    rejections = (
        {"id": "indicator--x", "reason": 'caf\u00e9 "quoted" \\ \u2603'},
        {"reason": "key order kept", "id": "note--y"},
    )
    reports.add(report("p1", rejections=rejections, rejected=2))
    reports.add(report("p2", rejections=(), rejected=0))
    newest, oldest = reports.latest()
    assert newest.rejections == ()
    assert oldest.rejections == rejections
    assert [list(r) for r in oldest.rejections] == [["id", "reason"], ["reason", "id"]]


def test_latest_reports_come_newest_first_limited_and_by_partner(
    reports: SyncReportStore,
) -> None:
    ids = [reports.add(report(name, started_us=n)) for n, name in enumerate("abab")]
    assert [r.report_id for r in reports.latest()] == ids[::-1]
    assert [r.report_id for r in reports.latest(limit=3)] == ids[:0:-1]
    assert [r.report_id for r in reports.latest("a")] == [ids[2], ids[0]]
    assert [r.report_id for r in reports.latest("b", limit=1)] == [ids[3]]
    assert list(reports.latest("nobody")) == []


def test_latest_defaults_to_twenty_reports(reports: SyncReportStore) -> None:
    for _ in range(25):
        reports.add(report("p1"))
    assert len(reports.latest()) == 20


def test_a_limit_below_one_is_refused(reports: SyncReportStore) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        reports.latest(limit=0)


def test_reports_outlive_their_partner(partners: PartnerStore, reports: SyncReportStore) -> None:
    partners.add(partner("p1", 1))
    reports.add(report("p1"))
    partners.remove("p1")
    assert [r.partner for r in reports.latest("p1")] == ["p1"]


# --- durability -------------------------------------------------------------------------


def test_federation_state_survives_reopening(location: tuple[str, str | None]) -> None:
    url, schema = location
    first = open_store(url, FixedClock(), schema=schema)
    try:
        SqlPartnerStore(first.engine).add(partner("p1", 1))
        SqlAgreementStore(first.engine).put(AgreementRecord("a", "{}", 1))
        SqlCheckpointStore(first.engine).save(checkpoint("p1"))
        report_id = SqlSyncReportStore(first.engine).add(report("p1"))
    finally:
        first.close()
    second = open_store(url, FixedClock(), schema=schema)
    try:
        assert SqlPartnerStore(second.engine).get("p1") == partner("p1", 1)
        assert SqlAgreementStore(second.engine).get("a") == AgreementRecord("a", "{}", 1)
        assert SqlCheckpointStore(second.engine).get("p1", COLLECTION_A) == checkpoint("p1")
        assert [r.report_id for r in SqlSyncReportStore(second.engine).latest()] == [report_id]
    finally:
        second.close()
