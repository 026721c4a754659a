"""Benchmark: the matching engine on a generated Zeek-like JSON log, against three baselines.

Generates (once, cached by its parameters under ``--dir``):

* a Zeek-like NDJSON log of ``--records`` records (conn, dns, http, ssl, files; about 320 bytes
  each, so 5,000,000 records are about 1.6 GB) and a Parquet copy of it (written by DuckDB);
* ``--indicators`` STIX indicators (IPv4 and IPv6 addresses, CIDR blocks of both families with
  nesting and overlaps, exact domains, subdomain patterns, MD5/SHA-1/SHA-256, JA3);
* a known set of planted hits (one record in 500 carries an indicator's value: an address, an
  address inside a block, a domain, a subdomain of a subdomain pattern, a hash, a JA3) and of
  planted near misses that must not hit (the bare parent of a subdomain-only pattern, the
  address just past a block, a look-alike domain).

Background values come from disjoint spaces (addresses below 100.0.0.0, other TLDs, fresh
random digests), so the planted hits are exactly the hits a correct matcher finds.

Then, pinned to one CPU core (``sched_setaffinity``; DuckDB with ``threads=1``), each method
runs in its own process, whose peak RSS is read from ``wait4``:

* ``engine``: ``entente.matching`` (DuckDB reads, vectorised filters, exact resolution), full
  rules (exact, CIDR, subdomains);
* ``grep``: ``LC_ALL=C grep -F -n -f`` with every exact value quoted (``"1.2.3.4"``);
* ``python``: a loop with ``orjson`` and Python sets (exact values only);
* ``duckdb``: a DuckDB SQL hash join of the projected fields against the exact values;

on the JSON log and then on the Parquet copy (grep reads text only). Prints records/s, MB/s,
peak RSS and hits found against planted for each, the ratios of the engine to each baseline,
the indicator-set compile time and the targets. The last line of stdout is one JSON object.

    python bench/match.py                 # 5,000,000 records, 1,000,000 indicators
    python bench/match.py --quick         # 200,000 records, 100,000 indicators

``--engine spark`` (ADR 0023) instead splits the same log into ``--shards`` files (a file is
Spark's unit of work) and matches them with the local engine (one core, as above) and with
``entente.matching.spark`` on ``local[1]`` and ``local[2]`` (and on ``--master`` when it names
another), checks that every run gives the local engine's hits exactly, and prints records/s
for each. A run's fixed cost (the session's first job, the broadcast of the indicator set, one
engine build per Python worker) is measured apart, by a first run over two one-record files;
the timed run then reuses the broadcast and the engines. Amdahl's law,
T(n) = T(1) * (s + (1 - s) / n), fitted to the two measured runs models N executors (one core
each) and a 30-day retro-hunt of 864M records a day, which pays the fixed cost once. Measured
and modelled figures are labelled.

    python bench/match.py --engine spark --records 5000000
    python bench/match.py --engine spark --quick
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from workloads import peak_rss_mb

_PLANT_EVERY = 500
_FIELDS = (
    "id.orig_h",
    "id.resp_h",
    "query",
    "answers",
    "host",
    "server_name",
    "ja3",
    "ja3s",
    "md5",
    "sha1",
    "sha256",
)
_BG_TLDS = ("com", "net", "org", "io", "de", "co.uk")
_IOC_TLDS = ("top", "xyz", "biz", "info")
_WORDS = ("alpha", "beta", "cdn", "mail", "api", "www", "static", "img", "login", "shop", "edge")
_TARGETS = {
    "json_records_per_s": 1_000_000,
    "parquet_records_per_s": 3_000_000,
    "peak_rss_mb": 1024,
    "compile_s": 2.0,
}


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def pin_one_core() -> None:
    """Run this process and its children on one CPU core (the figures are per core)."""
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[0]})


# --------------------------------------------------------------------------- generation


@dataclass
class Iocs:
    """The generated indicator values, by kind."""

    v4: list[str]
    v6: list[str]
    nets4: list[str]
    nets6: list[str]
    domains: list[str]
    subdomains: list[str]
    md5: list[str]
    sha1: list[str]
    sha256: list[str]
    ja3: list[str]


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def _ioc_v4(rng: random.Random) -> int:
    # Indicator addresses live in 100.0.0.0-223.255.255.255; log background below 100.0.0.0.
    return rng.randrange(100 << 24, 224 << 24)


def make_iocs(count: int, rng: random.Random) -> Iocs:
    """``count`` indicator values: 46% addresses, 10% blocks, 30% domains, 12% hashes, 2% JA3."""
    n_nets = count // 10
    n_dom = count * 3 // 10
    n_hash = count * 12 // 100
    n_ja3 = count * 2 // 100
    n_addr = count - n_nets - n_dom - n_hash - n_ja3
    n_v6 = max(1, n_addr // 50)
    v4 = sorted({str(ipaddress.IPv4Address(_ioc_v4(rng))) for _ in range(n_addr - n_v6)})
    v6 = [str(ipaddress.IPv6Address((0x2C0F << 112) | rng.getrandbits(112))) for _ in range(n_v6)]
    nets4: list[str] = []
    n_nets6 = max(1, n_nets // 50)
    while len(nets4) < n_nets - n_nets6:
        if nets4 and rng.random() < 0.1:
            # Nest a block inside an earlier one: overlaps must be handled.
            outer = ipaddress.IPv4Network(rng.choice(nets4))
            if outer.prefixlen < 30:
                length = rng.randint(outer.prefixlen + 1, 30)
                start = int(outer.network_address) + rng.randrange(outer.num_addresses)
                nets4.append(str(ipaddress.IPv4Network((start, length), strict=False)))
                continue
        length = rng.randint(16, 30)
        nets4.append(str(ipaddress.IPv4Network((_ioc_v4(rng), length), strict=False)))
    nets6 = [
        str(ipaddress.IPv6Network(((0x2C0E << 112) | rng.getrandbits(112), 48), strict=False))
        for _ in range(n_nets6)
    ]
    labels = {f"{_hex(rng, 10)}.{rng.choice(_IOC_TLDS)}" for _ in range(n_dom)}
    names = sorted(labels)
    rng.shuffle(names)
    split = len(names) * 2 // 3
    return Iocs(
        v4=v4,
        v6=v6,
        nets4=sorted(set(nets4)),
        nets6=sorted(set(nets6)),
        domains=names[:split],
        subdomains=names[split:],
        md5=[_hex(rng, 32) for _ in range(n_hash // 3)],
        sha1=[_hex(rng, 40) for _ in range(n_hash // 3)],
        sha256=[_hex(rng, 64) for _ in range(n_hash - 2 * (n_hash // 3))],
        ja3=[_hex(rng, 32) for _ in range(n_ja3)],
    )


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def indicator_objects(iocs: Iocs) -> Iterator[dict[str, Any]]:
    """One STIX 2.1 indicator (§4.7) per value, with the simplest pattern for it (§9)."""
    stamp = "2026-01-01T00:00:00.000Z"
    patterns: list[str] = []
    patterns += [f"[ipv4-addr:value = {_literal(v)}]" for v in iocs.v4]
    patterns += [f"[ipv6-addr:value = {_literal(v)}]" for v in iocs.v6]
    patterns += [f"[ipv4-addr:value ISSUBSET {_literal(v)}]" for v in iocs.nets4]
    patterns += [f"[ipv6-addr:value ISSUBSET {_literal(v)}]" for v in iocs.nets6]
    patterns += [f"[domain-name:value = {_literal(v)}]" for v in iocs.domains]
    patterns += [f"[domain-name:value LIKE {_literal('%.' + v)}]" for v in iocs.subdomains]
    patterns += [f"[file:hashes.MD5 = {_literal(v)}]" for v in iocs.md5]
    patterns += [f"[file:hashes.'SHA-1' = {_literal(v)}]" for v in iocs.sha1]
    patterns += [f"[file:hashes.'SHA-256' = {_literal(v)}]" for v in iocs.sha256]
    patterns += [f"[x-ja3:value = {_literal(v)}]" for v in iocs.ja3]
    for index, pattern in enumerate(patterns):
        yield {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{index:012x}",
            "created": stamp,
            "modified": stamp,
            "name": f"bench {index}",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": stamp,
        }


class Expect:
    """Which indicators cover a value: the bench's own exact check for planted values."""

    def __init__(self, iocs: Iocs, ids: dict[str, list[str]]) -> None:
        self.ids = ids
        self.nets: dict[int, dict[int, list[str]]] = {}
        for text in iocs.nets4 + iocs.nets6:
            net = ipaddress.ip_network(text)
            key = (net.version * 1000) + net.prefixlen
            self.nets.setdefault(key, {})[int(net.network_address)] = ids[f"net:{text}"]

    def address(self, text: str) -> list[str]:
        address = ipaddress.ip_address(text)
        found = list(self.ids.get(f"ip:{text}", ()))
        width = address.max_prefixlen
        for key, nets in self.nets.items():
            if key // 1000 != address.version:
                continue
            shift = width - key % 1000
            found += nets.get((int(address) >> shift) << shift, ())
        return sorted(found)


