"""What a partner reads: redacted as agreed with or without a signer, signed when there is one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from entente.bootstrap import Node, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.federation import EXTENSION_ID
from entente.ingest import Candidate
from entente.services import IngestService, TaxiiService, org_identity_id
from entente.services.federation import NodeSigner
from entente.sharing import Principal, Role, parse_agreement
from entente.stix import Tlp, marking_id_for
from entente.store import ObjectQuery, Provenance, SourceKind

NODE, PARTNER, THIRD = "US CERT", "IL CERT", "Some vendor"
AGREEMENT = {
    "id": "us-il",
    "name": "US CERT and IL CERT",
    "parties": [NODE, PARTNER],
    "max_tlp": "amber",
    "onward_sharing": "none",
    "redact": {"incident": ["x_victim_name"]},
}
INCIDENT = {
    "type": "incident",
    "spec_version": "2.1",
    "id": "incident--6a1c1c59-3c0b-4b55-9d0b-6c8fb7c47a11",
    "created": "2026-11-01T00:00:00.000Z",
    "modified": "2026-11-01T00:00:00.000Z",
    "created_by_ref": org_identity_id(THIRD),
    "name": "intrusion",
    "x_victim_name": "a hospital",
    "object_marking_refs": [marking_id_for(Tlp.GREEN)],
}


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}", org_name=NODE
    )
    with open_node(settings, FixedClock()) as opened:
        summary = IngestService(opened.store, opened.clock, "local:test").ingest_candidates(
            [Candidate("intel.json", "0", INCIDENT)],
            Provenance(SourceKind.FILE, "intel.json", "local:test"),
            source="intel.json",
        )
        assert summary.added == 1
        yield opened


def _read_as_partner(node: Node, *, signed: bool) -> dict[str, Any]:
    agreement = parse_agreement(AGREEMENT, org_id=org_identity_id)
    service = TaxiiService(
        store=node.store,
        tokens=node.tokens,
        statuses=node.statuses,
        clock=node.clock,
        collections=(),
        org_name=NODE,
        agreements=lambda: (agreement,),
        signer=NodeSigner(org_identity_id(NODE), node.key) if signed else None,
    )
    partner = Principal("tok_il", org_identity_id(PARTNER), Role.PARTNER, is_individual=False)
    [item] = service.read(None, partner, ObjectQuery(types=("incident",))).items
    value: dict[str, Any] = orjson.loads(item.raw_json)
    return value


def test_a_partner_gets_the_redacted_copy_even_from_a_service_without_a_signer(
    node: Node,
) -> None:
    copy = _read_as_partner(node, signed=False)
    assert "x_victim_name" not in copy
    assert copy["name"] == "intrusion"


def test_with_a_signer_the_redacted_copy_is_signed_and_names_its_original(node: Node) -> None:
    copy = _read_as_partner(node, signed=True)
    assert "x_victim_name" not in copy
    extension = copy["extensions"][EXTENSION_ID]
    assert extension["signer"] == org_identity_id(NODE)
    assert extension["derived_from"]["id"] == INCIDENT["id"]
