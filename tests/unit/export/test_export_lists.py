"""External dynamic lists: one entry per line, each list of one type, that read back to exactly
the values rendered, and what a list cannot hold reported.

Golden files ``golden/edl-addresses.txt``, ``golden/edl-domains.txt``, ``golden/edl-urls.txt``;
regenerate with ``ENTENTE_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.export.conftest import check_golden
from tests.unit.export.edge_items import CONTEXT, ITEMS

from entente.export.lists import (
    SUBDOMAIN_PREFIX,
    render_addresses,
    render_domains,
    render_urls,
)
from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOutReason

_ID = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
Entry = tuple[ItemKind, ItemOp, str]


def _item(kind: ItemKind, value: str, op: ItemOp = ItemOp.EQUALS) -> ExportItem:
    return ExportItem(_ID, kind, op, value, 70)


def lines(body: bytes) -> list[str]:
    """The entries of a list: one per line, every line ending in a line feed."""
    text = body.decode("ascii")
    assert text == "" or text.endswith("\n")
    return text.splitlines()


def read_addresses(body: bytes) -> set[Entry]:
    """An address list back to items: a block has a prefix, an address has none."""
    return {
        (ItemKind.IP, ItemOp.IN_NETWORK if "/" in line else ItemOp.EQUALS, line)
        for line in lines(body)
    }


def read_domains(body: bytes) -> set[Entry]:
    """A domain list back to items: ``*.name`` is every strict subdomain of ``name``."""
    return {
        (ItemKind.DOMAIN, ItemOp.SUBDOMAIN, line.removeprefix(SUBDOMAIN_PREFIX))
        if line.startswith(SUBDOMAIN_PREFIX)
        else (ItemKind.DOMAIN, ItemOp.EQUALS, line)
        for line in lines(body)
    }


def test_golden() -> None:
    for name, render in (
        ("edl-addresses.txt", render_addresses),
        ("edl-domains.txt", render_domains),
        ("edl-urls.txt", render_urls),
    ):
        rendered = render(ITEMS, CONTEXT)
        check_golden(name, rendered.body)
        assert rendered.media_type == "text/plain; charset=utf-8"
        assert rendered.count == len(lines(rendered.body))


def test_addresses_are_deduplicated_and_sorted_numerically_ipv4_first() -> None:
    items = [
        _item(ItemKind.IP, "2001:db8::1"),
        _item(ItemKind.IP, "10.0.0.0/8", ItemOp.IN_NETWORK),
        _item(ItemKind.IP, "9.255.255.255"),
        _item(ItemKind.IP, "10.0.0.0/16", ItemOp.IN_NETWORK),
        _item(ItemKind.IP, "10.0.0.0/8", ItemOp.IN_NETWORK),
        _item(ItemKind.IP, "192.0.2.1"),
        _item(ItemKind.IP, "2001:db8::/32", ItemOp.IN_NETWORK),
    ]
    rendered = render_addresses(items, CONTEXT)
    assert lines(rendered.body) == [
        "9.255.255.255",
        "10.0.0.0/8",  # not merged: each value stays findable as given
        "10.0.0.0/16",
        "192.0.2.1",
        "2001:db8::/32",
        "2001:db8::1",
    ]
    assert rendered.count == 6


def test_an_address_with_host_bits_is_written_as_its_network() -> None:
    rendered = render_addresses([_item(ItemKind.IP, "10.1.2.3/8", ItemOp.IN_NETWORK)], CONTEXT)
    assert lines(rendered.body) == ["10.0.0.0/8"]


def test_subdomains_are_written_with_the_asterisk_wildcard() -> None:
    rendered = render_domains(ITEMS, CONTEXT)
    assert lines(rendered.body) == ["*.bad.example", "_dmarc.x-y.example", "evil.example"]


def test_urls_lose_their_scheme_and_the_unwritable_ones_are_reported() -> None:
    items = [
        _item(ItemKind.URL, "http://evil.example/a?b=c"),
        _item(ItemKind.URL, "https://evil.example/a?b=c"),  # the same entry
        _item(ItemKind.URL, "http://[2001:db8::1]:8080/x"),
        _item(ItemKind.URL, "ftp://evil.example/file"),
        _item(ItemKind.URL, "http://user@evil.example/"),
        _item(ItemKind.URL, "http://evil.example/*"),
        _item(ItemKind.URL, "http://evil.example/^a"),
        _item(ItemKind.URL, "http://evil.example/a b"),
        _item(ItemKind.URL, "http://evil.example/a\nevil.example/other"),
        _item(ItemKind.URL, "http://evil.example/a\u2028evil.example/other"),
        _item(ItemKind.URL, "http://evil.example/", ItemOp.SUBDOMAIN),
    ]
    rendered = render_urls(items, CONTEXT)
    assert lines(rendered.body) == ["[2001:db8::1]:8080/x", "evil.example/a?b=c"]
    details = [out.detail for out in rendered.left_out]
    assert [out.value for out in rendered.left_out] == [item.value for item in items[3:]]
    assert {out.reason for out in rendered.left_out} == {LeftOutReason.UNSUPPORTED}
    assert "HTTP and HTTPS requests only" in details[0]
    assert "userinfo" in details[1]
    assert all("wildcard tokens" in detail for detail in details[2:7])


def test_each_list_reports_the_other_kinds_and_ops() -> None:
    for render, kind in (
        (render_addresses, ItemKind.IP),
        (render_domains, ItemKind.DOMAIN),
        (render_urls, ItemKind.URL),
    ):
        rendered = render(ITEMS, CONTEXT)
        others = [item for item in ITEMS if item.kind is not kind]
        assert {(out.kind, out.value) for out in rendered.left_out} >= {
            (item.kind, item.value) for item in others
        }
        assert all(out.reason is LeftOutReason.UNSUPPORTED for out in rendered.left_out)
    bad = render_domains(
        [_item(ItemKind.DOMAIN, "Evil.Example"), _item(ItemKind.DOMAIN, "a b")], CONTEXT
    )
    assert bad.count == 0
    assert len(bad.left_out) == 2


def test_an_empty_list_is_an_empty_file() -> None:
    for render in (render_addresses, render_domains, render_urls):
        assert render([], CONTEXT).body == b""


_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
_NAME = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)


@st.composite
def address_items(draw: st.DrawFn) -> ExportItem:
    v6 = draw(st.booleans())
    width = 128 if v6 else 32
    number = draw(st.integers(0, 2**width - 1))
    if draw(st.booleans()):
        address = ipaddress.IPv6Address(number) if v6 else ipaddress.IPv4Address(number)
        return _item(ItemKind.IP, str(address))
    network = ipaddress.ip_network((number, draw(st.integers(0, width))), strict=False)
    return _item(ItemKind.IP, str(network), ItemOp.IN_NETWORK)


_DOMAIN_ITEMS = st.builds(
    lambda name, op: _item(ItemKind.DOMAIN, name, op),
    _NAME,
    st.sampled_from([ItemOp.EQUALS, ItemOp.SUBDOMAIN]),
)
_URL_ITEMS = st.builds(
    lambda scheme, host, path: _item(ItemKind.URL, f"{scheme}://{host}/{path}"),
    st.sampled_from(["http", "https"]),
    _NAME,
    st.text("abcXYZ019-._~/?=&%;:+'\"", max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(address_items(), max_size=40))
def test_an_address_list_reads_back_to_exactly_its_items(items: list[ExportItem]) -> None:
    rendered = render_addresses(items, CONTEXT)
    assert read_addresses(rendered.body) == {(i.kind, i.op, i.value) for i in items}
    assert rendered.left_out == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(_DOMAIN_ITEMS, max_size=40))
def test_a_domain_list_reads_back_to_exactly_its_items(items: list[ExportItem]) -> None:
    rendered = render_domains(items, CONTEXT)
    assert read_domains(rendered.body) == {(i.kind, i.op, i.value) for i in items}
    assert rendered.left_out == ()


@settings(max_examples=200, deadline=None)
@given(st.lists(_URL_ITEMS, max_size=40))
def test_a_url_list_reads_back_to_its_urls_without_scheme(items: list[ExportItem]) -> None:
    rendered = render_urls(items, CONTEXT)
    assert set(lines(rendered.body)) == {i.value.partition("://")[2] for i in items}
    assert rendered.left_out == ()
