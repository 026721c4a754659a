"""Benchmark: the web UI's pages over a million stored objects, served by the node's real app.

A node (``entente init``, then ``entente serve`` on 127.0.0.1 at a free port, stopped at the
end) holds N generated objects: indicators, sightings of them, reports and incidents as
``bench/dashboard.py`` makes them, malware families, and relationships (a tenth of all
objects) from indicators to malware and to other indicators, as ``bench/graph.py`` links
them. They are ingested through the whole ingest path (``workloads.timed_ingest``: validation,
versioning, provenance, the value and full-text indexes, the dashboard counters). The built
node stays in ``--store-dir`` so that a rerun with the same N skips the build.

As an analyst of the node's org, signed in through the login form (a user added through
``services.users``), it measures each page of ``PAGES``:

- **server time**: p50/p95 over ``--rounds`` GETs on one warm keep-alive connection, timed
  client-side on loopback, beside the app's own ``Server-Timing`` figure (target p95 < 100 ms);
- **page size** in KB (target: none over 300 KB);
- **first contentful paint** in Chromium (``/usr/bin/chromium`` driven by Playwright; the
  ``first-contentful-paint`` entry of ``performance.getEntriesByType('paint')``), the median
  of ``--fcp-rounds`` loads (target < 1 s);
- and, for the record, ``curl``'s own timings of each page with the session cookie.

A page that answers 404 (one not built yet: ``/partners``, ``/hits``, ``/exports``,
``/ingest``, ``/admin``) is skipped with a note. The last line of output is one JSON object.

    python bench/ui.py --store-dir ~/bench-ui-store    # 1,000,000 objects (minutes to build)
    python bench/ui.py --objects 20000                 # a quick run (about 20 s)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import orjson

from dashboard import make_object
from workloads import CREATOR, TLP_MARKINGS, nearest_rank, timed_ingest

ORG = "Bench CERT"
USERNAME = "bench-admin"
SESSION_COOKIE = "entente_session"
CHROMIUM = os.environ.get("ENTENTE_TEST_CHROMIUM", "/usr/bin/chromium")
MARKER = "bench-ui.json"
_CLEAR = TLP_MARKINGS[2]
_MALWARE = 500
_FAMILIES = ("Poison Ivy", "Emotet", "QakBot", "IcedID", "Cobalt Strike", "PlugX", "Dridex")
_STAMP = "2026-01-01T00:00:00.000Z"
# Targets (issue 13): p95 server time, page size, first contentful paint.
TARGET_P95_MS = 100.0
TARGET_KB = 300.0
TARGET_FCP_MS = 1000.0
_FCP_SCRIPT = """() => {
  const e = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
  return e ? e.startTime : null;
}"""
_HAS_FCP = (
    "() => performance.getEntriesByType('paint').some(p => p.name === 'first-contentful-paint')"
)


@dataclass(frozen=True, slots=True)
class UiPage:
    """One page to measure: its name and its path, with ``{pick}`` fields filled from the
    generated store; a fragment (HTML that a page's script inserts) has no paint of its own."""

    name: str
    path: str
    fragment: bool = False
    # Its first view starts work in the node's background (the exports page's selection):
    # measured after every other page, paints included, so that the work slows none of them.
    background: bool = False


# The fewest GETs a page is timed with, however slow (``measure_requests``).
_MIN_ROUNDS = 5

# Data-driven: a page built later is measured once it exists (a 404 is skipped with a note).
PAGES: tuple[UiPage, ...] = (
    UiPage("dashboard", "/"),
    UiPage("search: a value", "/search?q={value}"),
    UiPage("search: an id", "/search?q={indicator}"),
    UiPage("search: a name", "/search?q={name}"),
    UiPage("search: full text", "/search?q={text}"),
    UiPage("object: indicator", "/objects/{indicator}"),
    UiPage("graph", "/graph/{indicator}"),
    UiPage(
        "graph: expansion",
        "/graph/{indicator}/expand?node={neighbour}&shown={indicator}",
        fragment=True,
    ),
    UiPage("ATT&CK matrix", "/attack"),
    UiPage("partners", "/partners"),
    UiPage("hits", "/hits"),
    UiPage("ingest", "/ingest"),
    UiPage("admin", "/admin"),
    # Its first view starts the export selection in the background (a minute or more at a
    # million objects): measured last.
    UiPage("exports", "/exports", background=True),
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _malware(rng: random.Random, index: int) -> dict[str, Any]:
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": f"malware--{_uuid(rng)}",
        "created_by_ref": CREATOR,
        "created": _STAMP,
        "modified": _STAMP,
        "name": f"{_FAMILIES[index % len(_FAMILIES)]} variant {index}",
        "is_family": True,
        "object_marking_refs": [_CLEAR],
    }


def _relationship(rng: random.Random, source: str, target: str) -> dict[str, Any]:
    kind = "indicates" if target.startswith("malware--") else "related-to"
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": f"relationship--{_uuid(rng)}",
        "created_by_ref": CREATOR,
        "created": _STAMP,
        "modified": _STAMP,
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
        "object_marking_refs": [_CLEAR],
    }


