"""Benchmark: every export renderer on a million generated items, and the whole export path.

Renderers: generates ``--items`` ``ExportItem``s (default 1,000,000; ``--quick`` 100,000) of
mixed kinds, canonical as ``entente.matching.values`` writes them: IPv4 addresses (35 %),
IPv4 CIDR blocks (5 %), IPv6 addresses (5 %), domains (17 %), subdomain items (8 %), URLs
(10 %), MD5/SHA-1/SHA-256 (15 %), email addresses (3 %), JA3 and JA4 (2 %); then renders
them with each format of ``entente.export.RENDERERS`` in turn (``--repeat`` times, default 3,
keeping the best wall-clock and CPU seconds: the machine may be shared) and prints the
seconds, the bytes written, the entries written, the items left out, and the ratio to the
baseline: a bare ``b"\\n".join`` of every value (writing each value once, with no format).
Target: at most 5 s per format for a million items.

Service: ingests ``--store`` generated indicators (default 50,000; ``--quick`` 10,000) into a
temporary SQLite node, then times ``ExportService.select`` (policy, select_active, compile,
score, warninglists with the shipped defaults; minimum score 0, so every active value goes all
the way) and one whole export per format (selection included).

    python bench/export.py            # 1,000,000 items; 50,000 stored indicators
    python bench/export.py --quick    # 100,000 items; 10,000 stored indicators

The last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from entente.bootstrap import exports, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.export import RENDERERS, ExportContext, ExportItem, ItemKind, ItemOp
from entente.ingest import Candidate
from entente.services import IngestService
from entente.services.export import export_principal
from entente.store import Provenance, SourceKind
from workloads import make_indicator, peak_rss_mb

_TARGET_S = 5.0
_CONTEXT = ExportContext(generated_at="2026-11-26T12:00:00.000Z", producer="Bench CERT", serial=1)
_LABELS = (("malicious-activity",), ("c2", "botnet"), ())
_TLPS = ("clear", "green", "amber", "amber+strict")
# 2026-10-01T00:00:00Z: after every generated indicator's valid_from, so all are active.
_NOW_US = 1_790_812_800_000_000


def _ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randrange(1, 255)) for _ in range(4))


def _value(rng: random.Random, n: int) -> tuple[ItemKind, ItemOp, str]:
    """One canonical value; the kinds in the proportions of the module docstring."""
    slot = n % 100
    if slot < 35:
        return ItemKind.IP, ItemOp.EQUALS, _ipv4(rng)
    if slot < 40:
        prefix = rng.randrange(16, 29)
        network = ipaddress.IPv4Network((rng.getrandbits(32), prefix), strict=False)
        return ItemKind.IP, ItemOp.IN_NETWORK, str(network)
    if slot < 45:
        address = ipaddress.IPv6Address((0x2001_0DB8 << 96) | rng.getrandbits(96))
        return ItemKind.IP, ItemOp.EQUALS, address.compressed
    if slot < 62:
        return ItemKind.DOMAIN, ItemOp.EQUALS, f"{rng.getrandbits(48):012x}.example.com"
    if slot < 70:
        return ItemKind.DOMAIN, ItemOp.SUBDOMAIN, f"{rng.getrandbits(40):010x}.example.net"
    if slot < 80:
        host = f"{rng.getrandbits(32):08x}.example.org"
        return ItemKind.URL, ItemOp.EQUALS, f"http://{host}/{rng.getrandbits(40):x}/x.exe"
    if slot < 85:
        return ItemKind.MD5, ItemOp.EQUALS, f"{rng.getrandbits(128):032x}"
    if slot < 90:
        return ItemKind.SHA1, ItemOp.EQUALS, f"{rng.getrandbits(160):040x}"
    if slot < 95:
        return ItemKind.SHA256, ItemOp.EQUALS, f"{rng.getrandbits(256):064x}"
    if slot < 98:
        return ItemKind.EMAIL, ItemOp.EQUALS, f"user{n}@{rng.getrandbits(32):08x}.example"
    if slot < 99:
        return ItemKind.JA3, ItemOp.EQUALS, f"{rng.getrandbits(128):032x}"
    return ItemKind.JA4, ItemOp.EQUALS, f"t13d1516h2_{rng.getrandbits(48):012x}_b0da82dd1658"


def make_items(count: int, seed: int = 1) -> list[ExportItem]:
    """``count`` items; two values per indicator, as multi-value indicators give."""
    rng = random.Random(seed)
    items = []
    for n in range(count):
        kind, op, value = _value(rng, n)
        indicator = n // 2
        items.append(
            ExportItem(
                indicator_id=f"indicator--{indicator:08x}-0000-4000-8000-{n % 7:012x}",
                kind=kind,
                op=op,
                value=value,
                score=rng.randrange(1, 101),
                name=f"Generated indicator {indicator}",
                labels=_LABELS[n % 3],
                tlp=_TLPS[n % 4],
                created_by_ref="identity--8ce3f695-d5a4-4dc8-9e93-a65af453a31a",
                modified="2026-09-01T00:00:00.000Z",
            )
        )
    return items


def _timed(render: Any, items: list[ExportItem], repeat: int) -> tuple[float, float, Any]:
    """The best wall-clock and CPU seconds of ``repeat`` renderings, and the last result.

    The best of several runs is the figure least disturbed by other work on a shared machine;
    CPU seconds are not inflated by waiting for a core."""
    walls, cpus, rendered = [], [], None
    for _ in range(repeat):
        rendered = None  # free the previous body before rendering again
        wall, cpu = time.perf_counter(), time.process_time()
        rendered = render(items, _CONTEXT)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), rendered


def bench_renderers(items: list[ExportItem], repeat: int) -> dict[str, Any]:
    """Seconds, bytes, entries and items left out per format, and the baseline."""
    baseline_s, baseline_cpu, joined = _timed(
        lambda values, _: b"\n".join(item.value.encode() for item in values), items, repeat
    )
    figures: dict[str, Any] = {
        "baseline_join": {
            "seconds": round(baseline_s, 3),
            "cpu_seconds": round(baseline_cpu, 3),
            "bytes": len(joined),
        }
    }
    print(f"baseline b'\\n'.join: {baseline_s:.3f} s, {len(joined):,} bytes", file=sys.stderr)
    scale = len(items) / 1_000_000
    for name, renderer in RENDERERS.items():
        seconds, cpu, rendered = _timed(renderer.render, items, repeat)
        figures[name] = {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "bytes": len(rendered.body),
            "entries": rendered.count,
            "left_out": len(rendered.left_out),
            "ratio_to_baseline": round(seconds / baseline_s, 1) if baseline_s else None,
            "within_target": seconds <= _TARGET_S * scale,
        }
        print(
            f"{name:>14}: {seconds:6.2f} s ({cpu:6.2f} s CPU)  "
            f"{len(rendered.body) / 2**20:8.1f} MiB  {rendered.count:>9,} entries  "
            f"{len(rendered.left_out):>9,} left out  "
            f"{figures[name]['ratio_to_baseline']}x baseline",
            file=sys.stderr,
        )
        del rendered
    return figures


def bench_service(count: int, work: Path, repeat: int) -> dict[str, Any]:
    """Ingest ``count`` indicators into SQLite and time selection and each whole export."""
    settings = Settings(
        home=work / "home", database_url=f"sqlite:///{work / 'bench.db'}", org_name="Bench CERT"
    )
    rng = random.Random(2)
    objects = [make_indicator(rng, n) for n in range(count)]
    figures: dict[str, Any] = {"indicators": count}
    with open_node(settings, FixedClock(_NOW_US)) as node:
        ingest = IngestService(node.store, node.clock, principal="local:bench")
        started = time.perf_counter()
        summary = ingest.ingest_candidates(
            [Candidate("bench", f"[{i}]", o) for i, o in enumerate(objects)],
            Provenance(SourceKind.FEED, "bench", "local:bench"),
            source="bench",
        )
        assert not summary.rejected, summary.rejected[:3]
        figures["ingest_seconds"] = round(time.perf_counter() - started, 2)
        del objects
        service = exports(node)
        principal = export_principal(settings.org_name)
        # Minimum score 0: every active value goes through the whole path (with the default
        # minimum, the generated addresses and URLs have decayed away by _NOW_US).
        service.select(principal, min_score=0)  # builds and caches the default warninglists
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            selection = service.select(principal, min_score=0)
            times.append(time.perf_counter() - started)
        select_s = min(times)
        figures["select_seconds"] = round(select_s, 3)
        figures["items"] = len(selection.items)
        figures["indicators_per_s"] = round(count / select_s) if select_s else None
        print(
            f"service: {count:,} stored indicators -> {len(selection.items):,} items in "
            f"{select_s:.2f} s ({figures['indicators_per_s']:,} indicators/s)",
            file=sys.stderr,
        )
        for name in RENDERERS:
            started = time.perf_counter()
            rendered = service.export(name, principal, min_score=0)
            seconds = time.perf_counter() - started
            figures[f"export_{name}_seconds"] = round(seconds, 3)
            print(
                f"  export {name:>14}: {seconds:.2f} s, {len(rendered.body):,} bytes",
                file=sys.stderr,
            )
    return figures


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--items", type=int, help="items per renderer (default 1,000,000)")
    parser.add_argument("--store", type=int, help="indicators for the service path (50,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per format; the best counts")
    args = parser.parse_args()
    count = args.items or (100_000 if args.quick else 1_000_000)
    stored = args.store if args.store is not None else (10_000 if args.quick else 50_000)

    started = time.perf_counter()
    items = make_items(count)
    print(f"generated {count:,} items in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    figures: dict[str, Any] = {"items": count, "target_seconds_per_million": _TARGET_S}
    figures["repeat"] = args.repeat
    figures["renderers"] = bench_renderers(items, max(1, args.repeat))
    del items
    if stored:
        with tempfile.TemporaryDirectory(prefix="entente-bench-") as tmp:
            figures["service"] = bench_service(stored, Path(tmp), max(1, args.repeat))
    figures["peak_rss_mb"] = peak_rss_mb(os.getpid())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
