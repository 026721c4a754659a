"""The RDAP adapter against registries on loopback serving recorded real answers."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.unit.abuse.local_rdap import LocalRdap

from entente.abuse import BootstrapRegistry, parse_target
from entente.abuse.rdap_client import RdapClient, RdapLookup, fetch_bootstrap, rdap_http
from entente.errors import DeliveryFailed, ObjectNotFound

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rdap() -> Iterator[LocalRdap]:
    with LocalRdap() as server:
        yield server


@pytest.fixture
def client(rdap: LocalRdap) -> Iterator[RdapClient]:
    with rdap_http(5.0) as http:
        yield RdapClient(http, fetch_bootstrap(http, rdap.bootstrap_url))


def test_an_address_is_asked_of_the_registry_the_bootstrap_names(
    rdap: LocalRdap, client: RdapClient
) -> None:
    lookup = client.find_contacts(parse_target("1.1.1.1"))
    assert lookup.url == f"{rdap.base}/rdap.apnic.net/ip/1.1.1.1"
    assert [c.email for c in lookup.contacts] == ["helpdesk@apnic.net"]
    assert lookup.contacts[0].source == lookup.url


def test_a_redirect_to_the_registry_holding_the_record_is_followed(
    rdap: LocalRdap, client: RdapClient
) -> None:
    # IANA's bootstrap names ARIN for 130.0.0.0/8; the network is RIPE's (RFC 7480 §5.2).
    lookup = client.find_contacts(parse_target("130.59.31.80"))
    assert lookup.url == f"{rdap.base}/rdap.db.ripe.net/ip/130.59.31.80"
    assert [c.email for c in lookup.contacts] == ["abuse@switch.ch"]
    assert "/rdap.arin.net/registry/ip/130.59.31.80" in rdap.requests


def test_a_domain_is_asked_of_its_tld_registry(rdap: LocalRdap, client: RdapClient) -> None:
    lookup = client.find_contacts(parse_target("https://google.com/search"))
    assert lookup.url == f"{rdap.base}/rdap.verisign.com/com/v1/domain/google.com"
    assert [c.email for c in lookup.contacts] == ["abusecomplaints@markmonitor.com"]


def test_a_name_no_registry_holds_is_not_found(client: RdapClient) -> None:
    with pytest.raises(ObjectNotFound, match="404"):
        client.find_contacts(parse_target("no-such-name.com"))
    with pytest.raises(ObjectNotFound, match="no RDAP server"):
        client.find_contacts(parse_target("10.1.2.3"))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_registry_is_a_delivery_failure() -> None:
    base = f"http://127.0.0.1:{_closed_port()}/"
    registry = BootstrapRegistry(((ipaddress.ip_network("192.0.2.0/24"), (base,)),), ())
    with httpx.Client(timeout=2.0) as http, pytest.raises(DeliveryFailed, match="RDAP"):
        RdapClient(http, registry).find_contacts(parse_target("192.0.2.1"))


def test_the_configured_lookup_reads_the_bootstrap_for_each_lookup(rdap: LocalRdap) -> None:
    # What `bootstrap.abuse` builds from [abuse] for the CLI and the server alike.
    lookup = RdapLookup(rdap.bootstrap_url, 5.0)
    before = len([r for r in rdap.requests if r.startswith("/iana/")])
    for _ in range(2):
        found = lookup.find_contacts(parse_target("1.1.1.1"))
        assert [c.email for c in found.contacts] == ["helpdesk@apnic.net"]
    assert len([r for r in rdap.requests if r.startswith("/iana/")]) == before + 6


# A JPNIC sub-allocation recorded from APNIC (tests/data/rdap/ipwhois-ip_v6_jpnic.json): it
# names only technical and administrative contacts and links its covering block as "up".
JPNIC_ADDRESS = "2001:240:10c:1::ca20:9d1d"


def apnic_block(start: str, end: str, cidr: str) -> dict[str, Any]:
    """APNIC's covering block as RFC 9083 §5.4 shapes an ``ip network``, with its abuse desk.

    Written for the test: no answer for the block itself was recorded anywhere we could copy
    from; the child above is the recorded real one, and only its registry is missing."""
    return {
        "objectClassName": "ip network",
        "handle": cidr,
        "startAddress": start,
        "endAddress": end,
        "ipVersion": "v6",
        "name": "APNIC-AP",
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "IRT-APNIC-AP",
                "roles": ["abuse"],
                "vcardArray": [
                    "vcard",
                    [
                        ["version", {}, "text", "4.0"],
                        ["fn", {}, "text", "IRT-APNIC-AP"],
                        ["email", {}, "text", "helpdesk@apnic.net"],
                    ],
                ],
            }
        ],
        "links": [{"rel": "self", "href": f"http://rdap.apnic.net/ip/{cidr}"}],
    }


BLOCK = apnic_block("2001:200::", "2001:3ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:200::/23")


def test_no_abuse_role_climbs_the_up_link_to_the_registrys_abuse_desk() -> None:
    with LocalRdap(extra=[BLOCK]) as rdap, rdap_http(5.0) as http:
        client = RdapClient(http, fetch_bootstrap(http, rdap.bootstrap_url))
        lookup = client.find_contacts(parse_target(JPNIC_ADDRESS))
        assert lookup.url == f"{rdap.base}/rdap.apnic.net/ip/2001:200::/23"
        [desk] = lookup.contacts
        assert (desk.email, desk.roles, desk.source) == (
            "helpdesk@apnic.net",
            ("abuse",),
            lookup.url,
        )
        assert "2001:0240::/32 names no abuse role; registry fallback" in desk.reason
        assert "'up' link, RFC 9083 §4.2" in desk.reason


def test_without_a_reachable_registry_the_networks_own_contact_is_the_fallback(
    rdap: LocalRdap, client: RdapClient
) -> None:
    # No answer for the block: the climb stops and the recorded network's own role is used.
    lookup = client.find_contacts(parse_target(JPNIC_ADDRESS))
    assert lookup.url == f"{rdap.base}/rdap.apnic.net/ip/{JPNIC_ADDRESS}"
    assert [(c.email, c.reason.split(": ")[-1]) for c in lookup.contacts] == [
        ("hostmaster@nic.ad.jp", "no abuse role; fallback to role technical")
    ]
    assert "/rdap.apnic.net/ip/2001:200::/23" in rdap.requests
