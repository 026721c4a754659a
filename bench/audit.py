"""Benchmark: TAXII 2.1 paging with the audit log on and off (issue 14: overhead at most 5%).

A node is preloaded with indicators (a third each TLP:CLEAR, GREEN and AMBER, as
``workloads.make_indicator`` makes them), then served by a real ``entente serve`` process on
127.0.0.1, once with ``ENTENTE_AUDIT_LOG=false`` (the baseline) and once with the audit log on,
alternately for several rounds. Each round reads every object with ``limit=1000`` following
``next``, as an analyst of the node's own org (who is released the GREEN and AMBER content, so
every page is audited: one entry per page listing up to 1,000 ids). The figure of each mode is
its best round (the least disturbed by other work on the machine); the ratio is on / off.
Progress goes to stderr; the last line is one JSON object.

    python bench/audit.py            # 300,000 objects, 3 rounds per mode
    python bench/audit.py --quick    # 30,000 objects, 2 rounds per mode (well under a minute)
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from taxii import (
    _stop,
    _taxii_client,
    _wait_ready,
    entente_command,
    entente_env,
    free_port,
    log,
    measure_paging,
    worker_preload,
)
from workloads import run_worker

TARGET_RATIO = 0.95


def worker_reader(home: Path) -> dict[str, Any]:
    """A token for an analyst of the node's own org, and the audit log's length so far."""
    from entente.bootstrap import open_node
    from entente.config import load_settings
    from entente.services.tokens import create_token

    settings = load_settings({"ENTENTE_HOME": str(home)})
    with open_node(settings) as node:
        _, secret = create_token(
            node.tokens, node.clock, org_name=settings.org_name, role="analyst"
        )
        return {"token": secret, "audit_entries": node.audit.head("node").seq}


def worker_verify(home: Path) -> dict[str, Any]:
    """The audit log's length and whether it verifies."""
    from entente.bootstrap import audit_log, open_node
    from entente.config import load_settings

    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        verdict = audit_log(node).verify()
        return {"audit_entries": verdict.entries_checked, "verifies": verdict.ok}


@contextmanager
def server(home: Path, *, audit: bool) -> Iterator[str]:
    """``entente serve`` over ``home`` with the audit log on or off; yields its base URL."""
    port = free_port()
    logfile = home / "server.log"
    env = {**entente_env(home), "ENTENTE_AUDIT_LOG": "true" if audit else "false"}
    with logfile.open("wb") as out:
        proc = subprocess.Popen(
            [*entente_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}/"
        _wait_ready(proc, base + "taxii2/", logfile)
        yield base
    finally:
        _stop(proc, signal.SIGINT)


def page_all(home: Path, token: str, *, audit: bool) -> dict[str, Any]:
    """One round: every object paged through a fresh server."""
    from entente.services.taxii import collection_uuid

    collection = collection_uuid("All objects")
    with server(home, audit=audit) as base:
        url = f"{base}taxii2/api/collections/{collection}/objects/"
        with _taxii_client(timeout=120) as http:
            http.headers.update({"Authorization": f"Bearer {token}"})
            # One page first: the server's caches and the page cache warm up alike per mode.
            http.get(url, params={"limit": "1000"}).raise_for_status()
            return measure_paging(http, url, deadline=float("inf"))


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="30,000 objects, 2 rounds")
    parser.add_argument("--preload", type=int, help="objects stored before serving (300,000)")
    parser.add_argument("--rounds", type=int, help="rounds per mode (3)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, home = args.worker[0], Path(args.worker[1])
        if kind == "preload":
            print(json.dumps(worker_preload(home, int(args.worker[2]))))
        elif kind == "reader":
            print(json.dumps(worker_reader(home)))
        else:
            print(json.dumps(worker_verify(home)))
        return

    preload = args.preload or (30_000 if args.quick else 300_000)
    rounds = args.rounds or (2 if args.quick else 3)
    work = Path(tempfile.mkdtemp(prefix="entente-bench-audit-"))
    try:
        home = work / "entente-home"
        home.mkdir()
        log(f"preloading {preload:,} indicators")
        loaded = run_worker(__file__, "preload", str(home), str(preload))
        token = run_worker(__file__, "reader", str(home))["token"]
        runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
        for round_number in range(1, rounds + 1):
            for mode in ("off", "on"):
                result = page_all(home, token, audit=mode == "on")
                runs[mode].append(result)
                log(
                    f"round {round_number}, audit {mode}: {result['objects']:,} objects in "
                    f"{result['pages']} pages, {result['objects_per_s']:,}/s"
                )
        checked = run_worker(__file__, "verify", str(home))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = {mode: max(r["objects_per_s"] for r in found) for mode, found in runs.items()}
    ratio = round(best["on"] / best["off"], 3) if best["off"] else None
    log(f"paging, audit off: {best['off']:,}/s; on: {best['on']:,}/s; ratio {ratio}")
    figures = {
        "preloaded": loaded["added"],
        "rounds": runs,
        "paging_objects_per_s_audit_off": best["off"],
        "paging_objects_per_s_audit_on": best["on"],
        "ratio_on_over_off": ratio,
        "audit_log": checked,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio is not None and ratio >= TARGET_RATIO,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
