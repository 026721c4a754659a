"""PostgreSQL's plans for TAXII pages: ``added_after`` + ``limit`` (with and without type and
id filters, objects and manifest) walk a B-tree in ``date_added`` order and stop at the
limit; no Sort over all rows, no sequential scan (issue 16: pages in bounded time at 10M).
Plans, not timings: ``EXPLAIN (FORMAT JSON)`` of the statement the store runs, with its
parameters, on a store large enough for the planner to see the difference."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, create_engine, event, text
from tests.conftest import DEFAULT_PG_URL, PG_URL_ENV

from entente.clock import FixedClock
from entente.errors import StorageError
from entente.store import NewVersion, ObjectQuery, Provenance, SourceKind
from entente.store.sql import SqlStore, open_store

pytestmark = pytest.mark.postgres

INDICATORS = 40_000
MALWARE_EVERY = 20
PAGE = 101  # what TaxiiService.read asks for a page of 100
PROV = Provenance(SourceKind.FILE, "bundle.json", "alice")


def _version(second: int) -> str:
    return f"2024-01-01T00:00:{second:02d}.000000000Z"


def _new(n: int, second: int) -> NewVersion:
    kind = "malware" if n % MALWARE_EVERY == 0 else "indicator"
    oid = f"{kind}--{uuid.UUID(int=n, version=4)}"
    raw = orjson.dumps({"type": kind, "spec_version": "2.1", "id": oid, "name": f"n{n}"})
    return NewVersion(
        id=oid,
        type=kind,
        spec_version="2.1",
        version=_version(second),
        created=_version(0),
        modified=_version(second),
        created_by_ref=None,
        revoked=False,
        marking_refs=(),
        raw_json=raw,
    )


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[SqlStore, list[int]]]:
    """A store of 40,000 objects (one in twenty malware, one in ten with a second version),
    analysed; and the date_added of every tenth row."""
    url = os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)
    schema = f"entente_plans_{uuid.uuid4().hex[:12]}"
    try:
        store = open_store(url, FixedClock(), schema=schema)
    except StorageError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {url}: {exc}; set {PG_URL_ENV}")
    try:
        with store.transaction() as tx:
            for start in range(0, INDICATORS, 5000):
                tx.insert([(_new(n, 1), PROV) for n in range(start, start + 5000)])
            tx.insert([(_new(n, 2), PROV) for n in range(0, INDICATORS, 10)])
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            points = [
                int(row[0])
                for row in conn.exec_driver_sql(
                    "SELECT date_added_us FROM object_versions ORDER BY date_added_us"
                )
            ][::10]
        yield store, points
    finally:
        store.close()
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _plan(store: SqlStore, query: ObjectQuery) -> dict[str, Any]:
    """The plan of the one SELECT ``store.query`` runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Connection, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.query(query)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    [(statement, parameters)] = [s for s in seen if s[0].lstrip().upper().startswith("SELECT")]
    with store.engine.connect() as conn:
        explained = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan: dict[str, Any] = explained.scalar_one()[0]["Plan"]
    return plan


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _summary(plan: dict[str, Any]) -> list[tuple[str, str | None, int]]:
    """(node type, index, estimated rows) of every node, for failure messages."""
    return [(n["Node Type"], n.get("Index Name"), n["Plan Rows"]) for n in _nodes(plan)]


def _unbounded_sorts(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Sort nodes whose input is not cut by a Limit below them: sorts of every matching row."""
    return [
        node
        for node in _nodes(plan)
        if node["Node Type"] == "Sort"
        and not any(inner["Node Type"] == "Limit" for inner in _nodes(node) if inner is not node)
    ]


def _version_scans(plan: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [
        (node["Node Type"], node.get("Index Name"))
        for node in _nodes(plan)
        if node.get("Relation Name") == "object_versions"
    ]


def _page_queries(after: int) -> list[ObjectQuery]:
    """The TAXII page shapes (TaxiiService.read): latest versions with the policy variants,
    every version, several types; objects (raw) and manifest (no raw)."""
    shapes = []
    for raw in (True, False):
        for types in ((), ("malware",), ("indicator",), ("indicator", "malware")):
            shapes.append(
                ObjectQuery(
                    types=types, added_after_us=after, limit=PAGE, policy_variants=True, raw=raw
                )
            )
            shapes.append(
                ObjectQuery(types=types, added_after_us=after, limit=PAGE, versions=("all",))
            )
    shapes.append(ObjectQuery(after_cursor=after, limit=PAGE, policy_variants=True))
    return shapes


@pytest.mark.parametrize("position", [0.0, 0.5, 0.95])
def test_a_taxii_page_walks_date_added_order_without_sorting_every_row(
    loaded: tuple[SqlStore, list[int]], position: float
) -> None:
    store, points = loaded
    after = points[int(position * (len(points) - 1))]
    for query in _page_queries(after):
        plan = _plan(store, query)
        assert _unbounded_sorts(plan) == [], (query, _summary(plan))
        scans = _version_scans(plan)
        assert scans, plan
        for node_type, index in scans:
            # An index scan in index order: a bitmap scan or a sequential one loses the order.
            assert node_type in {"Index Scan", "Index Only Scan"}, (query, scans)
            assert index is not None


def test_a_page_by_id_uses_the_id_index_and_sorts_only_that_objects_versions(
    loaded: tuple[SqlStore, list[int]],
) -> None:
    store, points = loaded
    oid = f"indicator--{uuid.UUID(int=11, version=4)}"
    for versions in ((), ("all",)):
        query = ObjectQuery(ids=(oid,), added_after_us=points[0], limit=PAGE, versions=versions)
        plan = _plan(store, query)
        scans = _version_scans(plan)
        assert ("Index Scan", "uq_object_versions_id_version") in scans or (
            "Index Only Scan",
            "uq_object_versions_id_version",
        ) in scans, scans
        assert all(node_type != "Seq Scan" for node_type, _ in scans), scans
        # Whatever is sorted is the id's own versions: the planner expects a handful.
        for node in _nodes(plan):
            if node["Node Type"] == "Sort":
                assert node["Plan Rows"] <= 10, node