def _ids_by_value(iocs: Iocs) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    keys = (
        [f"ip:{v}" for v in iocs.v4 + iocs.v6]
        + [f"net:{v}" for v in iocs.nets4 + iocs.nets6]
        + [f"dom:{v}" for v in iocs.domains]
        + [f"sub:{v}" for v in iocs.subdomains]
        + [f"hash:{v}" for v in iocs.md5 + iocs.sha1 + iocs.sha256]
        + [f"ja3:{v}" for v in iocs.ja3]
    )
    for index, key in enumerate(keys):
        ids.setdefault(key, []).append(f"indicator--00000000-0000-4000-8000-{index:012x}")
    return ids


def _bg_ip(rng: random.Random) -> str:
    first = rng.randrange(1, 100)
    if first == 10:
        first = 11
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _plant(
    rng: random.Random, iocs: Iocs, expect: Expect, record: dict[str, Any]
) -> list[tuple[str, str, list[str]]]:
    """Put one indicator value (or a near miss) into ``record``; the hits it must produce."""
    choice = rng.randrange(12)
    if choice == 0:
        value = rng.choice(iocs.v4)
        record["id.resp_h"] = value
        return [("id.resp_h", value, expect.address(value))]
    if choice == 1:
        net = ipaddress.ip_network(rng.choice(iocs.nets4))
        value = str(net.network_address + rng.randrange(net.num_addresses))
        record["id.resp_h"] = value
        return [("id.resp_h", value, expect.address(value))]
    if choice == 2:
        net = ipaddress.ip_network(rng.choice(iocs.nets6))
        value = str(net.network_address + rng.randrange(1 << 20))
        record["id.resp_h"] = value
        return [("id.resp_h", value, expect.address(value))]
    if choice == 3:
        # Near miss: the address just past a block (it may still be inside another one).
        net = ipaddress.ip_network(rng.choice(iocs.nets4))
        value = str(net.broadcast_address + 1)
        record["id.resp_h"] = value
        found = expect.address(value)
        return [("id.resp_h", value, found)] if found else []
    if choice in (4, 5):
        value = rng.choice(iocs.domains)
        field = "query" if record["_path"] == "dns" else "server_name"
        record["_path"] = "dns" if field == "query" else "ssl"
        record[field] = value.upper() if choice == 5 else value
        return [(field, record[field], expect.ids[f"dom:{value}"])]
    if choice in (6, 7):
        parent = rng.choice(iocs.subdomains)
        value = f"{rng.choice(_WORDS)}.{rng.choice(_WORDS)}.{parent}"
        record["_path"] = "dns"
        record["query"] = value
        return [("query", value, expect.ids[f"sub:{parent}"])]
    if choice == 8:
        # Near misses: the bare parent of a subdomain-only pattern, and a look-alike.
        parent = rng.choice(iocs.subdomains)
        record["_path"] = "dns"
        record["query"] = parent if rng.random() < 0.5 else "x" + parent
        return []
    if choice == 9:
        kind = rng.choice(("md5", "sha1", "sha256"))
        value = rng.choice(getattr(iocs, kind))
        record["_path"] = "files"
        record[kind] = value
        return [(kind, value, expect.ids[f"hash:{value}"])]
    if choice == 10:
        value = rng.choice(iocs.ja3)
        record["_path"] = "ssl"
        record["ja3"] = value
        return [("ja3", value, expect.ids[f"ja3:{value}"])]
    value = rng.choice(iocs.v4)
    record["_path"] = "dns"
    record["answers"] = [_bg_ip(rng), value]
    return [("answers", value, expect.address(value))]


