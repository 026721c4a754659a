"""Benchmark: one PostgreSQL store at 1,000,000 and at 10,000,000 objects.

Loads generated indicators (and one malware object in twenty, a rarer type to filter on)
into a fresh database on 127.0.0.1:5432 through the ingest service (full STIX validation,
versioning, provenance, the search and dashboard indexes, in transactions of 50,000 written
with COPY), then at each size measures what the TAXII server and the search service do:

* **ingest** objects/s of each load step (the 1M, then the 9M more);
* **TAXII paging** objects/s: pages of 1,000 through ``TaxiiService.read`` (the sharing
  policy, the outbound copy), following the cursor, for ``--walk`` objects from the oldest;
* **filtered page** p50/p99: ``match[type]`` (indicator or malware) with ``added_after`` at
  a random point of the store, a page of 100, as TAXII 2.1 §5.3 clients poll;
* **get object** p99: one object by id (§5.5), as its latest version;
* **search** p99 through the search service: values the store holds (IPv4, domain, URL,
  SHA-256), values it does not, and words found in one object's name (full text).

Growth is each p99 at the largest size over the smallest (target < 2x from 1M to 10M).
After each load ``VACUUM ANALYZE`` runs (autovacuum would, later); its time is reported.
The database (``entente_bench`` unless ``--database``) is created fresh and dropped at the
end; the server's settings are reported as found. The last line is one JSON object.

    python bench/pg_scale.py                        # 1,000,000 then 10,000,000 (about 30 min)
    python bench/pg_scale.py --sizes 100000         # one size
    python bench/pg_scale.py --quick                # 20,000 then 100,000 (about a minute)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workloads import latency_ms, make_indicator

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_DATABASE = "entente_bench"
# Objects per ingest call (one transaction each) and per insert batch inside it.
TRANSACTION = 50_000
# One object in this many is a malware object: a type that filters select rarely.
MALWARE_EVERY = 20
PAGE = 1000
FILTERED_PAGE = 100
GROWTH_TARGET = 2.0


def make_object(rng: random.Random, index: int) -> dict[str, Any]:
    """The ``index``-th generated object: an indicator, or every ``MALWARE_EVERY``-th a malware."""
    if index % MALWARE_EVERY == MALWARE_EVERY - 1:
        return {
            "type": "malware",
            "spec_version": "2.1",
            "id": f"malware--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "created": "2026-03-01T00:00:00.000Z",
            "modified": "2026-03-01T00:00:00.000Z",
            "name": f"Generated family {index}",
            "is_family": True,
            "object_marking_refs": [
                "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"  # TLP:GREEN
            ],
        }
    return make_indicator(rng, index)


def value_of(obj: dict[str, Any]) -> str | None:
    """The value an indicator's pattern compares with."""
    pattern = obj.get("pattern")
    if not isinstance(pattern, str):
        return None
    return pattern.split(" = '", 1)[1].rsplit("'", 1)[0]


def _admin(url: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=parsed.database or "postgres",
        autocommit=True,
    )


def bench_url(admin_url: str, database: str) -> str:
    """The URL of the benchmark database, on the admin URL's server."""
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


