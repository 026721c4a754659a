"""Signed batches between three real node processes on loopback (ADR 0025).

A = creator, B = relay, C = third node. A signs its indicators once, when it ingests them, as
one signed batch; B pulls them from A, C pulls them from B and verifies them against A's key
with A's own proofs. A compromised B also hands C an object altered after signing, an object
whose audit path was altered, and an object of A's signed the old way (one signature per
object): the first two are rejected with their reasons, the third accepted.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from entente.bootstrap import node_signer, open_node
from entente.cli.local_nodes import LocalNode, LocalNodes
from entente.config import load_settings
from entente.federation import EXTENSION_ID, decode_base64url, encode_base64url, sign_object
from entente.ingest import Candidate
from entente.services import IngestService
from entente.services.tokens import org_identity_id
from entente.stix import Tlp, deterministic_id, marking_id_for
from entente.store import ObjectQuery, Provenance, SourceKind

pytestmark = pytest.mark.integration

A, B, C = "Creator CERT", "Relay CERT", "Third CERT"
CREATED = "2026-11-01T00:00:00.000Z"
COUNT = 24
GREEN = marking_id_for(Tlp.GREEN)

AGREEMENTS: list[dict[str, Any]] = [
    {
        "id": "a-b",
        "name": "creator and relay",
        "parties": [A, B],
        "max_tlp": "green",
        "object_types": ["indicator"],
        "onward_sharing": {"named": [C]},
    },
    {
        "id": "b-c",
        "name": "relay and third",
        "parties": [B, C],
        "max_tlp": "green",
        "onward_sharing": "none",
    },
    # C holds A's key (they are partners) but nothing of A's GREEN flows to C directly.
    {
        "id": "a-c",
        "name": "creator and third",
        "parties": [A, C],
        "max_tlp": "clear",
        "onward_sharing": "none",
    },
]


def _indicator(label: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": deterministic_id("indicator", "test", "batches", label),
        "created": CREATED,
        "modified": CREATED,
        "created_by_ref": org_identity_id(A),
        "name": f"indicator {label}",
        "pattern": f"[domain-name:value = '{label}.example.org']",
        "pattern_type": "stix",
        "valid_from": CREATED,
        "object_marking_refs": [GREEN],
    }


def _malware() -> dict[str, Any]:
    """An object of A's that the A-B agreement (indicators only) never lets reach B."""
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": deterministic_id("malware", "test", "batches"),
        "created": CREATED,
        "modified": CREATED,
        "created_by_ref": org_identity_id(A),
        "name": "kept at A",
        "is_family": True,
        "object_marking_refs": [GREEN],
    }


def _held(node: LocalNode) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in node.objects()}


def _ours(obj: dict[str, Any]) -> dict[str, Any]:
    extension: dict[str, Any] = obj["extensions"][EXTENSION_ID]
    return extension


def _compromised_ingest(node: LocalNode, objects: list[dict[str, Any]]) -> None:
    """Store ``objects`` in ``node`` bypassing its ownership rules, as a compromised node can."""
    with open_node(load_settings(node.env())) as opened:
        service = IngestService(opened.store, opened.clock, principal="local:attacker")
        candidates = [Candidate("bad.json", str(i), obj) for i, obj in enumerate(objects)]
        summary = service.ingest_candidates(
            candidates, Provenance(SourceKind.FILE, "bad.json", "local:attacker"), source="bad"
        )
        assert summary.rejected == []


