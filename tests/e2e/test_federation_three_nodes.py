"""Three real node processes on loopback share under agreements; each holds exactly what they allow.

A = US CERT, B = IL CERT, C = Power Utility.
* A-B: up to AMBER+STRICT, sightings anonymised, incidents' ``x_victim_name`` redacted, onward
  sharing to the utility (named);
* B-C: up to AMBER+STRICT, no onward sharing;
* A-C: GREEN only.
Each node creates the sample intel (one object per TLP level, an incident naming a victim, a
sighting naming who saw it). B also injects three bad objects aimed at C: one claiming to be
created by A (spoofed creator), a copy of A's signed indicator altered after signing
(tampered), and a later version of a third party's indicator that widens its marking.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from entente.bootstrap import open_node
from entente.cli.local_nodes import LocalNode, LocalNodes
from entente.config import load_settings
from entente.federation import EXTENSION_ID
from entente.ingest import Candidate
from entente.services import IngestService
from entente.services.sample_intel import sample_intel
from entente.services.tokens import org_identity_id
from entente.stix import Tlp, deterministic_id, marking_id_for
from entente.store import Provenance, SourceKind

pytestmark = pytest.mark.integration

A, B, C = "US CERT", "IL CERT", "Power Utility"
CREATED = "2026-11-01T00:00:00.000Z"
THIRD_PARTY = deterministic_id("identity", "test", "a third-party feed")
WIDENED_ID = deterministic_id("indicator", "test", "widened")

AGREEMENTS: list[dict[str, Any]] = [
    {
        "id": "us-il",
        "name": "US CERT and IL CERT",
        "parties": [A, B],
        "max_tlp": "amber+strict",
        "onward_sharing": {"named": [C]},
        "redact": {"incident": ["x_victim_name"]},
        "sightings": "anonymised",
    },
    {
        "id": "il-utility",
        "name": "IL CERT and the utility",
        "parties": [B, C],
        "max_tlp": "amber+strict",
        "onward_sharing": "none",
    },
    {
        "id": "us-utility",
        "name": "US CERT and the utility",
        "parties": [A, C],
        "max_tlp": "green",
        "onward_sharing": "none",
    },
]


def _by_name(org: str) -> dict[str, dict[str, Any]]:
    """The sample intel of ``org`` keyed by a short label."""
    labels = [
        "identity",
        "clear",
        "green",
        "malware",
        "amber",
        "amber+strict",
        "red",
        "incident",
        "sighting",
    ]
    # Ids derive from the org and the label, not from the octet.
    return dict(zip(labels, sample_intel(org, octet=1, created=CREATED), strict=True))


def _third_party_indicator(level: Tlp, modified: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": WIDENED_ID,
        "created": CREATED,
        "modified": modified,
        "created_by_ref": THIRD_PARTY,
        "name": "relayed third-party indicator",
        "pattern": "[ipv4-addr:value = '192.0.2.77']",
        "pattern_type": "stix",
        "valid_from": CREATED,
        "object_marking_refs": [marking_id_for(level)],
    }


def _held(node: LocalNode) -> dict[str, dict[str, Any]]:
    """The latest version of everything ``node`` holds, by id."""
    return {entry["id"]: entry for entry in node.objects()}


def _compromised_ingest(node: LocalNode, objects: list[dict[str, Any]]) -> None:
    """Store ``objects`` in ``node`` bypassing its ownership rules, as a compromised node can."""
    with open_node(load_settings(node.env())) as opened:
        service = IngestService(opened.store, opened.clock, principal="local:attacker")
        candidates = [Candidate("bad.json", str(i), obj) for i, obj in enumerate(objects)]
        summary = service.ingest_candidates(
            candidates, Provenance(SourceKind.FILE, "bad.json", "local:attacker"), source="bad"
        )
        assert summary.rejected == []


def _sync_round(nodes: LocalNodes) -> list[Any]:
    return [node.sync() for node in nodes]


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("federation")
    with LocalNodes(root, [A, B, C]) as nodes:
        for node in nodes:
            node.init()
        for agreement in AGREEMENTS:
            nodes.agree(agreement)
        for octet, node in enumerate(nodes, start=1):
            report = node.ingest(sample_intel(node.org, octet=octet, created=CREATED))
            assert report["rejected"] == []
        with nodes.serving():
            # B gets A's intel first: the tampered copy is made from what B received, signed.
            nodes[B].sync()
            from_a = _held(nodes[B])[_by_name(A)["green"]["id"]]["object"]
            assert EXTENSION_ID in from_a["extensions"]
            tampered = copy.deepcopy(from_a)
            tampered["id"] = deterministic_id("indicator", "test", "tampered")
            spoofed = {
                **_by_name(A)["green"],
                "id": deterministic_id("indicator", "test", "spoofed"),
                "name": "US CERT says so (it did not)",
            }
            # B's own operator may not store them: A is a partner of B, and B holds no valid
            # signature of A on either (the ownership rules).
            refused = nodes[B].ingest([tampered, spoofed], "bad.json")
            assert {r["id"] for r in refused["rejected"]} == {tampered["id"], spoofed["id"]}
            # A compromised B writes them into its store all the same; C must refuse them.
            _compromised_ingest(nodes[B], [tampered, spoofed])
            nodes[B].ingest([_third_party_indicator(Tlp.GREEN, CREATED)], "third-party.json")
            first = _sync_round(nodes)
            # The widening version arrives at B after C already holds the GREEN one.
            nodes[B].ingest(
                [_third_party_indicator(Tlp.CLEAR, "2026-11-02T00:00:00.000Z")], "widen.json"
            )
            rounds = [first, _sync_round(nodes), _sync_round(nodes)]
            held = {node.org: _held(node) for node in nodes}
        yield {"held": held, "rounds": rounds, "tampered": tampered["id"], "spoofed": spoofed["id"]}


def _ids(org: str, *labels: str) -> set[str]:
    intel = _by_name(org)
    return {intel[label]["id"] for label in labels}


def _received_from(held: dict[str, dict[str, Any]], org: str) -> set[str]:
    creator = org_identity_id(org)
    return {
        oid
        for oid, entry in held.items()
        if entry["object"].get("created_by_ref") == creator
        or (oid.startswith("sighting--") and oid in _ids(org, "sighting"))
    }


def test_a_holds_exactly_what_b_and_c_may_send_it(federation: dict[str, Any]) -> None:
    held = federation["held"]["US CERT"]
    everything_but_red = ("identity", "clear", "green", "malware", "amber", "amber+strict")
    assert _received_from(held, B) == _ids(B, *everything_but_red, "incident", "sighting")
    # A-C is GREEN only: the utility's AMBER and above never reach A.
    assert _received_from(held, C) == _ids(C, "identity", "clear", "green", "malware")


def test_c_holds_what_b_relays_under_onward_sharing_but_never_amber_strict_or_red(
    federation: dict[str, Any],
) -> None:
    held = federation["held"]["Power Utility"]
    # From A directly (GREEN) and relayed by B (A-B allows onward sharing to C, B-C allows
    # AMBER); A's AMBER+STRICT is never re-shared and A's RED never leaves A.
    assert _received_from(held, A) == _ids(
        A, "identity", "clear", "green", "malware", "amber", "incident", "sighting"
    )
    everything_but_red = ("identity", "clear", "green", "malware", "amber", "amber+strict")
    assert _received_from(held, B) == _ids(B, *everything_but_red, "incident", "sighting")


def test_red_never_leaves_its_node(federation: dict[str, Any]) -> None:
    for org, held in federation["held"].items():
        for other in (A, B, C):
            if other != org:
                assert not _ids(other, "red") & held.keys()


def test_redacted_properties_are_absent_and_copies_name_their_original(
    federation: dict[str, Any],
) -> None:
    at_b = federation["held"]["IL CERT"][_by_name(A)["incident"]["id"]]["object"]
    assert "x_victim_name" not in at_b
    signature = at_b["extensions"][EXTENSION_ID]
    assert signature["signer"] == org_identity_id(A)
    assert signature["derived_from"]["id"] == at_b["id"]
    # B-C has no redaction, but what B passes on is what B holds: still redacted.
    at_c = federation["held"]["Power Utility"][_by_name(A)["incident"]["id"]]["object"]
    assert "x_victim_name" not in at_c
    # B's own incident reaches C whole.
    assert (
        "x_victim_name"
        in federation["held"]["Power Utility"][_by_name(B)["incident"]["id"]]["object"]
    )


def test_sightings_are_anonymised_where_agreed(federation: dict[str, Any]) -> None:
    at_b = federation["held"]["IL CERT"][_by_name(A)["sighting"]["id"]]["object"]
    assert "where_sighted_refs" not in at_b
    assert "created_by_ref" not in at_b
    # B-C keeps sightings named: the utility's sighting reaches B as it was made.
    at_b_from_c = federation["held"]["IL CERT"][_by_name(C)["sighting"]["id"]]["object"]
    assert at_b_from_c["where_sighted_refs"] == [org_identity_id(C)]


def _rejections(federation: dict[str, Any], org: str) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for rounds in federation["rounds"]:
        for report in rounds[[A, B, C].index(org)]["partners"]:
            for rejected in report["rejected"]:
                reasons[rejected["id"]] = rejected["reason"]
    return reasons


def test_a_spoofed_creator_is_rejected_with_a_reason(federation: dict[str, Any]) -> None:
    reasons = _rejections(federation, C)
    assert "may not speak for" in reasons[federation["spoofed"]]
    assert federation["spoofed"] not in federation["held"]["Power Utility"]


def test_a_tampered_object_is_rejected_with_a_reason(federation: dict[str, Any]) -> None:
    reasons = _rejections(federation, C)
    assert "does not verify" in reasons[federation["tampered"]]
    assert federation["tampered"] not in federation["held"]["Power Utility"]


def test_a_marking_widening_version_is_rejected_with_a_reason(federation: dict[str, Any]) -> None:
    reasons = _rejections(federation, C)
    assert "widened" in reasons[WIDENED_ID]
    held = federation["held"]["Power Utility"][WIDENED_ID]
    assert held["object"]["object_marking_refs"] == [marking_id_for(Tlp.GREEN)]


def test_sync_converges_and_a_round_after_that_adds_nothing(federation: dict[str, Any]) -> None:
    last = federation["rounds"][-1]
    for node_report in last:
        for report in node_report["partners"]:
            assert report["error"] is None
            assert report["added"] == 0
            assert report["new_versions"] == 0
