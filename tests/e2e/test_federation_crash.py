"""kill -9 mid-sync (the reader's sync, the source's server): nothing lost, nothing stored twice.

Two real nodes on loopback, each served by its own ``entente serve`` process (cli.local_nodes):
the source holds thousands of TLP:GREEN indicators it created (and some it may not share), the
reader holds a few of its own, under one GREEN agreement without onward sharing. The reader's
``entente sync`` runs as its own process and is killed with SIGKILL at random points: after a
random number of the partner's pages were applied, plus a random delay (so in the window
between a page's commit and its checkpoint, in the next page's request, or in its apply).
Once, the source's server is killed instead, then restarted. After each kill the reader syncs
to completion and must hold exactly what the policy oracle lets the source show it, each
version once, with its checkpoint at the source's last visible ``date_added``; at the end the
source pulls the reader's objects and one more round on both adds nothing.

The nodes are created with ``entente init`` and then wired in-process through the same
services the ``agreement``/``token``/``partner`` commands call (each command is a process
start, seconds on a loaded machine); everything that is killed is a real process.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.unit.sharing.oracle import Sent, oracle_outbound

from entente.bootstrap import federation, open_node
from entente.cli.local_nodes import LocalNode, LocalNodes
from entente.clock import SystemClock
from entente.config import load_settings
from entente.ingest import Candidate
from entente.services import create_token
from entente.services.ingest import IngestService
from entente.services.tokens import org_identity_id
from entente.sharing import NodeContext, Principal, Role, VersionFacts, parse_agreement
from entente.stix import Tlp, format_timestamp_us, marking_id_for
from entente.store import ObjectQuery, Provenance, SourceKind
from entente.store.sql import open_store

pytestmark = pytest.mark.integration

SOURCE, READER = "Source CERT", "Reader CERT"
AGREEMENT: dict[str, Any] = {
    "id": "source-reader",
    "name": "Source CERT and Reader CERT",
    "parties": [SOURCE, READER],
    "max_tlp": "green",
    "onward_sharing": "none",
}
SEED = 20261101
# The page size sync asks for and the server's most (server.taxii_routes.LIMIT_MAX).
PAGE = 1000
FIRST_BATCH = 4000
LATER_BATCH = 2000
# What else the source holds in each batch, that the GREEN agreement never lets out.
WITHHELD: tuple[tuple[Tlp | None, int], ...] = (
    (Tlp.AMBER, 15),
    (Tlp.AMBER_STRICT, 10),
    (Tlp.RED, 10),
    (None, 10),  # unmarked: the node default, AMBER+STRICT
)
KILL_JITTER_S = 0.4
WAIT_S = 180.0
POLL_S = 0.002


def make_indicator(rng: random.Random, org: str, index: int, level: Tlp | None) -> dict[str, Any]:
    """An indicator ``org`` created, built as bench/workloads.make_indicator builds them."""
    kind = index % 4
    if kind == 0:
        value = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
        pattern = f"[ipv4-addr:value = '{value}']"
    elif kind == 1:
        pattern = (
            f"[domain-name:value = '{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}.example.com']"
        )
    elif kind == 2:
        value = f"http://{rng.randrange(1, 255)}.example.net/{rng.getrandbits(40):x}/x.exe"
        pattern = f"[url:value = '{value}']"
    else:
        pattern = f"[file:hashes.'SHA-256' = '{rng.getrandbits(256):064x}']"
    month, day, hour = 1 + index % 9, 10 + index % 10, index % 10
    stamp = f"2026-0{month}-{day}T0{hour}:1{index % 6}:2{index % 10}.{index % 1000:03d}Z"
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "created_by_ref": org_identity_id(org),
        "created": stamp,
        "modified": stamp,
        "name": f"Generated indicator {index}",
        "description": "Crash-test indicator",
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": stamp,
        "confidence": 70,
        "x_crash_sequence": index,
    }
    if level is not None:
        obj["object_marking_refs"] = [marking_id_for(level)]
    return obj


def make_batch(rng: random.Random, org: str, green: int, start: int) -> list[dict[str, Any]]:
    """``green`` GREEN indicators and the withheld ones, shuffled, numbered from ``start``."""
    levels: list[Tlp | None] = [Tlp.GREEN for _ in range(green)]
    levels += [Tlp.CLEAR] * 5
    for level, count in WITHHELD:
        levels += [level] * count
    rng.shuffle(levels)
    return [make_indicator(rng, org, start + i, level) for i, level in enumerate(levels)]


def _db(node: LocalNode) -> Path:
    return node.home / "entente.db"


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of a read-only query of a node's SQLite store."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        return conn.execute(sql).fetchall()


def _version_count(db: Path) -> int:
    return int(_rows(db, "SELECT COUNT(*) FROM object_versions")[0][0])


def ingest(node: LocalNode, objects: Sequence[dict[str, Any]]) -> None:
    """Ingest ``objects`` into the node's store, as ``entente ingest`` would."""
    with open_node(load_settings(node.env())) as opened:
        candidates = [Candidate("crash", f"objects[{i}]", obj) for i, obj in enumerate(objects)]
        summary = IngestService(opened.store, opened.clock, "test").ingest_candidates(
            candidates, Provenance(SourceKind.FILE, "crash.json", "test"), source="crash.json"
        )
    assert summary.rejected == [] and summary.added == len(objects)