def _as_partners_get(node: LocalNode, object_id: str) -> dict[str, Any]:
    """What A serves of one of its objects: the stored object with the signature it kept."""
    with open_node(load_settings(node.env())) as opened:
        [version] = opened.store.query(ObjectQuery(ids=(object_id,))).items
        [signed] = node_signer(opened).sign_own([version])
        return signed.to_json()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("batches")
    with LocalNodes(root, [A, B, C]) as nodes:
        for node in nodes:
            node.init()
        for agreement in AGREEMENTS:
            nodes.agree(agreement)
        indicators = [_indicator(f"i{n}") for n in range(COUNT)]
        report = nodes[A].ingest([*indicators, _malware()])
        assert report["added"] == COUNT + 1
        with open_node(load_settings(nodes[A].env())) as opened:
            stored = opened.store.iter_all(ObjectQuery(types=("indicator",), limit=1000))
            found = opened.signatures.get([(v.id, v.version) for v in stored])
            kept = {object_id: signature for (object_id, _), signature in found.items()}
            key = opened.key
        # The old form: one of A's objects signed per object (by an older A), relayed by B.
        legacy = sign_object(_indicator("legacy"), signer=org_identity_id(A), key=key)
        with nodes.serving():
            first_b = nodes[B].sync()
            at_b = _held(nodes[B])
            forwarded = at_b[indicators[0]["id"]]["object"]
            altered = copy.deepcopy(forwarded)
            altered["id"] = deterministic_id("indicator", "test", "batches", "altered")
            altered["name"] = "altered after signing"
            proof = _as_partners_get(nodes[A], _malware()["id"])
            path = decode_base64url(_ours(proof)["batch"]["audit_path"]) or b""
            _ours(proof)["batch"]["audit_path"] = encode_base64url(bytes(32) + path[32:])
            _compromised_ingest(nodes[B], [altered, proof, legacy])
            first_c = nodes[C].sync()
            at_c = _held(nodes[C])
    yield {
        "indicators": indicators,
        "kept": kept,
        "first_b": first_b,
        "first_c": first_c,
        "at_b": at_b,
        "at_c": at_c,
        "altered": altered["id"],
        "proof": proof["id"],
        "legacy": legacy["id"],
    }


def _rejections(report: dict[str, Any]) -> dict[str, str]:
    return {
        item["id"]: item["reason"] for outcome in report["partners"] for item in outcome["rejected"]
    }


def test_the_creator_signs_its_objects_once_when_it_ingests_them(run: dict[str, Any]) -> None:
    kept = run["kept"]
    assert len(kept) == COUNT
    batches = {orjson.loads(s.extension)["batch"]["id"] for s in kept.values()}
    assert len(batches) == 1  # one ingest call: one signed batch


def test_the_partner_gets_the_kept_signature_not_a_new_one(run: dict[str, Any]) -> None:
    for obj in run["indicators"]:
        received = run["at_b"][obj["id"]]["object"]
        kept = run["kept"][obj["id"]]
        assert _ours(received) == orjson.loads(kept.extension)
        assert "signature" not in _ours(received)
        assert _ours(received)["signer"] == org_identity_id(A)


def test_the_third_node_holds_the_creators_proofs_untouched(run: dict[str, Any]) -> None:
    for obj in run["indicators"]:
        at_c = run["at_c"][obj["id"]]
        assert _ours(at_c["object"]) == _ours(run["at_b"][obj["id"]]["object"])
        assert at_c["object"]["created_by_ref"] == org_identity_id(A)


def test_an_object_altered_after_signing_is_rejected_with_its_reason(run: dict[str, Any]) -> None:
    reasons = _rejections(run["first_c"])
    assert "does not verify" in reasons[run["altered"]]
    assert "batch.root_signature" in reasons[run["altered"]]
    assert run["altered"] not in run["at_c"]


def test_an_altered_audit_path_is_rejected_and_the_rest_of_the_page_stored(
    run: dict[str, Any],
) -> None:
    reasons = _rejections(run["first_c"])
    assert "does not verify" in reasons[run["proof"]]
    assert run["proof"] not in run["at_c"]
    assert set(reasons) == {run["altered"], run["proof"]}
    assert {o["id"] for o in run["indicators"]} <= set(run["at_c"])


def test_an_object_signed_the_old_way_is_still_accepted(run: dict[str, Any]) -> None:
    legacy = run["at_c"][run["legacy"]]["object"]
    assert "signature" in _ours(legacy) and "batch" not in _ours(legacy)
