"""What a report is about: addresses, blocks, names, URL hosts, mailbox domains."""

from __future__ import annotations

import pytest

from entente.abuse import Target, TargetKind, parse_target, rdap_path
from entente.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", Target(TargetKind.IP, "192.0.2.1")),
        ("198.51.100.0/24", Target(TargetKind.IP, "198.51.100.0")),
        ("2001:DB8::1", Target(TargetKind.IP, "2001:db8::1")),
        ("Evil.Example.COM.", Target(TargetKind.DOMAIN, "evil.example.com")),
        ("https://login.example.org:8443/x?y", Target(TargetKind.DOMAIN, "login.example.org")),
        ("http://[2001:db8::2]/", Target(TargetKind.IP, "2001:db8::2")),
        ("spammer@mail.example.net", Target(TargetKind.DOMAIN, "mail.example.net")),
        ("bücher.example", Target(TargetKind.DOMAIN, "xn--bcher-kva.example")),
    ],
)
def test_targets_are_read_from_values(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["localhost", "not a name", "http:///path", "a..b", ""])
def test_what_is_neither_an_address_nor_a_name_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_target(text)


def test_rdap_paths_follow_rfc_9082() -> None:
    assert rdap_path(parse_target("192.0.2.1")) == "ip/192.0.2.1"
    assert rdap_path(parse_target("example.com")) == "domain/example.com"
