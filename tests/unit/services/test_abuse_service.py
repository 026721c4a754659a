"""Abuse reports over a node: drafted from what the principal may see, the contact from
recorded RDAP answers on loopback, sent to aiosmtpd on loopback only when the gate allows,
tracked as versions of a STIX note, re-checked."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from tests.unit.abuse.local_rdap import LocalRdap
from tests.unit.abuse.local_smtp import LocalSmtp, Received
from tests.unit.abuse.mime import inner, part

from entente.abuse import (
    EXTENSION_ID,
    AbuseReport,
    AbuseSettings,
    DeadlineState,
    Evidence,
    ReportFormat,
    ReportStatus,
    TakedownSettings,
    validate_xarf,
)
from entente.abuse.rdap_client import RdapClient, fetch_bootstrap, rdap_http
from entente.abuse.smtp import SmtpRelay
from entente.approvals import Verdict
from entente.bootstrap import Node, abuse, approvals, cases, open_node, taxii
from entente.cases import CaseType
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import (
    DeliveryFailed,
    InvalidInput,
    NotApproved,
    ObjectNotFound,
    PermissionDenied,
)
from entente.services import create_token, principal_of
from entente.services.abuse import AbuseService, DraftRequest, approval_gate, report_document
from entente.services.tokens import org_identity_id
from entente.sharing import Principal, Role
from entente.stix import Tlp, format_timestamp_us, marking_id_for

pytestmark = pytest.mark.integration

ORG = "Entente node"
RIPE_IP_INDICATOR = "indicator--3c0c6a57-5a8b-4d0e-9f5e-2b1a7c9d8e01"
DOMAIN_INDICATOR = "indicator--3c0c6a57-5a8b-4d0e-9f5e-2b1a7c9d8e02"
SIGHTING = "sighting--3c0c6a57-5a8b-4d0e-9f5e-2b1a7c9d8e03"
ORIGINAL = Path(__file__).parents[2] / "data" / "arf" / "rfc5965-b2-original.eml"


def indicator(oid: str, pattern: str, tlp: Tlp) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": oid,
        "created": "2023-11-01T00:00:00.000Z",
        "modified": "2023-11-01T00:00:00.000Z",
        "name": "C2 server",
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2023-11-01T00:00:00Z",
        "object_marking_refs": [marking_id_for(tlp)],
    }


def sighting(oid: str, of: str, last_seen: str) -> dict[str, Any]:
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": oid,
        "created": "2023-11-02T00:00:00.000Z",
        "modified": "2023-11-02T00:00:00.000Z",
        "first_seen": "2023-11-02T00:00:00Z",
        "last_seen": last_seen,
        "sighting_of_ref": of,
        "object_marking_refs": [marking_id_for(Tlp.AMBER_STRICT)],
    }


class Zone:
    """A deterministic resolver written for the test."""

    def __init__(self, records: dict[str, tuple[str, ...]]) -> None:
        self.records = records

    def __call__(self, name: str) -> tuple[str, ...]:
        return self.records.get(name, ())


@pytest.fixture(scope="module")
def rdap() -> Iterator[LocalRdap]:
    with LocalRdap() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[LocalSmtp]:
    with LocalSmtp() as server:
        yield server


@pytest.fixture
def node(tmp_path: Path, smtp: LocalSmtp) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        org_name=ORG,
        abuse=AbuseSettings(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_starttls=False,
            reporter_org="Acme CERT",
            reporter_email="cert@acme.example",
            reporter_domain="acme.example",
            # This node attaches AMBER+STRICT evidence on purpose, so the drafting tests see
            # every object; the default (GREEN) is tested on its own below.
            evidence_tlp=Tlp.AMBER_STRICT,
        ),
    )
    with open_node(settings, FixedClock()) as opened:
        yield opened


def principal(node: Node, org: str, role: str = "analyst") -> Principal:
    token, _ = create_token(node.tokens, node.clock, org_name=org, role=role)
    return principal_of(token)


@pytest.fixture
def service(node: Node, rdap: LocalRdap) -> Iterator[AbuseService]:
    analyst = principal(node, ORG)
    entries = taxii(node).add(
        [
            indicator(RIPE_IP_INDICATOR, "[ipv4-addr:value = '130.59.31.80']", Tlp.AMBER_STRICT),
            indicator(DOMAIN_INDICATOR, "[domain-name:value = 'themarquetry.com']", Tlp.GREEN),
            sighting(SIGHTING, RIPE_IP_INDICATOR, "2023-11-03T00:00:00Z"),
        ],
        analyst,
        collection=None,
        source="test",
        source_name="test",
    )
    assert {e.outcome for e in entries} == {"added"}, entries
    with rdap_http(5.0) as http:
        contacts = RdapClient(http, fetch_bootstrap(http, rdap.bootstrap_url))
        yield abuse(node, contacts=contacts, resolver=Zone({"themarquetry.com": ("192.0.2.7",)}))


def allow(report: AbuseReport) -> None:
    del report


def refuse(report: AbuseReport) -> None:
    raise PermissionDenied(f"{report.id} is not approved")


def attachment(received: Received) -> bytes:
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    [part] = list(parsed.iter_attachments())
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def test_a_drafted_report_is_valid_xarf_to_the_rdap_contact_with_its_evidence(
    node: Node, service: AbuseService
) -> None:
    analyst = principal(node, ORG)
    report = service.draft(analyst, DraftRequest(RIPE_IP_INDICATOR))
    assert report.status is ReportStatus.DRAFT
    assert report.contact.email == "abuse@switch.ch"  # ARIN redirected to RIPE
    assert "rdap.db.ripe.net" in report.contact.source
    document = json.loads(report.document)
    validate_xarf(document)
    assert document["source_identifier"] == "130.59.31.80"
    assert document["threat_type"] == "malicious-activity"
    assert [e["description"] for e in document["evidence"]] == [
        f"STIX 2.1 indicator {RIPE_IP_INDICATOR}",
        f"STIX 2.1 sighting {SIGHTING} of the indicator",
    ]
    # Stored as a note through the write path, as restricted as the indicator.
    [version] = node.store.get_versions(report.id, ("all",))
    assert version.marking_refs == (marking_id_for(Tlp.AMBER_STRICT),)
    assert version.to_json()["extensions"][EXTENSION_ID]["document_sha256"] == report.sha256
    assert node.store.get_versions(EXTENSION_ID, ("all",))


def test_by_default_nothing_above_tlp_green_leaves_and_the_draft_says_what_stayed(
    node: Node, service: AbuseService, rdap: LocalRdap
) -> None:
    analyst = principal(node, ORG)
    settings = replace(node.settings.abuse, evidence_tlp=AbuseSettings().evidence_tlp)
    assert settings.evidence_tlp is Tlp.GREEN
    with rdap_http(5.0) as http:
        default = AbuseService(
            taxii=taxii(node),
            store=node.store,
            clock=node.clock,
            settings=settings,
            contacts=RdapClient(http, fetch_bootstrap(http, rdap.bootstrap_url)),
        )
        # The indicator and its sighting are AMBER+STRICT: neither is attached, and neither
        # lends its words, but the report about the address still goes (to its owner).
        withheld = default.draft(analyst, DraftRequest(RIPE_IP_INDICATOR))
        document = json.loads(withheld.document)
        validate_xarf(document)
        assert "evidence" not in document  # none is attached, so X-ARF names none
        assert "C2 server" not in document["description"]
        assert document["source_identifier"] == "130.59.31.80"
        detail = withheld.history[0].detail
        assert detail == f"withheld above TLP:GREEN: {RIPE_IP_INDICATOR}, {SIGHTING}"
        # A GREEN indicator goes whole.
        green = json.loads(default.draft(analyst, DraftRequest(DOMAIN_INDICATOR)).document)
        assert [e["description"] for e in green["evidence"]] == [
            f"STIX 2.1 indicator {DOMAIN_INDICATOR}"
        ]


def test_a_refusing_gate_stops_the_send_and_writes_nothing(
    node: Node, service: AbuseService, smtp: LocalSmtp
) -> None:
    analyst = principal(node, ORG)
    report = service.draft(analyst, DraftRequest(RIPE_IP_INDICATOR))
    before = node.store.stats().versions
    with pytest.raises(PermissionDenied, match="not approved"):
        service.send(analyst, report.id, refuse)
    assert smtp.received == []
    assert node.store.stats().versions == before
    assert service.show(analyst, report.id).status is ReportStatus.DRAFT


def test_an_allowed_send_delivers_the_report_and_its_answer_is_tracked(
    node: Node, service: AbuseService, smtp: LocalSmtp
) -> None:
    analyst = principal(node, ORG)
    report = service.draft(analyst, DraftRequest(RIPE_IP_INDICATOR))
    seen: list[str] = []
    sent = service.send(analyst, report.id, lambda r: seen.append(r.sha256))
    assert seen == [report.sha256]  # the gate saw exactly what went out
    [received] = smtp.received
    assert received.rcpt_tos == ("abuse@switch.ch",)
    assert attachment(received) == report.document.encode("utf-8")
    assert sent.status is ReportStatus.SENT
    assert sent.message_id is not None and sent.message_id in received.content.decode()
    with pytest.raises(InvalidInput, match="already sent"):
        service.send(analyst, report.id, allow)
    service.mark(analyst, report.id, ReportStatus.ACKNOWLEDGED, "ticket 4711")
    done = service.mark(analyst, report.id, ReportStatus.RESOLVED, "null-routed")
    assert [c.status.value for c in done.history] == [
        "draft",
        "approved",
        "sent",
        "acknowledged",
        "resolved",
    ]
    assert len(node.store.get_versions(report.id, ("all",))) == 4
    assert [r.id for r in service.list_reports(analyst)] == [report.id]


def test_a_relay_that_fails_leaves_the_report_failed_to_send_again(
    node: Node, service: AbuseService, smtp: LocalSmtp
) -> None:
    analyst = principal(node, ORG)
    report = service.draft(analyst, DraftRequest(RIPE_IP_INDICATOR))
    down = AbuseSettings(smtp_host="127.0.0.1", smtp_port=9, smtp_starttls=False, smtp_timeout=2)
    broken = abuse(node, relay=SmtpRelay(replace(down)))
    with pytest.raises(DeliveryFailed):
        broken.send(analyst, report.id, allow)
    assert service.show(analyst, report.id).status is ReportStatus.FAILED
    assert service.send(analyst, report.id, allow).status is ReportStatus.SENT
    assert len(smtp.received) == 1


def test_another_org_cannot_report_on_or_see_what_it_may_not_see(
    node: Node, service: AbuseService
) -> None:
    analyst, outsider = principal(node, ORG), principal(node, "Org B")
    with pytest.raises(ObjectNotFound):
        service.draft(outsider, DraftRequest(RIPE_IP_INDICATOR))
    report = service.draft(analyst, DraftRequest(RIPE_IP_INDICATOR))
    with pytest.raises(ObjectNotFound):
        service.show(outsider, report.id)
    assert service.list_reports(outsider) == []
    with pytest.raises(ObjectNotFound):
        service.send(outsider, report.id, allow)


def test_only_the_drafting_org_changes_a_report_it_shares(
    node: Node, service: AbuseService
) -> None:
    analyst, partner = principal(node, ORG), principal(node, "Org B")
    report = service.draft(analyst, DraftRequest(DOMAIN_INDICATOR))  # TLP:GREEN
    assert service.show(partner, report.id).id == report.id
    with pytest.raises(PermissionDenied, match="only the org"):
        service.send(partner, report.id, allow)


def test_a_recheck_resolves_the_domain_and_finds_sightings_since_the_report(
    node: Node, service: AbuseService
) -> None:
    analyst = principal(node, ORG)
    report = service.draft(analyst, DraftRequest(DOMAIN_INDICATOR))
    assert report.contact.email == "abuse@registrar.eu"
    service.send(analyst, report.id, allow)
    assert isinstance(node.clock, FixedClock)
    node.clock.advance(3_600_000_000)
    later = format_timestamp_us(node.clock.now_us())
    taxii(node).add(
        [sighting("sighting--3c0c6a57-5a8b-4d0e-9f5e-2b1a7c9d8e09", DOMAIN_INDICATOR, later)],
        analyst,
        collection=None,
        source="test",
        source_name="test",
    )
    found = service.recheck(analyst, report.id)
    assert (found.resolves, found.addresses) == (True, ("192.0.2.7",))
    assert found.new_sightings == ("sighting--3c0c6a57-5a8b-4d0e-9f5e-2b1a7c9d8e09",)


def test_an_arf_report_carries_the_original_and_is_delivered_as_approved(
    node: Node, service: AbuseService, smtp: LocalSmtp
) -> None:
    analyst = principal(node, ORG)
    request = DraftRequest(
        DOMAIN_INDICATOR, report_format=ReportFormat.ARF, original=ORIGINAL.read_bytes()
    )
    report = service.draft(analyst, request)
    service.send(analyst, report.id, allow)
    [received] = smtp.received
    parsed = email.message_from_bytes(received.content)
    assert parsed.get_content_type() == "multipart/report"
    feedback = inner(part(parsed, 1))
    assert feedback["Reported-Domain"] == "themarquetry.com"
    original = inner(part(parsed, 2))
    assert original["Subject"] == "Earn money"
    with pytest.raises(InvalidInput, match="original"):
        service.draft(analyst, DraftRequest(DOMAIN_INDICATOR, report_format=ReportFormat.ARF))


def test_a_report_for_a_case_names_it_and_is_as_restricted_as_the_stricter(
    node: Node, service: AbuseService
) -> None:
    analyst = principal(node, ORG)
    case = (
        cases(node)
        .create(analyst, name="Takedown", case_type=CaseType.TAKEDOWN, tlp=Tlp.AMBER)
        .case
    )
    report = service.draft(analyst, DraftRequest(DOMAIN_INDICATOR, case_id=case.id))  # GREEN
    assert report.case_id == case.id
    [note] = node.store.get_versions(report.id, ("last",))
    assert note.to_json()["object_refs"] == [DOMAIN_INDICATOR, case.id]
    assert note.marking_refs == (marking_id_for(Tlp.AMBER),)
    with pytest.raises(InvalidInput, match="not a case id"):
        service.draft(analyst, DraftRequest(DOMAIN_INDICATOR, case_id=DOMAIN_INDICATOR))
    with pytest.raises(ObjectNotFound):
        service.draft(
            analyst,
            DraftRequest(
                DOMAIN_INDICATOR, case_id="grouping--00000000-0000-4000-8000-000000000000"
            ),
        )


def test_the_graph_index_finds_a_cases_reports_and_sightings_as_reading_everything_does(
    node: Node, service: AbuseService
) -> None:
    analyst, other = principal(node, ORG), principal(node, "Other CERT")
    create = cases(node).create
    case = create(analyst, name="Takedown", case_type=CaseType.TAKEDOWN, tlp=Tlp.GREEN).case
    elsewhere = create(analyst, name="Other", case_type=CaseType.TAKEDOWN, tlp=Tlp.GREEN).case
    mine = [
        service.draft(analyst, DraftRequest(RIPE_IP_INDICATOR, case_id=case.id)),
        service.draft(analyst, DraftRequest(DOMAIN_INDICATOR, case_id=case.id)),
    ]
    service.draft(analyst, DraftRequest(DOMAIN_INDICATOR, case_id=elsewhere.id))
    service.draft(analyst, DraftRequest(DOMAIN_INDICATOR))
    # The reference twin: the same service reading every note and every sighting.
    twin = AbuseService(
        taxii=taxii(node), store=node.store, clock=node.clock, settings=node.settings.abuse
    )
    for who in (analyst, other):
        assert service.for_case(who, case.id) == twin.for_case(who, case.id)
        assert service._sightings(who, RIPE_IP_INDICATOR) == twin._sightings(who, RIPE_IP_INDICATOR)
    assert {r.id for r in service.for_case(analyst, case.id)} == {r.id for r in mine}
    assert [s["id"] for s in service._sightings(analyst, RIPE_IP_INDICATOR)] == [SIGHTING]
    # The other org may not see the AMBER+STRICT report or sighting: neither path shows them.
    assert [r.id for r in service.for_case(other, case.id)] == [mine[1].id]
    assert service._sightings(other, RIPE_IP_INDICATOR) == []


# -- approval (issue 15 item 1) and takedown SLAs (item 3) --------------------------------


def person(name: str, role: Role = Role.ANALYST) -> Principal:
    """A named user of the node's org (approvals are people's, not tokens')."""
    return Principal(f"user:{name}", org_identity_id(ORG), role, True)


