"""Benchmark: ingest throughput and peak memory, against stix2.parse as the baseline.

Prints objects/s and peak RSS for ingesting N generated indicators into SQLite and into
PostgreSQL (full STIX 2.1 validation, versioning checks, provenance), the objects/s of
``stix2.parse`` validating the same objects (the baseline), and the peak RSS of ingesting a
bundle larger than the streaming threshold. Every measurement runs in its own process so its
peak RSS is its own. The last line is one JSON object with all figures.

    python bench/ingest.py            # 200,000 indicators; 1 GB streamed bundle
    python bench/ingest.py --quick    # 20,000 indicators; 64 MB streamed bundle (< 1 min)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from workloads import make_indicator, run_worker

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def write_bundle(path: Path, count: int, seed: int) -> int:
    """Write a bundle of ``count`` generated indicators, streaming; return its size."""
    rng = random.Random(seed)
    with path.open("wb") as out:
        out.write(
            b'{"type": "bundle", "id": "bundle--'
            + str(uuid.UUID(int=seed)).encode()
            + b'", "objects": [\n'
        )
        for i in range(count):
            if i:
                out.write(b",\n")
            out.write(orjson.dumps(make_indicator(rng, i)))
        out.write(b"\n]}\n")
    return path.stat().st_size


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_ingest(url: str, bundle: Path, schema: str | None = None) -> dict[str, Any]:
    """Ingest ``bundle`` into a fresh store at ``url`` and time it."""
    from entente.clock import SystemClock
    from entente.ingest import InputFormat, open_document
    from entente.services import IngestService, ensure_builtin_markings
    from entente.stix import format_timestamp_us
    from entente.store.sql import open_store

    clock = SystemClock()
    store = open_store(url, clock, schema=schema)
    ensure_builtin_markings(store, clock)
    service = IngestService(store, clock, principal="bench")
    start = time.perf_counter()
    document = open_document(
        str(bundle),
        fmt=InputFormat.STIX,
        source_name="bench",
        now=format_timestamp_us(clock.now_us()),
        markings=(),
    )
    cpu_start = time.process_time()
    summary = service.ingest_document(document)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    stored = store.stats().versions
    store.close()
    return {
        "added": summary.added,
        "rejected": len(summary.rejected),
        "stored_versions": stored,
        "seconds": round(elapsed, 3),
        # Ingest is single-threaded: CPU seconds close to wall seconds show it ran on one core.
        "cpu_seconds": round(cpu, 3),
        "objects_per_s": round(summary.added / elapsed),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def worker_baseline(bundle: Path, limit: int) -> dict[str, Any]:
    """Validate the first ``limit`` objects of ``bundle`` with ``stix2.parse`` and time it."""
    import stix2

    objects = orjson.loads(bundle.read_bytes())["objects"][:limit]
    start = time.perf_counter()
    for obj in objects:
        stix2.parse(obj, allow_custom=True, version="2.1")
    elapsed = time.perf_counter() - start
    return {
        "objects": len(objects),
        "seconds": round(elapsed, 3),
        "objects_per_s": round(len(objects) / elapsed),
    }


def _pg_reachable(base: str) -> str | None:
    """Why the PostgreSQL server at ``base`` cannot be used, or None when it can."""
    import psycopg

    try:
        with psycopg.connect(_dsn(base), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL reachable at {base}: {exc}"


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _drop_pg_schema(base: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(_dsn(base), connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--count", type=int, help="indicators to ingest (default 200,000)")
    parser.add_argument("--big-mb", type=int, help="size of the streamed bundle (default 1024)")
    parser.add_argument("--baseline-count", type=int, default=5000)
    parser.add_argument("--pg-url", default=os.environ.get("ENTENTE_TEST_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "ingest":
            result = worker_ingest(rest[0], Path(rest[1]), rest[2] if len(rest) > 2 else None)
        else:
            result = worker_baseline(Path(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return

    count = args.count or (20_000 if args.quick else 200_000)
    big_mb = args.big_mb or (64 if args.quick else 1024)
    baseline_count = min(args.baseline_count, 2_000 if args.quick else args.baseline_count)
    figures: dict[str, Any] = {"indicators": count}
    with tempfile.TemporaryDirectory(prefix="entente-bench-") as tmp:
        work = Path(tmp)
        bundle = work / "bundle.json"
        size = write_bundle(bundle, count, seed=1)
        print(f"bundle: {count} indicators, {size / 2**20:.1f} MiB", file=sys.stderr)

        baseline = run_worker(__file__, "baseline", str(bundle), str(baseline_count))
        figures["baseline_stix2_parse"] = baseline
        print(f"baseline stix2.parse: {baseline['objects_per_s']:,} objects/s", file=sys.stderr)

        sqlite = run_worker(__file__, "ingest", f"sqlite:///{work / 'bench.db'}", str(bundle))
        figures["sqlite"] = sqlite
        print(
            f"sqlite: {sqlite['objects_per_s']:,} objects/s, peak RSS {sqlite['peak_rss_mb']} MiB",
            file=sys.stderr,
        )

        why_not = _pg_reachable(args.pg_url)
        if why_not is not None:
            figures["postgresql"] = {"skipped": why_not}
            print(why_not, file=sys.stderr)
        else:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            try:
                figures["postgresql"] = run_worker(
                    __file__, "ingest", args.pg_url, str(bundle), schema
                )
            finally:
                _drop_pg_schema(args.pg_url, schema)
            print(
                f"postgresql: {figures['postgresql']['objects_per_s']:,} objects/s, peak RSS "
                f"{figures['postgresql']['peak_rss_mb']} MiB",
                file=sys.stderr,
            )

        bundle.unlink()
        per_object = size / count
        big_count = int(big_mb * 2**20 / per_object)
        big = work / "big.json"
        big_size = write_bundle(big, big_count, seed=2)
        print(f"big bundle: {big_count} indicators, {big_size / 2**20:.0f} MiB", file=sys.stderr)
        streamed = run_worker(__file__, "ingest", f"sqlite:///{work / 'big.db'}", str(big))
        streamed["bundle_mib"] = round(big_size / 2**20)
        figures["streamed_bundle_sqlite"] = streamed
        print(
            f"streamed: {streamed['objects_per_s']:,} objects/s, peak RSS "
            f"{streamed['peak_rss_mb']} MiB",
            file=sys.stderr,
        )

    figures["ratio_sqlite_vs_baseline"] = round(
        sqlite["objects_per_s"] / baseline["objects_per_s"], 1
    )
    figures["targets"] = {
        "sqlite_objects_per_s": 25_000,
        "ratio_vs_baseline": 10,
        "streamed_peak_rss_mb": 600,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