def _record(rng: random.Random, index: int, hosts: list[str], domains: list[str]) -> dict[str, Any]:
    ts = 1_700_000_000 + index / 1000
    record: dict[str, Any] = {
        "ts": round(ts, 6),
        "uid": f"C{index:017x}",
        "id.orig_h": rng.choice(hosts),
        "id.orig_p": rng.randrange(1024, 65536),
        "id.resp_h": _bg_ip(rng) if rng.random() < 0.98 else f"2a00::{rng.getrandbits(16):x}",
        "id.resp_p": rng.choice((53, 80, 443, 25)),
    }
    p = rng.random()

    def fqdn() -> str:
        name = rng.choice(domains)
        return name if rng.random() < 0.5 else f"{rng.choice(_WORDS)}.{name}"

    if p < 0.4:
        record["_path"] = "conn"
        record.update(
            proto="tcp",
            service="ssl",
            duration=round(rng.random() * 10, 6),
            orig_bytes=rng.randrange(100_000),
            resp_bytes=rng.randrange(1_000_000),
            conn_state="SF",
            local_orig=True,
            missed_bytes=0,
            history="ShADadFf",
            orig_pkts=rng.randrange(100),
        )
    elif p < 0.65:
        record["_path"] = "dns"
        record.update(
            proto="udp",
            trans_id=rng.randrange(65536),
            query=fqdn(),
            qclass_name="C_INTERNET",
            qtype_name="A",
            rcode_name="NOERROR",
            answers=[_bg_ip(rng)],
            TTLs=[300.0],
        )
    elif p < 0.8:
        record["_path"] = "http"
        record.update(
            method="GET",
            host=fqdn(),
            uri=f"/{rng.choice(_WORDS)}/{rng.randrange(1000)}.php",
            user_agent="Mozilla/5.0 (X11; Linux x86_64)",
            status_code=200,
            response_body_len=rng.randrange(100_000),
        )
    elif p < 0.95:
        record["_path"] = "ssl"
        record.update(
            version="TLSv13",
            cipher="TLS_AES_128_GCM_SHA256",
            server_name=fqdn(),
            ja3=_hex(rng, 32),
            ja3s=_hex(rng, 32),
            established=True,
        )
    else:
        record["_path"] = "files"
        record.update(
            fuid=f"F{index:017x}",
            mime_type="application/x-dosexec",
            md5=_hex(rng, 32),
            sha1=_hex(rng, 40),
            sha256=_hex(rng, 64),
        )
    return record


