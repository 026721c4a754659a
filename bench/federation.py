"""Benchmark: federation between real nodes, each its own ``entente serve`` process on loopback.

Measures, per the federation issue's acceptance:

* initial sync (objects/s): a new partner B runs ``entente sync`` against node A, which holds
  100,000 indicators created by A's org and marked TLP:GREEN, signed once in signed batches
  when A ingested them (ADR 0025). B verifies each batch root once and every object by hashing
  its RFC 9162 inclusion proof, screens and stores them: all of it is measured, as the wall
  time of the ``entente sync --json`` process. B's second sync (everything checkpointed) is
  reported too, as is the sync's own ``seconds``. The same run repeats the initial sync with A
  set to ``signed_batches = false`` (A signs each object on the way out, B verifies one
  Ed25519 signature per object): the per-object figure the issue compares against;
* tampering: one object and one audit-path element of a signed page are altered and applied
  by a reader that holds A's key: each is rejected with its reason, the rest stored;
* propagation latency (p50/p99 s): a chain N1 -> N2 -> ... -> N5, each node the partner of its
  predecessor only, every node serving with a 1 s sync interval. A new indicator is ingested
  on N1 and N5's TAXII API is polled every 50 ms until it appears there (given up after 30 s,
  counted as a timeout).

Baselines: the per-object signatures above (same objects, same nodes, same run); and, since no
other federating software is installed here, the same objects read from A with plain TAXII
paging by our own client (``TaxiiClient.object_pages``) with a partner token of B's org: the
same server-side work (policy, signing), but no verification and no storage on the reader's
side. The ratio shows what verification and applying cost.

The nodes are driven through the ``entente`` command (``cli.local_nodes``), all on 127.0.0.1,
and every server is stopped before exit. Progress goes to stderr; the last line is one JSON
object with all figures, the baseline, the targets and whether each was met.

    python bench/federation.py            # 100,000 objects, 20 probes along the chain
    python bench/federation.py --quick    # 10,000 objects, 5 probes

Most of a run is spent starting ``entente`` commands (1-2 s each), not in what is measured.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import resource
import shutil
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from entente.cli.local_nodes import LocalNode, LocalNodes
from fleet import cache_bytecode, in_parallel, init_under, log, make_partners
from workloads import make_indicator, nearest_rank, run_worker

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
SOURCE_ORG, READER_ORG = "Bench Source", "Bench Reader"
BASELINE = "plain TAXII paging of the same collection, no verification or storage"
PER_OBJECT = "the same initial sync with per-object Ed25519 signatures (signed_batches = false)"
CHAIN_INTERVAL_S = 1.0
POLL_S = 0.05
PROBE_TIMEOUT_S = 30.0
_PRELOAD_CHUNKS = 10
_MAX_PAGES = 100_000


def org_indicator(rng: random.Random, index: int, org_id: str) -> dict[str, Any]:
    """A generated indicator created by ``org_id`` and marked TLP:GREEN."""
    return {
        **make_indicator(rng, index),
        "created_by_ref": org_id,
        "object_marking_refs": [TLP_GREEN],
    }


# -- worker (its own process) --------------------------------------------------------------------


def worker_preload(home: Path, count: int) -> dict[str, Any]:
    """Ingest ``count`` GREEN indicators created by the node's org straight into its store."""
    from entente.bootstrap import node_signer, open_node
    from entente.config import load_settings
    from entente.ingest import InputFormat, open_document
    from entente.services import IngestService
    from entente.services.tokens import org_identity_id
    from entente.stix import format_timestamp_us

    rng = random.Random(7)
    chunk = max(1, math.ceil(count / _PRELOAD_CHUNKS))
    added = 0
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        org_id = org_identity_id(node.settings.org_name)
        service = IngestService(node.store, node.clock, principal="bench")
        # As ``entente ingest`` does: what a call stored is signed once, as signed batches.
        signer = node_signer(node)
        bundle = home / "preload-chunk.json"
        start = time.perf_counter()
        sealing = 0.0
        for first in range(0, count, chunk):
            before_us = node.clock.now_us() - 1
            with bundle.open("wb") as out:
                out.write(b'{"type": "bundle", "id": "bundle--' + str(uuid.uuid4()).encode())
                out.write(b'", "objects": [')
                for i in range(first, min(first + chunk, count)):
                    body = orjson.dumps(org_indicator(rng, i, org_id))
                    out.write((b"," if i > first else b"") + body)
                out.write(b"]}")
            document = open_document(
                str(bundle),
                fmt=InputFormat.STIX,
                source_name="bench",
                now=format_timestamp_us(node.clock.now_us()),
                markings=(),
            )
            added += service.ingest_document(document).added
            sealed_at = time.perf_counter()
            signer.seal_added_after(node.store, before_us)
            sealing += time.perf_counter() - sealed_at
            log(f"  preloaded {added:,}/{count:,}")
        bundle.unlink()
        seconds = time.perf_counter() - start
    return {
        "added": added,
        "seconds": round(seconds, 3),
        "signing_seconds": round(sealing, 3),
        "org_id": org_id,
    }


