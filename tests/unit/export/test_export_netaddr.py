"""IP values for the edge renderers: addresses and blocks checked at C speed, IPv6 written in
its RFC 5952 form, and the ``::`` of that form the zero run RPZ names ``zz``."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.export._netaddr import IpValue, ip_text, ipv6_text, is_rfc5952, read_ip
from entente.export.rpz import _ipv6_labels, _reversed_groups


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", IpValue(4, 0xC0000201, None, "192.0.2.1")),
        ("10.0.0.0/8", IpValue(4, 0x0A000000, 8, "10.0.0.0/8")),
        ("10.1.2.3/8", IpValue(4, 0x0A000000, 8, "10.0.0.0/8")),
        ("2001:DB8:0::1", IpValue(6, 0x20010DB8 << 96 | 1, None, "2001:db8::1")),
        ("2001:db8::1/32", IpValue(6, 0x20010DB8 << 96, 32, "2001:db8::/32")),
    ],
)
def test_read_ip_reads_addresses_and_blocks(text: str, expected: IpValue) -> None:
    assert read_ip(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "256.0.0.1",
        "01.2.3.4",
        "1.2.3",
        "10.0.0.0/33",
        "10.0.0.0/08",
        "fe80::1%eth0",
        "gg::1",
        "2001:db8::/129",
        "",
        "example.com",
        "1:2:3:4:5:6:7:8:9",
    ],
)
def test_read_ip_refuses_what_is_neither(text: str) -> None:
    assert read_ip(text) is None


def test_ip_text_tells_addresses_from_blocks() -> None:
    assert ip_text("192.0.2.1", network=False) == "192.0.2.1"
    assert ip_text("2001:db8::1", network=False) == "2001:db8::1"
    assert ip_text("10.0.0.0/8", network=False) is None
    assert ip_text("10.0.0.0/8", network=True) == "10.0.0.0/8"
    assert ip_text("192.0.2.1", network=True) is None


_V6 = st.lists(st.sampled_from([0, 0, 0, 1, 0xDB8, 0xFFFF]), min_size=8, max_size=8).map(
    lambda words: sum(w << (16 * (7 - i)) for i, w in enumerate(words))
)


@settings(max_examples=300, deadline=None)
@given(number=st.one_of(_V6, st.integers(0, 2**128 - 1)))
def test_ipv6_text_is_rfc_5952_and_rpz_labels_agree_with_the_word_algorithm(number: int) -> None:
    text = ipv6_text(number)
    assert ipaddress.IPv6Address(text) == ipaddress.IPv6Address(number)
    if "." not in ipaddress.IPv6Address(number).compressed:
        assert text == ipaddress.IPv6Address(number).compressed  # RFC 5952 §4
    assert "." not in text
    assert _reversed_groups(text) == _ipv6_labels(number)
    # inet_ntop writes the IPv4-compatible and -mapped ranges with a dotted quad: those texts
    # are not what it writes back, and RPZ takes its word algorithm for them.
    assert is_rfc5952(text) or number >> 32 in (0, 0xFFFF)
