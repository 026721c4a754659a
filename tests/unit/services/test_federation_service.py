"""Federation use cases: partners, agreements and sync from a real partner node on loopback.

The partner ("Org B") is a real node served by uvicorn on 127.0.0.1 in a thread; this node
("Org A") pulls from it with the real TaxiiClient (no retries, so that a partner that is down
fails at once rather than after the production backoff).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.unit.server.conftest import SECRET, serving

from entente.bootstrap import Node, open_node, operator_ingest
from entente.bootstrap import federation as federation_of
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound, SignatureError
from entente.federation import EXTENSION_ID, card_document, generate_key, make_card, parse_card
from entente.ingest import Candidate
from entente.server import create_app
from entente.services import IngestService, create_token, org_identity_id
from entente.services.federation import FederationService, partner_name_of
from entente.services.sample_intel import sample_intel
from entente.sharing import parse_agreement
from entente.store import ObjectQuery, PartnerRecord, Provenance, SourceKind
from entente.taxii.client import TaxiiClient

ORG_A, ORG_B = "Org A", "Org B"
CREATED = "2026-11-01T00:00:00.000Z"
LATER = "2026-11-02T00:00:00.000Z"
NOWHERE = "http://127.0.0.1:9/taxii2/api/"  # the discard port: nothing serves TAXII there
LABELS = ("identity", "clear", "green", "malware", "amber", "strict", "red", "incident", "sighting")


def _agreement(max_tlp: str = "amber+strict", **extra: Any) -> dict[str, Any]:
    return {
        "id": "a-b",
        "name": "Org A and Org B",
        "parties": [ORG_A, ORG_B],
        "max_tlp": max_tlp,
        "onward_sharing": "none",
        **extra,
    }


def _intel(org: str) -> dict[str, dict[str, Any]]:
    """The org's sample intel by a short label (``strict``: its AMBER+STRICT indicator)."""
    return dict(zip(LABELS, sample_intel(org, octet=2, created=CREATED), strict=True))


def _ids(org: str, *labels: str) -> set[str]:
    intel = _intel(org)
    return {intel[label]["id"] for label in labels}


def _connect(partner: PartnerRecord) -> TaxiiClient:
    """The real client as bootstrap builds it, but failing at once instead of retrying."""
    return TaxiiClient(partner.api_root, auth=partner.token, timeout=10, retries=0)


def _ingest(node: Node, objects: list[dict[str, Any]]) -> None:
    summary = IngestService(node.store, node.clock, principal="local:test").ingest_candidates(
        [Candidate("intel.json", str(i), obj) for i, obj in enumerate(objects)],
        Provenance(SourceKind.FILE, "intel.json", "local:test"),
        source="intel.json",
    )
    assert summary.rejected == []


def _held(node: Node) -> dict[str, list[dict[str, Any]]]:
    """Every version ``node`` holds, by id."""
    held: dict[str, list[dict[str, Any]]] = {}
    for version in node.store.iter_all(ObjectQuery(versions=("all",), limit=1000)):
        held.setdefault(version.id, []).append(version.to_json())
    return held


def _fake_card(org: str = ORG_B, api_root: str = NOWHERE) -> dict[str, Any]:
    """The signed card of a partner node that is not running."""
    key = generate_key()
    card = make_card(
        org_name=org,
        org_id=org_identity_id(org),
        public_key=key.public_key,
        taxii_url=api_root.removesuffix("api/"),
        api_root=api_root,
    )
    return card_document(card, key)


@dataclass
class PartnerNode:
    """Org B: a node holding its sample intel, an agreement with A and a token issued to A."""

    node: Node
    token: str
    stack: ExitStack

    def serve(self) -> dict[str, Any]:
        """Serve the node until the test ends (or ``stop``); its partner card."""
        base = self.stack.enter_context(serving(create_app(self.node, secret=SECRET)))
        return federation_of(self.node).card(f"{base}/taxii2/", f"{base}/taxii2/api/")

    def stop(self) -> None:
        """Stop serving: the partner is down."""
        self.stack.close()