def test_a_report_goes_out_only_once_two_others_approved_its_exact_bytes(
    node: Node, service: AbuseService, smtp: LocalSmtp
) -> None:
    carol, alice, bob = person("carol"), person("alice"), person("bob")
    desk = approvals(node)
    drafted = service.draft(carol, DraftRequest(RIPE_IP_INDICATOR))
    with pytest.raises(NotApproved, match="no approval request"):
        service.send(carol, drafted.id, approval_gate(desk, carol))
    asked = service.request_approval(carol, drafted.id, desk)
    assert asked.status is ReportStatus.DRAFT and asked.approval_request_id is not None
    shown = desk.status(alice, asked.approval_request_id)
    assert shown.request.payload == drafted.document.encode("utf-8")
    assert shown.request.refs == (drafted.id, RIPE_IP_INDICATOR)
    assert shown.request.targets == ("abuse@switch.ch",)
    # The request carries the report: as restricted as it (the indicator's AMBER+STRICT).
    assert shown.marking_refs == (marking_id_for(Tlp.AMBER_STRICT),)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        desk.approve(carol, asked.approval_request_id, Verdict.APPROVE)
    desk.approve(alice, asked.approval_request_id, Verdict.APPROVE)
    before = node.store.stats().versions
    with pytest.raises(NotApproved, match="1 more approval"):
        service.send(carol, drafted.id, approval_gate(desk, carol))
    assert smtp.received == []
    assert node.store.stats().versions == before
    desk.approve(bob, asked.approval_request_id, Verdict.APPROVE)
    sent = service.send(carol, drafted.id, approval_gate(desk, carol))
    [received] = smtp.received
    assert attachment(received) == drafted.document.encode("utf-8")
    approved = next(c for c in sent.history if c.status is ReportStatus.APPROVED)
    assert approved.detail == (
        f"approved under {asked.approval_request_id} by user:alice ({org_identity_id(ORG)}), "
        f"user:bob ({org_identity_id(ORG)})"
    )
    assert service.show(carol, drafted.id).approval_request_id == asked.approval_request_id


