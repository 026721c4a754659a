"""A small but complete evidence input, as the case export will hand one over."""

from __future__ import annotations

from entente.evidence import (
    Authorization,
    EvidenceInput,
    Exhibit,
    InvestigativeAction,
    TrustedKey,
    TrustRoot,
)
from entente.evidence.custody import chain
from entente.federation.keys import NodeKey

__all__ = ["CREATED", "custody_entries", "sample_input", "trust_root"]

CREATED = "2026-03-01T12:00:00Z"
_IDENTITY = "identity--7d1f0e3a-58a4-4c55-9a0e-52c3b5b1f0aa"
_INDICATOR = "indicator--1f0c5b8e-9c3e-4d6a-8f5b-0a7e2d4c6b11"
_SIGHTING = "sighting--9a4e3c2b-1d0f-4e8a-b7c6-5f4e3d2c1b00"


def custody_entries(count: int = 4) -> list[dict[str, object]]:
    """``count`` hash-chained custody entries."""
    events = ["acquired", "viewed", "transferred", "exported"]
    return chain(
        [
            {
                "seq": index + 1,
                "at": f"2026-03-01T1{index}:00:00Z",
                "actor": "analyst@org-a",
                "event": events[index % len(events)],
                "object": "artifacts/mail.eml",
                "agreement": "agreement--le-2026",
            }
            for index in range(count)
        ]
    )


def sample_input(
    *,
    custody: list[dict[str, object]] | None = None,
    extra_objects: tuple[dict[str, object], ...] = (),
) -> EvidenceInput:
    """The phishing case of org A, for a law-enforcement recipient."""
    objects: tuple[dict[str, object], ...] = (
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": _IDENTITY,
            "created": "2026-02-28T09:00:00.000Z",
            "modified": "2026-02-28T09:00:00.000Z",
            "name": "Org A",
            "identity_class": "organization",
        },
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": _INDICATOR,
            "created": "2026-02-28T09:00:00.000Z",
            "modified": "2026-02-28T09:00:00.000Z",
            "created_by_ref": _IDENTITY,
            "pattern": "[domain-name:value = 'login-bank.example']",
            "pattern_type": "stix",
            "valid_from": "2026-02-28T09:00:00Z",
        },
        {
            "type": "sighting",
            "spec_version": "2.1",
            "id": _SIGHTING,
            "created": "2026-03-01T10:00:00.000Z",
            "modified": "2026-03-01T10:00:00.000Z",
            "sighting_of_ref": _INDICATOR,
            "count": 3,
        },
        *extra_objects,
    )
    return EvidenceInput(
        case_id="incident--5b6c7d8e-0000-4000-8000-000000000001",
        title="Credential phishing against Org A's payroll staff",
        case_type="law-enforcement referral",
        authorization=Authorization(
            "agreement--le-2026", "Org A to national police, evidence sharing 2026"
        ),
        actions=(
            InvestigativeAction(
                "Acquisition of the phishing e-mail",
                "Analyst One (Org A)",
                "2026-03-01T10:00:00Z",
                "2026-03-01T10:20:00Z",
                "Exported from the mail gateway's quarantine",
                ("A-1",),
            ),
            InvestigativeAction(
                "Capture of the phishing page",
                "Analyst Two (Org A)",
                "2026-03-01T11:00:00Z",
                "2026-03-01T11:05:00Z",
                exhibits=("A-2",),
            ),
        ),
        exhibits=(
            Exhibit("A-1", "mail.eml", "The e-mail as received"),
            Exhibit("A-2", "page.html", "The phishing page"),
        ),
        stix_objects=objects,
        artifacts={
            "mail.eml": b"From: payroll@login-bank.example\r\nSubject: urgent\r\n\r\nClick.\r\n",
            "page.html": b"<html><body><form action='/steal'></form></body></html>\n",
        },
        custody=tuple(custody_entries() if custody is None else custody),
        report_markdown="# Case report\n\nOrg A received a phishing e-mail (exhibit A-1).\n",
        created=CREATED,
        recipient="National police",
    )


def trust_root(node: NodeKey, partners: tuple[NodeKey, ...] = (), threshold: int = 1) -> TrustRoot:
    """A trust root naming the node and ``partners``."""
    keys = [TrustedKey("Org A node", node.public_key)] + [
        TrustedKey(f"Partner {index + 1}", key.public_key) for index, key in enumerate(partners)
    ]
    return TrustRoot(tuple(keys), threshold, keys[0].keyid)
