"""Benchmark: what one object of a signed batch costs the node that serves it and the one
that receives it (ADR 0025), in-process, CPU only.

* **sender**: a page of this org's own objects with their kept signatures attached, as
  ``NodeSigner.sign_own`` does for every partner read: ``attach_extension`` (the kept
  extension appended to the stored bytes) and the ``StoredVersion`` rebuilt; against its
  reference twin and the previous path, ``with_extension`` (decode, merge, encode) and
  ``dataclasses.replace``.
* **receiver**: verifying every object of a batch in leaf order with one ``VerifiedRoots``,
  as a sync does: the leaf's canonical JSON and hash, its audit path to the root through the
  run's ``PathMemo``, the root's signature once; against the same with every path walked in
  full (``root_from_inclusion_proof``, the memo's reference twin), and against one Ed25519
  verification per object (per-object signatures, the issue's baseline).

Each figure is the best of ``--repeat`` passes over the same objects (the least disturbed by
whatever else the machine runs), in µs per object; the ratios compare figures of the same run.
The last line is one JSON object.

    python bench/signed_batches.py                 # 10,000 objects, one batch, 5 passes
    python bench/signed_batches.py --quick         # 2,000 objects, 3 passes
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, cast

import orjson

from entente.federation import (
    EXTENSION_ID,
    NodeKey,
    VerifiedRoots,
    generate_key,
    sign_batch,
    sign_object,
    verify_object,
)
from entente.federation.merkle import PathMemo, root_from_inclusion_proof
from entente.services.node_signer import attach_extension, with_extension
from entente.store import Provenance, SourceKind, StoredVersion
from workloads import make_indicator

SIGNER = "identity--1d96702c-5f3f-57c7-a12e-7f3ee3f1de56"


class _FullWalk:
    """The memo's reference twin in its place: every audit path walked from leaf to root."""

    def root(
        self, leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes]
    ) -> bytes | None:
        return root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, path)


def _best_us(run: Callable[[], None], count: int, repeat: int) -> float:
    """The fastest of ``repeat`` passes of ``run`` (over ``count`` objects), per object."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return round(best / count * 1e6, 2)


def _stored(obj: dict[str, Any], index: int) -> StoredVersion:
    return StoredVersion(
        id=obj["id"],
        type=obj["type"],
        spec_version="2.1",
        version=obj["modified"],
        created=obj["created"],
        modified=obj["modified"],
        created_by_ref=SIGNER,
        revoked=False,
        marking_refs=(),
        raw_json=orjson.dumps(obj),
        date_added_us=index,
        provenance=Provenance(SourceKind.FILE, "bench", "bench"),
    )


def bench_sender(objects: list[dict[str, Any]], signed: list[dict[str, Any]], repeat: int) -> Any:
    """Attaching each kept extension to its stored version: spliced, and the reference."""
    versions = [_stored(obj, i) for i, obj in enumerate(objects)]
    kept = [orjson.dumps(obj["extensions"][EXTENSION_ID]).decode() for obj in signed]
    pairs = list(zip(versions, kept, strict=True))
    spliced = [v.with_raw_json(attach_extension(v.raw_json, text)) for v, text in pairs]
    decoded = [replace(v, raw_json=with_extension(v.raw_json, orjson.loads(t))) for v, t in pairs]
    # Both give the object a partner verifies: the same JSON value.
    if [orjson.loads(v.raw_json) for v in spliced] != [orjson.loads(v.raw_json) for v in decoded]:
        raise SystemExit("attach_extension and with_extension disagree")

    def splice() -> None:
        for version, text in pairs:
            version.with_raw_json(attach_extension(version.raw_json, text))

    def reference() -> None:
        for version, text in pairs:
            replace(version, raw_json=with_extension(version.raw_json, orjson.loads(text)))

    ours = _best_us(splice, len(pairs), repeat)
    base = _best_us(reference, len(pairs), repeat)
    return {
        "attach_extension_us": ours,
        "with_extension_and_replace_us": base,
        "speed_up": round(base / ours, 2),
    }


def bench_receiver(
    objects: list[dict[str, Any]], signed: list[dict[str, Any]], key: NodeKey, repeat: int
) -> Any:
    """Verifying a batch in leaf order: with the path memo, walking every path, and per
    object Ed25519 signatures."""
    public = key.public_key
    singles = [sign_object(obj, signer=SIGNER, key=key) for obj in objects]

    def memo() -> None:
        roots = VerifiedRoots()
        for obj in signed:
            verify_object(obj, public, roots)

    def full_walk() -> None:
        roots = VerifiedRoots()
        roots.paths = cast("PathMemo", _FullWalk())
        for obj in signed:
            verify_object(obj, public, roots)

    def per_object() -> None:
        for obj in singles:
            verify_object(obj, public)

    with_memo = _best_us(memo, len(signed), repeat)
    walked = _best_us(full_walk, len(signed), repeat)
    ed25519 = _best_us(per_object, len(singles), repeat)
    return {
        "batch_with_memo_us": with_memo,
        "batch_full_walk_us": walked,
        "per_object_ed25519_us": ed25519,
        "memo_over_full_walk": round(walked / with_memo, 2),
        "memo_over_per_object": round(ed25519 / with_memo, 2),
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 objects, 3 passes")
    parser.add_argument("--objects", type=int, help="objects in the batch (10,000)")
    parser.add_argument("--repeat", type=int, help="passes of each measurement (5)")
    args = parser.parse_args()
    count = args.objects or (2_000 if args.quick else 10_000)
    repeat = args.repeat or (3 if args.quick else 5)
    rng = random.Random(7)
    objects = [{**make_indicator(rng, i), "created_by_ref": SIGNER} for i in range(count)]
    key = generate_key()
    signed = sign_batch(objects, signer=SIGNER, key=key, batch_id="bench-batch")
    sender = bench_sender(objects, signed, repeat)
    print(
        f"sender, per object: attach_extension {sender['attach_extension_us']} µs, "
        f"with_extension + replace {sender['with_extension_and_replace_us']} µs "
        f"({sender['speed_up']}x)"
    )
    receiver = bench_receiver(objects, signed, key, repeat)
    print(
        f"receiver, per object: batch with path memo {receiver['batch_with_memo_us']} µs, "
        f"every path walked {receiver['batch_full_walk_us']} µs "
        f"({receiver['memo_over_full_walk']}x), per-object Ed25519 "
        f"{receiver['per_object_ed25519_us']} µs ({receiver['memo_over_per_object']}x)"
    )
    print(json.dumps({"objects": count, "repeat": repeat, "sender": sender, "receiver": receiver}))


if __name__ == "__main__":
    main()