class Scale:
    """The benchmark database, its node's services and what was loaded so far."""

    def __init__(self, url: str, home: Path, seed: int) -> None:
        from entente.bootstrap import open_node
        from entente.config import load_settings

        self.settings = load_settings({"ENTENTE_HOME": str(home), "ENTENTE_DATABASE_URL": url})
        self._opened = open_node(self.settings)
        self.node = self._opened.__enter__()
        self.rng = random.Random(seed)
        self.loaded = 0
        # Values and ids of the objects loaded, a uniform sample (reservoir) of each kind.
        self.samples: dict[str, list[str]] = {"ipv4": [], "domain": [], "url": [], "sha256": []}
        self.samples.update({"indicator": [], "malware": [], "name_word": []})
        self._seen: dict[str, int] = {}

    def close(self) -> None:
        self._opened.__exit__(None, None, None)

    def _keep(self, kind: str, value: str, size: int = 2000) -> None:
        seen = self._seen[kind] = self._seen.get(kind, 0) + 1
        held = self.samples[kind]
        if len(held) < size:
            held.append(value)
        else:
            slot = self.rng.randrange(seen)
            if slot < size:
                held[slot] = value

    def _objects(self, count: int) -> Iterator[dict[str, Any]]:
        kinds = ("ipv4", "domain", "url", "sha256")
        for index in range(self.loaded, self.loaded + count):
            obj = make_object(self.rng, index)
            self._keep(str(obj["type"]), str(obj["id"]))
            value = value_of(obj)
            if value is not None:
                self._keep(kinds[index % 4], value)
            else:
                # "family 123": the number is a word of this one name only.
                self._keep("name_word", str(obj["name"]).rsplit(" ", 1)[1])
            yield obj

    def load(self, count: int, stop_at: float, checked: int) -> dict[str, Any]:
        """Ingest ``count`` more objects, or fewer once ``time.monotonic()`` passes
        ``stop_at``: the first ``checked`` through the ingest service (validation,
        versioning rules, provenance), the rest straight into the store's bulk insert (the
        same rows and indexes, with COPY; the objects are valid and new by construction).
        Objects/s of each (generation not counted)."""
        from entente.bootstrap import operator_ingest
        from entente.ingest import Candidate
        from entente.store import Provenance, SourceKind

        service = operator_ingest(self.node, "bench")
        provenance = Provenance(SourceKind.FILE, "pg-scale", "bench")
        seconds = {"service": 0.0, "bulk": 0.0}
        added = {"service": 0, "bulk": 0}
        done = 0
        while done < count and time.monotonic() < stop_at:
            step = min(TRANSACTION, count - done)
            objects = list(self._objects(step))
            if done < checked:
                candidates = [
                    Candidate(source="pg-scale", position=str(i), data=obj)
                    for i, obj in enumerate(objects)
                ]
                start = time.perf_counter()
                summary = service.ingest_candidates(candidates, provenance, source="pg-scale")
                seconds["service"] += time.perf_counter() - start
                if summary.rejected:
                    raise SystemExit(f"rejected: {summary.rejected[:3]}")
                added["service"] += summary.added
            else:
                start = time.perf_counter()
                added["bulk"] += self._bulk(objects, provenance)
                seconds["bulk"] += time.perf_counter() - start
            done += step
            self.loaded += step
            if (self.loaded // TRANSACTION) % 20 == 0:
                total = sum(added.values()) / max(sum(seconds.values()), 1e-9)
                print(f"  loaded {self.loaded:,} ({total:,.0f} objects/s)", file=sys.stderr)
        figures: dict[str, Any] = {}
        for path, name in (("service", "ingest_service"), ("bulk", "bulk_insert")):
            if added[path]:
                figures[name] = {
                    "objects": added[path],
                    "seconds": round(seconds[path], 1),
                    "objects_per_s": round(added[path] / seconds[path]),
                }
        return figures

    def _bulk(self, objects: list[dict[str, Any]], provenance: Any) -> int:
        """Insert generated objects through the store's transaction, 5,000 per batch (the
        ingest service's batch), as the ingest service would store them."""
        import orjson

        from entente.store import NewVersion

        def key(stamp: str) -> str:
            # ``...SS.fffZ`` as the version key's nine fraction digits (records.NewVersion).
            return stamp[:-1] + "000000Z"

        with self.node.store.transaction() as tx:
            for start in range(0, len(objects), 5000):
                batch = []
                for obj in objects[start : start + 5000]:
                    modified = key(str(obj["modified"]))
                    new = NewVersion(
                        id=str(obj["id"]),
                        type=str(obj["type"]),
                        spec_version="2.1",
                        version=modified,
                        created=key(str(obj["created"])),
                        modified=modified,
                        created_by_ref=obj.get("created_by_ref"),
                        revoked=False,
                        marking_refs=tuple(obj.get("object_marking_refs", ())),
                        raw_json=orjson.dumps(obj),
                        content=obj,
                    )
                    batch.append((new, provenance))
                tx.insert(batch)
        return len(objects)

    def vacuum(self) -> float:
        """``VACUUM ANALYZE`` of the whole database; its seconds."""
        start = time.perf_counter()
        engine = self.node.store.engine  # type: ignore[attr-defined]
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return round(time.perf_counter() - start, 1)

    def _principal(self) -> Any:
        from entente.services.taxii import node_org_id
        from entente.sharing import Principal, Role

        org = node_org_id(self.settings.org_name)
        return Principal(id="bench-analyst", org=org, role=Role.ANALYST, is_individual=True)

    def date_range(self) -> tuple[int, int]:
        with self.node.store.engine.connect() as conn:  # type: ignore[attr-defined]
            low, high = conn.exec_driver_sql(
                "SELECT min(date_added_us), max(date_added_us) FROM object_versions"
            ).one()
        return int(low), int(high)

    def paging(self, walk: int) -> dict[str, Any]:
        """Pages of ``PAGE`` through the TAXII service from the oldest, ``walk`` objects."""
        from entente import bootstrap
        from entente.store import ObjectQuery

        service = bootstrap.taxii(self.node)
        principal = self._principal()
        cursor: int | None = None
        shown = pages = 0
        start = time.perf_counter()
        while shown < walk:
            page = service.read(None, principal, ObjectQuery(after_cursor=cursor, limit=PAGE))
            shown += len(page.items)
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        seconds = time.perf_counter() - start
        return {
            "objects": shown,
            "pages": pages,
            "seconds": round(seconds, 2),
            "objects_per_s": round(shown / seconds),
        }

    def reads(self, rounds: int) -> dict[str, Any]:
        """Filtered pages and gets by id through the TAXII service, at random points."""
        from entente import bootstrap
        from entente.store import ObjectQuery

        service = bootstrap.taxii(self.node)
        principal = self._principal()
        low, high = self.date_range()
        rng = random.Random(11)
        figures: dict[str, Any] = {}
        everything: list[float] = []
        for kind in ("indicator", "malware"):
            samples, rows = [], 0
            for _ in range(rounds):
                after = rng.randrange(low, high)
                query = ObjectQuery(types=(kind,), added_after_us=after, limit=FILTERED_PAGE)
                start = time.perf_counter()
                page = service.read(None, principal, query)
                samples.append(time.perf_counter() - start)
                rows += len(page.items)
            everything += samples
            figures[kind] = {**latency_ms(samples, 0.5, 0.99), "objects": rows}
        figures["all"] = latency_ms(everything, 0.5, 0.99)
        gets = []
        ids = self.samples["indicator"] + self.samples["malware"]
        for _ in range(rounds):
            oid = rng.choice(ids)
            start = time.perf_counter()
            page = service.read(None, principal, ObjectQuery(ids=(oid,), limit=FILTERED_PAGE))
            gets.append(time.perf_counter() - start)
            if len(page.items) != 1:
                raise SystemExit(f"get {oid}: {len(page.items)} versions")
        figures["get_object"] = latency_ms(gets, 0.5, 0.99)
        return figures

    def search(self, rounds: int) -> dict[str, Any]:
        """Value lookups, absent values and name words through the search service."""
        from entente import bootstrap
        from entente.services.search import SearchRequest

        service = bootstrap.search(self.node)
        principal = self._principal()
        rng = random.Random(13)
        figures: dict[str, Any] = {}
        values: list[float] = []
        for kind in ("ipv4", "domain", "url", "sha256", "absent"):
            samples, hits = [], 0
            for _ in range(rounds // 2):
                if kind == "absent":
                    value = f"{rng.getrandbits(256):064x}"
                else:
                    value = rng.choice(self.samples[kind])
                start = time.perf_counter()
                page = service.search(principal, SearchRequest(value=value), limit=50)
                samples.append(time.perf_counter() - start)
                hits += bool(page.items)
            values += samples
            figures[kind] = {**latency_ms(samples, 0.5, 0.99), "with_results": hits}
        figures["value_all"] = latency_ms(values, 0.5, 0.99)
        words, hits = [], 0
        for _ in range(rounds // 2):
            word = rng.choice(self.samples["name_word"])
            start = time.perf_counter()
            page = service.search(principal, SearchRequest(text=f"family {word}"), limit=50)
            words.append(time.perf_counter() - start)
            hits += bool(page.items)
        figures["name_words"] = {**latency_ms(words, 0.5, 0.99), "with_results": hits}
        figures["all"] = latency_ms(values + words, 0.5, 0.99)
        return figures


def server_settings(admin_url: str) -> dict[str, str]:
    """The PostgreSQL settings that decide these figures, as found."""
    names = ("server_version", "shared_buffers", "work_mem", "effective_cache_size")
    with _admin(admin_url) as conn:
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in names}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", help="store sizes to measure at, ascending (1000000,10000000)")
    parser.add_argument("--quick", action="store_true", help="20,000 then 100,000 objects")
    parser.add_argument("--rounds", type=int, default=400, help="queries per kind")
    parser.add_argument("--walk", type=int, default=1_000_000, help="objects paged per size")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL, help="any database there")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="created and dropped")
    parser.add_argument(
        "--checked",
        type=int,
        default=100_000,
        help="objects of each load step through the ingest service; the rest bulk-inserted",
    )
    parser.add_argument(
        "--budget-s",
        type=float,
        default=float("inf"),
        help="stop loading after this many seconds and measure at the size reached",
    )
    args = parser.parse_args()
    default = "20000,100000" if args.quick else "1000000,10000000"
    sizes = [int(s) for s in (args.sizes or default).split(",")]
    if sizes != sorted(sizes) or sizes[0] < 1:
        raise SystemExit("--sizes: positive and ascending")
    rounds = min(args.rounds, 100) if args.quick else args.rounds

    with _admin(args.admin_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    figures: dict[str, Any] = {"server": server_settings(args.admin_url), "sizes": {}}
    print(f"PostgreSQL {figures['server']}", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory(prefix="entente-bench-pg-") as home:
            scale = Scale(bench_url(args.admin_url, args.database), Path(home), seed=5)
            try:
                stop_at = time.monotonic() + args.budget_s
                for index, wanted in enumerate(sizes):
                    print(f"loading up to {wanted:,} objects", file=sys.stderr)
                    ingest = scale.load(wanted - scale.loaded, stop_at, args.checked)
                    size = sizes[index] = scale.loaded
                    if size < wanted:
                        del sizes[index + 1 :]
                        figures["stopped"] = f"--budget-s: loaded {size:,} of {wanted:,}"
                        print(figures["stopped"], file=sys.stderr)
                    vacuum_s = scale.vacuum()
                    at: dict[str, Any] = {"ingest": ingest, "vacuum_analyze_s": vacuum_s}
                    at["taxii_paging"] = scale.paging(min(args.walk, size))
                    at["filtered_page"] = scale.reads(rounds)
                    at["search"] = scale.search(rounds)
                    figures["sizes"][str(size)] = at
                    _report(size, at)
            finally:
                scale.close()
    finally:
        with _admin(args.admin_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')

    if len(sizes) > 1:
        small, large = figures["sizes"][str(sizes[0])], figures["sizes"][str(sizes[-1])]
        growth = {
            "filtered_page_p99": _ratio(small, large, "filtered_page", "all"),
            "get_object_p99": _ratio(small, large, "filtered_page", "get_object"),
            "search_value_p99": _ratio(small, large, "search", "value_all"),
            "search_text_p99": _ratio(small, large, "search", "name_words"),
            "search_p99": _ratio(small, large, "search", "all"),
        }
        figures["growth"] = {"from": sizes[0], "to": sizes[-1], **growth}
        figures["targets"] = {f"{name}_under_2x": v < GROWTH_TARGET for name, v in growth.items()}
        for name, value in growth.items():
            verdict = "ok" if value < GROWTH_TARGET else "OVER"
            print(
                f"p99 growth {sizes[0]:,} -> {sizes[-1]:,} {name:18} {value:5.2f}x "
                f"(target < {GROWTH_TARGET:g}x: {verdict})",
                file=sys.stderr,
            )
        figures["paging_ratio"] = round(
            large["taxii_paging"]["objects_per_s"] / small["taxii_paging"]["objects_per_s"], 2
        )
        figures["ingest_ratio"] = {
            name: round(
                large["ingest"][name]["objects_per_s"] / small["ingest"][name]["objects_per_s"], 2
            )
            for name in ("ingest_service", "bulk_insert")
            if name in small["ingest"] and name in large["ingest"]
        }
    print(json.dumps(figures))


def _ratio(small: dict[str, Any], large: dict[str, Any], group: str, name: str) -> float:
    return round(float(large[group][name]["p99_ms"]) / float(small[group][name]["p99_ms"]), 2)


def _report(size: int, at: dict[str, Any]) -> None:
    ingest, paging = at["ingest"], at["taxii_paging"]
    page, search = at["filtered_page"], at["search"]
    lines = [
        f"== {size:,} objects",
        *(
            f"{label:17} {ingest[name]['objects_per_s']:>9,} objects/s "
            f"({ingest[name]['objects']:,} in {ingest[name]['seconds']} s)"
            for name, label in (
                ("ingest_service", "ingest service"),
                ("bulk_insert", "bulk insert"),
            )
            if name in ingest
        ),
        f"VACUUM ANALYZE    {at['vacuum_analyze_s']} s",
        f"TAXII paging      {paging['objects_per_s']:>9,} objects/s "
        f"({paging['objects']:,} objects, {paging['pages']:,} pages of {PAGE})",
    ]
    for name in ("indicator", "malware", "all", "get_object"):
        row = page[name]
        lines.append(
            f"filtered page {name:10} p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.2f} ms"
        )
    for name in ("ipv4", "domain", "url", "sha256", "absent", "value_all", "name_words", "all"):
        row = search[name]
        lines.append(f"search {name:17} p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.2f} ms")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
