"""The review of free-text values: own networks and domains first, then the shipped warninglists."""

from __future__ import annotations

import pytest

from entente.ingest import (
    Finding,
    LeftOutReason,
    OwnAddresses,
    TypedValue,
    ValueType,
    Verdict,
    review_value,
    value_label,
)
from entente.ingest.values import detect_value, extract_values
from entente.scoring import WarninglistSet, default_warninglists

# The lists a node ships with: the review is tested against the real data, not a fake list.
SHIPPED = WarninglistSet(default_warninglists())
NONE = WarninglistSet(())
OWN = OwnAddresses.parse(["198.51.100.0/24", "2001:db8:cafe::/48"], ["csirt-nordland.eu"])


def _value(text: str) -> TypedValue:
    value = detect_value(text)
    assert value is not None, text
    return value


def _decide(text: str, own: OwnAddresses = OWN, *, force: bool = False) -> Verdict:
    return review_value(_value(text), warninglists=SHIPPED, own=own, force=force)


def test_the_acceptance_sentence_keeps_only_the_c2_address_and_name() -> None:
    text = (
        "C2 at 8.8.8.8, 185.220.101.4, evil-example.net, google.com, 10.0.0.5 "
        "and our own 198.51.100.7"
    )
    own = OwnAddresses.parse(["198.51.100.0/24"], [])
    decisions = {
        v.value: review_value(v, warninglists=SHIPPED, own=own).describe()
        for v in extract_values(text)
    }
    assert decisions == {
        "8.8.8.8": "left out: warninglist List of known IPv4 public DNS resolvers (entry 8.8.8.8)",
        "185.220.101.4": "kept",
        "evil-example.net": "kept",
        "google.com": (
            "left out: warninglist Top 10K most-used sites from Tranco (entry google.com)"
        ),
        "10.0.0.5": "left out: warninglist List of RFC 1918 CIDR blocks (entry 10.0.0.0/8)",
        "198.51.100.7": "left out: own network 198.51.100.0/24",
    }


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("198.51.100.7", Finding(LeftOutReason.OWN_NETWORK, "198.51.100.0/24")),
        ("198.51.100.7:8443", Finding(LeftOutReason.OWN_NETWORK, "198.51.100.0/24")),
        # A block that covers the own network would block it too.
        ("198.51.0.0/16", Finding(LeftOutReason.OWN_NETWORK, "198.51.100.0/24")),
        ("2001:db8:cafe::15", Finding(LeftOutReason.OWN_NETWORK, "2001:db8:cafe::/48")),
        ("csirt-nordland.eu", Finding(LeftOutReason.OWN_DOMAIN, "csirt-nordland.eu")),
        ("mail.csirt-nordland.eu", Finding(LeftOutReason.OWN_DOMAIN, "csirt-nordland.eu")),
        ("soc@csirt-nordland.eu", Finding(LeftOutReason.OWN_DOMAIN, "csirt-nordland.eu")),
        (
            "https://portal.csirt-nordland.eu:8443/ir?x=1",
            Finding(LeftOutReason.OWN_DOMAIN, "csirt-nordland.eu"),
        ),
        ("http://198.51.100.9/x", Finding(LeftOutReason.OWN_NETWORK, "198.51.100.0/24")),
        ("http://[2001:db8:cafe::1]/x", Finding(LeftOutReason.OWN_NETWORK, "2001:db8:cafe::/48")),
    ],
)
def test_a_value_in_the_own_addresses_is_left_out_as_own(text: str, finding: Finding) -> None:
    assert _decide(text) == Verdict(kept=False, finding=finding)


@pytest.mark.parametrize(
    "text",
    [
        "198.51.101.7",  # the next /24
        "notcsirt-nordland.eu",  # a name that only ends with the same letters
        "csirt-nordland.eu.evil-example.net",  # the own name as a label of someone else's
        "soc@evil-example.net",
        "http://evil-example.net/csirt-nordland.eu",  # the own name in a path, not the host
        "2001:db8:caff::1",
    ],
)
def test_a_lookalike_of_the_own_addresses_is_not_own(text: str) -> None:
    assert OWN.claim(_value(text)) is None


