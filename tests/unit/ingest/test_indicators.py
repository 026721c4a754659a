"""STIX indicators and feed identities built from typed values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from entente.ingest.indicators import (
    build_indicator,
    build_source_identity,
    pattern_for,
    to_stix_timestamp,
)
from entente.ingest.values import TypedValue, ValueType
from entente.stix.identifiers import deterministic_id, is_valid_id

V = ValueType
MD5 = "44d88612fea8a8f36de82e1278abb02f"  # EICAR test file
SHA1 = "3395856ce81f2b7382dee72602f798b642f14140"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
NOW = "2024-05-01T12:00:00.000Z"
CREATOR = build_source_identity("test feed", NOW)["id"]


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (TypedValue(V.IPV4, "192.0.2.1"), "[ipv4-addr:value = '192.0.2.1']"),
        (TypedValue(V.IPV6, "2001:db8::1"), "[ipv6-addr:value = '2001:db8::1']"),
        (TypedValue(V.IPV4_CIDR, "192.0.2.0/24"), "[ipv4-addr:value ISSUBSET '192.0.2.0/24']"),
        (TypedValue(V.IPV6_CIDR, "2001:db8::/32"), "[ipv6-addr:value ISSUBSET '2001:db8::/32']"),
        (TypedValue(V.DOMAIN, "evil.example.com"), "[domain-name:value = 'evil.example.com']"),
        (
            TypedValue(V.URL, "http://evil.example.com/a"),
            "[url:value = 'http://evil.example.com/a']",
        ),
        (TypedValue(V.EMAIL, "m@phish.example"), "[email-addr:value = 'm@phish.example']"),
        (TypedValue(V.MD5, MD5), f"[file:hashes.MD5 = '{MD5}']"),
        (TypedValue(V.SHA1, SHA1), f"[file:hashes.'SHA-1' = '{SHA1}']"),
        (TypedValue(V.SHA256, EMPTY_SHA256), f"[file:hashes.'SHA-256' = '{EMPTY_SHA256}']"),
        (TypedValue(V.SHA512, "ab" * 64), f"[file:hashes.'SHA-512' = '{'ab' * 64}']"),
        # The address: an address AND a port is deployable by neither matcher nor exporters.
        (TypedValue(V.IP_PORT, "192.0.2.24:443"), "[ipv4-addr:value = '192.0.2.24']"),
        (TypedValue(V.IP_PORT, "[2001:db8::1]:8443"), "[ipv6-addr:value = '2001:db8::1']"),
    ],
)
def test_pattern_for_each_value_type_is_valid_stix(value: TypedValue, pattern: str) -> None:
    assert pattern_for(value) == pattern
    assert run_validator(pattern, stix_version="2.1") == []


def test_pattern_escapes_quote_and_backslash() -> None:
    value = TypedValue(V.URL, "http://evil.example.com/it's\\here")
    pattern = pattern_for(value)
    assert pattern == "[url:value = 'http://evil.example.com/it\\'s\\\\here']"
    assert run_validator(pattern, stix_version="2.1") == []


@given(st.text(min_size=1, max_size=40))
def test_any_url_text_gives_a_valid_pattern(tail: str) -> None:
    pattern = pattern_for(TypedValue(V.URL, f"http://x.example.com/{tail}"))
    assert run_validator(pattern, stix_version="2.1") == []


def test_indicator_has_the_required_properties() -> None:
    value = TypedValue(V.DOMAIN, "evil.example.com")
    ind = build_indicator(value, source_name="test feed", now=NOW, created_by_ref=CREATOR)
    assert ind == {
        "type": "indicator",
        "spec_version": "2.1",
        "id": deterministic_id("indicator", "test feed", "domain", "evil.example.com"),
        "created_by_ref": CREATOR,
        "created": NOW,
        "modified": NOW,
        "name": "evil.example.com",
        "indicator_types": ["malicious-activity"],
        "pattern": "[domain-name:value = 'evil.example.com']",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": NOW,
    }
    assert is_valid_id(ind["id"], "indicator")


@pytest.mark.parametrize("description", [None, "C2 server"])
def test_an_ip_port_indicator_keeps_its_port_in_the_description(description: str | None) -> None:
    value = TypedValue(V.IP_PORT, "[2001:db8::1]:8443")
    ind = build_indicator(
        value, source_name="A", now=NOW, created_by_ref=CREATOR, description=description
    )
    note = "Port 8443; the pattern matches the address 2001:db8::1 on any port."
    assert ind["description"] == (f"{description}. {note}" if description else note)
    assert ind["name"] == "[2001:db8::1]:8443"
    # Two ports of one address stay two indicators (the id is of the value with its port).
    other = build_indicator(
        TypedValue(V.IP_PORT, "[2001:db8::1]:443"), source_name="A", now=NOW, created_by_ref=CREATOR
    )
    assert other["id"] != ind["id"] and other["pattern"] == ind["pattern"]


def test_indicator_ids_depend_on_source_and_value_only() -> None:
    value = TypedValue(V.IPV4, "192.0.2.1")
    a = build_indicator(value, source_name="A", now=NOW, created_by_ref=CREATOR)
    again = build_indicator(
        value, source_name="A", now="2025-01-01T00:00:00.000Z", created_by_ref=CREATOR,
        labels=["x"], confidence=10,
    )  # fmt: skip
    other_source = build_indicator(value, source_name="B", now=NOW, created_by_ref=CREATOR)
    other_value = build_indicator(
        TypedValue(V.IPV4, "192.0.2.2"), source_name="A", now=NOW, created_by_ref=CREATOR
    )
    assert a["id"] == again["id"]
    assert len({a["id"], other_source["id"], other_value["id"]}) == 3


def test_indicator_optional_properties() -> None:
    ind = build_indicator(
        TypedValue(V.IPV4, "192.0.2.1"),
        source_name="A",
        now=NOW,
        created_by_ref=CREATOR,
        name="A: bad host",
        description="listed",
        labels=[" mirai ", "", "mirai", "elf"],
        confidence=70,
        valid_from="2022-09-13T07:28:08.000Z",
        markings=["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
        external_references=[{"source_name": "A", "url": "https://a.example/1"}],
    )
    assert ind["name"] == "A: bad host"
    assert ind["description"] == "listed"
    assert ind["labels"] == ["mirai", "elf"]
    assert ind["confidence"] == 70
    assert ind["valid_from"] == "2022-09-13T07:28:08.000Z"
    assert ind["object_marking_refs"] == [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    ]
    assert ind["external_references"] == [{"source_name": "A", "url": "https://a.example/1"}]


def test_indicator_rejects_bad_confidence_and_references() -> None:
    value = TypedValue(V.IPV4, "192.0.2.1")
    with pytest.raises(ValueError, match="confidence"):
        build_indicator(value, source_name="A", now=NOW, created_by_ref=CREATOR, confidence=101)
    with pytest.raises(ValueError, match="source_name"):
        build_indicator(
            value, source_name="A", now=NOW, created_by_ref=CREATOR,
            external_references=[{"url": "https://a.example"}],
        )  # fmt: skip


def test_source_identity_is_deterministic() -> None:
    identity = build_source_identity("abuse.ch URLhaus", NOW)
    assert identity["id"] == deterministic_id("identity", "feed", "abuse.ch URLhaus")
    assert identity["identity_class"] == "system"
    assert identity["name"] == "abuse.ch URLhaus"
    assert (identity["created"], identity["modified"]) == (NOW, NOW)
    assert (
        build_source_identity("abuse.ch URLhaus", "2030-01-01T00:00:00.000Z")["id"]
        == (identity["id"])
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-09-13 07:28:08", "2022-09-13T07:28:08.000Z"),
        ("2022-09-13T07:28:08Z", "2022-09-13T07:28:08.000Z"),
        ("2022-09-13 07:28:08 UTC", "2022-09-13T07:28:08.000Z"),
        ("2022-09-13T07:28:08.123456Z", "2022-09-13T07:28:08.123Z"),
        ("2022-09-13T09:28:08+02:00", "2022-09-13T07:28:08.000Z"),
        ("2022-09-13 00:30", "2022-09-13T00:30:00.000Z"),
        ("None", None),
        ("2022-13-01 00:00:00", None),
        ("yesterday", None),
    ],
)
def test_feed_timestamps_become_stix_timestamps(text: str, expected: str | None) -> None:
    assert to_stix_timestamp(text) == expected