# -- initial sync ----------------------------------------------------------------------------


def _sync(reader: LocalNode) -> tuple[dict[str, Any], float]:
    """``entente sync --json`` on ``reader``: its one partner's outcome and the wall seconds."""
    start = time.perf_counter()
    done = reader.cli("sync", "--json")
    wall = time.perf_counter() - start
    outcomes = orjson.loads(done.stdout)["partners"]
    if len(outcomes) != 1:
        raise RuntimeError(f"expected one partner's outcome, got {outcomes!r:.500}")
    outcome: dict[str, Any] = outcomes[0]
    if outcome["error"]:
        raise RuntimeError(f"sync failed: {outcome['error']}")
    return outcome, wall


def _children_cpu_s() -> float:
    """User and system CPU seconds of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu_s(node: LocalNode) -> float:
    """User and system CPU seconds of ``node``'s running server (``/proc``, Linux)."""
    if node.proc is None:
        raise RuntimeError(f"{node.org} is not serving")
    fields = Path(f"/proc/{node.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    # proc(5): utime and stime are fields 14 and 15, counted from 1 with the pid.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pulled(outcome: dict[str, Any]) -> int:
    """Every object a sync outcome saw, whatever became of it."""
    return int(
        outcome["added"]
        + outcome["duplicates"]
        + outcome["new_versions"]
        + len(outcome["rejected"])
    )


def measure_plain_read(base_url: str, token: str) -> dict[str, Any]:
    """Read A's "All objects" collection with ``TaxiiClient.object_pages``: the baseline."""
    from entente.services.taxii import collection_uuid
    from entente.taxii.client import TaxiiClient

    collection = str(collection_uuid("All objects"))
    objects = pages = 0
    start = time.perf_counter()
    with TaxiiClient(base_url + "/taxii2/", auth=token, timeout=300) as client:
        for page in client.object_pages(base_url + "/taxii2/api/", collection):
            objects += len(page.items)
            pages += 1
            if pages >= _MAX_PAGES:
                break
    seconds = time.perf_counter() - start
    return {
        "baseline": BASELINE,
        "objects": objects,
        "pages": pages,
        "seconds": round(seconds, 3),
        "objects_per_s": round(objects / seconds) if seconds > 0 else 0,
    }


def bench_initial_sync(
    root: Path, count: int, *, signed_batches: bool
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """A holds ``count`` indicators; new partner B syncs them all, then syncs again.

    With ``signed_batches`` false, A signs each object on every read (the per-object form).
    Returns the figures, the plain-read baseline and (with batches) the tampering check.
    """
    mode = "signed batches" if signed_batches else "per-object signatures"
    with LocalNodes(root, [SOURCE_ORG, READER_ORG]) as nodes:
        source, reader = nodes[SOURCE_ORG], nodes[READER_ORG]
        agreement = {
            "id": "bench-initial-sync",
            "name": "Benchmark: initial sync",
            "parties": [SOURCE_ORG, READER_ORG],
            "max_tlp": "green",
            "onward_sharing": "none",
        }
        in_parallel(lambda node: init_under(node, agreement), nodes.nodes)
        with (source.home / "entente.toml").open("a", encoding="utf-8") as config:
            config.write(f"\nsigned_batches = {'true' if signed_batches else 'false'}\n")
        log(f"initial sync ({mode}): preloading {count:,} indicators on {SOURCE_ORG}")
        loaded = run_worker(__file__, "preload", str(source.home), str(count))
        if loaded["added"] != count:
            raise RuntimeError(f"preload added {loaded['added']} of {count}")
        log(f"initial sync: preloaded in {loaded['seconds']} s")
        nodes.partner(reader, source)
        # A second partner token of B's org, for the baseline reader: it sees what B's sync sees.
        baseline_token = source.issue_partner_token(READER_ORG)
        source.start()
        log(f"initial sync ({mode}): plain TAXII read of the same collection (baseline)")
        baseline = measure_plain_read(source.base_url, baseline_token)
        log(f"  {baseline['objects']:,} objects in {baseline['seconds']} s")
        tampering = (
            check_tampering(source.base_url, baseline_token, source.card(), loaded["org_id"])
            if signed_batches
            else None
        )
        log(f"initial sync ({mode}): entente sync on {READER_ORG}")
        # CPU seconds of both processes: on a shared machine, wall time also measures others.
        server_cpu = _process_cpu_s(source)
        reader_cpu = _children_cpu_s()
        first, wall = _sync(reader)
        reader_cpu = _children_cpu_s() - reader_cpu
        server_cpu = _process_cpu_s(source) - server_cpu
        log(
            f"  added {first['added']:,}, duplicates {first['duplicates']:,}, "
            f"rejected {len(first['rejected'])} in {wall:.2f} s (sync's own {first['seconds']} s)"
        )
        second, second_wall = _sync(reader)
        log(f"  second sync: {_pulled(second)} objects pulled in {second_wall:.2f} s")
        source.stop()
    if first["added"] != count or first["rejected"]:
        raise RuntimeError(
            f"B added {first['added']} of {count} objects and rejected "
            f"{len(first['rejected'])}: {first['rejected'][:3]}"
        )
    figures = {
        "signing": mode,
        "objects": count,
        "preload_seconds": loaded["seconds"],
        "preload_signing_seconds": loaded["signing_seconds"],
        "wall_seconds": round(wall, 3),
        "objects_per_s": round(count / wall),
        "sync_seconds": first["seconds"],
        "objects_per_s_in_sync": round(count / first["seconds"]) if first["seconds"] else None,
        # Starting the command (imports, opening the store) and exiting: in the wall time only.
        "process_overhead_seconds": round(wall - first["seconds"], 3),
        # CPU time of the sync process (start-up included) and of A's server meanwhile.
        "reader_cpu_seconds": round(reader_cpu, 3),
        "server_cpu_seconds": round(server_cpu, 3),
        "objects_per_cpu_s": round(count / (reader_cpu + server_cpu)),
        "pages": first["pages"],
        "added": first["added"],
        "duplicates": first["duplicates"],
        "new_versions": first["new_versions"],
        "rejected": len(first["rejected"]),
        "second_sync": {
            "wall_seconds": round(second_wall, 3),
            "sync_seconds": second["seconds"],
            "pages": second["pages"],
            "objects_pulled": _pulled(second),
            "added": second["added"],
        },
    }
    # Both in a running process, so the ratio is what verifying and applying add to reading.
    baseline["sync_seconds_over_plain_read_seconds"] = round(
        first["seconds"] / baseline["seconds"], 2
    )
    return figures, baseline, tampering


def check_tampering(base_url: str, token: str, card: Path, source_org: str) -> dict[str, Any]:
    """Screen A's first page as a reader holding A's key: intact, one object and one proof
    element altered. The sync's own screen (``federation.inbound.screen``) decides."""
    from entente.errors import SignatureError
    from entente.federation import (
        EXTENSION_ID,
        decode_base64url,
        encode_base64url,
        parse_card,
        parse_public_key,
    )
    from entente.federation.inbound import InboundContext, screen
    from entente.services.taxii import collection_uuid
    from entente.stix import parse_object
    from entente.taxii.client import TaxiiClient

    with TaxiiClient(base_url + "/taxii2/", auth=token, timeout=300) as client:
        pages = client.object_pages(base_url + "/taxii2/api/", str(collection_uuid("All objects")))
        items = [item for item in next(iter(pages)).items if isinstance(item, dict)]
    key = parse_public_key(parse_card(orjson.loads(card.read_bytes())).public_key)
    context = InboundContext(
        node_org="identity--00000000-0000-4000-8000-000000000000",
        sender_org=source_org,
        keys={source_org: key},
    )

    def rejection(obj: dict[str, Any]) -> str | None:
        try:
            screen(parse_object(obj), [], context)
        except SignatureError as exc:
            return str(exc)
        return None

    signed = [item for item in items if EXTENSION_ID in item.get("extensions", {})]
    start = time.perf_counter()
    refused = sum(rejection(item) is not None for item in signed)
    seconds = time.perf_counter() - start
    altered = copy.deepcopy(signed[0])
    altered["name"] = "altered on the way"
    proof = copy.deepcopy(signed[1])
    batch = proof["extensions"][EXTENSION_ID]["batch"]
    path = decode_base64url(batch["audit_path"]) or b""
    batch["audit_path"] = encode_base64url(path[:-32] + bytes(32))  # the last hash zeroed
    object_reason, proof_reason = rejection(altered), rejection(proof)
    log(f"  tampering: object -> {object_reason}; proof -> {proof_reason}")
    return {
        "page_objects": len(signed),
        "intact_refused": refused,
        "page_screen_seconds": round(seconds, 4),
        "batch_roots_verified": len(context.roots),
        "tampered_object_rejected": object_reason is not None,
        "tampered_object_reason": object_reason,
        "tampered_proof_rejected": proof_reason is not None,
        "tampered_proof_reason": proof_reason,
    }


# -- propagation along a chain -----------------------------------------------------------------


def _date_added_s(response: httpx.Response) -> float | None:
    """The ``X-TAXII-Date-Added-First`` of an objects response (TAXII 2.1 §3.6.1), epoch s."""
    stamp = response.headers.get("X-TAXII-Date-Added-First")
    return None if stamp is None else datetime.fromisoformat(stamp).timestamp()


def _appears(
    http: httpx.Client, url: str, object_id: str, deadline: float
) -> tuple[float, float | None] | None:
    """Poll for ``object_id`` every ``POLL_S`` until ``deadline`` (monotonic).

    When it appeared (monotonic) and when the node stored it (its date_added, epoch seconds),
    or None if it did not appear in time.
    """
    for _ in range(int(PROBE_TIMEOUT_S / POLL_S) + 1):
        response = http.get(url, params={"match[id]": object_id})
        if response.status_code == 200 and orjson.loads(response.content).get("objects"):
            return time.monotonic(), _date_added_s(response)
        if response.status_code not in (200, 404):
            raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:300]}")
        if time.monotonic() > deadline:
            return None
        time.sleep(POLL_S)
    return None