def test_own_addresses_come_before_the_warninglists() -> None:
    # 198.51.100.0/24 is TEST-NET-2, on the shipped RFC 5735 list too: "own" is what matters.
    without_own = _decide("198.51.100.7", OwnAddresses())
    assert without_own.finding is not None
    assert without_own.finding.reason is LeftOutReason.WARNINGLIST
    assert _decide("198.51.100.7").finding == Finding(LeftOutReason.OWN_NETWORK, "198.51.100.0/24")


@pytest.mark.parametrize(
    ("text", "list_name"),
    [
        ("8.8.8.8", "List of known IPv4 public DNS resolvers"),
        ("10.0.0.5", "List of RFC 1918 CIDR blocks"),
        ("10.1.0.0/16", "List of RFC 1918 CIDR blocks"),
        ("fe80::1", "List of IPv6 special-purpose CIDR blocks (RFC 4291, 4193, 3849, 9637)"),
        ("www.google.com", "Top 10K most-used sites from Tranco"),
        ("https://www.google.com/search?q=x", "Top 10K most-used sites from Tranco"),
        ("d41d8cd98f00b204e9800998ecf8427e", "List of known hashes for empty files"),
        (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "List of known hashes for empty files",
        ),
    ],
)
def test_a_warninglisted_value_is_left_out_naming_the_list(text: str, list_name: str) -> None:
    verdict = _decide(text)
    assert not verdict.kept
    assert verdict.finding is not None
    assert (verdict.finding.reason, verdict.finding.detail) == (
        LeftOutReason.WARNINGLIST,
        list_name,
    )
    assert verdict.describe().startswith(f"left out: warninglist {list_name} (entry ")


@pytest.mark.parametrize(
    "text",
    [
        "185.220.101.4",
        "evil-example.net",
        "http://evil-example.net/gate.php",
        "billing@evil-example.net",
        "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
        # SHA-512 has no item kind (no MISP list type speaks of it): it is not looked up, even
        # for the empty file's hash, which the empty-hashes list names.
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    ],
)
def test_a_value_nothing_names_is_kept(text: str) -> None:
    assert _decide(text) == Verdict(kept=True)


def test_force_keeps_what_was_found_and_still_says_what() -> None:
    verdict = _decide("10.0.0.5", force=True)
    assert verdict.kept
    assert verdict.describe() == (
        "kept (forced): warninglist List of RFC 1918 CIDR blocks (entry 10.0.0.0/8)"
    )
    assert _decide("csirt-nordland.eu", force=True).describe() == (
        "kept (forced): own domain csirt-nordland.eu"
    )


def test_without_lists_or_own_addresses_everything_is_kept() -> None:
    for value in extract_values("8.8.8.8 google.com 10.0.0.5 198.51.100.7"):
        assert review_value(value, warninglists=NONE, own=OwnAddresses()).kept


def test_an_allowed_value_is_kept() -> None:
    lists = WarninglistSet(default_warninglists(), frozenset({"8.8.8.8"}))
    assert review_value(_value("8.8.8.8"), warninglists=lists, own=OwnAddresses()).kept


def test_own_addresses_are_normalised_when_parsed() -> None:
    own = OwnAddresses.parse(
        ["198.51.100.7/24", "192.0.2.1"], ["*.CSIRT-Nordland.EU.", "bücher.de"]
    )
    assert [n.compressed for n in own.networks] == ["198.51.100.0/24", "192.0.2.1/32"]
    assert own.domains == ("csirt-nordland.eu", "xn--bcher-kva.de")
    assert own and not OwnAddresses()


@pytest.mark.parametrize(
    ("networks", "domains", "message"),
    [
        (["198.51.100.0/33"], [], "'198.51.100.0/33' is not an IP address or CIDR block"),
        (["intranet"], [], "'intranet' is not an IP address or CIDR block"),
        ([], ["csirt nordland.eu"], "'csirt nordland.eu' is not a domain name"),
        ([], ["a..b"], "'a..b' is not a domain name"),
    ],
)
def test_own_addresses_that_are_not_refused_by_name(
    networks: list[str], domains: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        OwnAddresses.parse(networks, domains)


def test_every_value_type_has_a_label() -> None:
    assert {value_label(t) for t in ValueType} >= {"ipv4-addr", "domain-name", "url", "email-addr"}
    assert len({value_label(t) for t in ValueType}) == len(ValueType)