def wire(reader: LocalNode, source: LocalNode) -> None:
    """``reader`` pulls from ``source``: a partner token from source, source's card at reader."""
    with open_node(load_settings(source.env())) as opened:
        _, secret = create_token(opened.tokens, opened.clock, org_name=reader.org, role="partner")
        card = federation(opened).card(
            f"{source.base_url}/taxii2/", f"{source.base_url}/taxii2/api/"
        )
    with open_node(load_settings(reader.env())) as opened:
        federation(opened).add_partner(card, token=secret)


def visible_to(source: LocalNode, reader: LocalNode) -> tuple[set[str], int | None]:
    """What the oracle lets ``source`` show ``reader``: ids, and the last one's ``date_added``."""
    agreement = parse_agreement(AGREEMENT, org_id=org_identity_id)
    ctx = NodeContext(
        node_org=org_identity_id(source.org),
        community_orgs=frozenset(agreement.parties),
        agreements=(agreement,),
        now_us=time.time_ns() // 1000,
    )
    partner = Principal("tok_reader", org_identity_id(reader.org), Role.PARTNER, False)
    ids: set[str] = set()
    last: int | None = None
    with closing(open_store(f"sqlite:///{_db(source)}", SystemClock())) as store:
        for version in store.iter_all(ObjectQuery(limit=1000)):
            received = version.provenance.source_kind is SourceKind.PARTNER
            facts = VersionFacts(
                id=version.id,
                type=version.type,
                created_by_ref=version.created_by_ref,
                marking_refs=version.marking_refs,
                received_from_org=version.provenance.principal if received else None,
                received_under=version.provenance.agreement if received else None,
            )
            if received and version.provenance.principal == partner.org:
                # Never sent back to the partner that sent it (services.taxii._echo).
                continue
            if isinstance(oracle_outbound(facts, partner, ctx), Sent):
                ids.add(version.id)
                last = version.date_added_us
    return ids, last


def _entente() -> list[str]:
    script = Path(sys.executable).parent / "entente"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from entente.cli.main import app; app()"]


