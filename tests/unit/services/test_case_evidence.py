"""A case's attribution, hypotheses and evidence package over a node holding the real ATT&CK
for ICS release: stored through the write path, read through the policy as the recipient,
custody recorded in the signed log and carried into a package that verifies (real OpenSSL
TSA on loopback)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.factories import CLEAR, GREEN, ident, stix
from tests.unit.evidence.local_tsa import LocalTsa
from tests.unit.evidence.validated import verified

from entente.bootstrap import (
    Node,
    audit_log,
    case_evidence,
    cases,
    federation,
    open_node,
    operator_ingest,
)
from entente.cases import CaseType, Resolution
from entente.clock import SystemClock
from entente.config import Settings
from entente.errors import ConfigurationError, InvalidInput, ObjectNotFound, PermissionDenied
from entente.evidence import layout
from entente.evidence.case_validation import run_case_validate
from entente.evidence.tarball import read_tar, write_tar
from entente.evidence.tsa_client import HttpTimestamper
from entente.evidence.verify import Report
from entente.federation.keys import generate_key
from entente.ingest import InputFormat, open_document
from entente.services import node_org_id
from entente.services.case_evidence import TsaConfig
from entente.sharing import Principal, Role
from entente.stix import Tlp, marking_id_for

ICS = Path(__file__).parents[2] / "data" / "corpus" / "mitre-attack" / "ics-attack.json"
SANDWORM = "intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192"
CREW = ident(2, "intrusion-set")
INDICATOR, SIGHTING, SECRET = ident(3, "indicator"), ident(4, "sighting"), ident(5, "note")
POLICE = "National Police"


def _ingest(node: Node, path: Path) -> None:
    document = open_document(
        str(path), fmt=InputFormat.AUTO, source_name=None, now="2026-12-05T00:00:00Z", markings=()
    )
    summary = operator_ingest(node, "operator").ingest_document(document, snapshot=False)
    assert not summary.rejected, summary.rejected


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("case-evidence")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'node.db'}")
    with open_node(settings, SystemClock()) as opened:
        _ingest(opened, ICS)
        objects = [
            stix("intrusion-set", 2, CLEAR, name="Turbine crew"),
            stix(
                "indicator",
                3,
                GREEN,
                name="C2 domain",
                description="from our confidential source",
                pattern="[domain-name:value = 'c2.example']",
                pattern_type="stix",
                valid_from="2024-01-01T00:00:00Z",
            ),
            stix("sighting", 4, GREEN, sighting_of_ref=INDICATOR, count=3),
            stix("note", 5, marking_id_for(Tlp.AMBER_STRICT),
                 content="SECRET SOURCE", object_refs=[INDICATOR]),
        ]  # fmt: skip
        path = home / "hand-made.json"
        bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001"}
        path.write_text(json.dumps({**bundle, "objects": objects}))
        _ingest(opened, path)
        federation(opened).add_agreement(
            {
                "id": "node-police",
                "name": "Node to the National Police, evidence 2026",
                "parties": [opened.settings.org_name, POLICE],
                "max_tlp": "amber",
                "onward_sharing": "none",
                "redact": {"indicator": ["description"]},
            }
        )
        yield opened


@pytest.fixture(scope="module")
def tsa() -> Iterator[LocalTsa]:
    with LocalTsa() as running:
        yield running


def _analyst(node: Node, role: Role = Role.ANALYST) -> Principal:
    return Principal(
        id="alice", org=node_org_id(node.settings.org_name), role=role, is_individual=True
    )


def _matrix() -> dict[str, Any]:
    return {
        "hypotheses": [CREW, SANDWORM],
        "evidence": [
            {"ref": SIGHTING, "reliability": "B", "credibility": "2",
             "cells": {CREW: "consistent", SANDWORM: "inconsistent"}},
        ],
    }  # fmt: skip


def _sandworm_techniques(node: Node) -> list[str]:
    release = json.loads(ICS.read_text())["objects"]
    return [
        o["target_ref"]
        for o in release
        if o.get("type") == "relationship"
        and o.get("relationship_type") == "uses"
        and o.get("source_ref") == SANDWORM
        and str(o.get("target_ref")).startswith("attack-pattern--")
        and not o.get("revoked")
    ]


@dataclass
class Built:
    case_id: str
    package: bytes
    relationship: dict[str, Any]


@pytest.fixture(scope="module")
def built(node: Node, tsa: LocalTsa) -> Built:
    analyst = _analyst(node)
    service = cases(node)
    case = service.create(analyst, name="Plant outage", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN)
    cid = case.case.id
    service.attach(analyst, cid, [SIGHTING], as_evidence=True, channel="cli")
    service.attach(analyst, cid, [INDICATOR, SECRET, *_sandworm_techniques(node)], channel="cli")
    made = case_evidence(node).attribute(analyst, cid, _matrix(), channel="cli")
    package = case_evidence(node).export(
        analyst,
        cid,
        node_org_id(POLICE),
        recipient_name=POLICE,
        tsa=TsaConfig(HttpTimestamper(tsa.url), tsa.chain_pem),
        channel="cli",
    )
    return Built(cid, package, made.relationship)


def _verify(package: bytes) -> Report:
    return verified(package)


def test_the_attribution_is_stored_through_the_write_path_and_referenced_by_the_case(
    node: Node, built: Built
) -> None:
    rel = built.relationship
    assert rel["relationship_type"] == "attributed-to"
    assert rel["target_ref"] == CREW  # the hypothesis with no inconsistent evidence
    stored = node.store.get_versions(rel["id"], ("all",))
    assert [v.provenance.principal for v in stored] == ["alice"]
    view = cases(node).show(_analyst(node), built.case_id)
    assert rel["id"] in view.shown.case.refs


def test_hypotheses_rank_the_set_whose_techniques_the_case_references_first(
    node: Node, built: Built
) -> None:
    ranking = case_evidence(node).hypotheses(_analyst(node), built.case_id)
    assert ranking.candidates[0].id == SANDWORM


def test_a_case_without_techniques_offers_no_hypotheses(node: Node) -> None:
    analyst = _analyst(node)
    cid = cases(node).create(analyst, name="Empty", case_type=CaseType.INCIDENT).case.id
    with pytest.raises(InvalidInput, match="no ATT&CK technique"):
        case_evidence(node).hypotheses(analyst, cid)


def test_attribution_is_refused_before_anything_is_written(node: Node, built: Built) -> None:
    before = node.store.stats().versions
    reader = _analyst(node, Role.READER)
    with pytest.raises(PermissionDenied):
        case_evidence(node).attribute(reader, built.case_id, _matrix(), channel="cli")
    unknown = _matrix()
    unknown["evidence"][0]["ref"] = ident(99, "sighting")
    with pytest.raises(ObjectNotFound):
        case_evidence(node).attribute(_analyst(node), built.case_id, unknown, channel="cli")
    assert node.store.stats().versions == before


def test_the_package_verifies_and_case_validate_conforms(built: Built) -> None:
    report = _verify(built.package)
    assert report.passed, report.failures
    assert run_case_validate(read_tar(built.package)[layout.CASE]) is None


def test_the_package_holds_only_what_the_police_agreement_allows_redacted(built: Built) -> None:
    files = read_tar(built.package)
    bundle = orjson.loads(files[layout.STIX_BUNDLE])
    by_id = {o["id"]: o for o in bundle["objects"]}
    assert SIGHTING in by_id and INDICATOR in by_id and built.relationship["id"] in by_id
    assert SECRET not in by_id  # TLP:AMBER+STRICT stays in the node's org
    assert "description" not in by_id[INDICATOR]  # redacted as agreed
    assert b"SECRET SOURCE" not in built.package
    assert b"confidential source" not in built.package
    # The attached sighting is exhibit E-1, its released copy an artifact.
    assert f"{layout.ARTIFACTS}E-1-{SIGHTING}.json" in files


def test_custody_events_are_in_the_signed_log_and_in_the_package(node: Node, built: Built) -> None:
    log = audit_log(node)
    assert log.verify(f"case:{built.case_id}").failure is None
    entries = log.custody_entries(built.case_id)
    # Two attachments, the attribution's relationship, then the export (it ends the package).
    assert [e.action for e in entries[:4]] == ["acquired", "acquired", "acquired", "exported"]
    assert entries[3].agreements == ("node-police",)
    lines = [orjson.loads(line) for line in read_tar(built.package)[layout.CUSTODY].splitlines()]
    assert [line["event"] for line in lines] == ["acquired", "acquired", "acquired", "exported"]
    # Each package entry names the signed node-log entry it was converted from.
    assert [line["audit_hash"] for line in lines] == [e.hash for e in entries[:4]]


def test_dropping_a_custody_entry_fails_naming_the_custody_file(built: Built) -> None:
    files = read_tar(built.package)
    lines = files[layout.CUSTODY].splitlines(keepends=True)
    files[layout.CUSTODY] = b"".join(lines[:1] + lines[2:])
    failed = [c.subject for c in _verify(write_tar(files)).failures]
    assert f"{layout.CUSTODY} chain" in failed


def test_flipping_a_byte_of_any_file_fails_naming_it(built: Built) -> None:
    files = read_tar(built.package)
    for name in files:
        changed = dict(files)
        data = bytearray(changed[name])
        data[len(data) // 2] ^= 0x01
        changed[name] = bytes(data)
        report = _verify(write_tar(changed))
        assert any(name in c.subject for c in report.failures), (name, report.failures)


def test_export_needs_a_tsa_an_agreement_and_an_operator(node: Node, built: Built) -> None:
    analyst = _analyst(node)
    with pytest.raises(ConfigurationError, match="time-stamping authority"):
        case_evidence(node).export(
            analyst, built.case_id, node_org_id(POLICE), recipient_name=POLICE, tsa=None,
            channel="cli",
        )  # fmt: skip
    tsa = TsaConfig(lambda _r: b"", b"")
    with pytest.raises(InvalidInput, match="no agreement"):
        case_evidence(node).export(
            analyst, built.case_id, node_org_id("Nobody"), recipient_name="Nobody", tsa=tsa,
            channel="cli",
        )  # fmt: skip
    outsider = Principal(id="bob", org=node_org_id("Org B"), role=Role.ANALYST, is_individual=True)
    with pytest.raises(PermissionDenied):
        case_evidence(node).export(
            outsider, built.case_id, node_org_id(POLICE), recipient_name=POLICE, tsa=tsa,
            channel="cli",
        )  # fmt: skip


def test_a_package_from_an_unknown_key_fails(built: Built) -> None:
    from entente.evidence.writer import cosign

    report = _verify(cosign(built.package, generate_key()))
    assert f"{layout.ENVELOPE} signatures" in [c.subject for c in report.failures]


def test_a_partners_note_on_a_shared_task_is_folded_in_as_its_result(
    node: Node, tmp_path: Path
) -> None:
    analyst = _analyst(node)
    service = cases(node)
    shown = service.create(analyst, name="Shared", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN)
    cid, task = shown.case.id, shown.case.tasks[0].id
    with pytest.raises(InvalidInput, match="not been shared"):
        case_evidence(node).fold_results(analyst, cid, channel="cli")
    copy = service.share(analyst, cid, tasks=[task], notes=[], tlp=Tlp.GREEN).case
    org_b = node_org_id("Org B")

    def note(n: int, **extra: Any) -> dict[str, Any]:
        return stix("note", n, GREEN, content=f"answer {n}", created_by_ref=org_b, **extra)

    answers = [
        note(20, object_refs=[copy.id], x_entente_case_task=task),
        note(21, object_refs=[copy.id], x_entente_case_task="task-99"),  # not a shared task
        note(22, object_refs=[cid], x_entente_case_task=task),  # not the shared copy
    ]
    path = tmp_path / "answers.json"
    bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000002"}
    path.write_text(json.dumps({**bundle, "objects": answers}))
    _ingest(node, path)
    folded = case_evidence(node).fold_results(analyst, cid, channel="cli")
    assert folded == [(task, ident(20, "note"))]
    done = {t.id: t for t in service.show(analyst, cid).shown.case.tasks}[task]
    assert done.done_us is not None and done.result is not None
    assert done.result.startswith("answer 20 (from " + org_b)
    # Folding again finds nothing open to answer.
    assert case_evidence(node).fold_results(analyst, cid, channel="cli") == []


def test_a_tsa_answering_garbage_writes_no_package_and_logs_the_failure(
    node: Node, built: Built
) -> None:
    analyst = _analyst(node)
    garbage = TsaConfig(lambda _request: b"not a TimeStampResp", b"")
    with pytest.raises(ConfigurationError, match="would not verify"):
        case_evidence(node).export(
            analyst, built.case_id, node_org_id(POLICE), recipient_name=POLICE, tsa=garbage,
            channel="cli",
        )  # fmt: skip
    entries = audit_log(node).custody_entries(built.case_id)
    assert [e.action for e in entries[-2:]] == ["exported", "export-failed"]
    assert audit_log(node).verify(f"case:{built.case_id}").failure is None


def test_a_closed_case_takes_no_attribution_and_nothing_is_stored(node: Node) -> None:
    analyst = _analyst(node)
    service = cases(node)
    cid = service.create(analyst, name="Done", case_type=CaseType.INCIDENT).case.id
    service.close(analyst, cid, Resolution.FALSE_POSITIVE)
    before = node.store.stats().versions
    with pytest.raises(InvalidInput, match="is closed"):
        case_evidence(node).attribute(analyst, cid, _matrix(), channel="cli")
    assert node.store.stats().versions == before
