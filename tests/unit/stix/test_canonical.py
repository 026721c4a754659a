"""Tests for RFC 8785 canonical JSON."""

from __future__ import annotations

from entente.stix import canonical_json


def test_keys_are_sorted_and_whitespace_removed() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'


def test_numbers_use_the_ecmascript_form() -> None:
    assert canonical_json([1.0, 1e21, 0.1]) == b"[1,1e+21,0.1]"


def test_non_ascii_is_kept_as_utf8() -> None:
    assert canonical_json({"name": "é€"}) == '{"name":"é€"}'.encode()