def test_approval_of_other_bytes_does_not_let_a_report_go(
    node: Node, service: AbuseService, smtp: LocalSmtp
) -> None:
    carol = person("carol")
    desk = approvals(node)
    drafted = service.request_approval(
        carol, service.draft(carol, DraftRequest(RIPE_IP_INDICATOR)).id, desk
    )
    assert drafted.approval_request_id is not None
    for name in ("alice", "bob"):
        desk.approve(person(name), drafted.approval_request_id, Verdict.APPROVE)
    # The gate is given a report whose document differs from what was approved.
    changed = replace(drafted, document=drafted.document.replace("130.59.31.80", "130.59.31.81"))
    with pytest.raises(NotApproved, match="needs a new request"):
        approval_gate(desk, carol)(changed)
    assert smtp.received == []


def test_a_case_evidence_package_is_attached_with_its_sha256(
    node: Node, service: AbuseService
) -> None:
    carol = person("carol")
    case = cases(node).create(carol, name="Takedown of the C2", case_type=CaseType.TAKEDOWN).case
    package = b"an evidence package's tar bytes"
    report = service.draft(
        carol,
        DraftRequest(
            RIPE_IP_INDICATOR,
            case_id=case.id,
            attachments=(Evidence("application/x-tar", f"package of {case.id}", package),),
        ),
    )
    document = json.loads(report.document)
    validate_xarf(document)
    [attached] = [e for e in document["evidence"] if e["content_type"] == "application/x-tar"]
    assert attached["hash"] == f"sha256:{hashlib.sha256(package).hexdigest()}"
    assert [r.id for r in service.for_case(carol, case.id)] == [report.id]


