"""Abuse reports never leak: who may draft from an indicator, and who sees a report, is
exactly what the policy oracle (tests/unit/sharing/oracle.py) allows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.abuse.local_rdap import LocalRdap
from tests.unit.services.test_abuse_service import indicator, principal
from tests.unit.sharing.oracle import oracle_allows

from entente.abuse import AbuseSettings
from entente.abuse.rdap_client import RdapClient, fetch_bootstrap, rdap_http
from entente.bootstrap import Node, abuse, open_node, taxii
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import ObjectNotFound
from entente.services import node_org_id
from entente.services.abuse import DraftRequest
from entente.sharing import VersionFacts
from entente.stix import Tlp

pytestmark = pytest.mark.integration

ORG = "Entente node"
LEVELS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        org_name=ORG,
        abuse=AbuseSettings(
            reporter_org="Acme CERT",
            reporter_email="cert@acme.example",
            reporter_domain="acme.example",
        ),
    )
    with open_node(settings, FixedClock()) as opened:
        yield opened


def test_drafting_and_reading_reports_follow_the_oracle(node: Node) -> None:
    analyst = principal(node, ORG)
    readers = [
        analyst,
        principal(node, ORG, "reader"),
        principal(node, "Org B"),
        principal(node, "Org C", "partner"),
    ]
    service_taxii = taxii(node)
    context = service_taxii.context()
    ids = {}
    for n, level in enumerate(LEVELS):
        oid = f"indicator--3c0c6a57-5a8b-4d0e-9f5e-2b1a7c9d8f0{n}"
        service_taxii.add(
            [indicator(oid, "[ipv4-addr:value = '1.1.1.1']", level)],
            analyst,
            collection=None,
            source="test",
            source_name="test",
        )
        ids[level] = oid
    with LocalRdap() as rdap, rdap_http(5.0) as http:
        service = abuse(node, contacts=RdapClient(http, fetch_bootstrap(http, rdap.bootstrap_url)))
        drafted = []
        for level, oid in ids.items():
            [stored] = node.store.get_versions(oid, ("last",))
            facts = VersionFacts(
                id=oid,
                type="indicator",
                created_by_ref=stored.created_by_ref,
                marking_refs=stored.marking_refs,
            )
            if oracle_allows(facts, analyst, context):
                report = service.draft(analyst, DraftRequest(oid))
                drafted.append(report.id)
                [note] = node.store.get_versions(report.id, ("last",))
                assert note.marking_refs == stored.marking_refs, level
            else:
                with pytest.raises(ObjectNotFound):
                    service.draft(analyst, DraftRequest(oid))
    assert len(drafted) == 4  # CLEAR to AMBER+STRICT; TLP:RED names no individual here
    outcomes: set[bool] = set()
    for report_id in drafted:
        [note] = node.store.get_versions(report_id, ("last",))
        facts = VersionFacts(
            id=report_id,
            type="note",
            created_by_ref=node_org_id(ORG),
            marking_refs=note.marking_refs,
        )
        for who in readers:
            expected = oracle_allows(facts, who, context)
            outcomes.add(expected)
            listed = report_id in {r.id for r in service.list_reports(who)}
            assert listed == expected, (who, note.marking_refs)
            if expected:
                assert service.show(who, report_id).id == report_id
            else:
                with pytest.raises(ObjectNotFound):
                    service.show(who, report_id)
    assert outcomes == {True, False}  # both shown and withheld reports were checked
