"""``parse_warninglist``: MISP documents into checked lists, quirks tolerated, bad input located."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from entente.errors import InvalidInput, MalformedDocument
from entente.scoring import (
    IgnoredEntry,
    WarninglistCategory,
    WarninglistType,
    parse_warninglist,
)
from entente.scoring.warninglists import compile_regex, normalize_hostname, parse_block

LISTS = Path(__file__).parents[2] / "data" / "warninglists" / "lists"


def _doc(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "test list",
        "version": 1,
        "description": "for tests",
        "type": "string",
        "list": ["a"],
    }
    doc.update(fields)
    return doc


def _real(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((LISTS / name / "list.json").read_bytes())
    return data


def test_real_rfc1918_list_is_parsed_with_its_metadata() -> None:
    wl = parse_warninglist(_real("rfc1918"), "rfc1918/list.json")
    assert wl.name == "List of RFC 1918 CIDR blocks"
    assert wl.version == 5
    assert wl.type is WarninglistType.CIDR
    assert wl.category is WarninglistCategory.FALSE_POSITIVE
    assert wl.entries == ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    assert wl.kinds == frozenset({"ip"})
    assert wl.source == "rfc1918/list.json"
    assert wl.ignored == ()


def test_every_shipped_test_list_parses_without_refusal() -> None:
    for path in sorted(LISTS.glob("*/list.json")):
        wl = parse_warninglist(orjson.loads(path.read_bytes()), str(path))
        assert wl.entries, path


def test_empty_hashes_applies_to_hash_kinds_only_so_its_ssdeep_entry_is_no_address() -> None:
    wl = parse_warninglist(_real("empty-hashes"), "empty-hashes")
    assert "3::" in wl.entries  # the ssdeep of an empty file
    assert wl.kinds == frozenset({"md5", "sha1", "sha256"})


def test_hostname_list_reaches_names_and_urls_but_never_addresses() -> None:
    wl = parse_warninglist(_real("tranco10k"), "tranco10k")
    # matching_attributes has domain|ip, but a hostname list says nothing about addresses.
    assert wl.kinds == frozenset({"domain", "url"})


def test_matching_attributes_are_compared_without_case() -> None:
    wl = parse_warninglist(_doc(matching_attributes=["URL", "Domain"]), "x")
    assert wl.kinds == frozenset({"url", "domain"})


def test_a_list_without_matching_attributes_applies_to_every_kind_its_type_reaches() -> None:
    assert parse_warninglist(_doc(), "x").kinds == frozenset(
        {"ip", "domain", "url", "email", "md5", "sha1", "sha256", "ja3", "ja3s", "ja4"}
    )
    cidr = parse_warninglist(_doc(type="cidr", list=["10.0.0.0/8"]), "x")
    assert cidr.kinds == frozenset({"ip"})


def test_misp_tolerances_list_object_type_array_missing_version_and_type() -> None:
    doc = {"name": "with comments", "list": {"8.8.8.8": "Google", "": "empty"}}
    wl = parse_warninglist(doc, "x")
    assert wl.entries == ("8.8.8.8",)  # keys are the values; the empty one is skipped
    assert wl.version == 1
    assert wl.type is WarninglistType.STRING
    typed = parse_warninglist(_doc(type=["hostname"], version="20240101"), "x")
    assert typed.type is WarninglistType.HOSTNAME
    assert typed.version == 20240101


def test_category_accepts_both_misp_spellings() -> None:
    assert parse_warninglist(_doc(category="known"), "x").category is WarninglistCategory.KNOWN
    fp = parse_warninglist(_doc(category="false_positive"), "x")
    assert fp.category is WarninglistCategory.FALSE_POSITIVE


@pytest.mark.parametrize(
    ("doc", "error", "message"),
    [
        ([], MalformedDocument, "src: a warninglist is a JSON object, not an array"),
        (_doc(name=""), MalformedDocument, "src: name: a warninglist needs"),
        (_doc(list="8.8.8.8"), MalformedDocument, "src: list: must be an array of strings"),
        (_doc(list=["a", 7]), MalformedDocument, "src: list[1]: must be a string, not a number"),
        (_doc(version=1.5), MalformedDocument, "src: version: must be a non-negative integer"),
        (_doc(matching_attributes="ip-src"), MalformedDocument, "src: matching_attributes"),
        (_doc(description=3), MalformedDocument, "src: description: must be a string"),
        (_doc(category="maybe"), InvalidInput, "src: category: 'maybe' is not a warninglist"),
    ],
)
def test_bad_documents_are_refused_with_their_location(
    doc: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        parse_warninglist(doc, "src")


def test_unknown_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_warninglist(_doc(type="wildcard"), "lists/x/list.json")
    assert str(caught.value) == (
        "lists/x/list.json: type: 'wildcard' is not a warninglist type "
        "(one of cidr, hostname, string, substring, regex)"
    )
    assert not isinstance(caught.value, MalformedDocument)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("10.0.0.0/33", "has prefix length 33; IPv4 allows at most 32"),
        ("256.1.1.1", "has an octet over 255"),
        ("010.0.0.1", "is not an IPv4 address or block"),
        ("example.com", "is not an IPv4 address or block"),
        ("2001:db8::/129", "has prefix length 129; IPv6 allows at most 128"),
        ("fe80::1%eth0", "has an IPv6 zone id"),
        ("2001:db8:::1", "is not an IPv6 address or block"),
        ("10.0.0.0/x", "has no valid prefix length"),
    ],
)
def test_cidr_entries_that_are_no_blocks_are_refused_with_position(entry: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(f"src: list[1]: {entry!r} {reason}")):
        parse_warninglist(_doc(type="cidr", list=["10.0.0.0/8", entry]), "src")


def test_cidr_blocks_lose_their_host_bits_and_bare_addresses_are_blocks_of_one() -> None:
    assert parse_block("10.1.2.3/8") == (4, 0x0A000000, 0x0AFFFFFF)
    assert parse_block(" 8.8.8.8 ") == (4, 0x08080808, 0x08080808)
    assert parse_block("0.0.0.0/0") == (4, 0, 2**32 - 1)
    assert parse_block("2001:db8::1/32") == (6, 0x20010DB8 << 96, (0x20010DB8 << 96) + 2**96 - 1)


def test_ipv4_mapped_ipv6_blocks_stay_ipv6() -> None:
    # RFC 6890 registries list ::ffff:0:0/96; read as IPv4 it would be 0.0.0.0/0.
    assert parse_block("::ffff:0:0/96") == (6, 0xFFFF << 32, (0xFFFF << 32) | (2**32 - 1))


def test_hostname_entries_are_normalised_and_non_names_ignored_with_reason() -> None:
    wl = parse_warninglist(
        _doc(
            type="hostname", list=["Example.COM.", ".google.com", "*.evil.test", "a/b", "bücher.de"]
        ),
        "x",
    )
    assert wl.entries == ("Example.COM.", ".google.com", "*.evil.test", "a/b", "bücher.de")
    assert wl.ignored == (
        IgnoredEntry(
            3, "a/b", "not a DNS name (letters, digits, '-', '_' and dots only); never matches"
        ),
    )
    assert normalize_hostname("bücher.de") == "xn--bcher-kva.de"
    assert normalize_hostname("  .Example.COM. ") == "example.com"
    assert normalize_hostname("*.evil.test") == "evil.test"


@pytest.mark.parametrize(
    ("entry", "value", "found"),
    [
        ("/^evil\\./", "evil.example", True),
        ("/^EVIL\\./i", "evil.example", True),
        ("/^EVIL\\./", "evil.example", False),
        ("#\\.onion$#", "abc.onion", True),
        ("~a/b~", "x/a/b", True),  # the delimiter lets "/" appear unescaped
        ("/x$/D", "ax", True),
        ("\\.example$", "www.example", True),  # a bare pattern is Python's
        ("[0-9]+", "abc123", True),  # brackets are not delimiters
    ],
)
def test_regex_entries_in_php_and_bare_forms(entry: str, value: str, found: bool) -> None:
    pattern = compile_regex(entry)
    assert isinstance(pattern, re.Pattern)
    assert (pattern.search(value) is not None) is found


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("/abc", "starts with the delimiter '/' but has no closing one"),
        ("/abc/U", "uses PCRE modifier(s) 'U'; Python's re knows i, m, s, x"),
        ("/abc/i-x", "has 'i-x' after its closing delimiter; only flags may follow"),
        ("/a(?<n>b)\\k<n>/", "is not a regular expression Python's re can use"),
        ("/(unclosed/", "is not a regular expression Python's re can use"),
    ],
)
def test_bad_regex_entries_are_refused_at_import_with_the_reason(entry: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(f"src: list[0]: {entry!r} {reason}")):
        parse_warninglist(_doc(type="regex", list=[entry]), "src")


def test_empty_entries_are_dropped_as_misp_does() -> None:
    wl = parse_warninglist(_doc(list=["a", "", "   ", "b"]), "x")
    assert wl.entries == ("a", "b")


def test_to_document_gives_back_a_misp_document_that_parses_to_the_same_list() -> None:
    wl = parse_warninglist(_real("multicast"), "multicast")
    again = parse_warninglist(wl.to_document(), "again")
    assert (again.name, again.version, again.type, again.entries, again.kinds) == (
        wl.name,
        wl.version,
        wl.type,
        wl.entries,
        wl.kinds,
    )
    assert wl.to_json() == {
        "name": "List of RFC 5771 multicast CIDR blocks",
        "version": 4,
        "description": wl.description,
        "type": "cidr",
        "category": "false-positive",
        "entries": 16,
        "ignored": 0,
        "matching_attributes": ["ip-src", "ip-dst", "domain|ip", "ip-src|port", "ip-dst|port"],
        "kinds": ["ip"],
        "source": "multicast",
    }


def test_to_document_writes_a_category_only_when_it_is_not_the_default() -> None:
    assert "category" not in parse_warninglist(_doc(), "x").to_document()
    known = parse_warninglist(_doc(category="known"), "x").to_document()
    assert known["category"] == "known"
    assert parse_warninglist(known, "y").category is WarninglistCategory.KNOWN
