"""Normal forms of matchable values (``entente.matching.values``)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.matching.strategies import JUNK, near_values, terms

from entente.matching.model import Term, TermOp, ValueKind
from entente.matching.values import (
    DIGEST_KINDS,
    NO_VALUE,
    log_values,
    normalize_digest,
    normalize_domain,
    normalize_email,
    normalize_ip,
    normalize_network,
    normalize_url,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1\t", "192.0.2.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("256.1.1.1", None),
        ("1.2.3.300", None),
        ("010.0.0.1", None),  # leading zeros: octal to some parsers, rejected
        ("1.2.3", None),
        ("1.2.3.4.5", None),
        ("１.２.３.４", None),  # fullwidth digits are not ASCII digits
        ("2001:DB8::0:1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"),
        ("::ffff:192.0.2.1", "192.0.2.1"),  # IPv4-mapped: seen as IPv4
        ("::FFFF:C000:0201", "192.0.2.1"),
        ("::192.0.2.1", "::c000:201"),  # IPv4-compatible (deprecated) stays IPv6
        ("fe80::1%eth0", None),
        ("[2001:db8::1]", None),
        ("2001:db8::1/64", None),
        ("192.0.2.0/24", None),
        ("evil.com", None),
        ("", None),
        (":::", None),
    ],
)
def test_normalize_ip(text: str, expected: str | None) -> None:
    assert normalize_ip(text) == expected


@given(st.integers(0, 2**32 - 1))
def test_normalize_ip_agrees_with_ipaddress_for_ipv4(n: int) -> None:
    text = str(ipaddress.IPv4Address(n))
    assert normalize_ip(text) == text


@given(st.integers(0, 2**128 - 1))
def test_normalize_ip_agrees_with_ipaddress_for_ipv6(n: int) -> None:
    address = ipaddress.IPv6Address(n)
    mapped = address.ipv4_mapped
    expected = str(mapped) if mapped is not None else address.compressed
    assert normalize_ip(address.exploded.upper()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),  # host bits cleared
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("192.0.2.1/32", "192.0.2.1/32"),
        ("10.0.0.0/08", "10.0.0.0/8"),
        ("10.0.0.0/33", None),
        ("10.0.0.0/", None),
        ("10.0.0.0/-1", None),
        ("10.0.0.0/ 8", None),
        ("10.0.0.0", None),  # a bare address is not a block
        ("010.0.0.0/8", None),
        ("2001:DB8::1/32", "2001:db8::/32"),
        ("::/0", "::/0"),
        ("2001:db8::/129", None),
        ("::ffff:10.0.0.0/104", "10.0.0.0/8"),  # inside the mapped range: the IPv4 block
        ("::ffff:0:0/96", "0.0.0.0/0"),
        ("::ffff:0:0/95", "::fffe:0:0/95"),  # wider than the mapped range: stays IPv6
        ("fe80::/10%eth0", None),
        ("evil.com/8", None),
    ],
)
def test_normalize_network(text: str, expected: str | None) -> None:
    assert normalize_network(text) == expected


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_an_ipv4_address_is_inside_its_normalised_block(n: int, length: int) -> None:
    address = str(ipaddress.IPv4Address(n))
    block = normalize_network(f"{address}/{length}")
    assert block is not None
    assert ipaddress.ip_address(address) in ipaddress.ip_network(block)
    assert normalize_network(block) == block


_JA4 = "t13d1516h2_8daaf6152771_b0da82dd1658"
_LONG = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Evil.Example.COM", "evil.example.com"),
        ("evil.example.com.", "evil.example.com"),
        (" evil.example.com.\n", "evil.example.com"),
        ("evil.example.com..", None),
        (".evil.example.com", None),
        ("a..b", None),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("MÜNCHEN.DE", "xn--mnchen-3ya.de"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("_dmarc.example.com", "_dmarc.example.com"),
        ("localhost", "localhost"),
        ("a b.com", None),
        ("*.example.com", None),
        ("evil.com:8080", None),
        ("evil.com/x", None),
        ("", None),
        (".", None),
        ("a" * 63 + ".com", "a" * 63 + ".com"),
        ("a" * 64 + ".com", None),
        (_LONG + "d" * 61, _LONG + "d" * 61),  # 253 characters
        (_LONG + "d" * 62, None),  # 254 characters
    ],
)
def test_normalize_domain(text: str, expected: str | None) -> None:
    assert normalize_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HTTP://Evil.Example.COM/Path?Q=1", "http://evil.example.com/Path?Q=1"),
        ("http://evil.com", "http://evil.com/"),
        ("http://evil.com?x=1", "http://evil.com/?x=1"),
        ("http://evil.com:80/a", "http://evil.com/a"),
        ("https://evil.com:443/a", "https://evil.com/a"),
        ("ftp://evil.com:21/a", "ftp://evil.com/a"),
        ("http://evil.com:443/a", "http://evil.com:443/a"),  # not http's default
        ("http://evil.com:080/a", "http://evil.com:080/a"),  # defaults are recognised as written
        ("http://evil.com:/a", "http://evil.com/a"),
        ("http://evil.com/a#frag", "http://evil.com/a"),
        ("http://evil.com#frag", "http://evil.com/"),
        ("http://evil.com./a", "http://evil.com/a"),
        ("http://münchen.de/ä", "http://xn--mnchen-3ya.de/ä"),
        ("http://User:Pw@Evil.com/", "http://User:Pw@evil.com/"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("http://192.0.2.1:8080/x", "http://192.0.2.1:8080/x"),
        ("http://evil.com/%7e%7E/A%2f", "http://evil.com/%7e%7E/A%2f"),  # path byte for byte
        ("hxxp://evil.com/", "hxxp://evil.com/"),  # any scheme; no refanging
        ("  http://evil.com/  ", "http://evil.com/"),
        ("http://", None),
        ("http:///path", None),
        ("http://a b/", None),
        ("http://evil.com:8o/", None),
        ("http://[2001:db8::1/", None),
        ("http://[::1]x/", None),
        ("evil.com/path", None),
        ("mailto:bob@evil.com", None),
        ("", None),
    ],
)
def test_normalize_url(text: str, expected: str | None) -> None:
    assert normalize_url(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bob@Evil.COM", "bob@evil.com"),
        ('"Bob Smith" <Bob@Evil.com>', "bob@evil.com"),
        ("Bob <bob@evil.com> ", "bob@evil.com"),
        ("<bob@evil.com>", "bob@evil.com"),
        (" bob@evil.com\n", "bob@evil.com"),
        ("bob@evil@com", None),
        ("@evil.com", None),
        ("bob@", None),
        ("bob", None),
        ("<>", None),
        ("", None),
    ],
)
def test_normalize_email(text: str, expected: str | None) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (ValueKind.MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        (ValueKind.MD5, " d41d8cd98f00b204e9800998ecf8427e ", "d41d8cd98f00b204e9800998ecf8427e"),
        (ValueKind.MD5, "d41d8cd98f00b204e9800998ecf8427", None),
        (ValueKind.MD5, "g41d8cd98f00b204e9800998ecf8427e", None),
        (ValueKind.SHA1, "a" * 40, "a" * 40),
        (ValueKind.SHA1, "a" * 32, None),
        (ValueKind.SHA256, "A" * 64, "a" * 64),
        (ValueKind.SHA256, "a" * 63 + " ", None),
        (ValueKind.JA3, "e7d705a3286e19ea42f587b344ee6865", "e7d705a3286e19ea42f587b344ee6865"),
        (ValueKind.JA3S, "E" * 32, "e" * 32),
        (ValueKind.JA3S, "e" * 40, None),
        (
            ValueKind.JA4,
            "T13D1516H2_8DAAF6152771_B0DA82DD1658",
            "t13d1516h2_8daaf6152771_b0da82dd1658",
        ),
        (ValueKind.JA4, "  ", None),
    ],
)
def test_normalize_digest(kind: ValueKind, text: str, expected: str | None) -> None:
    assert normalize_digest(kind, text) == expected


@pytest.mark.parametrize("kind", [k for k in ValueKind if k not in DIGEST_KINDS])
def test_normalize_digest_refuses_a_kind_that_is_no_digest(kind: ValueKind) -> None:
    with pytest.raises(ValueError, match="not a digest kind"):
        normalize_digest(kind, "a" * 32)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", (ValueKind.IP, "192.0.2.1")),
        ("2001:db8::1", (ValueKind.IP, "2001:db8::1")),  # before any port is looked for
        ("::ffff:192.0.2.1", (ValueKind.IP, "192.0.2.1")),
        ("192.0.2.1:8080", (ValueKind.IP, "192.0.2.1")),  # RFC 9110 Host: uri-host [":" port]
        ("[2001:db8::1]:443", (ValueKind.IP, "2001:db8::1")),
        ("[2001:db8::1]", (ValueKind.IP, "2001:db8::1")),
        ("Evil.COM.", (ValueKind.DOMAIN, "evil.com")),
        ("evil.com:8080", (ValueKind.DOMAIN, "evil.com")),
        ("evil.com:", (ValueKind.DOMAIN, "evil.com")),
        ("evil.com:http", None),
        ("[192.0.2.1]", None),  # brackets hold IPv6 literals only
        ("[2001:db8::1]x", None),
        ("[2001:db8::1", None),
        ("999.1.1.1", (ValueKind.DOMAIN, "999.1.1.1")),  # not an address, so a name
        ("TXT 34 v=spf1 -all", None),
        ("-", None),
        ("(empty)", None),
    ],
)
def test_a_host_is_an_address_else_a_name(
    text: str, expected: tuple[ValueKind, str] | None
) -> None:
    assert log_values(ValueKind.HOST, text) == expected


@pytest.mark.parametrize("kind", list(ValueKind))
@pytest.mark.parametrize("text", [*sorted(NO_VALUE), " - ", "\t(empty)"])
def test_no_value_markers_are_no_value_of_any_kind(kind: ValueKind, text: str) -> None:
    assert log_values(kind, text) is None


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (ValueKind.IP, "::FFFF:192.0.2.1", (ValueKind.IP, "192.0.2.1")),
        (ValueKind.IP, "evil.com", None),
        (ValueKind.IP, "192.0.2.1:80", None),  # an IP field holds bare addresses only
        (ValueKind.DOMAIN, "Evil.COM.", (ValueKind.DOMAIN, "evil.com")),
        (ValueKind.DOMAIN, "192.0.2.1", (ValueKind.DOMAIN, "192.0.2.1")),  # a name field
        (ValueKind.URL, "HTTP://EVIL.com", (ValueKind.URL, "http://evil.com/")),
        (ValueKind.EMAIL, "<Bob@Evil.com>", (ValueKind.EMAIL, "bob@evil.com")),
        (ValueKind.SHA1, "A" * 40, (ValueKind.SHA1, "a" * 40)),
        (ValueKind.JA4, "t13d", (ValueKind.JA4, "t13d")),
    ],
)
def test_log_values(kind: ValueKind, text: str, expected: tuple[ValueKind, str] | None) -> None:
    assert log_values(kind, text) == expected


_ALL_KINDS = st.sampled_from(list(ValueKind))


@given(_ALL_KINDS, terms().map(near_values).flatmap(st.sampled_from) | st.sampled_from(JUNK))
def test_log_values_is_idempotent(kind: ValueKind, text: str) -> None:
    seen = log_values(kind, text)
    if seen is not None:
        seen_kind, value = seen
        assert kind in (seen_kind, ValueKind.HOST)
        assert log_values(seen_kind, value) == seen


@given(_ALL_KINDS, st.text(max_size=40))
def test_log_values_never_raises(kind: ValueKind, text: str) -> None:
    seen = log_values(kind, text)
    assert seen is None or (seen[1] and seen[1] == seen[1].strip(" \t\r\n\x0b\x0c"))


@given(terms())
def test_every_generated_term_is_in_normal_form(term: Term) -> None:
    if term.op is TermOp.IN_NETWORK:
        assert normalize_network(term.value) == term.value
    else:
        assert log_values(term.kind, term.value) == (term.kind, term.value)