def generate(directory: Path, records: int, indicators: int, seed: int) -> dict[str, Any]:
    """Write the log, the Parquet copy, the indicators and the planted hits (cached)."""
    meta_path = directory / "meta.json"
    params = {"records": records, "indicators": indicators, "seed": seed, "layout": 3}
    if meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        if meta.get("params") == params:
            return meta
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    started = time.perf_counter()
    iocs = make_iocs(indicators, rng)
    ids = _ids_by_value(iocs)
    expect = Expect(iocs, ids)
    with (directory / "indicators.jsonl").open("wb") as out:
        for obj in indicator_objects(iocs):
            out.write(orjson.dumps(obj) + b"\n")
    hosts = [
        f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        for _ in range(20_000)
    ]
    domains = [
        f"{rng.choice(_WORDS)}{rng.randrange(100_000)}.{rng.choice(_BG_TLDS)}"
        for _ in range(200_000)
    ]
    planted: list[dict[str, Any]] = []
    with (directory / "log.json").open("wb") as out:
        chunk: list[bytes] = []
        for index in range(records):
            record = _record(rng, index, hosts, domains)
            if index % _PLANT_EVERY == _PLANT_EVERY - 1:
                for field, value, hit_ids in _plant(rng, iocs, expect, record):
                    planted.append(
                        {
                            "line": index + 1,
                            "uid": record["uid"],
                            "field": field,
                            "value": value,
                            "indicators": hit_ids,
                        }
                    )
            chunk.append(orjson.dumps(record))
            if len(chunk) == 10_000:
                out.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            out.write(b"\n".join(chunk) + b"\n")
    exact = sorted(
        set(iocs.v4 + iocs.v6 + iocs.domains + iocs.md5 + iocs.sha1 + iocs.sha256 + iocs.ja3)
    )
    (directory / "exact.txt").write_text("".join(f'"{v}"\n' for v in exact))
    log("writing the Parquet copy")
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_json('{directory / 'log.json'}', format='newline_delimited',"
        f" sample_size=-1)) TO '{directory / 'log.parquet'}'"
        " (FORMAT parquet, ROW_GROUP_SIZE 122880)"
    )
    con.close()
    meta = {
        "params": params,
        "planted": planted,
        "generate_s": round(time.perf_counter() - started, 1),
        "log_bytes": (directory / "log.json").stat().st_size,
        "parquet_bytes": (directory / "log.parquet").stat().st_size,
    }
    meta_path.write_text(json.dumps(meta))
    return meta


