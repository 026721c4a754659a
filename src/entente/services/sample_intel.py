"""Sample intelligence an org creates: one object at each TLP level, for demos and tests.

Every object is created by the org (``created_by_ref``), so its node signs what it sends;
the incident names a victim and the sighting says who saw it, which agreements may redact or
anonymise. Ids derive from the org's name, so two orgs never collide and reruns are
duplicates.
"""

from __future__ import annotations

import hashlib
from typing import Any

from entente.services.tokens import org_identity_id
from entente.stix import Tlp, deterministic_id, marking_id_for

__all__ = ["sample_intel"]


def sample_intel(org_name: str, *, octet: int, created: str) -> list[dict[str, Any]]:
    """The org's identity and eight objects across CLEAR, GREEN, AMBER, AMBER+STRICT and RED.

    ``octet`` (1-254) varies the indicator values between orgs; ``created`` is the STIX
    timestamp of every object.
    """
    if not 1 <= octet <= 254:
        raise ValueError("octet must be 1-254")
    org = org_identity_id(org_name)
    slug = "".join(c if c.isalnum() else "-" for c in org_name.lower()).strip("-")

    def base(kind: str, name: str, level: Tlp) -> dict[str, Any]:
        return {
            "type": kind,
            "spec_version": "2.1",
            "id": deterministic_id(kind, "sample", org_name, name),
            "created": created,
            "modified": created,
            "created_by_ref": org,
            "object_marking_refs": [marking_id_for(level)],
        }

    def indicator(name: str, level: Tlp, pattern: str) -> dict[str, Any]:
        return {
            **base("indicator", name, level),
            "name": f"{org_name}: {name}",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": created,
            "indicator_types": ["malicious-activity"],
        }

    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": org,
        "created": created,
        "modified": created,
        "created_by_ref": org,
        "name": org_name,
        "identity_class": "organization",
        "object_marking_refs": [marking_id_for(Tlp.CLEAR)],
    }
    green = indicator(
        "phishing domain", Tlp.GREEN, f"[domain-name:value = 'login-{slug}.example.net']"
    )
    malware = {
        **base("malware", "loader", Tlp.GREEN),
        "name": f"{slug}-loader",
        "is_family": True,
        "malware_types": ["dropper"],
    }
    incident = {
        **base("incident", "intrusion", Tlp.AMBER),
        "name": f"Intrusion reported to {org_name}",
        "description": "Loader delivered by the phishing domain; credentials stolen.",
        # A custom property (STIX 2.1 §11.1) that agreements typically redact.
        "x_victim_name": f"Victim utility of {org_name}",
    }
    sighting = {
        **base("sighting", "phishing seen", Tlp.AMBER),
        "sighting_of_ref": green["id"],
        "count": 3,
        "where_sighted_refs": [org],
    }
    return [
        identity,
        indicator("scanner", Tlp.CLEAR, f"[ipv4-addr:value = '198.51.100.{octet}']"),
        green,
        malware,
        indicator("c2 url", Tlp.AMBER, f"[url:value = 'http://c2-{slug}.example.org/gate']"),
        indicator(
            "loader hash",
            Tlp.AMBER_STRICT,
            f"[file:hashes.'SHA-256' = '{hashlib.sha256(org_name.encode()).hexdigest()}']",
        ),
        indicator(
            "source of an ongoing attack", Tlp.RED, f"[ipv4-addr:value = '203.0.113.{octet}']"
        ),
        incident,
        sighting,
    ]
