"""Legal holds through the services: deletion refused while a case's hold is in force, allowed
once it is released, both audited in the case's custody log; a partner's case holds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from entente.bootstrap import Node, audit_log, cases, legal_holds, open_node, taxii
from entente.cases import CaseType
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied, UnderLegalHold
from entente.ingest import Candidate
from entente.services import DEFAULT_COLLECTIONS, create_token, node_org_id, principal_of
from entente.services.ingest import IngestService
from entente.sharing import Principal
from entente.stix import Tlp, marking_id_for
from entente.store import Provenance, SourceKind

ALL = DEFAULT_COLLECTIONS[0]


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings, FixedClock()) as opened:
        yield opened


def principal(node: Node, org: str, role: str = "analyst") -> Principal:
    token, _ = create_token(node.tokens, node.clock, org_name=org, role=role)
    return principal_of(token)


def indicator(n: int, creator: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "object_marking_refs": [marking_id_for(Tlp.GREEN)],
    }
    if creator is not None:
        obj["created_by_ref"] = creator
    return obj


def _post(node: Node, who: Principal, obj: dict[str, Any]) -> str:
    (entry,) = taxii(node).add([obj], who, collection=None, source="t", source_name="t")
    assert entry.outcome == "added", entry
    return str(obj["id"])


def test_a_hold_refuses_deletion_until_released_and_both_are_audited(node: Node) -> None:
    service, analyst = cases(node), principal(node, "Entente node")
    object_id = _post(node, analyst, indicator(1))
    case_id = service.create(analyst, name="Harbour", case_type=CaseType.INCIDENT).case.id
    service.attach(analyst, case_id, [object_id])
    held = service.place_hold(analyst, case_id, "Court order 4711")
    assert held.case.hold is not None and held.case.hold.placed_by == analyst.id
    assert [h.case.id for h in legal_holds(node).holds_on(object_id)] == [case_id]
    with pytest.raises(UnderLegalHold, match=f"legal hold on case {case_id} .Harbour."):
        taxii(node).delete_object(ALL, analyst, object_id)
    with pytest.raises(UnderLegalHold):
        taxii(node).delete_object(ALL, analyst, case_id)
    # Placing a hold twice, or releasing without a reason, changes nothing.
    with pytest.raises(InvalidInput, match="already under a legal hold"):
        service.place_hold(analyst, case_id, "again")
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        service.release_hold(analyst, case_id, " ")
    service.release_hold(analyst, case_id, "Order lifted")
    assert legal_holds(node).holds_on(object_id) == []
    assert taxii(node).delete_object(ALL, analyst, object_id) == 1
    custody = [(e.action, dict(e.details)) for e in audit_log(node).custody_entries(case_id)]
    assert ("legal-hold-placed", {"reason": "Court order 4711"}) in custody
    assert ("legal-hold-released", {"reason": "Order lifted"}) in custody


def test_only_the_case_s_org_places_or_releases_its_hold(node: Node) -> None:
    service = cases(node)
    ours, theirs = principal(node, "Entente node"), principal(node, "Org B")
    reader = principal(node, "Entente node", "reader")
    case_id = service.create(ours, name="x", case_type=CaseType.INCIDENT, tlp=Tlp.GREEN).case.id
    with pytest.raises(PermissionDenied, match="only the org that created"):
        service.place_hold(theirs, case_id, "not theirs")
    with pytest.raises(PermissionDenied):
        service.place_hold(reader, case_id, "readers do not write")
    service.place_hold(ours, case_id, "ours")
    with pytest.raises(PermissionDenied, match="only the org that created"):
        service.release_hold(theirs, case_id, "not theirs")
    hidden = service.create(ours, name="strict", case_type=CaseType.INCIDENT).case.id
    with pytest.raises(ObjectNotFound):
        service.place_hold(theirs, hidden, "cannot see it")


def test_a_hold_that_no_longer_names_the_object_or_a_released_one_does_not_count(
    node: Node,
) -> None:
    service, analyst = cases(node), principal(node, "Entente node")
    kept, other = _post(node, analyst, indicator(1)), _post(node, analyst, indicator(2))
    case_id = service.create(analyst, name="x", case_type=CaseType.INCIDENT).case.id
    service.attach(analyst, case_id, [kept])
    service.place_hold(analyst, case_id, "hold")
    # ``other`` is not referenced by the case: deleted as ever.
    assert taxii(node).delete_object(ALL, analyst, other) == 1


def test_a_case_received_from_a_partner_freezes_nothing_here(node: Node) -> None:
    service, analyst = cases(node), principal(node, "Entente node")
    object_id = _post(node, analyst, indicator(1))
    case_id = service.create(analyst, name="x", case_type=CaseType.INCIDENT).case.id
    service.attach(analyst, case_id, [object_id])
    service.place_hold(analyst, case_id, "hold")
    (stored,) = node.store.get_versions(case_id, ("last",))
    # The same hold, as if this version had come from a partner over TAXII.
    with node.store.transaction() as txn:
        txn.withdraw([case_id])
    partner = Provenance(SourceKind.PARTNER, "Org P", "Org P", org="Org P")
    IngestService(node.store, node.clock, principal="Org P").ingest_candidates(
        [Candidate("t", "[0]", stored.to_json())], partner, source="t"
    )
    (received,) = node.store.get_versions(case_id, ("last",))
    assert received.provenance.source_kind is SourceKind.PARTNER
    assert received.to_json() == stored.to_json()
    assert legal_holds(node).holds_on(object_id) == []
    assert taxii(node).delete_object(ALL, analyst, object_id) == 1


def test_who_may_not_see_the_case_is_refused_without_its_id_name_or_reason(node: Node) -> None:
    service, ours = cases(node), principal(node, "Entente node")
    theirs = principal(node, "Org B")
    object_id = _post(node, theirs, indicator(3, creator=node_org_id("Org B")))
    case_id = service.create(ours, name="Secret name", case_type=CaseType.INCIDENT).case.id
    service.attach(ours, case_id, [object_id])
    service.place_hold(ours, case_id, "Secret reason")
    with pytest.raises(UnderLegalHold) as caught:
        taxii(node).delete_object(ALL, theirs, object_id)
    message = str(caught.value)
    assert message == f"{object_id} is preserved by a legal hold and cannot be deleted"
    assert case_id not in message and "Secret" not in message