# --------------------------------------------------------------------------- methods


def method_engine(directory: Path, fmt: str) -> dict[str, Any]:
    """Our engine with full rules; returns the hits as (line, field, value, indicator)."""
    from entente.matching.engine import Engine
    from entente.matching.indicators import select_active
    from entente.matching.memory import release_free_memory
    from entente.matching.sources import open_logs

    now_us = int(time.time() * 1_000_000)
    with (directory / "indicators.jsonl").open("rb") as lines:
        started = time.perf_counter()
        # Streamed: the parsed objects are compiled as they pass and never all held.
        indicator_set = select_active(map(orjson.loads, lines), now_us)
        patterns_s = time.perf_counter() - started
    started = time.perf_counter()
    engine = Engine(indicator_set)
    build_s = time.perf_counter() - started
    release_free_memory()  # as entente match does after building
    counts = (len(indicator_set.indicators), len(indicator_set.not_deployable))
    path = directory / ("log.json" if fmt == "json" else "log.parquet")
    started = time.perf_counter()
    records = 0
    hits: list[list[Any]] = []
    with open_logs([str(path)], threads=1) as reader:
        for batch in reader:
            records += batch.num_rows
            hits.extend([h.record, h.field, h.value, h.indicator_id] for h in engine.match(batch))
    seconds = time.perf_counter() - started
    return {
        "records": records,
        "seconds": seconds,
        "hits": hits,
        "indicators": counts[0],
        "not_deployable": counts[1],
        "patterns_s": round(patterns_s, 3),
        "engine_build_s": round(build_s, 3),
    }


def method_grep(directory: Path, fmt: str) -> dict[str, Any]:
    """``LC_ALL=C grep -F -n -f`` with quoted exact values; hits are matching lines."""
    del fmt
    out = directory / "grep.out"
    started = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            ["grep", "-F", "-n", "-f", str(directory / "exact.txt"), str(directory / "log.json")],
            env={**os.environ, "LC_ALL": "C"},
            stdout=sink,
        )
        # VmHWM only grows; the last reading before grep exits is its peak (to within 20 ms).
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, peak_rss_mb(proc.pid))
            time.sleep(0.02)
    seconds = time.perf_counter() - started
    lines = [int(row.split(b":", 1)[0]) for row in out.read_bytes().splitlines()]
    return {"records": None, "seconds": seconds, "lines": lines, "own_peak_rss_mb": peak}


def _records(directory: Path, fmt: str) -> Iterator[dict[str, Any]]:
    """The log's records as dicts: ``orjson`` per line, or pyarrow batches of the Parquet copy."""
    if fmt == "json":
        with (directory / "log.json").open("rb") as handle:
            yield from map(orjson.loads, handle)
        return
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(directory / "log.parquet")
    for batch in parquet.iter_batches(columns=["uid", *_FIELDS]):
        yield from batch.to_pylist()


def method_python(directory: Path, fmt: str) -> dict[str, Any]:
    """A loop with orjson (or pyarrow batches for Parquet) and Python sets: exact values."""
    exact = {line.strip().strip('"') for line in (directory / "exact.txt").open()}
    started = time.perf_counter()
    uids: list[str] = []
    records = 0
    for rec in _records(directory, fmt):
        records += 1
        for field in _FIELDS:
            value = rec.get(field)
            if value is None:
                continue
            if isinstance(value, list):
                if any(v in exact for v in value):
                    uids.append(rec["uid"])
            elif value in exact or value.lower() in exact:
                uids.append(rec["uid"])
    return {"records": records, "seconds": time.perf_counter() - started, "uids": uids}