def _summary(sorted_values: list[float]) -> dict[str, float]:
    """p50, p99, min and max of sorted samples, in seconds."""
    return {
        "p50_s": round(nearest_rank(sorted_values, 0.5), 3),
        "p99_s": round(nearest_rank(sorted_values, 0.99), 3),
        "min_s": round(sorted_values[0], 3),
        "max_s": round(sorted_values[-1], 3),
    }


def _partner_states(nodes: LocalNodes) -> list[dict[str, Any]]:
    """Each node's partners as ``partner list`` shows them: for a timeout's diagnosis."""
    return [
        {"node": node.org, "partners": node.cli_json("partner", "list")["partners"]}
        for node in nodes
    ]


def bench_propagation(root: Path, length: int, samples: int) -> dict[str, Any]:
    """Ingest on the chain's first node; time until the last node's TAXII API shows it."""
    from entente.services.taxii import collection_uuid
    from entente.services.tokens import org_identity_id

    orgs = [f"Bench Chain {k}" for k in range(1, length + 1)]
    with LocalNodes(root, orgs, sync_interval=CHAIN_INTERVAL_S) as nodes:
        chain = nodes.nodes
        agreement = {
            "id": "bench-chain",
            "name": "Benchmark: propagation along a chain",
            "parties": orgs,
            "max_tlp": "green",
            # Coalition: what N2 received from N1 it may pass on to N3, and so on.
            "onward_sharing": "coalition",
        }
        in_parallel(lambda node: init_under(node, agreement), chain)
        # Each node pulls from its predecessor only: a real chain, not a mesh (agree() pairs all).
        make_partners(list(zip(chain[1:], chain, strict=False)))
        first, last = chain[0], chain[-1]
        tokens = in_parallel(
            lambda node: node.cli_json("token", "create", "--org", node.org, "--role", "reader"),
            [first, last],
        )
        path = f"/taxii2/api/collections/{collection_uuid('All objects')}/objects/"
        creator = org_identity_id(first.org)
        rng = random.Random(11)
        latencies: list[float] = []
        store_to_store: list[float] = []
        timeouts = 0
        warmup: float | None = None
        log(f"propagation: {length} nodes, sync every {CHAIN_INTERVAL_S:g} s, {samples} probes")
        # Started together; ``LocalNodes.__exit__`` stops every one of them.
        in_parallel(LocalNode.start, chain)
        with (
            httpx.Client(headers=_reader_headers(tokens[0]), timeout=10) as at_first,
            httpx.Client(headers=_reader_headers(tokens[1]), timeout=10) as at_last,
        ):
            # Probe 0 is a warm-up (first syncs, first connections) and is not counted.
            for probe in range(samples + 1):
                # A random offset, so that probes land at every phase of the sync timers.
                time.sleep(rng.uniform(0, CHAIN_INTERVAL_S))
                indicator = org_indicator(rng, probe, creator)
                report = first.ingest([indicator], name=f"probe-{probe}.json")
                ingested = time.monotonic()
                if report.get("added") != 1:
                    raise RuntimeError(f"probe {probe}: ingest on {first.org} said {report}")
                seen = _appears(
                    at_last, last.base_url + path, indicator["id"], ingested + PROBE_TIMEOUT_S
                )
                if seen is None:
                    log(f"  probe {probe}: timeout")
                    if probe > 0:
                        timeouts += 1
                    log(json.dumps(_partner_states(nodes)))
                    continue
                latency = seen[0] - ingested
                # The same indicator as N1 stored it: both date_added are this machine's clock.
                stored = _appears(at_first, first.base_url + path, indicator["id"], 0.0)
                hops_s = None
                if stored is not None and stored[1] is not None and seen[1] is not None:
                    hops_s = seen[1] - stored[1]
                between = "?" if hops_s is None else f"{hops_s:.2f}"
                log(f"  probe {probe}: {latency:.2f} s (stored to stored: {between} s)")
                if probe == 0:
                    warmup = latency
                    continue
                latencies.append(latency)
                if hops_s is not None:
                    store_to_store.append(hops_s)
    latencies.sort()
    store_to_store.sort()
    figures: dict[str, Any] = {
        "nodes": length,
        "hops": length - 1,
        "sync_interval_s": CHAIN_INTERVAL_S,
        "poll_s": POLL_S,
        "probes": samples,
        "timeouts": timeouts,
        "warmup_s": None if warmup is None else round(warmup, 3),
    }
    if latencies:
        # From the ingest command's return on N1 to N5's TAXII API answering with it.
        figures.update(_summary(latencies))
        figures["latencies_s"] = [round(value, 3) for value in latencies]
    if store_to_store:
        # From N1's date_added to N5's: free of process exit and of the 50 ms polling.
        figures["stored_to_stored"] = _summary(store_to_store)
    return figures