@pytest.fixture
def org_b(tmp_path: Path) -> Iterator[PartnerNode]:
    settings = Settings(
        home=tmp_path / "b", database_url=f"sqlite:///{tmp_path / 'b.db'}", org_name=ORG_B
    )
    with open_node(settings) as node, ExitStack() as stack:
        federation_of(node).add_agreement(_agreement())
        _, token = create_token(node.tokens, node.clock, org_name=ORG_A, role="partner")
        _ingest(node, list(_intel(ORG_B).values()))
        yield PartnerNode(node, token, stack)


@pytest.fixture
def node_a(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path / "a", database_url=f"sqlite:///{tmp_path / 'a.db'}", org_name=ORG_A
    )
    with open_node(settings, FixedClock()) as node:
        yield node


@pytest.fixture
def clock(node_a: Node) -> FixedClock:
    assert isinstance(node_a.clock, FixedClock)
    return node_a.clock


@pytest.fixture
def service(node_a: Node) -> FederationService:
    return FederationService(
        store=node_a.store,
        partners=node_a.partners,
        agreements=node_a.agreements,
        checkpoints=node_a.checkpoints,
        reports=node_a.sync_reports,
        clock=node_a.clock,
        org_name=node_a.settings.org_name,
        key=node_a.key,
        default_marking=node_a.settings.default_marking,
        connect=_connect,
    )


def _link(service: FederationService, org_b: PartnerNode, **agreement: Any) -> PartnerRecord:
    """Serve B, register it with A, and give A the agreement with B."""
    record = service.add_partner(org_b.serve(), token=org_b.token)
    service.add_agreement(_agreement(**agreement))
    return record


# -- the card ----------------------------------------------------------------------------------


def test_the_card_is_signed_and_names_the_org_its_key_and_urls(
    service: FederationService, node_a: Node
) -> None:
    document = service.card("https://a.example/taxii2/", "https://a.example/taxii2/api/")
    card = parse_card(document)
    assert (card.org_name, card.org_id) == (ORG_A, org_identity_id(ORG_A))
    assert card.public_key == node_a.key.public_key_text
    assert card.api_root == "https://a.example/taxii2/api/"
    assert service.org_id == org_identity_id(ORG_A)


# -- partners ----------------------------------------------------------------------------------


def test_a_partner_is_added_from_its_card_with_a_name_from_its_org(
    service: FederationService, clock: FixedClock
) -> None:
    record = service.add_partner(_fake_card("Org B (Haifa)"), token="  secret  ")
    assert record.name == partner_name_of("Org B (Haifa)") == "Org-B-Haifa"
    assert (record.org_id, record.api_root) == (org_identity_id("Org B (Haifa)"), NOWHERE)
    assert record.token == "secret"
    assert record.added_us == clock.now_us()
    assert [p.name for p in service.partners()] == ["Org-B-Haifa"]


def test_a_partner_may_be_given_its_own_name_and_api_root(service: FederationService) -> None:
    other_root = "https://b.example/taxii2/other/"
    record = service.add_partner(_fake_card(), token="t", name="b", api_root=other_root)
    assert (record.name, record.api_root) == ("b", other_root)


def test_a_node_is_not_its_own_partner(service: FederationService) -> None:
    own = service.card("https://a.example/taxii2/", "https://a.example/taxii2/api/")
    with pytest.raises(InvalidInput, match="own"):
        service.add_partner(own, token="t")
    assert not service.partners()


@pytest.mark.parametrize("name", ["two words", "", "x" * 65, "slash/es"])
def test_a_partner_name_outside_the_allowed_characters_is_refused(
    service: FederationService, name: str
) -> None:
    with pytest.raises(InvalidInput, match="partner name"):
        service.add_partner(_fake_card(), token="t", name=name or "  ")


def test_a_blank_token_is_refused(service: FederationService) -> None:
    with pytest.raises(InvalidInput, match="--token"):
        service.add_partner(_fake_card(), token="   ")


def test_the_same_partner_cannot_be_added_twice(service: FederationService) -> None:
    card = _fake_card()
    service.add_partner(card, token="t")
    with pytest.raises(InvalidInput, match="already"):
        service.add_partner(card, token="t")
    with pytest.raises(InvalidInput):
        service.add_partner(card, token="t", name="another-name")  # same org, other name
    assert len(service.partners()) == 1


