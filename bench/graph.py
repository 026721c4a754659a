"""Benchmark: graph neighbourhoods in a store of a million objects, and the layout.

What it measures:

- **expansion**: ``GraphService.neighbourhood`` of objects picked at random, as a community
  analyst asks (TLP:CLEAR and GREEN visible, AMBER not: every neighbour goes through the
  sharing policy), capped at 50 nodes per expansion (target p95 < 100 ms); and of the hub
  objects that a tenth of all relationships point at (about 350 referrers each at a million:
  many referrers to read and count, and the cap applies);
- the **baseline**: reading the one object itself from the store (``get_versions``), the
  floor under any expansion;
- **layout**: ``layout_graph`` of 50, 200 and 500 nodes (neighbourhoods and their
  neighbours: a tree with cross links), and ``render_graph_svg`` of the same.

The store is generated and written through the store's own insert (its value index with the
reverse references included, migration 0009): 60% entities (indicators, malware, tools,
intrusion sets, attack patterns, identities), 35% relationships between them (a tenth of them
to 100 hubs), 5% reports listing 5 to 30 objects; markings CLEAR, GREEN and AMBER in turn.
The last line of output is one JSON object with all figures.

    python bench/graph.py              # 1,000,000 objects (several minutes on 2 cores)
    python bench/graph.py --quick      # 50,000 objects (under a minute)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from workloads import TLP_MARKINGS, latency_ms

_KINDS = ("indicator", "malware", "tool", "intrusion-set", "attack-pattern", "identity")
_HUBS = 100
_BATCH = 5000
_NODE_ORG = "identity--00000000-0000-4000-8000-00000000000a"
_PARTNER_ORG = "identity--00000000-0000-4000-8000-00000000000b"
_STAMP = "2024-01-01T00:00:00.000Z"
_KEY = "2024-01-01T00:00:00.000000000Z"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _entity(rng: random.Random, index: int) -> dict[str, Any]:
    kind = _KINDS[index % len(_KINDS)]
    obj: dict[str, Any] = {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{_uuid(rng)}",
        "created": _STAMP,
        "modified": _STAMP,
        "object_marking_refs": [TLP_MARKINGS[index % 3]],
    }
    if kind == "indicator":
        obj["pattern"] = (
            f"[ipv4-addr:value = '10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}']"
        )
        obj["pattern_type"] = "stix"
        obj["valid_from"] = _STAMP
    else:
        obj["name"] = f"{kind} {index}"
    if kind == "malware":
        obj["is_family"] = True
    return obj


def generate(count: int, seed: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of the generated objects: entities first, then relationships and reports."""
    rng = random.Random(seed)
    entities = int(count * 0.60)
    reports = int(count * 0.05)
    relationships = count - entities - reports
    ids: list[str] = []
    batch: list[dict[str, Any]] = []
    for i in range(entities):
        obj = _entity(rng, i)
        ids.append(obj["id"])
        batch.append(obj)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    hubs = ids[:_HUBS]
    for i in range(relationships):
        source = rng.choice(ids)
        target = rng.choice(hubs) if rng.random() < 0.1 else rng.choice(ids)
        batch.append(
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": f"relationship--{_uuid(rng)}",
                "created": _STAMP,
                "modified": _STAMP,
                "relationship_type": "related-to",
                "source_ref": source,
                "target_ref": target,
                "object_marking_refs": [TLP_MARKINGS[i % 3]],
            }
        )
        if len(batch) == _BATCH:
            yield batch
            batch = []
    for i in range(reports):
        batch.append(
            {
                "type": "report",
                "spec_version": "2.1",
                "id": f"report--{_uuid(rng)}",
                "created": _STAMP,
                "modified": _STAMP,
                "name": f"report {i}",
                "published": _STAMP,
                "object_refs": rng.sample(ids, rng.randint(5, 30)),
                "object_marking_refs": [TLP_MARKINGS[i % 3]],
            }
        )
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _timed(calls: list[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def fill(url: str, count: int, seed: int) -> tuple[list[str], float]:
    """Write the generated objects; return the entity ids and the seconds it took."""
    from entente.clock import SystemClock
    from entente.store import NewVersion, Provenance, SourceKind
    from entente.store.sql import open_store

    provenance = Provenance(SourceKind.FEED, "bench", "bench")
    store = open_store(url, SystemClock())
    entities: list[str] = []
    start = time.perf_counter()
    for batch in generate(count, seed):
        rows = []
        for obj in batch:
            if obj["type"] not in ("relationship", "report"):
                entities.append(obj["id"])
            rows.append(
                (
                    NewVersion(
                        id=obj["id"],
                        type=obj["type"],
                        spec_version="2.1",
                        version=_KEY,
                        created=_KEY,
                        modified=_KEY,
                        created_by_ref=None,
                        revoked=False,
                        marking_refs=tuple(obj["object_marking_refs"]),
                        raw_json=orjson.dumps(obj),
                        content=obj,
                    ),
                    provenance,
                )
            )
        with store.transaction() as tx:
            tx.insert(rows)
    seconds = time.perf_counter() - start
    store.close()
    return entities, seconds


def measure_expansion(url: str, entities: list[str], rounds: int, seed: int) -> dict[str, Any]:
    """Expansion and baseline latencies over ``rounds`` random entities and the hubs."""
    from entente.clock import SystemClock
    from entente.services.graph import GraphService
    from entente.sharing import NodeContext, Principal, Role
    from entente.stix.markings import Tlp
    from entente.store.sql import open_store
    from entente.store.sql_search import SqlSearchIndex

    context = NodeContext(
        node_org=_NODE_ORG,
        community_orgs=frozenset({_NODE_ORG, _PARTNER_ORG}),
        default_marking=Tlp.AMBER_STRICT,
        now_us=1,
    )
    analyst = Principal(id="bob", org=_PARTNER_ORG, role=Role.ANALYST, is_individual=True)
    store = open_store(url, SystemClock())
    graph = GraphService(store=store, index=SqlSearchIndex(store.engine), context=lambda: context)
    rng = random.Random(seed)
    # Visible centres only (a third of entities are AMBER): a hidden one answers at once.
    visible = [e for i, e in enumerate(entities) if TLP_MARKINGS[i % 3] != TLP_MARKINGS[1]]
    picked = rng.sample(visible, min(rounds, len(visible)))
    hubs = [e for e in entities[:_HUBS] if e in set(visible[:_HUBS])][: max(rounds // 5, 10)]
    for warm in picked[:20]:
        graph.neighbourhood(analyst, warm)
    sizes: list[int] = []
    more: list[int] = []

    def expand(oid: str) -> Callable[[], object]:
        def run() -> object:
            found = graph.neighbourhood(analyst, oid)
            sizes.append(len(found.nodes))
            more.append(found.more)
            return found

        return run

    expansion = latency_ms(_timed([expand(oid) for oid in picked]), 0.5, 0.95, 0.99)
    expansion["mean_nodes"] = round(statistics.mean(sizes), 1)
    sizes.clear()
    more.clear()
    hub = latency_ms(_timed([expand(oid) for oid in hubs]), 0.5, 0.95, 0.99)
    hub["mean_nodes"] = round(statistics.mean(sizes), 1)
    hub["mean_more"] = round(statistics.mean(more), 1)
    gets = _timed([partial(store.get_versions, oid, ("last",)) for oid in picked])
    baseline = latency_ms(gets, 0.5, 0.95, 0.99)
    store.close()
    return {"expansion": expansion, "hub_expansion": hub, "baseline_get_object": baseline}


def _neighbourish(size: int, seed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """A graph like expanded neighbourhoods: a tree (fan-out up to 12) with a few cross links."""
    rng = random.Random(seed)
    names = [f"indicator--{_uuid(rng)}" for _ in range(size)]
    edges = [(names[rng.randrange(max(1, (i - 1) // 12 + 1))], names[i]) for i in range(1, size)]
    edges += [(rng.choice(names), rng.choice(names)) for _ in range(size // 10)]
    return names, edges


def measure_layout(sizes: tuple[int, ...], repeats: int) -> dict[str, Any]:
    """Layout and SVG rendering time for graphs of each size."""
    from entente.graph import GraphEdge, GraphNode, layout_graph, render_graph_svg

    figures: dict[str, Any] = {}
    for size in sizes:
        names, edges = _neighbourish(size, seed=size)
        layouts = _timed([partial(layout_graph, names, edges) for _ in range(repeats)])
        layout = layout_graph(names, edges)
        nodes = [GraphNode(n, "indicator", n) for n in names]
        links = [GraphEdge(f"e{i}", a, b, "related-to") for i, (a, b) in enumerate(edges)]
        svg = _timed(
            [partial(render_graph_svg, nodes, links, layout, title="t") for _ in range(repeats)]
        )
        figures[str(size)] = {
            "layout_ms": round(statistics.median(layouts) * 1000, 1),
            "svg_ms": round(statistics.median(svg) * 1000, 1),
        }
    return figures


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="50,000 objects")
    parser.add_argument("--count", type=int, help="objects (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=500, help="expansions measured")
    parser.add_argument("--keep", help="keep the database in this folder (reused if there)")
    args = parser.parse_args()
    count = args.count or (50_000 if args.quick else 1_000_000)
    figures: dict[str, Any] = {"objects": count}
    with tempfile.TemporaryDirectory(prefix="entente-bench-graph-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / f"graph-{count}.db"
        url = f"sqlite:///{db}"
        ids_file = work / f"graph-{count}.ids"
        if args.keep and db.exists() and ids_file.exists():
            entities = ids_file.read_text().split()
            print(f"store: reusing {db}", file=sys.stderr)
        else:
            db.unlink(missing_ok=True)
            entities, seconds = fill(url, count, seed=7)
            ids_file.write_text("\n".join(entities))
            figures["fill"] = {
                "seconds": round(seconds, 1),
                "objects_per_s": round(count / seconds),
            }
            print(f"store: {count:,} objects written in {seconds:.1f} s", file=sys.stderr)
        rounds = 100 if args.quick else args.rounds
        figures.update(measure_expansion(url, entities, rounds, seed=11))
        for name in ("expansion", "hub_expansion", "baseline_get_object"):
            row = figures[name]
            print(
                f"{name:20} p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms  "
                f"max {row['max_ms']:7.2f} ms  ({row['n']} objects"
                + (f", {row['mean_nodes']} nodes on average" if "mean_nodes" in row else "")
                + ")",
                file=sys.stderr,
            )
        figures["layout"] = measure_layout((50, 200, 500), repeats=1 if args.quick else 3)
        for size, row in figures["layout"].items():
            print(
                f"layout {size:>4} nodes: {row['layout_ms']:8.1f} ms  svg {row['svg_ms']:6.1f} ms",
                file=sys.stderr,
            )
    figures["targets"] = {"expansion_p95_under_100ms": figures["expansion"]["p95_ms"] < 100}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