def _reader_headers(token: dict[str, Any]) -> dict[str, str]:
    return {"Accept": TAXII_MEDIA_TYPE, "Authorization": f"Bearer {token['secret']}"}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 objects and 5 probes")
    parser.add_argument("--objects", type=int, help="objects for the initial sync (100,000)")
    parser.add_argument("--nodes", type=int, help="nodes in the chain (5)")
    parser.add_argument("--probes", type=int, help="indicators sent along the chain (20)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker_preload(Path(args.worker[1]), int(args.worker[2]))))
        return

    count = args.objects or (10_000 if args.quick else 100_000)
    length = args.nodes or 5
    probes = args.probes or (5 if args.quick else 20)
    if length < 2:
        parser.error("--nodes: a chain needs at least 2 nodes")
    work = Path(tempfile.mkdtemp(prefix="entente-bench-federation-"))
    cache_bytecode(work)
    try:
        initial, baseline, tampering = bench_initial_sync(
            work / "batched", count, signed_batches=True
        )
        per_object, _, _ = bench_initial_sync(work / "per-object", count, signed_batches=False)
        propagation = bench_propagation(work / "chain", length, probes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    hops = length - 1
    targets = {
        "initial_sync_objects_per_s": 20_000,
        # The issue's bound: hops x interval + 1 s (4 hops at 1 s: 5 s).
        "propagation_p99_s": hops * CHAIN_INTERVAL_S + 1.0,
        "propagation_timeouts": 0,
    }
    # Both ways of timing a probe must meet the bound: the larger p99 decides.
    p99s = [propagation.get("p99_s"), propagation.get("stored_to_stored", {}).get("p99_s")]
    p99 = max((value for value in p99s if value is not None), default=None)
    per_object["baseline"] = PER_OBJECT
    per_object["batched_over_per_object_objects_per_s"] = round(
        initial["objects_per_s"] / per_object["objects_per_s"], 2
    )
    per_object["batched_over_per_object_objects_per_cpu_s"] = round(
        initial["objects_per_cpu_s"] / per_object["objects_per_cpu_s"], 2
    )
    assert tampering is not None
    figures: dict[str, Any] = {
        "initial_sync": initial,
        "initial_sync_per_object": per_object,
        "tampering": tampering,
        "propagation": propagation,
        "baseline": baseline,
        "targets": targets,
        "met": {
            "initial_sync_objects_per_s": initial["objects_per_s"]
            >= targets["initial_sync_objects_per_s"],
            "initial_sync_objects_per_s_in_sync": (initial["objects_per_s_in_sync"] or 0)
            >= targets["initial_sync_objects_per_s"],
            "propagation_p99_s": p99 is not None and p99 <= targets["propagation_p99_s"],
            "propagation_timeouts": propagation["timeouts"] == 0,
            "tampering_rejected": bool(
                tampering["tampered_object_rejected"]
                and tampering["tampered_proof_rejected"]
                and tampering["intact_refused"] == 0
            ),
        },
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