def method_duckdb(directory: Path, fmt: str) -> dict[str, Any]:
    """A DuckDB SQL hash join of the projected fields against the exact values."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads=1")
    con.execute(
        f"CREATE TABLE exact AS SELECT trim(column0, '\"') AS value FROM read_csv("
        f"'{directory / 'exact.txt'}', header=false, columns={{'column0': 'VARCHAR'}},"
        " quote='', delim='\\x01')"
    )
    if fmt == "json":
        columns = ", ".join(
            f"'{f}': '{'VARCHAR[]' if f == 'answers' else 'VARCHAR'}'" for f in ("uid", *_FIELDS)
        )
        source = (
            f"read_json('{directory / 'log.json'}', format='newline_delimited',"
            f" columns={{{columns}}})"
        )
    else:
        source = f"read_parquet('{directory / 'log.parquet'}')"
    scalars = [f for f in _FIELDS if f != "answers"]
    values = ", ".join(f'"{f}"' for f in scalars)
    started = time.perf_counter()
    rows = con.sql(
        f"""SELECT DISTINCT uid FROM (
              SELECT uid, unnest(list_concat([{values}], answers)) AS v FROM {source}
            ) s JOIN exact ON exact.value = s.v"""
    ).fetchall()
    seconds = time.perf_counter() - started
    total = con.sql(f"SELECT count(*) FROM {source}").fetchall()
    con.close()
    return {
        "records": total[0][0],
        "seconds": seconds,
        "uids": [r[0] for r in rows],
    }


_METHODS = {
    "engine": method_engine,
    "grep": method_grep,
    "python": method_python,
    "duckdb": method_duckdb,
}


def run_method(directory: Path, name: str, fmt: str) -> dict[str, Any]:
    """Run one method in its own process; add its peak RSS."""
    out_path = directory / f"result-{name}-{fmt}.json"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", name, fmt, "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )
    if proc.wait() != 0:
        raise SystemExit(f"method {name} on {fmt} failed with status {proc.returncode}")
    result: dict[str, Any] = json.loads(out_path.read_text())
    # The worker reads its own VmHWM at its end (a fresh address space: an rusage of the
    # child would count the parent's pages it was forked with); grep's is polled.
    result["peak_rss_mb"] = result.pop("own_peak_rss_mb")
    return result


def score(name: str, result: dict[str, Any], meta: dict[str, Any], records: int) -> dict[str, Any]:
    """Records/s, MB/s and hits found against planted for one method's result."""
    planted = meta["planted"]
    size = meta["log_bytes"] if result["fmt"] == "json" else meta["parquet_bytes"]
    seconds = result["seconds"]
    row: dict[str, Any] = {
        "method": name,
        "format": result["fmt"],
        "seconds": round(seconds, 2),
        "records_per_s": round(records / seconds),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "peak_rss_mb": result["peak_rss_mb"],
    }
    if name == "engine":
        expected = {
            (p["line"], p["field"], p["value"], i) for p in planted for i in p["indicators"]
        }
        found = {tuple(h) for h in result["hits"]}
        row.update(
            planted_hits=len(expected),
            hits_found=len(found),
            missed=len(expected - found),
            unexpected=len(found - expected),
            exact=found == expected,
            compile_patterns_s=result["patterns_s"],
            compile_engine_s=result["engine_build_s"],
        )
        return row
    planted_records = {
        p["line"] if name == "grep" else p["uid"] for p in planted if p["indicators"]
    }
    found_records = set(result["lines"] if name == "grep" else result["uids"])
    row.update(
        planted_records=len(planted_records),
        records_found=len(found_records),
        missed=len(planted_records - found_records),
        unexpected=len(found_records - planted_records),
    )
    return row


def worker(name: str, fmt: str, directory: Path) -> None:
    """One method in this process; its result goes to a file (stdout stays free)."""
    pin_one_core()
    result = _METHODS[name](directory, fmt)
    result["fmt"] = fmt
    result.setdefault("own_peak_rss_mb", peak_rss_mb(os.getpid()))
    (directory / f"result-{name}-{fmt}.json").write_text(json.dumps(result))


# --------------------------------------------------------------------------- --engine spark

_EXECUTORS = (1, 2, 4, 8, 16, 32, 64)
_HUNT_DAYS = 30
_HUNT_RECORDS_PER_DAY = 864_000_000


