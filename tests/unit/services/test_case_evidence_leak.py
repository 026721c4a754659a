"""Leak differential for evidence packages: every file of a package holds exactly what the
policy oracle (tests/unit/sharing/oracle.py) releases to the recipient's partner principal.

A node (SQLite, the real services) holds indicators, sightings and notes of every TLP marking
(and none) by two creators (the node's org and a third party), each with a unique id and
unique canaries; two cases of the node's org reference all of them and attach some, with
custody events of every kind (acquired, viewed, transferred, exported). Packages are exported,
with a real TSA on loopback, to partner orgs whose agreements differ in max TLP, redactions,
sightings and object types. For each: the bundle's ids are the oracle's allowed set, the
agreed redactions are made, and no file (nor the PDF's text, whose lines are wrapped) names a
canary or id the oracle hides, another recipient's org or agreement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.factories import ident, stix
from tests.unit.evidence.local_tsa import LocalTsa
from tests.unit.evidence.validated import verified
from tests.unit.sharing.oracle import Sent, oracle_outbound, oracle_view

from entente.bootstrap import (
    Node,
    audit_log,
    case_evidence,
    cases,
    federation,
    open_node,
    operator_ingest,
)
from entente.cases import CaseType
from entente.clock import SystemClock
from entente.config import Settings
from entente.errors import InvalidInput
from entente.evidence import layout
from entente.evidence.tarball import read_tar
from entente.evidence.tsa_client import HttpTimestamper
from entente.ingest import InputFormat, open_document
from entente.services import node_org_id
from entente.services.case_evidence import TsaConfig
from entente.services.recipients import partner_audience
from entente.sharing import NodeContext, Principal, Role, VersionFacts
from entente.stix import Tlp, marking_id_for

NODE_NAME = "Entente node"
VENDOR = node_org_id("Vendor X")  # a third party: no agreement, its content ingested here
MARKINGS: tuple[Tlp | None, ...] = (None, *Tlp)
TYPES = ("indicator", "sighting", "note")
ANCHOR = ident(1, "indicator")  # what sightings and notes are about: CLEAR, outside the cases
# Recipient name -> its agreement (parties and ids filled in by the fixture).
AGREEMENTS: dict[str, dict[str, Any]] = {
    "National Police": {
        "id": "ag-police",
        "max_tlp": "amber",
        "onward_sharing": "none",
        "third_party": "share",
        "redact": {"indicator": ["description"]},
    },
    "National CERT": {
        "id": "ag-cert",
        "max_tlp": "amber+strict",
        "onward_sharing": "none",
        "sightings": "anonymised",
        "redact": {"*": ["labels"]},
    },
    "Foreign Agency": {
        "id": "ag-agency",
        "max_tlp": "clear",
        "onward_sharing": "none",
        "sightings": "none",
        "object_types": ["grouping", "incident", "indicator", "note"],
    },
}
TOKEN = re.compile(rb"CANARY\d{5}[A-Z]|canary\d{5}\.example")


@dataclass(frozen=True)
class Item:
    """One object of the matrix: its id, the facts the oracle decides on, its canaries by
    the property that carries each."""

    id: str
    facts: VersionFacts
    canaries: dict[str, str]


@dataclass(frozen=True)
class MadeCase:
    """A case, its shared copy (if any), and the canaries of its content, by where they sit:
    ``own`` only in the case itself, ``shared`` in both the case and its copy."""

    id: str
    ids: tuple[str, ...]  # the case's grouping and incident, and its shared copy's
    facts: dict[str, VersionFacts]
    own: frozenset[str]
    shared: frozenset[str]
    copy_id: str | None


@dataclass
class World:
    node: Node
    tsa: LocalTsa
    items: list[Item]
    cases: dict[str, MadeCase]


def _canaries(n: int, kind: str) -> dict[str, str]:
    canaries = {"name": f"CANARY{n:05d}N", "description": f"CANARY{n:05d}D"}
    if kind == "indicator":
        canaries["pattern"] = f"canary{n:05d}.example"
    if kind == "sighting":
        canaries = {"description": f"CANARY{n:05d}D"}
    if kind == "note":
        canaries = {"abstract": f"CANARY{n:05d}A", "content": f"CANARY{n:05d}C"}
    canaries["labels"] = f"CANARY{n:05d}L"
    return canaries


def _object(n: int, kind: str, tlp: Tlp | None, creator: str) -> dict[str, Any]:
    canaries = _canaries(n, kind)
    marking = None if tlp is None else marking_id_for(tlp)
    common = {"created_by_ref": creator, "labels": [canaries["labels"]]}
    if kind == "indicator":
        return stix(
            kind, n, marking, name=canaries["name"], description=canaries["description"],
            pattern=f"[domain-name:value = '{canaries['pattern']}']", pattern_type="stix",
            valid_from="2024-01-01T00:00:00Z", **common,
        )  # fmt: skip
    if kind == "sighting":
        return stix(
            kind, n, marking, sighting_of_ref=ANCHOR, count=n,
            description=canaries["description"], **common,
        )  # fmt: skip
    return stix(
        kind, n, marking, abstract=canaries["abstract"], content=canaries["content"],
        object_refs=[ANCHOR], **common,
    )  # fmt: skip


def _analyst(node: Node) -> Principal:
    org = node_org_id(node.settings.org_name)
    return Principal(id="alice", org=org, role=Role.ANALYST, is_individual=True)


def _ingest(node: Node, path: Path, objects: list[dict[str, Any]]) -> None:
    bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009"}
    path.write_text(json.dumps({**bundle, "objects": objects}))
    document = open_document(
        str(path), fmt=InputFormat.AUTO, source_name=None, now="2026-12-05T00:00:00Z", markings=()
    )
    summary = operator_ingest(node, "operator").ingest_document(document, snapshot=False)
    assert not summary.rejected, summary.rejected


def _case_facts(object_id: str, kind: str, tlp: Tlp, org: str) -> VersionFacts:
    return VersionFacts(
        id=object_id, type=kind, created_by_ref=org, marking_refs=(marking_id_for(tlp),)
    )


def _make_case(
    node: Node, name: str, tlp: Tlp, refs: list[str], evidence: list[str], *, share: bool
) -> MadeCase:
    """A case with a canary in its name, description, one more task and two notes; with
    ``share``, a TLP:CLEAR shared copy carrying that task and one of the notes."""
    analyst, service = _analyst(node), cases(node)
    made = service.create(
        analyst, name=f"{name}N", description=f"{name}D", case_type=CaseType.INCIDENT, tlp=tlp
    ).case
    task = service.add_task(analyst, made.id, f"{name}T").case.tasks[-1].id
    first = service.add_note(analyst, made.id, f"{name}S").case.notes[-1].id
    service.add_note(analyst, made.id, f"{name}P")
    service.attach(analyst, made.id, refs, channel="cli")
    service.attach(analyst, made.id, evidence, as_evidence=True, channel="rest")
    service.show(analyst, made.id, channel="ui")  # a custody event naming every reference
    facts = {
        made.id: _case_facts(made.id, "grouping", tlp, analyst.org),
        made.incident_id: _case_facts(made.incident_id, "incident", tlp, analyst.org),
    }
    own, shared = {f"{name}P"}, {f"{name}N", f"{name}D"}
    copy_id = None
    if share:
        copy = service.share(analyst, made.id, tasks=[task], notes=[first], tlp=Tlp.CLEAR).case
        copy_id = copy.id
        facts[copy.id] = _case_facts(copy.id, "grouping", Tlp.CLEAR, analyst.org)
        facts[copy.incident_id] = _case_facts(copy.incident_id, "incident", Tlp.CLEAR, analyst.org)
        shared |= {f"{name}T", f"{name}S"}
    else:
        own |= {f"{name}T", f"{name}S"}
    return MadeCase(
        made.id, tuple(facts), facts, frozenset(own), frozenset(shared), copy_id
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("case-evidence-leak")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'node.db'}", org_name=NODE_NAME)
    with open_node(settings, SystemClock()) as node, LocalTsa() as tsa:
        node_org = node_org_id(NODE_NAME)
        for recipient, terms in AGREEMENTS.items():
            federation(node).add_agreement(
                {**terms, "name": f"{NODE_NAME} and {recipient}", "parties": [NODE_NAME, recipient]}
            )
        objects = [stix("indicator", 1, marking_id_for(Tlp.CLEAR), name="anchor",
                        pattern="[domain-name:value = 'anchor.example']", pattern_type="stix",
                        valid_from="2024-01-01T00:00:00Z", created_by_ref=node_org)]  # fmt: skip
        items: list[Item] = []
        n = 100
        for creator in (node_org, VENDOR):
            for tlp in MARKINGS:
                for kind in TYPES:
                    n += 1
                    obj = _object(n, kind, tlp, creator)
                    objects.append(obj)
                    facts = VersionFacts(
                        id=obj["id"],
                        type=kind,
                        created_by_ref=creator,
                        marking_refs=tuple(obj.get("object_marking_refs", ())),
                        third_party=creator != node_org,
                    )
                    items.append(Item(obj["id"], facts, _canaries(n, kind)))
        _ingest(node, home / "matrix.json", objects)
        # TLP:RED is for named individuals only: no case of the analyst's may name it.
        seen = [i.id for i in items if marking_id_for(Tlp.RED) not in i.facts.marking_refs]
        sightings = [oid for oid in seen if oid.startswith("sighting--")]
        made = {
            # Released to partners as itself, up to its agreements' max TLP.
            "green": _make_case(node, "CANARY90001", Tlp.GREEN, seen, sightings, share=False),
            # Kept in the node's org; partners get its TLP:CLEAR shared copy.
            "strict": _make_case(
                node, "CANARY90002", Tlp.AMBER_STRICT, seen, sightings[::2], share=True
            ),
        }
        yield World(node, tsa, items, made)


def _context(node: Node) -> NodeContext:
    return NodeContext(
        node_org=node_org_id(NODE_NAME),
        community_orgs=frozenset(),
        agreements=tuple(federation(node).agreements()),
        now_us=node.clock.now_us(),
    )


def _pdf_text(pdf: bytes) -> bytes:
    """The report PDF's text with its wrapped lines joined (ids break at hyphens)."""
    shown = re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", pdf)
    return b"".join(re.sub(rb"\\(.)", rb"\1", line) for line in shown)


