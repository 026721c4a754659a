"""Tests for STIX identifiers and deterministic ids (§2.9)."""

from __future__ import annotations

import pytest
import stix2

from entente.stix import deterministic_id, is_valid_id, is_valid_type_name, sco_id

UUID = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"


@pytest.mark.parametrize(
    ("value", "expected_type", "valid"),
    [
        (f"indicator--{UUID}", None, True),
        (f"indicator--{UUID}", "indicator", True),
        (f"indicator--{UUID}", "malware", False),
        (f"x-acme-thing--{UUID}", "x-acme-thing", True),
        (f"indicator--{UUID.upper()}", None, True),  # RFC 4122 §3: hex is case-insensitive
        ("indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f", None, False),  # version 0
        ("indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f", None, False),  # NCS variant
        (f"indicator-{UUID}", None, False),
        (f"Indicator--{UUID}", None, False),
        ("indicator--", None, False),
    ],
)
def test_is_valid_id(value: str, expected_type: str | None, valid: bool) -> None:
    assert is_valid_id(value, expected_type) is valid


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("indicator", True),
        ("x-mitre-tactic", True),
        ("ipv4-addr", True),
        ("ab", False),
        ("x" * 251, False),
        ("X-acme", False),
        ("x_acme", False),
        ("-acme", False),
        ("acme-", False),
        ("ac--me", False),
    ],
)
def test_is_valid_type_name(name: str, valid: bool) -> None:
    assert is_valid_type_name(name) is valid


def test_sco_id_matches_the_stix2_library() -> None:
    expected = stix2.v21.IPv4Address(value="198.51.100.3").id
    assert sco_id("ipv4-addr", {"value": "198.51.100.3"}) == expected


def test_deterministic_id_is_stable_and_distinguishes_parts() -> None:
    a = deterministic_id("indicator", "feed-a", "198.51.100.1")
    assert a == deterministic_id("indicator", "feed-a", "198.51.100.1")
    assert a != deterministic_id("indicator", "feed-b", "198.51.100.1")
    assert is_valid_id(a, "indicator")