def shard(directory: Path, shards: int) -> list[Path]:
    """The generated log split by lines into ``shards`` files (cached beside it)."""
    folder = directory / f"shards-{shards}"
    done = folder / "done"
    paths = [folder / f"conn-{index:03d}.json" for index in range(shards)]
    if done.exists():
        return paths
    folder.mkdir(exist_ok=True)
    with (directory / "log.json").open("rb") as source:
        total = sum(1 for _ in source)
        source.seek(0)
        size = -(-total // shards)
        for path in paths:
            with path.open("wb") as out:
                out.writelines(itertools.islice(source, size))
    done.touch()
    return paths


def amdahl(t1: float, t2: float) -> float:
    """The serial fraction ``s`` that makes T(2) = T(1) * (s + (1 - s) / 2), within [0, 1]."""
    return min(1.0, max(0.0, 2 * t2 / t1 - 1))


def spark_main(args: argparse.Namespace) -> None:
    """The local engine against Spark on the sharded log: records/s, identity, scaling model."""
    from entente.matching.engine import Engine
    from entente.matching.indicators import select_active
    from entente.matching.sources import open_logs
    from entente.matching.spark import SparkMatcher, spark_session

    log(f"workload: {args.records:,} records, {args.indicators:,} indicators in {args.dir}")
    generate(args.dir, args.records, args.indicators, args.seed)
    paths = [str(path) for path in shard(args.dir, args.shards)]
    now_us = int(time.time() * 1_000_000)
    with (args.dir / "indicators.jsonl").open("rb") as lines:
        indicators = select_active(map(orjson.loads, lines), now_us)
    log(f"local engine on {len(paths)} shards (one core)")
    started = time.perf_counter()
    engine = Engine(indicators)
    records = 0
    local_hits = []
    with open_logs(paths, threads=1) as reader:
        for batch in reader:
            records += batch.num_rows
            local_hits.extend(engine.match(batch))
    local_s = time.perf_counter() - started
    del engine  # its memory goes back before the Spark workers build theirs
    masters = ["local[1]", "local[2]"]
    if args.master not in masters:
        masters.append(args.master)
    # Two one-record files: two tasks at once, so that both local[2] workers build an engine.
    tiny = [args.dir / f"one-record-{side}.json" for side in "ab"]
    with Path(paths[0]).open("rb") as first:
        line = first.readline()
    for path in tiny:
        path.write_bytes(line)
    runs: dict[str, dict[str, Any]] = {}
    for master in masters:
        log(f"spark on {master}")
        with spark_session(master) as session:
            matcher = SparkMatcher(session)
            started = time.perf_counter()
            matcher.match_files([str(path) for path in tiny], indicators)
            fixed = time.perf_counter() - started
            started = time.perf_counter()
            results = matcher.match_files(paths, indicators)
            seconds = time.perf_counter() - started
        hits = [hit for result in results for hit in result.hits]
        runs[master] = {
            "seconds": round(seconds, 2),
            "records_per_s": round(records / seconds),
            "fixed_seconds": round(fixed, 2),
            "hits": len(hits),
            "identical_hits": hits == local_hits
            and [h.context for h in hits] == [h.context for h in local_hits],
        }
    t1, t2 = runs["local[1]"]["seconds"], runs["local[2]"]["seconds"]
    serial = amdahl(t1, t2)
    model = {n: records / (t1 * (serial + (1 - serial) / n)) for n in _EXECUTORS}
    fixed_s = runs["local[2]"]["fixed_seconds"]
    hunt_records = _HUNT_DAYS * _HUNT_RECORDS_PER_DAY
    print(f"measured: {records:,} records in {len(paths)} files, {len(local_hits):,} hits")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at the end")
    print(f"{'engine':22} {'seconds':>8} {'records/s':>12} {'vs local':>9} {'fixed s':>8}  hits")
    local_rate = records / local_s
    print(
        f"{'local (1 core)':22} {local_s:>8.2f} {round(local_rate):>12,} {1.0:>9.2f}"
        f" {'':>8}  reference"
    )
    for master, run in runs.items():
        verdict = "identical" if run["identical_hits"] else "DIFFERENT"
        print(
            f"{'spark ' + master:22} {run['seconds']:>8.2f} {run['records_per_s']:>12,}"
            f" {run['records_per_s'] / local_rate:>9.2f} {run['fixed_seconds']:>8.2f}"
            f"  {run['hits']:,} {verdict}"
        )
    print(
        f"modelled (Amdahl fit to the runs on local[1] and local[2]: serial fraction "
        f"{serial:.3f}; plus {fixed_s:.0f} s fixed per run); retro-hunt of {_HUNT_DAYS} days x "
        f"{_HUNT_RECORDS_PER_DAY:,} records"
    )
    if serial >= 1.0:
        print(
            f"note: local[2] was no faster than local[1], so the fit finds no parallel part; "
            f"with a load average of {load:.1f} on {os.cpu_count()} CPUs the second core was "
            "not free: rerun on a machine with idle cores for a model of the cluster"
        )
    print(f"{'executors':>9} {'records/s':>14} {'hunt hours':>11}")
    for n, rate in model.items():
        hours = (fixed_s + hunt_records / rate) / 3600
        print(f"{n:>9} {round(rate):>14,} {hours:>11.1f}")
    summary = {
        "records": records,
        "indicators": len(indicators.indicators),
        "files": len(paths),
        "hits": len(local_hits),
        "measured": {
            "local_engine": {"seconds": round(local_s, 2), "records_per_s": round(local_rate)},
            **{f"spark_{master}": run for master, run in runs.items()},
        },
        "identical_hits": all(run["identical_hits"] for run in runs.values()),
        "load_average": round(load, 2),
        "modelled": {
            "serial_fraction": round(serial, 4),
            "records_per_s": {str(n): round(rate) for n, rate in model.items()},
            "retro_hunt_records": hunt_records,
            "fixed_seconds_per_run": fixed_s,
            "retro_hunt_hours": {
                str(n): round((fixed_s + hunt_records / rate) / 3600, 2)
                for n, rate in model.items()
            },
        },
        "spark_local2_vs_local_engine": round(runs["local[2]"]["records_per_s"] / local_rate, 2),
    }
    print(json.dumps(summary))
    if not summary["identical_hits"]:
        raise SystemExit("the Spark engine's hits differ from the local engine's")


def main() -> None:
    """Generate (or reuse) the workload, run every method and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000_000)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/entente-bench-match"))
    parser.add_argument("--quick", action="store_true", help="200,000 records, 100,000 indicators")
    parser.add_argument("--methods", default="engine,grep,python,duckdb")
    parser.add_argument("--engine", choices=("local", "spark"), default="local")
    parser.add_argument("--master", default="local[2]", help="Spark master (--engine spark)")
    parser.add_argument("--shards", type=int, default=8, help="log files (--engine spark)")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.dir)
        return
    if args.quick:
        args.records, args.indicators = 200_000, 100_000
        args.dir = args.dir.with_name(args.dir.name + "-quick")
    if args.engine == "spark":
        spark_main(args)
        return
    pin_one_core()
    log(f"workload: {args.records:,} records, {args.indicators:,} indicators in {args.dir}")
    meta = generate(args.dir, args.records, args.indicators, args.seed)
    log(
        f"log {meta['log_bytes'] / 1e9:.2f} GB, Parquet {meta['parquet_bytes'] / 1e9:.2f} GB, "
        f"{len(meta['planted'])} planted values"
    )
    rows = []
    for fmt in ("json", "parquet"):
        for name in args.methods.split(","):
            if name == "grep" and fmt == "parquet":
                continue
            log(f"running {name} on {fmt}")
            result = run_method(args.dir, name, fmt)
            row = score(name, result, meta, args.records)
            log("  " + json.dumps(row))
            rows.append(row)
    summary: dict[str, Any] = {"records": args.records, "indicators": args.indicators, "rows": rows}
    for fmt in ("json", "parquet"):
        ours = next((r for r in rows if r["method"] == "engine" and r["format"] == fmt), None)
        if ours is None:
            continue
        for other in rows:
            if other["format"] == fmt and other["method"] != "engine":
                summary[f"engine_vs_{other['method']}_{fmt}"] = round(
                    ours["records_per_s"] / other["records_per_s"], 2
                )
    summary["targets"] = _TARGETS
    print(f"{'method':8} {'format':8} {'records/s':>12} {'MB/s':>8} {'RSS MB':>8}  hits")
    for r in rows:
        hits = (
            f"{r['hits_found']} of {r['planted_hits']} planted (missed {r['missed']},"
            f" unexpected {r['unexpected']})"
            if r["method"] == "engine"
            else f"{r['records_found']} records of {r['planted_records']} planted"
            f" (missed {r['missed']}, unexpected {r['unexpected']}; exact values only)"
        )
        print(
            f"{r['method']:8} {r['format']:8} {r['records_per_s']:>12,} {r['mb_per_s']:>8}"
            f" {r['peak_rss_mb']:>8}  {hits}"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