@contextmanager
def sync_process(node: LocalNode, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """``entente sync --json`` of ``node`` as its own process; killed if still running at exit."""
    with (node.home / f"{name}.out").open("wb") as out:
        proc = subprocess.Popen(
            [*_entente(), "sync", "--json"],
            env=node.env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(WAIT_S)


def wait_for_pages(db: Path, base: int, pages: int, proc: subprocess.Popen[bytes]) -> bool:
    """Wait until ``pages`` full pages are applied at ``db``; False if ``proc`` ended first."""
    deadline = time.monotonic() + WAIT_S
    query = "SELECT COUNT(*) FROM object_versions"
    # Each query is its own read transaction (autocommit), so it sees every commit (WAL).
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        while conn.execute(query).fetchone()[0] < base + pages * PAGE:
            if proc.poll() is not None:
                return False
            assert time.monotonic() < deadline, f"{pages} pages not applied in {WAIT_S} s"
            time.sleep(POLL_S)
    return True


def complete_sync(node: LocalNode) -> list[dict[str, Any]]:
    """``entente sync --json`` to completion; every partner's report, checked clean."""
    reports: list[dict[str, Any]] = node.sync()["partners"]
    for report in reports:
        assert report["error"] is None, report
        assert report["rejected"] == [], report
    return reports


def assert_converged(reader: LocalNode, source: LocalNode, expected: set[str]) -> None:
    """``reader`` holds exactly ``expected``, each version once, and its checkpoint is current."""
    db = _db(reader)
    held = {row[0] for row in _rows(db, "SELECT id FROM object_versions")}
    assert len(held - expected) == 0, f"unexpected: {sorted(held - expected)[:5]}"
    assert len(expected - held) == 0, f"lost: {sorted(expected - held)[:5]}"
    twice = _rows(
        db,
        "SELECT id, version, COUNT(*) FROM object_versions GROUP BY id, version "
        "HAVING COUNT(*) > 1",
    )
    assert twice == []
    with closing(open_store(f"sqlite:///{db}", SystemClock())) as store:
        stats = store.stats()
    assert (stats.objects, stats.versions) == (len(expected), len(expected))
    _, last = visible_to(source, reader)
    assert last is not None
    checkpoints = _rows(db, "SELECT added_after FROM sync_checkpoints")
    assert checkpoints == [(format_timestamp_us(last),)]


def _output(node: LocalNode, run: int) -> str:
    return (node.home / f"sync-{run}.out").read_text(errors="replace")[-2000:]


def _ids(node: LocalNode) -> set[str]:
    return {row[0] for row in _rows(_db(node), "SELECT id FROM object_versions")}


def test_kill_9_mid_sync_loses_nothing_and_stores_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    with LocalNodes(tmp_path, [SOURCE, READER]) as nodes:
        source, reader = nodes[SOURCE], nodes[READER]
        for node in nodes:
            node.init()
            with open_node(load_settings(node.env())) as opened:
                federation(opened).add_agreement(AGREEMENT)
        wire(reader, source)
        wire(source, reader)
        # Every node holds the built-in TLP marking-definitions from the start.
        own = {SOURCE: _ids(source), READER: _ids(reader)}
        first = make_batch(rng, SOURCE, FIRST_BATCH, 0)
        ingest(source, first)
        own[SOURCE] |= {obj["id"] for obj in first}
        readers_own = [make_indicator(rng, READER, i, Tlp.GREEN) for i in range(30)]
        readers_own += [make_indicator(rng, READER, 30 + i, Tlp.AMBER) for i in range(10)]
        ingest(reader, readers_own)
        own[READER] |= {obj["id"] for obj in readers_own}
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(LocalNode.start, (source, reader)))

        kills: list[str] = []
        checkpoints: list[str] = []
        start = FIRST_BATCH + 100
        for run in range(4):
            batch = FIRST_BATCH
            if run > 0:
                batch = LATER_BATCH
                later = make_batch(rng, SOURCE, batch, start)
                start += batch + 100
                ingest(source, later)
                own[SOURCE] |= {obj["id"] for obj in later}
            # At least one full page is left after the kill point.
            pages = rng.randint(1, batch // PAGE - 1)
            # The first kill comes as soon as a page is committed: most often before its
            # checkpoint is, so the next run reads that page again (all duplicates).
            jitter = 0.0 if run == 0 else rng.uniform(0.0, KILL_JITTER_S)
            base = _version_count(_db(reader))
            with sync_process(reader, f"sync-{run}") as proc:
                mid_sync = wait_for_pages(_db(reader), base, pages, proc)
                time.sleep(jitter)
                if run < 3:
                    proc.kill()  # kill -9 of the reader's sync process
                    kills.append(f"reader's sync after {pages} pages + {jitter:.2f} s")
                else:
                    source.kill()  # kill -9 of the source's server, restarted soon after
                    kills.append(f"source's server after {pages} pages + {jitter:.2f} s")
                    time.sleep(rng.uniform(0.0, 1.0))
                    source.start()
                proc.wait(WAIT_S)
            applied = _version_count(_db(reader)) - base
            assert mid_sync, f"run {run}: the sync ended before the kill ({kills})"
            if run < 3:
                # On a fast machine the rest of the batch may go through within the delay.
                if proc.returncode == -signal.SIGKILL and applied < batch:
                    kills[-1] += " (mid-sync)"
            else:
                # The reader's run either gave up on the dead server (an error, exit 1) or got
                # through to the restarted one; either way the next run completes the batch.
                assert proc.returncode in (0, 1), (proc.returncode, _output(reader, run))
            resumed = complete_sync(reader)
            kills[-1] += f"; resumed: {sum(r['duplicates'] for r in resumed)} duplicates"
            shown, _ = visible_to(source, reader)
            assert_converged(reader, source, own[READER] | shown)
            checkpoints.append(_rows(_db(reader), "SELECT added_after FROM sync_checkpoints")[0][0])
        assert checkpoints == sorted(set(checkpoints)), (
            f"checkpoints did not advance: {checkpoints}"
        )
        assert any("(mid-sync)" in kill for kill in kills), kills

        # The source pulls the reader's GREEN objects; then nothing is left to move either way.
        complete_sync(source)
        shown_back, _ = visible_to(reader, source)
        assert shown_back - own[SOURCE] == {obj["id"] for obj in readers_own[:30]}
        assert_converged(source, reader, own[SOURCE] | shown_back)
        for node in (reader, source):
            for report in complete_sync(node):
                assert (report["added"], report["new_versions"]) == (0, 0), report
        shown, _ = visible_to(source, reader)
        assert_converged(reader, source, own[READER] | shown)
        assert_converged(source, reader, own[SOURCE] | shown_back)
        print(*kills, sep="\n")