def _export(world: World, case_id: str, recipient: str) -> bytes:
    return case_evidence(world.node).export(
        _analyst(world.node), case_id, node_org_id(recipient), recipient_name=recipient,
        tsa=TsaConfig(HttpTimestamper(world.tsa.url), world.tsa.chain_pem), channel="cli",
    )  # fmt: skip


def _case_released(made: MadeCase, ctx: NodeContext, audience: Principal) -> tuple[bool, bool]:
    """Whether the oracle releases the case itself, and its shared copy, to ``audience``."""
    itself = oracle_view(made.facts[made.id], audience, ctx) is not None
    copy = made.copy_id is not None and (
        oracle_view(made.facts[made.copy_id], audience, ctx) is not None
    )
    return itself, copy


@pytest.mark.parametrize("case", ["green", "strict"])
@pytest.mark.parametrize("recipient", sorted(AGREEMENTS))
def test_every_file_of_a_package_holds_exactly_what_the_oracle_releases(
    world: World, case: str, recipient: str
) -> None:
    made = world.cases[case]
    ctx = _context(world.node)
    audience = partner_audience(node_org_id(recipient))
    itself, copy = _case_released(made, ctx, audience)
    log = audit_log(world.node)
    before = len(log.custody_entries(made.id))
    if not (itself or copy):
        with pytest.raises(InvalidInput, match="not released"):
            _export(world, made.id, recipient)
        assert len(log.custody_entries(made.id)) == before  # refused before anything is logged
        return
    package = _export(world, made.id, recipient)
    assert verified(package).passed
    files = read_tar(package)

    # The bundle: the oracle's allowed set among the case's objects and what it references.
    verdicts = {
        **{oid: oracle_view(f, audience, ctx) for oid, f in made.facts.items()},
        **{i.id: oracle_view(i.facts, audience, ctx) for i in world.items},
    }
    allowed = {oid for oid, hidden in verdicts.items() if hidden is not None}
    bundle = {o["id"]: o for o in orjson.loads(files[layout.STIX_BUNDLE])["objects"]}
    assert set(bundle) == allowed, (recipient, case)

    # Redacted as agreed; every released canary of a released property is there.
    hidden_tokens = {c for i in world.items if i.id not in allowed for c in i.canaries.values()}
    for item in world.items:
        if item.id not in allowed:
            continue
        sent = oracle_outbound(item.facts, audience, ctx)
        assert isinstance(sent, Sent)
        obj = bundle[item.id]
        for prop in sent.redact:
            assert prop not in obj, (recipient, item.id, prop)
        if sent.anonymise:
            assert "created_by_ref" not in obj, (recipient, item.id)
        for prop, canary in item.canaries.items():
            if prop in sent.redact:
                hidden_tokens.add(canary)
            else:
                assert canary in orjson.dumps(obj[prop]).decode(), (recipient, item.id, prop)
    # The case's own content goes only with the case; the shared part with either.
    hidden_tokens |= set() if itself else set(made.own)
    for other in world.cases.values():
        if other is not made:
            hidden_tokens |= other.own | other.shared

    hidden_ids = {oid for oid, hidden in verdicts.items() if hidden is None}
    hidden_ids |= {i.id for i in world.items} - allowed
    hidden_ids |= {oid for c in world.cases.values() if c is not made for oid in c.ids}
    others = [r for r in AGREEMENTS if r != recipient]
    foreign = {node_org_id(r) for r in others} | {AGREEMENTS[r]["id"] for r in others}
    texts = {**files, "report.pdf (text)": _pdf_text(files[layout.REPORT_PDF])}
    texts["report.pdf (text)"] += b"\n" + files[layout.REPORT_MD]
    for name, data in texts.items():
        found = {t.decode() for t in TOKEN.findall(data)}
        assert not found & hidden_tokens, (recipient, case, name, sorted(found & hidden_tokens))
        named = sorted(oid for oid in hidden_ids | foreign if oid.encode() in data)
        assert not named, (recipient, case, name, named)
    # What is released is there to read: the case's content, as the recipient is shown it.
    report = files[layout.REPORT_MD].decode()
    assert f"{case_name(made)}N" in report
    custody = [orjson.loads(line) for line in files[layout.CUSTODY].splitlines()]
    assert custody[-1]["event"] == "exported"
    assert custody[-1]["agreements"] == [AGREEMENTS[recipient]["id"]]
    assert set(custody[-1]["objects"]) == allowed
    assert len(custody) == before + 1  # every entry of the node's log, screened


