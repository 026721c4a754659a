"""The ATT&CK matrix service over a node holding the real ATT&CK for ICS release and a few
hand-made users: counts through the sharing policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.factories import CLEAR, RED, ident, relationship, stix

from entente.bootstrap import Node, attack_matrix, open_node, operator_ingest
from entente.clock import SystemClock
from entente.config import Settings
from entente.errors import InvalidInput
from entente.graph import AttackMatrix, MatrixTechnique
from entente.ingest import InputFormat, open_document
from entente.services import node_org_id
from entente.sharing import Principal, Role

ICS = Path(__file__).parents[2] / "data" / "corpus" / "mitre-attack" / "ics-attack.json"
DRIVE_BY = "attack-pattern--7830cfcf-b268-4ac0-a69e-73c6affbae9a"  # T0817
EXPLOIT = "attack-pattern--32632a95-6856-47b9-9ab7-fea5cd7dce00"  # T0819


def ingest_file(node: Node, path: Path) -> None:
    document = open_document(
        str(path), fmt=InputFormat.AUTO, source_name=None, now="2026-12-05T00:00:00Z", markings=()
    )
    summary = operator_ingest(node, "operator").ingest_document(document, snapshot=False)
    assert not summary.rejected, summary.rejected


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("matrix")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'node.db'}")
    with open_node(settings, SystemClock()) as opened:
        ingest_file(opened, ICS)
        yield opened


def _counts(matrix: AttackMatrix) -> dict[str, int]:
    return {
        t.id: t.count
        for tactic in matrix.tactics
        for row in tactic.techniques
        for t in (row, *row.subtechniques)
    }


def _reader(node: Node) -> Principal:
    return Principal(
        id="analyst",
        org=node_org_id(node.settings.org_name),
        role=Role.ANALYST,
        is_individual=True,
    )


def test_hand_made_users_add_to_the_counts_the_reader_may_see(node: Node, tmp_path: Path) -> None:
    service = attack_matrix(node)
    reader = _reader(node)
    assert service.domains(reader) == ["ics-attack"]
    before = _counts(service.matrix(reader, "ics-attack"))
    incident, actor, secret = ident(1, "incident"), ident(2, "intrusion-set"), ident(3, "campaign")
    bundle: dict[str, Any] = {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": [
            stix("incident", 1, CLEAR, name="Plant outage"),
            stix("intrusion-set", 2, CLEAR, name="Turbine crew"),
            stix("campaign", 3, RED, name="SECRET CAMPAIGN"),
            relationship(10, incident, "uses", DRIVE_BY),
            relationship(11, actor, "uses", DRIVE_BY),
            relationship(12, actor, "uses", DRIVE_BY),  # the same user twice counts once
            relationship(13, secret, "uses", DRIVE_BY),  # a user the reader may not see
            relationship(14, incident, "targets", EXPLOIT),  # not "uses"
            stix(
                "report",
                4,
                CLEAR,
                name="Outage report",
                published="2026-01-01T00:00:00Z",
                object_refs=[EXPLOIT, incident],
            ),
        ],
    }
    path = tmp_path / "users.json"
    path.write_text(json.dumps(bundle))
    ingest_file(node, path)
    after = _counts(service.matrix(reader, "ics-attack"))
    assert after[DRIVE_BY] == before[DRIVE_BY] + 2
    assert after[EXPLOIT] == before[EXPLOIT] + 1
    assert {t: c for t, c in after.items() if t not in (DRIVE_BY, EXPLOIT)} == {
        t: c for t, c in before.items() if t not in (DRIVE_BY, EXPLOIT)
    }


def test_a_reader_outside_the_node_org_sees_no_technique(node: Node) -> None:
    # ATT&CK carries only its copyright statement: it reads as the node's default,
    # TLP:AMBER+STRICT, so another org's analyst sees no technique and no count.
    outsider = Principal(
        id="guest", org=node_org_id("Org B"), role=Role.ANALYST, is_individual=True
    )
    service = attack_matrix(node)
    assert service.domains(outsider) == []
    matrix = service.matrix(outsider, "ics-attack")
    assert matrix.tactics == () and matrix.max_count == 0
    with pytest.raises(InvalidInput):
        service.matrix(outsider, "pre-attack")


def test_every_technique_is_placed_with_its_attack_id(node: Node) -> None:
    matrix = attack_matrix(node).matrix(_reader(node), "ics-attack")
    rows: list[MatrixTechnique] = [r for t in matrix.tactics for r in t.techniques]
    assert len(matrix.tactics) == 12
    assert all(r.external_id.startswith("T0") for r in rows)
    assert matrix.name == "ATT&CK for ICS"
