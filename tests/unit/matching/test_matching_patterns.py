"""STIX patterns compiled into matcher terms, or refused with the construct named."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from tests.unit.matching.strategies import indicator_sets, render_pattern

from entente.ingest.indicators import pattern_for
from entente.ingest.values import ValueType, parse_value
from entente.matching.model import IndicatorSet, Term, TermOp, ValueKind
from entente.matching.patterns import PatternVerdict, compile_pattern
from entente.stix.patterns import validate_pattern

IP, DOMAIN, URL, EMAIL = ValueKind.IP, ValueKind.DOMAIN, ValueKind.URL, ValueKind.EMAIL
EQ, NET, SUB = TermOp.EQUALS, TermOp.IN_NETWORK, TermOp.SUBDOMAIN
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
JA4 = "t13d1516h2_8daaf6152771_b0da82dd1658"


@pytest.mark.parametrize(
    ("pattern", "terms"),
    [
        ("[ipv4-addr:value = '198.51.100.7']", [Term(IP, EQ, "198.51.100.7")]),
        ("[ipv4-addr:value = '198.51.100.0/24']", [Term(IP, NET, "198.51.100.0/24")]),
        ("[ipv4-addr:value ISSUBSET '198.51.100.9/24']", [Term(IP, NET, "198.51.100.0/24")]),
        ("[ipv4-addr:value ISSUBSET '198.51.100.9/32']", [Term(IP, EQ, "198.51.100.9")]),
        ("[ipv4-addr:value ISSUBSET '198.51.100.9']", [Term(IP, EQ, "198.51.100.9")]),
        ("[ipv4-addr:value = '0.0.0.0/0']", [Term(IP, NET, "0.0.0.0/0")]),
        ("[ipv6-addr:value = '2001:DB8::1']", [Term(IP, EQ, "2001:db8::1")]),
        ("[ipv6-addr:value ISSUBSET '2001:db8::1/32']", [Term(IP, NET, "2001:db8::/32")]),
        ("[ipv6-addr:value = '2001:db8::1/128']", [Term(IP, EQ, "2001:db8::1")]),
        ("[ipv6-addr:value = '::ffff:198.51.100.7']", [Term(IP, EQ, "198.51.100.7")]),
        ("[ipv6-addr:value ISSUBSET '::ffff:10.0.0.0/104']", [Term(IP, NET, "10.0.0.0/8")]),
        (
            "[ipv4-addr:value IN ('198.51.100.7', '203.0.113.0/24')]",
            [Term(IP, EQ, "198.51.100.7"), Term(IP, NET, "203.0.113.0/24")],
        ),
        ("[domain-name:value = 'Evil.Example.COM.']", [Term(DOMAIN, EQ, "evil.example.com")]),
        ("[domain-name:value LIKE '%.evil.co.uk']", [Term(DOMAIN, SUB, "evil.co.uk")]),
        ("[domain-name:value LIKE '%.EVIL.example.']", [Term(DOMAIN, SUB, "evil.example")]),
        ("[domain-name:value LIKE 'evil.example']", [Term(DOMAIN, EQ, "evil.example")]),
        (
            "[domain-name:value IN ('a.example', 'münchen.de')]",
            [Term(DOMAIN, EQ, "a.example"), Term(DOMAIN, EQ, "xn--mnchen-3ya.de")],
        ),
        (
            "[url:value = 'HTTP://Evil.Example:80/Path#x']",
            [Term(URL, EQ, "http://evil.example/Path")],
        ),
        ("[email-addr:value = 'Bob@Evil.Example']", [Term(EMAIL, EQ, "bob@evil.example")]),
        (f"[file:hashes.MD5 = '{MD5.upper()}']", [Term(ValueKind.MD5, EQ, MD5)]),
        (f"[file:hashes.'md5' = '{MD5}']", [Term(ValueKind.MD5, EQ, MD5)]),
        (f"[file:hashes.'SHA-1' = '{SHA1}']", [Term(ValueKind.SHA1, EQ, SHA1)]),
        (f"[file:hashes.SHA1 = '{SHA1}']", [Term(ValueKind.SHA1, EQ, SHA1)]),
        (f"[file:hashes.'SHA1' = '{SHA1}']", [Term(ValueKind.SHA1, EQ, SHA1)]),
        (f"[file:hashes.'SHA-256' = '{SHA256}']", [Term(ValueKind.SHA256, EQ, SHA256)]),
        (f"[file:hashes.SHA256 = '{SHA256}']", [Term(ValueKind.SHA256, EQ, SHA256)]),
        (f"[file:hashes.'sha-256' = '{SHA256}']", [Term(ValueKind.SHA256, EQ, SHA256)]),
        (
            # stix2-patterns refuses IN sets of hashes (it checks the set's text as one hash)
            f"[x-ja3:value IN ('{MD5}', '{'0' * 32}')]",
            [Term(ValueKind.JA3, EQ, MD5), Term(ValueKind.JA3, EQ, "0" * 32)],
        ),
        (f"[x-ja3:value = '{MD5.upper()}']", [Term(ValueKind.JA3, EQ, MD5)]),
        (f"[x-ja3s:value = '{MD5}']", [Term(ValueKind.JA3S, EQ, MD5)]),
        (f"[x-ja4:value = '{JA4.upper()}']", [Term(ValueKind.JA4, EQ, JA4)]),
        (
            "[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'evil.example']"
            " OR [url:value = 'http://x.example/']",
            [
                Term(IP, EQ, "1.2.3.4"),
                Term(DOMAIN, EQ, "evil.example"),
                Term(URL, EQ, "http://x.example/"),
            ],
        ),
        (
            "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.4']",
            [Term(IP, EQ, "1.2.3.4")],
        ),
        ("([ipv4-addr:value = '1.2.3.4'])", [Term(IP, EQ, "1.2.3.4")]),
        (
            "[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '1.2.3.4/32']"
            " OR [ipv6-addr:value = '::ffff:1.2.3.4'] OR [ipv4-addr:value IN ('1.2.3.4')]",
            [Term(IP, EQ, "1.2.3.4")],  # four spellings, one term
        ),
    ],
)
def test_deployable_patterns_compile_to_their_terms(pattern: str, terms: list[Term]) -> None:
    assert compile_pattern(pattern) == PatternVerdict(tuple(terms))


_SHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" * 2


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (
            "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']",
            "FOLLOWEDBY joins observations; the matcher evaluates single observations only",
        ),
        (
            "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']",
            "AND joins observations",
        ),
        (
            "[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.4']",
            "AND joins observations",
        ),
        (
            "[network-traffic:dst_ref.value = '1.2.3.4' AND network-traffic:dst_port = 443]",
            "AND across comparisons of one observation "
            "(network-traffic:dst_ref.value AND network-traffic:dst_port)",
        ),
        ("[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8']", "AND across comparisons"),
        ("[url:value MATCHES '^http://evil']", "MATCHES (regular expression) is not evaluated"),
        ("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", "qualifier WITHIN 300 SECONDS"),
        ("[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES", "qualifier REPEATS 5 TIMES"),
        (
            "[ipv4-addr:value = '1.2.3.4']"
            " START t'2024-01-01T00:00:00Z' STOP t'2025-01-01T00:00:00Z'",
            "qualifier START t'2024-01-01T00:00:00Z' STOP t'2025-01-01T00:00:00Z'",
        ),
        ("[ipv4-addr:value != '1.2.3.4']", "negated comparison != (ipv4-addr:value != '1.2.3.4')"),
        ("[ipv4-addr:value NOT = '1.2.3.4']", "negated comparison NOT ="),
        ("[domain-name:value NOT IN ('a.example')]", "negated comparison NOT IN"),
        ("[ipv4-addr:value ISSUPERSET '1.2.3.4']", "ISSUPERSET is not evaluated"),
        ("[EXISTS ipv4-addr:value]", "EXISTS is not evaluated"),
        ("[file:size > 1000]", "ordering comparison > is not evaluated"),
        ("[process:name = 'evil.exe']", "unsupported object path process:name"),
        ("[file:name = 'evil.exe']", "unsupported object path file:name"),
        (
            "[domain-name:resolves_to_refs[*].value = '1.2.3.4']",
            "unsupported object path domain-name:resolves_to_refs[*].value",
        ),
        (f"[file:hashes.'SHA-512' = '{_SHA512}']", "SHA-512 hashes are not matched"),
        ("[file:hashes.TLSH = 'T1ABC']", "TLSH hashes are not matched"),
        ("[ipv4-addr:value = '2001:db8::1']", "is an IPv6 value; ipv4-addr:value holds IPv4 only"),
        ("[ipv6-addr:value = '10.0.0.0/8']", "is an IPv4 value; ipv6-addr:value holds IPv6 only"),
        ("[ipv4-addr:value = '1.2.3.999']", "'1.2.3.999' is not an IPv4 address or CIDR block"),
        ("[ipv4-addr:value = '10.0.0.0/33']", "'10.0.0.0/33' is not an IPv4 address or CIDR"),
        ("[ipv4-addr:value LIKE '10.0.%']", "LIKE on ipv4-addr:value is not evaluated"),
        ("[domain-name:value LIKE '%evil.example']", "LIKE '%evil.example' on domain-name:value"),
        ("[domain-name:value LIKE 'ev_l.example']", "LIKE 'ev_l.example' on domain-name:value"),
        ("[domain-name:value LIKE '%.%.example']", "LIKE '%.%.example' on domain-name:value"),
        ("[domain-name:value ISSUBSET 'evil.example']", "ISSUBSET on domain-name:value"),
        ("[domain-name:value = 'not a name']", "'not a name' is not a domain name"),
        ("[url:value = 'evil.example/path']", "is not an absolute URL"),
        ("[email-addr:value = 'nobody']", "'nobody' is not an email address"),
        ("[x-ja3:value = 'xyz']", "'xyz' is not a JA3 value (32 hexadecimal digits)"),
        ("[x-ja4:value = '']", "'' is a no-value marker in logs and never matches"),
        ("[x-ja4:value = ' ']", "' ' is a no-value marker in logs and never matches"),
        ("[domain-name:value = '-']", "'-' is a no-value marker in logs and never matches"),
        ("[domain-name:value IN ('a.example', '(empty)')]", "'(empty)' is a no-value marker"),
        ("[ipv4-addr:value = 5]", "compared with the int literal 5"),
        ("[ipv4-addr:value IN ()]", "the pattern matches no value"),
        ("[ipv4-addr:value = '1.2.3.4' OR file:name = 'x']", "unsupported object path file:name"),
    ],
)
def test_each_construct_outside_the_subset_is_refused_with_its_reason(
    pattern: str, reason: str
) -> None:
    validate_pattern(pattern)  # a valid STIX 2.1 pattern, just not one the matcher evaluates
    verdict = compile_pattern(pattern)
    assert verdict.terms == ()
    assert not verdict.deployable
    assert verdict.reason is not None
    assert reason in verdict.reason


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("ipv4-addr:value = '1.2.3.4'", "pattern is not a valid STIX 2.1 pattern (§9)"),
        ("[file:hashes.MD5 = 'nothex']", "pattern is not a valid STIX 2.1 pattern (§9)"),
        ("[ipv4-addr:value = '1.2.3.4'", "pattern is not a valid STIX 2.1 pattern (§9)"),
        ("", "pattern is empty"),
    ],
)
def test_an_invalid_pattern_is_refused(pattern: str, reason: str) -> None:
    verdict = compile_pattern(pattern)
    assert verdict.reason is not None and verdict.reason.startswith(reason)


_FEED_VALUES: dict[ValueType, tuple[str, Term | str]] = {
    ValueType.IPV4: ("198.51.100.7", Term(IP, EQ, "198.51.100.7")),
    ValueType.IPV6: ("2001:DB8::7", Term(IP, EQ, "2001:db8::7")),
    ValueType.IPV4_CIDR: ("198.51.100.0/24", Term(IP, NET, "198.51.100.0/24")),
    ValueType.IPV6_CIDR: ("2001:db8::/32", Term(IP, NET, "2001:db8::/32")),
    ValueType.DOMAIN: ("Evil-Domain.com", Term(DOMAIN, EQ, "evil-domain.com")),
    ValueType.URL: ("http://evil-domain.com/x?a=b", Term(URL, EQ, "http://evil-domain.com/x?a=b")),
    ValueType.EMAIL: ("bob@evil-domain.com", Term(EMAIL, EQ, "bob@evil-domain.com")),
    ValueType.MD5: (MD5, Term(ValueKind.MD5, EQ, MD5)),
    ValueType.SHA1: (SHA1, Term(ValueKind.SHA1, EQ, SHA1)),
    ValueType.SHA256: (SHA256, Term(ValueKind.SHA256, EQ, SHA256)),
    ValueType.SHA512: (_SHA512, "file:hashes.'SHA-512': SHA-512 hashes are not matched"),
    ValueType.IP_PORT: ("198.51.100.7:443", Term(IP, EQ, "198.51.100.7")),
}


def test_every_feed_value_type_has_a_case() -> None:
    assert set(_FEED_VALUES) == set(ValueType)


@pytest.mark.parametrize("value_type", list(ValueType))
def test_patterns_from_feed_ingest_compile(value_type: ValueType) -> None:
    text, expected = _FEED_VALUES[value_type]
    typed = parse_value(text, value_type)
    assert typed is not None
    verdict = compile_pattern(pattern_for(typed))
    if isinstance(expected, Term):
        assert verdict == PatternVerdict((expected,))
    else:
        assert verdict.reason is not None and verdict.reason.startswith(expected)


def test_an_ipv6_port_pattern_from_feed_ingest_deploys_its_address() -> None:
    typed = parse_value("[2001:db8::1]:8443", ValueType.IP_PORT)
    assert typed is not None
    verdict = compile_pattern(pattern_for(typed))
    assert verdict == PatternVerdict((Term(IP, EQ, "2001:db8::1"),))


def _expected(term: Term) -> Term:
    """The term a pattern rendered from ``term`` compiles to (a /32 or /128 is an address)."""
    if term.op is TermOp.IN_NETWORK:
        network = ipaddress.ip_network(term.value)
        if network.prefixlen == network.max_prefixlen:
            return Term(IP, EQ, str(network.network_address))
    return term


@settings(max_examples=60, deadline=None)
@given(indicator_sets())
def test_generated_indicator_patterns_compile_back_to_their_terms(indicators: IndicatorSet) -> None:
    for indicator in indicators.indicators:
        verdict = compile_pattern(render_pattern(indicator.terms))
        if any(t.op is TermOp.SUBDOMAIN and "_" in t.value for t in indicator.terms):
            # "_" is a LIKE wildcard (§9.5): such a suffix has no STIX spelling
            assert verdict.reason is not None and "LIKE '%." in verdict.reason
            continue
        assert verdict.deployable, verdict.reason
        assert verdict.terms == tuple(dict.fromkeys(_expected(t) for t in indicator.terms))