def test_an_altered_card_is_refused(service: FederationService) -> None:
    card = _fake_card()
    card["api_root"] = "https://attacker.example/taxii2/api/"
    with pytest.raises(SignatureError, match="does not verify"):
        service.add_partner(card, token="t")


def test_removing_an_unknown_partner_is_object_not_found(service: FederationService) -> None:
    with pytest.raises(ObjectNotFound, match="nobody"):
        service.remove_partner("nobody")


# -- agreements --------------------------------------------------------------------------------


def test_an_agreement_round_trips_and_a_replacement_is_not_new(
    service: FederationService,
) -> None:
    agreement, new = service.add_agreement(_agreement(object_types=["indicator"]))
    assert new is True
    assert agreement.parties == {org_identity_id(ORG_A), org_identity_id(ORG_B)}
    assert service.agreements() == [agreement]
    replaced, new = service.add_agreement(_agreement("green"))
    assert new is False
    [stored] = service.agreements()
    assert stored == replaced == parse_agreement(_agreement("green"), org_id=org_identity_id)


def test_an_agreement_that_does_not_name_this_node_is_refused(
    service: FederationService,
) -> None:
    with pytest.raises(InvalidInput, match="does not name this node's org"):
        service.add_agreement(_agreement(parties=[ORG_B, "Org C"]))
    assert service.agreements() == []


def test_an_invalid_agreement_is_refused_naming_the_field(service: FederationService) -> None:
    with pytest.raises(InvalidInput, match="max_tlp"):
        service.add_agreement(_agreement("red"))


def test_removing_an_agreement(service: FederationService) -> None:
    service.add_agreement(_agreement())
    service.remove_agreement("a-b")
    assert service.agreements() == []
    with pytest.raises(ObjectNotFound, match="a-b"):
        service.remove_agreement("a-b")


# -- sync --------------------------------------------------------------------------------------


def test_sync_without_an_agreement_says_nothing_may_flow_and_connects_to_nobody(
    service: FederationService,
) -> None:
    service.add_partner(_fake_card(), token="t")
    [outcome] = service.sync()
    assert outcome.error is not None and "no agreement" in outcome.error
    assert (outcome.collections, outcome.pages, outcome.added) == (0, 0, 0)


def test_sync_of_an_unknown_partner_is_object_not_found(service: FederationService) -> None:
    with pytest.raises(ObjectNotFound, match="nobody"):
        service.sync("nobody")


def test_sync_with_no_partners_does_nothing(service: FederationService) -> None:
    assert service.sync() == []


