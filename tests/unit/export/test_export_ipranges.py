"""Addresses and blocks as integer intervals: the fast reading agrees with ipaddress, merging
gives the union, and what is not an address is refused."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from entente.export._ipranges import address_entry, format_address, merge_addresses


@settings(max_examples=500)
@given(st.integers(0, 2**128 - 1), st.integers(0, 128))
def test_ipv6_text_reads_as_ipaddress_reads_it(number: int, prefix: int) -> None:
    address = ipaddress.IPv6Address(number)
    assert merge_addresses([address.compressed]).v6 == (address.compressed,)
    # Another valid spelling is the same address: one element, written as first given.
    assert merge_addresses([address.compressed, address.exploded]).v6 == (address.compressed,)
    upper = address.exploded.upper()  # ipaddress reads it; written afresh unless first
    assert merge_addresses([address.compressed, upper]).v6 == (address.compressed,)
    network = ipaddress.IPv6Network((number, prefix), strict=False)
    assert merge_addresses([str(network)]).v6 == (str(network),)
    assert format_address(6, number) == address.compressed


@settings(max_examples=500)
@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_ipv4_text_reads_as_ipaddress_reads_it(number: int, prefix: int) -> None:
    address = ipaddress.IPv4Address(number)
    assert merge_addresses([str(address)]).v4 == (str(address),)
    network = ipaddress.IPv4Network((number, prefix), strict=False)
    assert merge_addresses([str(network)]).v4 == (str(network),)
    assert format_address(4, number) == str(address)


def test_values_that_are_not_addresses_are_refused() -> None:
    bad = [
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.0.0.1",
        "01.2.3.4",  # a leading zero is octal to some readers
        "1.2.3.4/33",
        "1.2.3.4/",
        "1.2.3.4/a",
        "::1::2",
        "1:2:3:4:5:6:7:8:9",
        "12345::",
        ":::",
        "fe80::1%eth0",
        "2001:db8::/129",
        "evil.example",
        "10.0.0.1\n",
    ]
    assert merge_addresses(bad).invalid == tuple(range(len(bad)))
    assert all(address_entry(text) is None for text in bad)


def test_other_spellings_are_read_and_written_canonically() -> None:
    merged = merge_addresses(["2001:DB8::1", "10.1.2.3/8", "2001:DB8:0:0:1::/80"])
    assert merged.v4 == ("10.0.0.0/8",)
    assert merged.v6 == ("2001:db8::1", "2001:db8:0:0:1::/80")
    canonical = address_entry("10.0.0.0/8")
    assert canonical is not None
    assert address_entry("10.1.2.3/8") == canonical


def test_merging_joins_overlaps_and_neighbours_and_keeps_gaps() -> None:
    merged = merge_addresses(
        ["192.0.2.0/25", "192.0.2.128/25", "192.0.2.10", "198.51.100.1", "198.51.100.3"]
    )
    assert merged.v4 == ("192.0.2.0/24", "198.51.100.1", "198.51.100.3")
    assert merge_addresses(["0.0.0.0/0", "255.255.255.255"]).v4 == ("0.0.0.0/0",)
    assert merge_addresses(["10.0.0.1", "10.0.0.2", "10.0.0.3"]).v4 == ("10.0.0.1-10.0.0.3",)


def test_the_sort_key_orders_numerically_ipv4_first_wider_blocks_first() -> None:
    texts = ["2001:db8::1", "10.0.0.0/16", "9.0.0.0", "10.0.0.0/8", "::/0", "10.0.0.0"]
    keys: dict[str, int] = {}
    for text in texts:
        entry = address_entry(text)
        assert entry is not None
        keys[text] = entry[1]
    ordered = sorted(texts, key=keys.__getitem__)
    assert ordered == ["9.0.0.0", "10.0.0.0/8", "10.0.0.0/16", "10.0.0.0", "::/0", "2001:db8::1"]