def case_name(made: MadeCase) -> str:
    """The canary stem a case was made with (its name is the stem and ``N``)."""
    return next(iter(made.shared))[:-1]


def test_an_org_without_an_agreement_is_refused_and_nothing_is_logged(world: World) -> None:
    made = world.cases["green"]
    log = audit_log(world.node)
    before = log.custody_entries(made.id)
    tsa = TsaConfig(HttpTimestamper(world.tsa.url), world.tsa.chain_pem)
    with pytest.raises(InvalidInput, match="no agreement") as refused:
        case_evidence(world.node).export(
            _analyst(world.node), made.id, VENDOR, recipient_name="Vendor X", tsa=tsa,
            channel="cli",
        )  # fmt: skip
    assert "CANARY" not in str(refused.value)
    assert log.custody_entries(made.id) == before


def test_the_oracle_hides_something_from_every_recipient(world: World) -> None:
    # The differential above is only as good as its matrix: each recipient must be refused
    # some objects and released others, and the two cases must be read differently.
    ctx = _context(world.node)
    for recipient in AGREEMENTS:
        audience = partner_audience(node_org_id(recipient))
        shown = [oracle_view(i.facts, audience, ctx) is not None for i in world.items]
        assert any(shown) and not all(shown), recipient
    readings = {
        r: tuple(
            _case_released(made, ctx, partner_audience(node_org_id(r)))
            for made in world.cases.values()
        )
        for r in AGREEMENTS
    }
    assert len(set(readings.values())) == len(AGREEMENTS), readings
