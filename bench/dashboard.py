"""Benchmark: the analyst dashboard over a million stored objects, on SQLite.

What it measures, each in its own process:

- **dashboard**: ``DashboardService.dashboard`` (every figure: activity per month, top hit
  indicators, intel per partner, TLP mix, sync health, rejections) for three readers (an
  analyst of the node's org, a reader of a partner org, the public), over 12 and 24 months,
  on a store of N objects spread over 24 months: indicators, sightings of them, incidents and
  reports, from feeds, files and two partners, under every TLP level and five creators
  (target p95 < 100 ms);
- **ingest overhead** of keeping the counters: the ingest of generated STIX (indicators,
  sightings, incidents, reports) through ``IngestService`` with the counters and without them
  (the baseline, the store as it was before migration 0009), in CPU seconds.

The last line of output is one JSON object with all figures.

    python bench/dashboard.py              # 1,000,000 objects (about 5 minutes on 2 cores)
    python bench/dashboard.py --quick      # 50,000 objects (under a minute)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from workloads import (
    CREATOR,
    TLP_MARKINGS,
    latency_ms,
    make_indicator,
    run_worker,
    timed_ingest,
)

NODE_ORG = "identity--00000000-0000-4000-8000-0000000000a0"
PARTNER_ORGS = (
    "identity--00000000-0000-4000-8000-0000000000b0",
    "identity--00000000-0000-4000-8000-0000000000c0",
)
CREATORS = (
    CREATOR,
    NODE_ORG,
    *PARTNER_ORGS,
    "identity--00000000-0000-4000-8000-0000000000d0",
)
_AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
MARKINGS: tuple[tuple[str, ...], ...] = (*((m,) for m in TLP_MARKINGS), (_AMBER_STRICT,), ())
MONTH_US = 30 * 86_400_000_000
_BATCH = 1_000


class SteppingClock:
    """A clock that moves ``step_us`` forward at each reading: objects land in many months."""

    def __init__(self, start_us: int, step_us: int) -> None:
        self._now = start_us
        self._step = step_us

    def now_us(self) -> int:
        """The time, then a step later."""
        self._now += self._step
        return self._now


def make_object(rng: random.Random, index: int, indicators: list[str]) -> dict[str, Any]:
    """Indicators (60%), sightings of earlier ones (25%), reports (10%), incidents (5%)."""
    roll = index % 20
    base = make_indicator(rng, index)
    base["created_by_ref"] = CREATORS[index % len(CREATORS)]
    markings = MARKINGS[(index // 3) % len(MARKINGS)]
    if markings:
        base["object_marking_refs"] = list(markings)
    else:
        del base["object_marking_refs"]
    if roll < 12 or not indicators:
        indicators.append(base["id"])
        return base
    common: dict[str, Any] = {
        key: base[key]
        for key in ("spec_version", "created_by_ref", "created", "modified")
        if key in base
    }
    if "object_marking_refs" in base:
        common["object_marking_refs"] = base["object_marking_refs"]
    new_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    if roll < 17:
        # Sightings concentrate on a tenth of the indicators, as real hits do.
        target = indicators[int(len(indicators) * rng.random() ** 3)]
        return {
            "type": "sighting",
            "id": f"sighting--{new_id}",
            "sighting_of_ref": target,
            "count": rng.randrange(1, 500),
            **common,
        }
    if roll < 19:
        return {
            "type": "report",
            "id": f"report--{new_id}",
            "name": f"Report {index}",
            "published": base["created"],
            "object_refs": [indicators[-1]],
            **common,
        }
    return {"type": "incident", "id": f"incident--{new_id}", "name": f"Incident {index}", **common}


def write_bundle(path: Path, count: int, seed: int) -> int:
    """Write ``count`` generated objects as one bundle; return its size in bytes."""
    rng = random.Random(seed)
    indicators: list[str] = []
    with path.open("wb") as out:
        out.write(b'{"type": "bundle", "id": "bundle--' + str(uuid.UUID(int=seed)).encode())
        out.write(b'", "objects": [\n')
        for i in range(count):
            if i:
                out.write(b",\n")
            out.write(orjson.dumps(make_object(rng, i, indicators)))
        out.write(b"\n]}\n")
    return path.stat().st_size


def worker_ingest(url: str, bundle: Path, counters: str) -> dict[str, Any]:
    """Ingest ``bundle`` into a fresh store, with the dashboard counters ``on`` or ``off``."""
    import entente.store.sql as sql_store

    if counters == "off":
        # The baseline: the store's writes without the counters (before migration 0010).
        sql_store.apply_counts = lambda conn, added, removed=(): None  # type: ignore[attr-defined]
    result = timed_ingest(url, bundle, "SELECT count(*) FROM dashboard_counts")
    result["count_rows"] = result.pop("count")
    return result


def worker_load(url: str, count: int, seed: int) -> dict[str, Any]:
    """Fill a store with ``count`` objects over 24 months, straight through the store port
    (validated, but without ingest's versioning checks: the stored rows are what matters
    here), from five kinds of source, partners among them (which only sync stores)."""
    from entente.stix import parse_object
    from entente.store import NewVersion, Provenance, SourceKind
    from entente.store.sql import open_store

    sources = (
        Provenance(SourceKind.FEED, "abuse.ch URLhaus", "local:feeds"),
        Provenance(SourceKind.FILE, "apt-report.json", "local:cli"),
        Provenance(SourceKind.PARTNER, "cert-b", PARTNER_ORGS[0], "agreement--b", PARTNER_ORGS[0]),
        Provenance(SourceKind.PARTNER, "cert-c", PARTNER_ORGS[1], "agreement--c", PARTNER_ORGS[1]),
        Provenance(SourceKind.MATCHING, "hunt", "local:hunt"),
    )
    start_us = 1_700_000_000_000_000
    # The store reads the clock once per insert (a batch): spread the batches over 24 months.
    clock = SteppingClock(start_us, 24 * MONTH_US // max(count // _BATCH, 1))
    store = open_store(url, clock)
    rng = random.Random(seed)
    indicators: list[str] = []
    started = time.perf_counter()
    for first in range(0, count, _BATCH):
        batch = []
        for index in range(first, min(first + _BATCH, count)):
            obj = make_object(rng, index, indicators)
            parsed = parse_object(obj)  # validated, as ingest would
            version = NewVersion(
                id=parsed.id,
                type=parsed.type,
                spec_version=parsed.spec_version,
                version=parsed.version_key,
                created=parsed.created.key if parsed.created else None,
                modified=parsed.modified.key if parsed.modified else None,
                created_by_ref=parsed.created_by_ref,
                revoked=parsed.revoked,
                marking_refs=parsed.object_marking_refs,
                raw_json=orjson.dumps(obj),
                content=obj,
            )
            batch.append((version, sources[rng.randrange(len(sources))]))
        with store.transaction() as tx:
            tx.insert(batch)
    elapsed = time.perf_counter() - started
    with store.engine.connect() as conn:
        figures = {
            table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
            for table in (
                "object_versions",
                "dashboard_cells",
                "dashboard_counts",
                "dashboard_hits",
            )
        }
    store.close()
    return {"seconds": round(elapsed, 1), "rows": figures, "now_us": clock.now_us()}


def worker_query(url: str, now_us: int, rounds: int) -> dict[str, Any]:
    """Time the whole dashboard for three readers over 12 and 24 months."""
    from entente.clock import FixedClock
    from entente.services.dashboard import DashboardService
    from entente.sharing import NodeContext, Principal, Role
    from entente.store.sql import open_store
    from entente.store.sql_dashboard import SqlDashboardCounts
    from entente.store.sql_federation import SqlPartnerStore, SqlSyncReportStore

    clock = FixedClock(now_us)
    store = open_store(url, clock)
    ctx = NodeContext(
        node_org=NODE_ORG,
        community_orgs=frozenset({NODE_ORG, *PARTNER_ORGS}),
        now_us=now_us,
    )
    service = DashboardService(
        store=store,
        counts=SqlDashboardCounts(store.engine),
        partners=SqlPartnerStore(store.engine),
        reports=SqlSyncReportStore(store.engine),
        context=lambda: ctx,
        clock=clock,
    )
    readers = {
        "node_analyst": Principal("tok_a", NODE_ORG, Role.ANALYST, is_individual=False),
        "partner_reader": Principal("tok_b", PARTNER_ORGS[0], Role.READER, is_individual=False),
        "public": None,
    }
    figures: dict[str, Any] = {}
    every: list[float] = []
    for name, reader in readers.items():
        for months in (12, 24):
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                board = service.dashboard(reader, months=months)
                samples.append(time.perf_counter() - started)
            every.extend(samples)
            row = latency_ms(samples, 0.5, 0.95)
            row["objects_shown"] = sum(sum(s.values) for s in board.activity.series)
            row["top_hits"] = len(board.top_hits)
            figures[f"{name}_{months}m"] = row
    figures["all"] = latency_ms(every, 0.5, 0.95)
    store.close()
    return figures


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="50,000 objects")
    parser.add_argument("--count", type=int, help="stored objects (default 1,000,000)")
    parser.add_argument(
        "--ingest-count", type=int, help="objects ingested (default 200,000; 20,000 --quick)"
    )
    parser.add_argument("--rounds", type=int, default=50, help="dashboards per reader and window")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "ingest":
            result = worker_ingest(rest[0], Path(rest[1]), rest[2])
        elif kind == "load":
            result = worker_load(rest[0], int(rest[1]), int(rest[2]))
        else:
            result = worker_query(rest[0], int(rest[1]), int(rest[2]))
        print(json.dumps(result))
        return

    count = args.count or (50_000 if args.quick else 1_000_000)
    ingest_count = args.ingest_count or (20_000 if args.quick else 200_000)
    figures: dict[str, Any] = {"objects": count, "ingested": ingest_count}
    with tempfile.TemporaryDirectory(prefix="entente-bench-dashboard-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'dashboard.db'}"
        load = run_worker(__file__, "load", url, str(count), "5")
        figures["load"] = load
        print(f"loaded {count:,} objects in {load['seconds']} s: {load['rows']}", file=sys.stderr)
        query = run_worker(__file__, "query", url, str(load["now_us"]), str(args.rounds))
        figures["dashboard"] = query
        for name, row in query.items():
            print(
                f"dashboard {name:22} p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms  "
                f"max {row['max_ms']:7.2f} ms  ({row['n']} runs)",
                file=sys.stderr,
            )
        (work / "dashboard.db").unlink()

        bundle = work / "bundle.json"
        size = write_bundle(bundle, ingest_count, seed=7)
        print(f"bundle: {ingest_count:,} objects, {size / 2**20:.0f} MiB", file=sys.stderr)
        runs = {}
        for counters in ("off", "on"):
            db = f"sqlite:///{work / (counters + '.db')}"
            runs[counters] = run_worker(__file__, "ingest", db, str(bundle), counters)
        overhead = runs["on"]["cpu_seconds"] / runs["off"]["cpu_seconds"] - 1
        figures["ingest"] = {
            "without_counters": runs["off"],
            "with_counters": runs["on"],
            "counters_overhead_pct": round(overhead * 100, 1),
        }
        print(
            f"ingest without counters: {runs['off']['cpu_seconds']} CPU s "
            f"({runs['off']['objects_per_s']:,} objects/s); with: {runs['on']['cpu_seconds']} "
            f"CPU s ({runs['on']['objects_per_s']:,} objects/s): +{overhead * 100:.1f}% CPU time",
            file=sys.stderr,
        )
    figures["targets"] = {"dashboard_p95_under_100ms": query["all"]["p95_ms"] < 100}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
