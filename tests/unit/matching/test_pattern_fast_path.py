"""The simple-pattern fast path of ``compile_pattern`` agrees with the full parser (its twin)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.matching.strategies import render_pattern, terms

from entente.matching.model import Term
from entente.matching.patterns import compile_pattern, compile_pattern_reference

_SIMPLE_SHAPES = (
    "[ipv4-addr:value = '{v}']",
    "[ipv4-addr:value ISSUBSET '{v}']",
    "[ipv6-addr:value = '{v}']",
    "[ipv6-addr:value ISSUBSET '{v}']",
    "[domain-name:value = '{v}']",
    "[domain-name:value LIKE '{v}']",
    "[domain-name:value ISSUBSET '{v}']",
    "[url:value = '{v}']",
    "[url:value LIKE '{v}']",
    "[email-addr:value = '{v}']",
    "[file:hashes.MD5 = '{v}']",
    "[file:hashes.'SHA-1' = '{v}']",
    "[file:hashes.SHA256 = '{v}']",
    "[file:hashes.'SHA-256' = '{v}']",
    "[x-ja3:value = '{v}']",
    "[x-ja3s:value = '{v}']",
    "[x-ja4:value = '{v}']",
    "[ x-ja4:value=  '{v}' ]",
)
_LITERALS = (
    "1.2.3.4",
    "10.0.0.0/8",
    "10.1.2.3/32",
    "2001:db8::1",
    "2001:db8::/32",
    "::ffff:10.0.0.0/104",
    "01.2.3.4",
    "evil.com",
    "%.evil.com",
    "%evil.com",
    "EVIL.com.",
    "http://Evil.com:80",
    "a@b.c",
    "Name <A@B.C>",
    "d41d8cd98f00b204e9800998ecf8427e",
    "D41D8CD98F00B204E9800998ECF8427E",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "t13d1516h2_8daaf6152771_b186095e22b6",
    " evil.com",
    "-",
    "(empty)",
    "",
    "zz",
)


@given(st.sampled_from(_SIMPLE_SHAPES), st.sampled_from(_LITERALS) | st.text(max_size=20))
def test_fast_path_agrees_with_the_parser_on_simple_shapes(shape: str, literal: str) -> None:
    pattern = shape.replace("{v}", literal)
    assert compile_pattern(pattern) == compile_pattern_reference(pattern)


@settings(max_examples=300)
@given(st.lists(terms(), min_size=1, max_size=3))
def test_fast_path_agrees_with_the_parser_on_rendered_terms(chosen: list[Term]) -> None:
    pattern = render_pattern(chosen)
    assert compile_pattern(pattern) == compile_pattern_reference(pattern)
