"""Benchmark: the TAXII 2.1 server over HTTP, against medallion (memory backend) as the baseline.

Measures, against a real ``entente serve`` process on loopback:

* POST throughput (objects/s): fresh indicators POSTed in envelopes of 1,000;
* paging throughput (objects/s): every object of a large store read with ``limit=1000``,
  following ``next``;
* filtered-page latency (p50/p99 ms): ``match[type]=indicator&added_after=<middle>&limit=1000``;
* the server's peak RSS (``VmHWM`` of its process);
* reads during a large ingest: while a real ``entente ingest`` process loads a generated
  bundle into the served node's store (one transaction, so SQLite's write lock is held from
  its first insert to its commit), a client keeps issuing GETs (objects pages following
  ``next``, one object, the manifest, REST objects); p50/p99/max latency, errors (non-200 or
  no answer) and the ingest's objects/s. Measured last, after the peak RSS above.

The store is preloaded with the ingest service (straight into the node's SQLite database)
before the server starts: POSTing a million objects would take longer than a run. The same
measurements are then made against medallion 3 (memory backend, Basic auth) served by
werkzeug in its own process, with a smaller store and a time budget: what it did not finish is
reported with ``"timed_out": true``. Every server is on 127.0.0.1 and is stopped before exit.
Progress goes to stderr; the last line is one JSON object with all figures, the ratios to
medallion and the targets.

    python bench/taxii.py            # 100,000 POSTed, 1,000,000 preloaded, medallion 10,000,
                                     # 700,000 ingested during reads
    python bench/taxii.py --quick    # 10,000 POSTed, 50,000 preloaded, medallion 2,000,
                                     # 100,000 ingested during reads (about 1.5 min)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from workloads import make_indicator, nearest_rank, peak_rss_mb, run_worker

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
PAGE = 1000
MEDALLION_USER, MEDALLION_PASSWORD = "bench", "bench-password"
MEDALLION_COLLECTION = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
_PRELOAD_CHUNKS = 10
_READY_S = 60.0
_STOP_S = 15.0
_MAX_PAGES = 100_000
# Reads during a large ingest: the page size of their objects, manifest and REST pages (the
# TAXII server's default), and how long the ingest may take at most.
READ_PAGE = 100
_INGEST_S = 3600.0


def envelopes(count: int, seed: int, creator: str | None = None) -> list[bytes]:
    """``count`` fresh indicators as serialized TAXII envelopes of up to ``PAGE`` objects.

    ``creator``: the ``created_by_ref`` they carry (a node stores what a principal posts only
    as created by the principal's own org).
    """
    rng = random.Random(seed)
    bodies = []
    for start in range(0, count, PAGE):
        objects = [make_indicator(rng, i) for i in range(start, min(start + PAGE, count))]
        if creator is not None:
            objects = [{**obj, "created_by_ref": creator} for obj in objects]
        bodies.append(orjson.dumps({"objects": objects}))
    return bodies


def write_bundle(path: Path, count: int, seed: int) -> None:
    """``count`` fresh indicators as one STIX bundle file, written as they are generated."""
    rng = random.Random(seed)
    with path.open("wb") as out:
        out.write(b'{"type": "bundle", "id": "bundle--' + str(uuid.uuid4()).encode())
        out.write(b'", "objects": [')
        for i in range(count):
            out.write((b"," if i else b"") + orjson.dumps(make_indicator(rng, i)))
        out.write(b"]}")


def entente_command() -> list[str]:
    """How to run the ``entente`` CLI of this environment."""
    script = Path(sys.executable).parent / "entente"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from entente.cli.main import app; app()"]


def entente_env(home: Path) -> dict[str, str]:
    """This process's environment for a CLI on the node in ``home``, no other ENTENTE_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTENTE_")}
    env["ENTENTE_HOME"] = str(home)
    return env


def now_stamp() -> str:
    """The current UTC time as a STIX timestamp with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


# -- workers (each in its own process) ---------------------------------------------------------


def worker_preload(home: Path, count: int) -> dict[str, Any]:
    """Create a node in ``home``, ingest ``count`` indicators in chunks, mint an admin token."""
    from entente.bootstrap import open_node
    from entente.config import load_settings
    from entente.ingest import InputFormat, open_document
    from entente.services import IngestService
    from entente.services.tokens import create_token
    from entente.stix import format_timestamp_us

    rng = random.Random(1)
    chunk = max(1, math.ceil(count / _PRELOAD_CHUNKS))
    stamps: list[str] = []
    added = 0
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        _, secret = create_token(node.tokens, node.clock, org_name="Bench org", role="admin")
        service = IngestService(node.store, node.clock, principal="bench")
        bundle = home / "chunk.json"
        start = time.perf_counter()
        for first in range(0, count, chunk):
            with bundle.open("wb") as out:
                out.write(b'{"type": "bundle", "id": "bundle--' + str(uuid.uuid4()).encode())
                out.write(b'", "objects": [')
                for i in range(first, min(first + chunk, count)):
                    out.write((b"," if i > first else b"") + orjson.dumps(make_indicator(rng, i)))
                out.write(b"]}")
            document = open_document(
                str(bundle),
                fmt=InputFormat.STIX,
                source_name="bench",
                now=format_timestamp_us(node.clock.now_us()),
                markings=(),
            )
            added += service.ingest_document(document).added
            stamps.append(format_timestamp_us(node.clock.now_us()))
            log(f"  preloaded {added:,}/{count:,}")
        bundle.unlink()
        seconds = time.perf_counter() - start
    return {
        "token": secret,
        "added": added,
        "seconds": round(seconds, 3),
        "added_after": stamps[max(0, len(stamps) // 2 - 1)],
    }


def worker_medallion(directory: Path) -> None:
    """Serve medallion (memory backend) on loopback until terminated; write its port to a file."""
    import medallion
    from flask import Flask
    from medallion.backends.memory_backend import MemoryBackend
    from medallion.exceptions import BackendError, ProcessingError
    from medallion.views import collections, discovery, manifest, objects
    from werkzeug.serving import make_server

    app = Flask("entente-bench-medallion")
    app.users_backend = {MEDALLION_USER: MEDALLION_PASSWORD}  # type: ignore[attr-defined]
    app.taxii_config = {"max_page_size": PAGE}  # type: ignore[attr-defined]
    for blueprint in (
        collections.collections_bp,
        discovery.discovery_bp,
        manifest.manifest_bp,
        objects.objects_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_error_handler(500, medallion.handle_error)
    app.register_error_handler(ProcessingError, medallion.handle_processing_error)
    app.register_error_handler(BackendError, medallion.handle_backend_error)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{httpd.server_port}/"
    data = {
        "/discovery": {
            "title": "Entente bench medallion",
            "description": "loopback only",
            "default": f"{base_url}api1/",
            "api_roots": [f"{base_url}api1/"],
        },
        "api1": {
            "information": {
                "title": "API root 1",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": 100_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": MEDALLION_COLLECTION,
                    "title": "Bench",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    data_file = directory / "medallion-data.json"
    data_file.write_text(json.dumps(data), encoding="utf-8")
    # A long check_interval keeps the backend's session-expiry Timer from firing mid-run.
    app.medallion_backend = MemoryBackend(  # type: ignore[attr-defined]
        filename=str(data_file), session_timeout=600, check_interval=3600
    )
    ready = directory / "port.tmp"
    ready.write_text(str(httpd.server_port))
    ready.rename(directory / "port")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()


# -- servers -------------------------------------------------------------------------------------


def _stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Stop ``proc`` with ``sig``, then kill it if it has not exited in time."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=_STOP_S)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, logfile: Path) -> None:
    """Poll ``url`` until it answers at all; bounded by ``_READY_S``."""
    deadline = time.monotonic() + _READY_S
    with httpx.Client(timeout=2) as http:
        for _ in range(int(_READY_S / 0.1)):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{logfile.read_text()[-2000:]}")
            try:
                http.get(url)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
    raise RuntimeError(f"server not ready after {_READY_S}s:\n{logfile.read_text()[-2000:]}")


@contextmanager
def entente_server(home: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``entente serve`` on 127.0.0.1 over the node in ``home``; yields it and its base URL."""
    port = free_port()
    logfile = home / "server.log"
    with logfile.open("wb") as out:
        proc = subprocess.Popen(
            [*entente_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=entente_env(home),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}/"
        _wait_ready(proc, base + "taxii2/", logfile)
        yield proc, base
    finally:
        _stop(proc, signal.SIGINT)


@contextmanager
def medallion_server(directory: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """medallion in its own process on 127.0.0.1; yields it and its base URL."""
    logfile = directory / "medallion.log"
    with logfile.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", "medallion", str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        port_file = directory / "port"
        for _ in range(int(_READY_S / 0.1)):
            if port_file.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        if not port_file.exists():
            raise RuntimeError(f"medallion did not start:\n{logfile.read_text()[-2000:]}")
        base = f"http://127.0.0.1:{port_file.read_text().strip()}/"
        _wait_ready(proc, base + "taxii2/", logfile)
        yield proc, base
    finally:
        _stop(proc, signal.SIGTERM)


# -- measurements --------------------------------------------------------------------------------


class OutOfTime(Exception):
    """The time budget of a measurement ran out."""


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise OutOfTime


def measure_post(
    http: httpx.Client, url: str, bodies: list[bytes], deadline: float
) -> tuple[dict[str, Any], str | None]:
    """POST every envelope; objects/s over what completed, and a date_added-ish middle stamp."""
    headers = {"Content-Type": TAXII_MEDIA_TYPE}
    posted = succeeded = 0
    stamps: list[str] = []
    timed_out = False
    start = time.perf_counter()
    try:
        for body in bodies:
            _check(deadline)
            response = http.post(url, content=body, headers=headers)
            if response.status_code != 202:
                raise RuntimeError(f"POST {url}: {response.status_code} {response.text[:300]}")
            status = orjson.loads(response.content)
            posted += int(status.get("total_count", 0))
            succeeded += int(status.get("success_count", 0))
            stamps.append(now_stamp())
    except (OutOfTime, httpx.TimeoutException):
        timed_out = True
    seconds = time.perf_counter() - start
    result = {
        "objects": posted,
        "succeeded": succeeded,
        "seconds": round(seconds, 3),
        "objects_per_s": round(succeeded / seconds) if seconds > 0 else 0,
        "timed_out": timed_out,
    }
    return result, stamps[len(stamps) // 2 - 1] if len(stamps) >= 2 else None


def measure_paging(http: httpx.Client, url: str, deadline: float) -> dict[str, Any]:
    """Read every object with ``limit=1000``, following ``next``; objects/s over what was read."""
    objects = pages = 0
    cursor: dict[str, str] = {}
    timed_out = False
    start = time.perf_counter()
    try:
        for _ in range(_MAX_PAGES):
            _check(deadline)
            response = http.get(url, params={"limit": str(PAGE), **cursor})
            response.raise_for_status()
            body = orjson.loads(response.content)
            objects += len(body.get("objects", []))
            pages += 1
            token = body.get("next")
            if body.get("more") is not True or not isinstance(token, str) or not token:
                break
            cursor = {"next": token}
    except (OutOfTime, httpx.TimeoutException):
        timed_out = True
    seconds = time.perf_counter() - start
    result: dict[str, Any] = {
        "objects": objects,
        "pages": pages,
        "seconds": round(seconds, 3),
        "objects_per_s": round(objects / seconds) if seconds > 0 else 0,
        "timed_out": timed_out,
    }
    if timed_out and objects == 0 and seconds > 0:
        # Not even one page came back in time: a full page in ``seconds`` would have been faster.
        result["objects_per_s_at_most"] = round(PAGE / seconds, 2)
    return result


def _percentile(sorted_ms: list[float], fraction: float) -> float:
    return round(nearest_rank(sorted_ms, fraction), 2)


def measure_filtered(
    http: httpx.Client, url: str, added_after: str, requests: int, deadline: float
) -> dict[str, Any]:
    """Time ``requests`` filtered first pages; p50/p99 in ms over those that completed."""
    params = {"match[type]": "indicator", "added_after": added_after, "limit": str(PAGE)}
    samples: list[float] = []
    returned = 0
    timed_out = False
    start = time.perf_counter()
    try:
        for _ in range(requests):
            _check(deadline)
            start = time.perf_counter()
            response = http.get(url, params=params)
            response.raise_for_status()
            returned = len(orjson.loads(response.content).get("objects", []))
            samples.append((time.perf_counter() - start) * 1000)
    except (OutOfTime, httpx.TimeoutException):
        timed_out = True
    samples.sort()
    result: dict[str, Any] = {
        "requests": len(samples),
        "objects_per_page": returned,
        "added_after": added_after,
        "p50_ms": _percentile(samples, 0.5) if samples else None,
        "p99_ms": _percentile(samples, 0.99) if samples else None,
        "timed_out": timed_out,
    }
    if timed_out and not samples:
        # The one request that ran did not answer in time: its latency is at least this.
        result["latency_ms_at_least"] = round((time.perf_counter() - start) * 1000)
    return result


def _reads(base: str, collection: str, object_id: str) -> Iterator[tuple[str, str, Any]]:
    """The GETs of the reads-during-ingest phase, round after round: (kind, URL, params).

    The objects pages follow ``next`` from one round to the next, back to the first page at
    the end; the other reads are one object, a manifest page and a REST objects page.
    """
    objects = f"{base}taxii2/api/collections/{collection}/objects/"
    manifest = f"{base}taxii2/api/collections/{collection}/manifest/"
    page = {"limit": str(READ_PAGE)}
    while True:
        yield "objects_page", objects, page
        yield "object", f"{objects}{object_id}/", {}
        yield "manifest", manifest, {"limit": str(READ_PAGE)}
        yield "rest_objects", f"{base}api/v1/objects", {"limit": str(READ_PAGE)}


def measure_reads_during_ingest(
    http: httpx.Client, base: str, home: Path, bundle: Path, *, count: int, object_id: str
) -> dict[str, Any]:
    """GET in a loop while ``entente ingest`` loads ``bundle`` into the node in ``home``."""
    from entente.services.taxii import collection_uuid

    collection = str(collection_uuid("All objects"))
    samples: dict[str, list[float]] = {}
    errors: list[str] = []
    next_token: dict[str, str] = {}
    logfile = home / "ingest.log"
    start = time.perf_counter()
    with logfile.open("wb") as err:
        proc = subprocess.Popen(
            [*entente_command(), "ingest", str(bundle), "--json"],
            env=entente_env(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        try:
            for kind, url, params in _reads(base, collection, object_id):
                if proc.poll() is not None:
                    break
                query = {**params, **next_token} if kind == "objects_page" else params
                began = time.perf_counter()
                try:
                    response = http.get(url, params=query)
                except httpx.HTTPError as exc:
                    samples.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
                    errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                    continue
                samples.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
                elif kind == "objects_page":
                    body = orjson.loads(response.content)
                    token = body.get("next")
                    more = body.get("more") is True and isinstance(token, str) and token
                    next_token = {"next": token} if more else {}
            out, _ = proc.communicate(timeout=_INGEST_S)
        finally:
            _stop(proc, signal.SIGTERM)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = logfile.read_text()[-2000:]
        raise RuntimeError(f"entente ingest exited {proc.returncode}:\n{tail}")
    added = int(orjson.loads(out)["added"])
    return {
        "objects": count,
        "ingested": added,
        # Wall time of the CLI process, its start-up included.
        "ingest_seconds": round(seconds, 3),
        "ingest_objects_per_s": round(added / seconds) if seconds > 0 else 0,
        "page_limit": READ_PAGE,
        **_latencies([ms for kind in samples.values() for ms in kind]),
        "errors": len(errors),
        "error_samples": errors[:5],
        "by_kind": {kind: _latencies(ms) for kind, ms in sorted(samples.items())},
    }


def _latencies(samples: list[float]) -> dict[str, Any]:
    """How many requests, and their p50/p99/max latency in ms (None without any)."""
    ordered = sorted(samples)
    return {
        "requests": len(ordered),
        "p50_ms": _percentile(ordered, 0.5) if ordered else None,
        "p99_ms": _percentile(ordered, 0.99) if ordered else None,
        "max_ms": round(ordered[-1], 2) if ordered else None,
    }


def _first_object_id(http: httpx.Client, url: str) -> str:
    response = http.get(url, params={"limit": "1"})
    response.raise_for_status()
    return str(orjson.loads(response.content)["objects"][0]["id"])


def _taxii_client(**kwargs: Any) -> httpx.Client:
    return httpx.Client(headers={"Accept": TAXII_MEDIA_TYPE}, **kwargs)


def bench_entente(
    work: Path, preload: int, post: int, filtered: int, *, ingest: int, budget_s: float
) -> dict[str, Any]:
    """Preload a node, serve it, and measure paging, the filtered page, POST, peak RSS and
    reads during a large ingest."""
    from entente.services.taxii import collection_uuid
    from entente.services.tokens import org_identity_id

    home = work / "entente-home"
    home.mkdir()
    log(f"entente: preloading {preload:,} indicators")
    loaded = run_worker(__file__, "preload", str(home), str(preload))
    log(f"entente: preloaded in {loaded['seconds']} s")
    collection = collection_uuid("All objects")
    deadline = time.monotonic() + budget_s
    figures: dict[str, Any] = {
        "preloaded": loaded["added"],
        "preload_seconds": loaded["seconds"],
    }
    bundle = work / "ingest-during-reads.json"
    log(f"entente: writing a bundle of {ingest:,} indicators to ingest during reads")
    write_bundle(bundle, ingest, seed=4)
    with entente_server(home) as (proc, base):
        url = f"{base}taxii2/api/collections/{collection}/objects/"
        auth = {"Authorization": f"Bearer {loaded['token']}"}
        with _taxii_client(timeout=120) as http:
            http.headers.update(auth)
            figures["paging"] = paging = measure_paging(http, url, deadline)
            log(f"entente paging: {paging['objects']:,} objects, {paging['objects_per_s']:,}/s")
            figures["filtered_page"] = page = measure_filtered(
                http, url, loaded["added_after"], filtered, deadline
            )
            log(f"entente filtered page: p50 {page['p50_ms']} ms, p99 {page['p99_ms']} ms")
            # Created by the token's own org ("Bench org"), as the node requires of a poster.
            bodies = envelopes(post, seed=2, creator=org_identity_id("Bench org"))
            result, _ = measure_post(http, url, bodies, deadline)
            figures["post"] = result
            log(f"entente POST: {result['succeeded']:,} objects, {result['objects_per_s']:,}/s")
        figures["peak_rss_mb"] = peak_rss_mb(proc.pid)
        log(f"entente server peak RSS: {figures['peak_rss_mb']} MiB")
        log(f"entente: reads during an ingest of {ingest:,} indicators (entente ingest)")
        with _taxii_client(timeout=120) as http:
            http.headers.update(auth)
            object_id = _first_object_id(http, url)
            figures["reads_during_ingest"] = reads = measure_reads_during_ingest(
                http, base, home, bundle, count=ingest, object_id=object_id
            )
        log(
            f"entente reads during ingest: {reads['requests']:,} GETs, p50 {reads['p50_ms']} ms, "
            f"p99 {reads['p99_ms']} ms, max {reads['max_ms']} ms, {reads['errors']} errors; "
            f"ingest {reads['ingest_objects_per_s']:,} objects/s"
        )
    bundle.unlink()
    return figures


def bench_medallion(work: Path, count: int, filtered: int, budget_s: float) -> dict[str, Any]:
    """POST ``count`` objects to medallion, page and filter them; each phase gets budget_s / 3."""
    directory = work / "medallion"
    directory.mkdir()
    share = budget_s / 3
    figures: dict[str, Any] = {"objects": count, "budget_s": budget_s}
    bodies = envelopes(count, seed=3)
    with medallion_server(directory) as (proc, base):
        url = f"{base}api1/collections/{MEDALLION_COLLECTION}/objects/"
        auth = (MEDALLION_USER, MEDALLION_PASSWORD)
        # A phase stops before its next request once past its deadline; one slow request may
        # still run for up to the whole budget, so that each phase measures at least one.
        with _taxii_client(timeout=budget_s, auth=auth) as http:
            post, middle = measure_post(http, url, bodies, time.monotonic() + share)
            figures["post"] = post
            log(f"medallion POST: {post['succeeded']:,} objects, {post['objects_per_s']:,}/s")
            figures["paging"] = paging = measure_paging(http, url, time.monotonic() + share)
            log(f"medallion paging: {paging['objects']:,} objects, {paging['objects_per_s']:,}/s")
            middle = middle or "2000-01-01T00:00:00.000000Z"
            page = measure_filtered(http, url, middle, filtered, time.monotonic() + share)
            figures["filtered_page"] = page
            log(f"medallion filtered page: p50 {page['p50_ms']} ms, p99 {page['p99_ms']} ms")
        figures["peak_rss_mb"] = peak_rss_mb(proc.pid)
        log(f"medallion server peak RSS: {figures['peak_rss_mb']} MiB")
    figures["timed_out"] = any(figures[k]["timed_out"] for k in ("post", "paging", "filtered_page"))
    return figures


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 1)


def ratios(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, float | None]:
    """How many times better each figure is than medallion's (higher is better throughout)."""
    return {
        "post_objects_per_s": _ratio(
            ours["post"]["objects_per_s"], theirs["post"]["objects_per_s"]
        ),
        "paging_objects_per_s": _ratio(
            ours["paging"]["objects_per_s"], theirs["paging"]["objects_per_s"]
        ),
        # Latency and memory: medallion's over ours, so that > 1 means ours is better.
        "filtered_p50_ms": _ratio(
            theirs["filtered_page"]["p50_ms"], ours["filtered_page"]["p50_ms"]
        ),
        "filtered_p99_ms": _ratio(
            theirs["filtered_page"]["p99_ms"], ours["filtered_page"]["p99_ms"]
        ),
        # Not like for like: our store holds far more objects than medallion's.
        "peak_rss_mb": _ratio(theirs["peak_rss_mb"], ours["peak_rss_mb"]),
        # Where medallion did not answer one request in time, lower bounds from its bounds.
        "paging_objects_per_s_at_least": _ratio(
            ours["paging"]["objects_per_s"], theirs["paging"].get("objects_per_s_at_most")
        ),
        "filtered_p99_ms_at_least": _ratio(
            theirs["filtered_page"].get("latency_ms_at_least"), ours["filtered_page"]["p99_ms"]
        ),
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--preload", type=int, help="objects stored before serving (1,000,000)")
    parser.add_argument("--post", type=int, help="indicators POSTed in envelopes of 1,000")
    parser.add_argument("--medallion", type=int, help="objects for medallion (10,000)")
    parser.add_argument("--medallion-budget", type=float, help="seconds for medallion's part")
    parser.add_argument(
        "--ingest", type=int, help="objects ingested by the CLI during reads (700,000)"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "preload":
            print(json.dumps(worker_preload(Path(rest[0]), int(rest[1]))))
        else:
            worker_medallion(Path(rest[0]))
        return

    preload = args.preload or (50_000 if args.quick else 1_000_000)
    post = args.post or (10_000 if args.quick else 100_000)
    medallion_count = args.medallion or (2_000 if args.quick else 10_000)
    medallion_budget = args.medallion_budget or (24.0 if args.quick else 300.0)
    filtered = 20 if args.quick else 50
    ingest = args.ingest or (100_000 if args.quick else 700_000)
    work = Path(tempfile.mkdtemp(prefix="entente-bench-taxii-"))
    try:
        ours = bench_entente(work, preload, post, filtered, ingest=ingest, budget_s=1800.0)
        theirs = bench_medallion(work, medallion_count, filtered, medallion_budget)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures: dict[str, Any] = {
        "entente": ours,
        "baseline_medallion_memory": theirs,
        "ratios_vs_medallion": ratios(ours, theirs),
        "targets": {
            "post_objects_per_s": 10_000,
            "paging_objects_per_s": 50_000,
            "filtered_p99_ms_at_1m": 100,
            "ratio_vs_medallion": 10,
            # Issue 11 §5: reads never wait for writes.
            "reads_during_ingest_p99_ms": 200,
            "reads_during_ingest_errors": 0,
        },
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