class Generated:
    """The generated objects, and what the benchmark picks from them to ask for."""

    def __init__(self, count: int, seed: int) -> None:
        self.count = count
        self.seed = seed
        self.names: dict[str, str] = {}
        self.values: dict[str, str] = {}
        self.links: dict[str, list[str]] = {}

    def objects(self) -> Iterator[dict[str, Any]]:
        """Malware families, then the dashboard's mix with a relationship every tenth object
        (to a family or to another indicator; earlier indicators draw more of them)."""
        rng = random.Random(self.seed)
        families = [_malware(rng, i) for i in range(min(_MALWARE, self.count))]
        for family in families:
            self.names[family["id"]] = family["name"]
            yield family
        indicators: list[str] = []
        for index in range(self.count - len(families)):
            if index % 10 == 9 and indicators:
                source = indicators[int(len(indicators) * rng.random() ** 2)]
                if rng.random() < 0.5:
                    target = rng.choice(families)["id"]
                else:
                    target = rng.choice(indicators)
                if source in self.values:
                    self.links.setdefault(source, []).append(target)
                yield _relationship(rng, source, target)
                continue
            obj = make_object(rng, index, indicators)
            # The candidates to open: TLP:CLEAR address indicators (any reader sees them).
            if (
                obj["type"] == "indicator"
                and obj.get("object_marking_refs") == [_CLEAR]
                and obj["pattern"].startswith("[ipv4-addr:")
            ):
                self.values[obj["id"]] = obj["pattern"].split("'")[1]
            yield obj

    def write_bundle(self, path: Path) -> int:
        """Write every object as one bundle; its size in bytes."""
        with path.open("wb") as out:
            out.write(b'{"type": "bundle", "id": "bundle--' + _uuid(random.Random(0)).encode())
            out.write(b'", "objects": [\n')
            for i, obj in enumerate(self.objects()):
                if i:
                    out.write(b",\n")
                out.write(orjson.dumps(obj))
            out.write(b"\n]}\n")
        return path.stat().st_size

    def picks(self) -> dict[str, str]:
        """The indicator to open (a CLEAR address with three to ten relationships, a family
        among their ends if it can), its value, a neighbour, a family's name, a common word."""
        linked = [oid for oid, ends in self.links.items() if 3 <= len(ends) <= 10]
        if not linked:
            linked = sorted(self.links, key=lambda oid: -len(self.links[oid]))[:1]
        if not linked:
            raise SystemExit("no indicator with relationships: generate more objects")
        indicator = linked[len(linked) // 2]
        ends = self.links[indicator]
        family = next((end for end in ends if end in self.names), None)
        neighbour = next((end for end in ends if end not in self.names), ends[0])
        name = self.names[family] if family else next(iter(self.names.values()))
        return {
            "indicator": indicator,
            "value": self.values[indicator],
            "neighbour": neighbour,
            "name": name,
            # In every indicator's description: the full-text search with the most matches.
            "text": "benchmark",
        }


def build_store(store_dir: Path, count: int, seed: int) -> dict[str, Any]:
    """``entente init`` a node in ``store_dir`` and ingest ``count`` generated objects; the
    figures and the picks are written to its marker file, which a rerun reads instead."""
    from entente.cli.local_nodes import LocalNode, free_port
    from entente.config import load_settings

    node = LocalNode(org=ORG, home=store_dir, port=free_port())
    node.init()
    generated = Generated(count, seed)
    bundle = store_dir / "bundle.json"
    size = generated.write_bundle(bundle)
    print(f"bundle: {count:,} objects, {size / 2**20:.0f} MiB; ingesting", file=sys.stderr)
    url = load_settings(node.env()).database_url
    ingest = timed_ingest(url, bundle, "SELECT count(*) FROM object_versions")
    bundle.unlink()
    built = {"objects": count, "seed": seed, "ingest": ingest, "picks": generated.picks()}
    (store_dir / MARKER).write_text(json.dumps(built, indent=2), encoding="utf-8")
    print(
        f"ingested {ingest['added']:,} objects in {ingest['seconds']} s "
        f"({ingest['objects_per_s']:,} objects/s, {ingest['rejected']} rejected)",
        file=sys.stderr,
    )
    return built


def open_store_dir(store_dir: Path, count: int, seed: int) -> dict[str, Any]:
    """The built node in ``store_dir``: reused when it holds ``count`` objects, else built."""
    marker = store_dir / MARKER
    if marker.exists():
        built: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
        if built["objects"] != count:
            raise SystemExit(
                f"{store_dir} holds a node of {built['objects']:,} objects, not {count:,}: "
                "pass another --store-dir"
            )
        print(f"store: reusing {store_dir} ({count:,} objects)", file=sys.stderr)
        return built
    if store_dir.exists() and any(store_dir.iterdir()):
        raise SystemExit(f"{store_dir} is not empty and holds no finished build: remove it")
    store_dir.mkdir(parents=True, exist_ok=True)
    return build_store(store_dir, count, seed)


def add_user(store_dir: Path) -> tuple[str, str]:
    """The benchmark's admin of the node's org (services.users; a new password and TOTP key
    each run, as ``entente demo`` does); its password and base32 TOTP secret. An admin of the
    node's org reads every page (``/admin`` is for them alone) and sees what its analysts see."""
    import secrets

    from entente.bootstrap import open_node, users
    from entente.cli.local_nodes import LocalNode
    from entente.cli.serve import load_cursor_secret
    from entente.config import load_settings
    from entente.errors import ObjectNotFound

    settings = load_settings(LocalNode(org=ORG, home=store_dir, port=0).env())
    password = secrets.token_urlsafe(16)
    with open_node(settings) as node:
        accounts = users(node, load_cursor_secret(store_dir))
        try:
            accounts.get_user(USERNAME)
        except ObjectNotFound:
            enrolment = accounts.add_user(
                USERNAME, org_name=settings.org_name, role="admin", password=password
            )
        else:
            accounts.change_password(USERNAME, password)
            enrolment = accounts.reset_totp(USERNAME)
    return password, enrolment.secret


def sign_in(client: httpx.Client, password: str, totp_secret: str) -> str:
    """Sign in through the login form; the session cookie's value."""
    from entente.accounts import totp_at

    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit(f"no CSRF token on the login page ({form.status_code})")
    key = base64.b32decode(totp_secret + "=" * (-len(totp_secret) % 8), casefold=True)
    answer = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": USERNAME,
            "password": password,
            "code": totp_at(key, int(time.time())),
        },
    )
    if answer.status_code != 303:
        raise SystemExit(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
    return str(client.cookies[SESSION_COOKIE])


def measure_requests(
    client: httpx.Client, path: str, rounds: int, budget_s: float = 60.0
) -> dict[str, Any]:
    """``rounds`` GETs of ``path`` after three to warm up: client and server times, size.

    A page slower than ``budget_s`` for its rounds stops early (after at least five GETs);
    ``n`` says how many were timed.
    """
    for _ in range(3):
        client.get(path)
    times: list[float] = []
    server: list[float] = []
    size = 0
    deadline = time.perf_counter() + budget_s
    for _ in range(rounds):
        if len(times) >= _MIN_ROUNDS and time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
        size = len(answer.content)
        timing = re.search(r"dur=([\d.]+)", answer.headers.get("server-timing", ""))
        if timing:
            server.append(float(timing.group(1)))
    times.sort()
    server.sort()
    row: dict[str, Any] = {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(nearest_rank(times, 0.95), 2),
        "max_ms": round(times[-1], 2),
        "kb": round(size / 1024, 1),
    }
    if server:
        row["server_p50_ms"] = round(statistics.median(server), 2)
        row["server_p95_ms"] = round(nearest_rank(server, 0.95), 2)
    return row


def measure_paints(
    base: str, cookie: str, paths: dict[str, str], rounds: int
) -> dict[str, float | None]:
    """The median first contentful paint (ms) of each page in headless Chromium."""
    from playwright.sync_api import sync_playwright

    paints: dict[str, float | None] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": base}])
            page = context.new_page()
            for name, path in paths.items():
                samples = []
                for _ in range(rounds):
                    page.goto(base + path, wait_until="load")
                    page.wait_for_function(_HAS_FCP, timeout=10_000)
                    value = page.evaluate(_FCP_SCRIPT)
                    if isinstance(value, int | float):
                        samples.append(float(value))
                paints[name] = round(statistics.median(samples), 1) if samples else None
        finally:
            browser.close()
    return paints


def curl_timings(base: str, cookie: str, path: str) -> str:
    """``curl -w '%{time_starttransfer} %{time_total} %{size_download}'`` of one page."""
    done = subprocess.run(
        [
            "curl", "-s", "-o", os.devnull, "-b", f"{SESSION_COOKIE}={cookie}",
            "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}",
            base + path,
        ],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    return done.stdout.strip() or f"curl failed: {done.stderr.strip()}"


def fill(page: UiPage, picks: dict[str, str]) -> str:
    """The page's path with the picks in it, each quoted for where it stands."""
    path, _, query = page.path.partition("?")
    path = path.format(**{k: quote(v, safe="") for k, v in picks.items()})
    if query:
        path += "?" + query.format(**{k: quote_plus(v) for k, v in picks.items()})
    return path


def _ratio(value: float | None, target: float) -> str:
    return "-" if value is None else f"{value / target:.2f}"


def report(rows: dict[str, dict[str, Any]]) -> None:
    """The table of figures and their ratios to the targets, on stderr."""
    head = (
        f"{'page':22} {'p50 ms':>8} {'p95 ms':>8} {'/100ms':>6} {'srv p50':>8} {'srv p95':>8} "
        f"{'KB':>7} {'/300KB':>6} {'FCP ms':>7} {'/1s':>5}"
    )
    print(head, file=sys.stderr)
    print("-" * len(head), file=sys.stderr)
    for name, row in rows.items():
        if "skipped" in row:
            print(f"{name:22} skipped: {row['skipped']}", file=sys.stderr)
            continue
        fcp = row.get("fcp_ms")
        print(
            f"{name:22} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
            f"{_ratio(row['p95_ms'], TARGET_P95_MS):>6} "
            f"{row.get('server_p50_ms', float('nan')):8.2f} "
            f"{row.get('server_p95_ms', float('nan')):8.2f} {row['kb']:7.1f} "
            f"{_ratio(row['kb'], TARGET_KB):>6} {'-' if fcp is None else f'{fcp:7.1f}':>7} "
            f"{_ratio(fcp, TARGET_FCP_MS):>5}",
            file=sys.stderr,
        )


def run(store_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Build or reuse the node, serve it, measure every page; the figures."""
    from entente.cli.local_nodes import LocalNode, free_port

    built = open_store_dir(store_dir, args.objects, args.seed)
    picks: dict[str, str] = built["picks"]
    figures: dict[str, Any] = {"objects": args.objects, "ingest": built["ingest"], "picks": picks}
    password, totp_secret = add_user(store_dir)
    node = LocalNode(org=ORG, home=store_dir, port=free_port())
    node.start()
    try:
        with httpx.Client(base_url=node.base_url, timeout=60) as client:
            cookie = sign_in(client, password, totp_secret)
            rows: dict[str, dict[str, Any]] = {}
            curls: dict[str, str] = {}
            for background in (False, True):
                paths: dict[str, str] = {}
                for page in PAGES:
                    if page.background is not background:
                        continue
                    path = fill(page, picks)
                    probe = client.get(path)
                    if probe.status_code == 404 and not page.fragment:
                        rows[page.name] = {"path": path, "skipped": "404: not built yet"}
                        continue
                    print(f"measuring {page.name}: {path}", file=sys.stderr)
                    rows[page.name] = {"path": path, **measure_requests(client, path, args.rounds)}
                    if not page.fragment:
                        paths[page.name] = path
                if args.fcp_rounds:
                    paints = measure_paints(node.base_url, cookie, paths, args.fcp_rounds)
                    for name, fcp in paints.items():
                        rows[name]["fcp_ms"] = fcp
                for page in PAGES:
                    row = rows.get(page.name, {})
                    if page.background is background and "p50_ms" in row:
                        curls[page.name] = curl_timings(node.base_url, cookie, row["path"])
    finally:
        node.stop()
    report(rows)
    print("\ncurl (status, time_starttransfer s, time_total s, size_download bytes):",
          file=sys.stderr)  # fmt: skip
    for name, line in curls.items():
        print(f"  {name:22} {line}", file=sys.stderr)
        rows[name]["curl"] = line
    measured = [row for row in rows.values() if "skipped" not in row]
    figures["pages"] = rows
    figures["targets"] = {
        "p95_under_100ms": all(row["p95_ms"] < TARGET_P95_MS for row in measured),
        "pages_under_300kb": all(row["kb"] < TARGET_KB for row in measured),
        "fcp_under_1s": all(
            row["fcp_ms"] < TARGET_FCP_MS for row in measured if row.get("fcp_ms") is not None
        ),
    }
    return figures


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=1_000_000, help="stored objects")
    parser.add_argument("--store-dir", help="keep the built node here (reused if there)")
    parser.add_argument("--rounds", type=int, default=200, help="GETs per page")
    parser.add_argument("--fcp-rounds", type=int, default=5, help="browser loads per page")
    parser.add_argument("--seed", type=int, default=13, help="of the generated objects")
    args = parser.parse_args()
    if args.store_dir:
        figures = run(Path(args.store_dir), args)
    else:
        with tempfile.TemporaryDirectory(prefix="entente-bench-ui-") as tmp:
            figures = run(Path(tmp) / "node", args)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
