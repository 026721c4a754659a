"""Abuse contacts from recorded real RDAP answers (APNIC, RIPE, ARIN, Verisign, NORID)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.abuse.local_rdap import DATA

from entente.abuse import domain_abuse_contacts, ip_abuse_contacts
from entente.abuse.contacts import covers, has_abuse_role, parent_network_url, registry_fallback
from entente.errors import InvalidInput


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"whoisit-{name}.json").read_text("utf-8"))
    return data


def test_apnic_names_its_irt_with_the_abuse_role_once() -> None:
    contacts = ip_abuse_contacts(recorded("ip_v4"), "https://rdap.apnic.net/ip/1.1.1.1")
    assert [c.email for c in contacts] == ["helpdesk@apnic.net"]
    assert contacts[0].handle == "IRT-APNICRANDNET-AU"
    assert "role abuse" in contacts[0].reason
    assert contacts[0].source == "https://rdap.apnic.net/ip/1.1.1.1"


def test_ripe_abuse_role_wins_over_technical_contacts() -> None:
    contacts = ip_abuse_contacts(recorded("ip_v4_2"), "ripe")
    assert [c.email for c in contacts] == ["abuse@switch.ch"]


def test_arin_abuse_contact_nested_under_the_registrant_is_found() -> None:
    contacts = ip_abuse_contacts(recorded("ip_v4_3"), "arin")
    assert [c.email for c in contacts] == ["abuse@microsoft.com"]
    assert "under MSFT" in contacts[0].reason
    # The provider (takedown SLAs are per provider): the registrant org ARIN names.
    assert contacts[0].provider == "Microsoft Corporation"


def test_a_ripe_network_names_its_provider_by_the_networks_name() -> None:
    [contact] = ip_abuse_contacts(recorded("ip_v4_2"), "ripe")
    assert contact.provider == "SWITCH-LAN"


def test_a_dedicated_abuse_desk_comes_before_a_shared_noc_contact() -> None:
    # Google's ARIN record: ZG39 is noc+technical+abuse at the top, ABUSE5250 abuse only.
    contacts = ip_abuse_contacts(recorded("ip_v6"), "arin")
    assert [c.email for c in contacts] == ["network-abuse@google.com", "arin-contact@google.com"]


def _without_abuse(node: dict[str, Any]) -> dict[str, Any]:
    kept = [_without_abuse(e) for e in node.get("entities", []) if "abuse" not in e["roles"]]
    return {**node, "entities": kept}


def test_a_network_with_no_abuse_role_falls_back_to_its_technical_contact_and_says_so() -> None:
    # The recorded ARIN answer with its abuse entity taken out.
    contacts = ip_abuse_contacts(_without_abuse(recorded("ip_v4_3")), "arin")
    assert [c.email for c in contacts] == ["IOC@microsoft.com", "iphostmaster@microsoft.com"]
    assert all("fallback to role technical" in c.reason for c in contacts)


def test_a_network_with_no_email_anywhere_has_no_contact() -> None:
    answer = recorded("ip_v4")
    assert ip_abuse_contacts({**answer, "entities": []}, "apnic") == ()


def test_a_gtld_domain_names_its_registrars_abuse_contact() -> None:
    contacts = domain_abuse_contacts(recorded("domain1"), "verisign")
    assert [c.email for c in contacts] == ["abusecomplaints@markmonitor.com"]
    assert "registrar 292" in contacts[0].reason
    assert contacts[0].provider == "MarkMonitor Inc."  # the registrar
    other = domain_abuse_contacts(recorded("domain3"), "verisign")
    assert [c.email for c in other] == ["abuse@registrar.eu"]
    assert other[0].provider == "Hosting Concepts B.V. d/b/a Registrar.eu"


def test_a_registrar_without_an_abuse_entity_is_the_fallback() -> None:
    contacts = domain_abuse_contacts(recorded("domain2"), "norid")
    assert [c.email for c in contacts] == ["kundeservice@domeneshop.no"]
    assert contacts[0].reason.startswith("registrar names no abuse contact")


def test_an_answer_of_the_wrong_class_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not an 'ip network'"):
        ip_abuse_contacts(recorded("domain1"), "verisign")
    with pytest.raises(InvalidInput, match="not an 'domain'"):
        domain_abuse_contacts(recorded("ip_v4"), "apnic")


def test_a_sub_allocation_links_its_covering_block_as_up() -> None:
    jpnic: dict[str, Any] = json.loads((DATA / "ipwhois-ip_v6_jpnic.json").read_text("utf-8"))
    assert parent_network_url(jpnic) == "http://rdap.apnic.net/ip/2001:200::/23"
    assert not has_abuse_role(ip_abuse_contacts(jpnic, "u"))
    # A network with no "up" link (the recorded RIPE one) has no parent to climb to.
    assert parent_network_url(recorded("ip_v4_2")) is None
    assert has_abuse_role(ip_abuse_contacts(recorded("ip_v4_2"), "u"))


@pytest.mark.parametrize(
    ("address", "held"),
    [
        ("2001:240::", True),
        ("2001:240:10c:1::ca20:9d1d", True),
        ("2001:240:ffff:ffff:ffff:ffff:ffff:ffff", True),
        ("2001:241::", False),
        ("2001:23f:ffff:ffff:ffff:ffff:ffff:ffff", False),
        ("1.1.1.1", False),  # another family
        ("not an address", False),
    ],
)
def test_a_network_covers_exactly_its_range(address: str, held: bool) -> None:
    jpnic: dict[str, Any] = json.loads((DATA / "ipwhois-ip_v6_jpnic.json").read_text("utf-8"))
    assert covers(jpnic, address) is held
    assert not covers({**jpnic, "objectClassName": "domain"}, "2001:240::")


def test_the_registry_fallback_keeps_only_the_parents_abuse_role_and_says_why() -> None:
    jpnic: dict[str, Any] = json.loads((DATA / "ipwhois-ip_v6_jpnic.json").read_text("utf-8"))
    apnic = recorded("ip_v4")  # a recorded APNIC network: IRT with the abuse role, and others
    [desk] = registry_fallback(jpnic, apnic, "http://127.0.0.1/apnic")
    assert (desk.email, desk.source) == ("helpdesk@apnic.net", "http://127.0.0.1/apnic")
    assert desk.reason.startswith("2001:0240::/32 names no abuse role; registry fallback")
    # A parent with no abuse role of its own gives nothing: the child's fallback stands.
    assert registry_fallback(apnic, jpnic, "u") == ()