def test_a_sent_report_is_overdue_after_its_providers_sla(
    tmp_path: Path, smtp: LocalSmtp, rdap: LocalRdap
) -> None:
    clock = FixedClock()
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        org_name=ORG,
        abuse=AbuseSettings(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_starttls=False,
            reporter_org="Acme CERT",
            reporter_email="cert@acme.example",
            reporter_domain="acme.example",
        ),
        takedown=TakedownSettings(48.0, {"switch-lan": 4.0}),
    )
    carol = person("carol")
    with open_node(settings, clock) as opened, rdap_http(5.0) as http:
        taxii(opened).add(
            [indicator(RIPE_IP_INDICATOR, "[ipv4-addr:value = '130.59.31.80']", Tlp.GREEN)],
            carol,
            collection=None,
            source="test",
            source_name="test",
        )
        service = abuse(
            opened, contacts=RdapClient(http, fetch_bootstrap(http, rdap.bootstrap_url))
        )
        report = service.draft(carol, DraftRequest(RIPE_IP_INDICATOR))
        assert report.contact.provider == "SWITCH-LAN"
        assert service.deadline(report).state is DeadlineState.NOT_SENT
        sent = service.send(carol, report.id, allow)
        due = service.deadline(sent)
        assert (due.sla_hours, due.state) == (4.0, DeadlineState.WAITING)
        sent_at = sent.sent_at_us()
        assert sent_at is not None and due.due_us == sent_at + 4 * 3_600_000_000
        clock.advance(due.due_us - clock.now_us())
        assert service.deadline(sent).state is DeadlineState.WAITING  # due, not late yet
        clock.advance(1)
        assert service.deadline(sent).state is DeadlineState.OVERDUE
        assert report_document(sent, service.deadline(sent))["sla"]["state"] == "overdue"
        acknowledged = service.mark(carol, report.id, ReportStatus.ACKNOWLEDGED, "ticket 1")
        assert service.deadline(acknowledged).state is DeadlineState.ANSWERED