def test_sync_pulls_what_the_agreement_allows_signed_and_checkpoints_it(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    partner = _link(service, org_b)
    [outcome] = service.sync(partner.name)
    assert outcome.error is None, outcome.error
    assert outcome.rejected == []
    everything_but_red = _ids(ORG_B, *(label for label in LABELS if label != "red"))
    assert outcome.added == len(everything_but_red) == 8
    held = _held(node_a)
    assert everything_but_red <= held.keys()
    # What B created arrives signed by B, and is stored with that signature.
    for object_id in everything_but_red:
        [version] = held[object_id]
        assert version["extensions"][EXTENSION_ID]["signer"] == org_identity_id(ORG_B)
    [checkpoint] = service.checkpoints(partner.name)
    assert checkpoint.added_after is not None
    [stored] = service.partners()
    assert stored.last_error is None and stored.objects_received == 8


def test_red_never_arrives(service: FederationService, org_b: PartnerNode, node_a: Node) -> None:
    _link(service, org_b)
    service.sync()
    assert not _ids(ORG_B, "red") & _held(node_a).keys()


def test_a_second_sync_pulls_nothing_new_and_a_third_gets_only_the_new_version(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    partner = _link(service, org_b)
    service.sync()
    [first_checkpoint] = service.checkpoints(partner.name)
    [again] = service.sync()
    assert (again.error, again.added, again.new_versions, again.rejected) == (None, 0, 0, [])
    assert list(service.checkpoints(partner.name)) == [first_checkpoint]
    revised = {**_intel(ORG_B)["green"], "modified": LATER, "name": "revised"}
    _ingest(org_b.node, [revised])
    [third] = service.sync()
    assert (third.error, third.added, third.new_versions, third.duplicates) == (None, 0, 1, 0)
    assert [v["name"] for v in _held(node_a)[revised["id"]]][-1] == "revised"
    [checkpoint] = service.checkpoints(partner.name)
    assert checkpoint.added_after is not None
    assert first_checkpoint.added_after is not None
    assert checkpoint.added_after > first_checkpoint.added_after


def test_objects_above_this_node_agreement_are_rejected_and_not_stored(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    # B's copy of the agreement allows AMBER+STRICT; A's says GREEN: A refuses the rest.
    _link(service, org_b, max_tlp="green")
    [outcome] = service.sync()
    above = _ids(ORG_B, "amber", "strict", "incident", "sighting")
    assert {r["id"] for r in outcome.rejected} == above
    assert all("broke its agreement" in r["reason"] for r in outcome.rejected)
    assert outcome.added == 4
    assert not above & _held(node_a).keys()
    [report] = service.reports()
    assert (report.added, report.rejected) == (4, 4)
    assert {r["id"] for r in report.rejections} == above


def test_an_agreement_limited_to_types_lets_only_those_types_in(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    # B's copy of the agreement allows every type; A's only indicators.
    _link(service, org_b, object_types=["indicator"])
    [outcome] = service.sync()
    assert outcome.added == 4
    assert _ids(ORG_B, "clear", "green", "amber", "strict") <= _held(node_a).keys()
    others = _ids(ORG_B, "identity", "malware", "incident", "sighting")
    assert {r["id"] for r in outcome.rejected} == others
    assert not others & _held(node_a).keys()


def test_a_partner_that_is_down_is_reported_and_shown_in_the_partner_list(
    service: FederationService, org_b: PartnerNode, clock: FixedClock
) -> None:
    partner = _link(service, org_b)
    org_b.stop()
    clock.advance(5_000_000)
    [outcome] = service.sync()
    assert outcome.error is not None
    assert outcome.added == 0
    [stored] = service.partners()
    assert stored.last_error == outcome.error
    assert stored.last_sync_us == clock.now_us()
    [report] = service.reports(partner.name)
    assert report.error == outcome.error
    assert not service.checkpoints(partner.name)


def test_every_run_is_recorded_as_a_report_newest_first(
    service: FederationService, org_b: PartnerNode, clock: FixedClock
) -> None:
    partner = _link(service, org_b)
    service.sync()
    clock.advance(1_000_000)
    service.sync()
    first, second = reversed(service.reports(partner.name))
    assert (first.added, second.added) == (8, 0)
    assert first.report_id is not None and second.report_id is not None
    assert second.report_id > first.report_id
    assert second.started_us == clock.now_us()
    assert not service.reports("nobody")


def test_removing_a_partner_removes_its_checkpoints_but_keeps_what_it_sent(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    partner = _link(service, org_b)
    service.sync()
    assert service.checkpoints(partner.name)
    service.remove_partner(partner.name)
    assert not service.partners()
    assert not service.checkpoints()
    assert _ids(ORG_B, "green") <= _held(node_a).keys()


def test_the_outcome_json_is_what_sync_json_prints(
    service: FederationService, org_b: PartnerNode
) -> None:
    _link(service, org_b)
    [outcome] = service.sync()
    report = outcome.to_json()
    assert set(report) == {
        "partner",
        "collections",
        "pages",
        "added",
        "duplicates",
        "new_versions",
        "corrected",
        "rejected",
        "equivocations",
        "error",
        "seconds",
    }
    assert (report["partner"], report["added"], report["error"]) == ("Org-B", 8, None)
    assert report["collections"] == 1  # only "All objects": the narrower ones add nothing
    assert report["seconds"] == 0.0  # the clock stood still


def test_reading_everything_again_from_the_start_stores_nothing_twice(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    # Forgetting the partner drops its checkpoints: the next sync reads every page again, as
    # after a crash between applying a page and saving its checkpoint.
    card = org_b.serve()
    service.add_partner(card, token=org_b.token)
    service.add_agreement(_agreement())
    service.sync()
    before = _held(node_a)
    service.remove_partner("Org-B")
    service.add_partner(card, token=org_b.token)
    [again] = service.sync()
    assert (again.error, again.added, again.new_versions, again.rejected) == (None, 0, 0, [])
    assert again.duplicates >= 8
    assert _held(node_a) == before


def test_an_object_the_sender_claims_this_node_created_is_rejected_by_the_screen(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    spoofed = {**_intel(ORG_B)["green"], "created_by_ref": org_identity_id(ORG_A)}
    spoofed["id"] = "indicator--5b0e5a3c-9a52-4f7e-8d3e-3b7c2f0e6d11"
    _ingest(org_b.node, [spoofed])
    _link(service, org_b)
    [outcome] = service.sync()
    [rejected] = outcome.rejected
    assert rejected["id"] == spoofed["id"]
    assert "may not speak for" in rejected["reason"]
    assert spoofed["id"] not in _held(node_a)
    assert outcome.added == 8


def test_a_revocation_propagates_as_the_creator_signed_new_version(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    _link(service, org_b)
    service.sync()
    revoked = {**_intel(ORG_B)["green"], "modified": LATER, "revoked": True}
    _ingest(org_b.node, [revoked])
    [outcome] = service.sync()
    assert (outcome.error, outcome.new_versions, outcome.rejected) == (None, 1, [])
    latest = _held(node_a)[revoked["id"]][-1]
    assert latest["revoked"] is True
    assert latest["extensions"][EXTENSION_ID]["signer"] == org_identity_id(ORG_B)


def test_a_creator_signed_correction_is_stored_and_reported_as_equivocation(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    # B corrects its own indicator in place (same modified, other content), as publishers do;
    # its node signs what B created, so A receives a creator-signed correction.
    partner = _link(service, org_b)
    service.sync()
    original = _intel(ORG_B)["green"]
    corrected = {**original, "name": "corrected in place"}
    summary = operator_ingest(org_b.node, "local:test").ingest_candidates(
        [Candidate("fix.json", "0", corrected)],
        Provenance(SourceKind.FILE, "fix.json", "local:test"),
        source="fix.json",
    )
    assert (summary.corrected, summary.rejected) == (1, [])
    [outcome] = service.sync()
    assert (outcome.error, outcome.rejected, outcome.corrected) == (None, [], 1)
    [equivocation] = outcome.equivocations
    assert equivocation["id"] == original["id"]
    assert "signed two different contents" in equivocation["reason"]
    [latest] = node_a.store.get_versions(original["id"], ("last",))
    assert latest.to_json()["name"] == "corrected in place"
    [replaced] = node_a.store.history(original["id"])
    assert replaced.version.to_json()["name"] == original["name"]
    assert replaced.version.provenance.source_name == partner.name
    [report] = node_a.sync_reports.latest(partner.name, limit=1)
    assert report.corrected == 1
    assert [item["id"] for item in report.equivocations] == [original["id"]]


def test_other_content_for_a_synced_version_not_signed_by_its_creator_is_rejected(
    service: FederationService, org_b: PartnerNode, node_a: Node
) -> None:
    # A third party's unsigned object relayed by B, then relayed again altered: no creator
    # signature vouches for the change, so it is a tamper and the held content stays.
    third_party = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--6f4a2a47-7f2c-4c55-9d4b-0c2f0c4e6a11",
        "created": CREATED,
        "modified": CREATED,
        "pattern": "[ipv4-addr:value = '198.51.100.99']",
        "pattern_type": "stix",
        "valid_from": CREATED,
        "object_marking_refs": [_intel(ORG_B)["green"]["object_marking_refs"][0]],
    }
    _ingest(org_b.node, [third_party])
    _link(service, org_b)
    service.sync()
    altered = {**third_party, "name": "altered on the way"}
    operator_ingest(org_b.node, "local:test").ingest_candidates(
        [Candidate("fix.json", "0", altered)],
        Provenance(SourceKind.FILE, "fix.json", "local:test"),
        source="fix.json",
    )
    [outcome] = service.sync()
    assert outcome.corrected == 0
    assert [r["id"] for r in outcome.rejected] == [third_party["id"]]
    [latest] = node_a.store.get_versions(third_party["id"], ("last",))
    assert "name" not in latest.to_json()
