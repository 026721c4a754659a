"""Tests for STIX 2.1 pattern validation (§9): fast recogniser vs stix2-patterns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.errors import InvalidPattern
from entente.stix import validate_pattern, validate_pattern_reference

DATA = Path(__file__).resolve().parents[2] / "data" / "stix"


def _sample_patterns() -> list[str]:
    patterns: list[str] = []
    for path in sorted(DATA.glob("*.json")):
        document: Any = json.loads(path.read_text(encoding="utf-8"))
        objects = document.get("objects", [document])
        patterns += [
            o["pattern"]
            for o in objects
            if o.get("type") == "indicator" and o.get("pattern_type") == "stix"
        ]
    return patterns


SAMPLE_PATTERNS = _sample_patterns()


def _verdict(check: Any, pattern: str) -> bool:
    try:
        check(pattern)
    except InvalidPattern as exc:
        assert exc.field == "pattern"
        return False
    return True


def test_sample_bundles_hold_many_indicator_patterns() -> None:
    assert len(SAMPLE_PATTERNS) >= 40


@pytest.mark.parametrize("pattern", SAMPLE_PATTERNS)
def test_every_sample_indicator_pattern_is_valid_on_both_paths(pattern: str) -> None:
    validate_pattern(pattern)
    validate_pattern_reference(pattern)


SIMPLE = [
    "[ipv4-addr:value = '198.51.100.1']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f'"
    " OR file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[domain-name:value IN ('a.com', 'b.org')]",
    "[url:value = 'http://x/y?a=1\\'s']",
    "[url:value = 'C:\\\\temp']",
    "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.org']",
    "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value NOT IN ()]",
    "[network-traffic:dst_port = 443 AND network-traffic:protocols[*] = 'tcp']",
    "[process:pid > 4 AND process:name LIKE 'cmd%']",
    "[x-custom:extensions.'x-ext'.flag = true]",
    "[network-traffic:start = 'a']",
]


@pytest.mark.parametrize("pattern", SIMPLE)
def test_simple_patterns_are_accepted_without_calling_stix2_patterns(
    pattern: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*_: object) -> list[str]:
        raise AssertionError("the fast path should have decided")

    # The validator is imported where it is called: patch it at its source.
    monkeypatch.setattr("stix2patterns.validator.run_validator", forbidden)
    validate_pattern(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "[file:name MATCHES '^a.*$']",
        "[file:name = 'a'] WITHIN 300 SECONDS",
        "[file:name = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'",
        "([file:name = 'a'] OR [file:name = 'b']) AND [url:value = 'c']",
        "[(file:name = 'a' OR file:name = 'b') AND file:size > 10]",
        "[artifact:magic = h'aabb']",
        "[file:content_ref.payload_bin = b'aGVsbG8=']",
        "[file:created = t'2016-01-01T00:00:00Z']",
        "[x:y == 'a']",
        "[Ipv4-addr:value = 'a']",
    ],
)
def test_patterns_outside_the_fast_subset_are_still_accepted_via_the_reference(
    pattern: str,
) -> None:
    validate_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("ipv4-addr:value = '1.2.3.4'", "missing square brackets"),
        ("[ipv4-addr:value = '1.2.3.4'", "missing ']'"),
        ("[ipv4-addr:value = '1.2.3.4]", "§9"),
        ("[ipv4-addr:value =~ '1.2.3.4']", "§9"),
        ("[ipv4-addr:value = 'a' and ipv4-addr:value = 'b']", "§9"),
        ("[1pv4-addr:value = 'a']", "§9"),
        ("[file:hashes.MD5 = 'not-a-hash']", "not a valid MD5 hash"),
        ("[file:hashes.MD5 IN ('d41d8cd98f00b204e9800998ecf8427e')]", "not a valid MD5 hash"),
        ("[url:value = 'a\\b']", "§9"),
        ("[x:y = 1] garbage", "§9"),
        ("", "empty"),
        ("   ", "empty"),
        ("[x:y[-1] = 'a']", "validator failed"),
        ("[file:hashes[0] = 'a']", "validator failed"),
    ],
)
def test_invalid_patterns_are_rejected_naming_pattern(pattern: str, fragment: str) -> None:
    for check in (validate_pattern, validate_pattern_reference):
        with pytest.raises(InvalidPattern) as info:
            check(pattern)
        assert info.value.field == "pattern"
        assert fragment in info.value.reason


def test_non_string_pattern_is_rejected() -> None:
    with pytest.raises(InvalidPattern, match="must be a string"):
        validate_pattern_reference(42)  # type: ignore[arg-type]  # raw JSON may be any value


# --------------------------------------------------------------------- property: both agree

_types = st.sampled_from(
    ["ipv4-addr", "file", "url", "domain-name", "x-a-b", "a", "in", "IN", "Ipv4", "x_y", "x-"]
)
_idents = st.sampled_from(
    ["value", "name", "hashes", "MD5", "SHA256", "start", "START", "AND", "and", "true",
     "_x", "x1", "1x", "a-b", "'SHA-256'", "'a\\'b'", "[0]", "[*]", "[01]", "[-1]", "''"]
)  # fmt: skip
_strings = st.text(alphabet="ab'\\ .%:/0", max_size=6).map(
    lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
)
_raw_strings = st.text(alphabet="ab'\\ ", max_size=5).map(lambda s: f"'{s}'")
_hashes = st.sampled_from(
    ["'d41d8cd98f00b204e9800998ecf8427e'", "'D41D8CD98F00B204E9800998ECF8427E'", "'xyz'",
     "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f'"]
)  # fmt: skip
_numbers = st.sampled_from(
    ["0", "-0", "1", "-12", "01", "1.5", "-0.5", ".5", "1.", "+1", "1e5", "true", "false", "TRUE"]
)
_literal = st.one_of(_strings, _raw_strings, _hashes, _numbers)
_set = st.lists(_literal, max_size=3).map(lambda items: "(" + ", ".join(items) + ")")
_ops = st.sampled_from(
    ["=", "!=", "<", "<=", ">", ">=", "==", "<>", "IN", "NOT IN", "LIKE", "NOT LIKE",
     "ISSUBSET", "ISSUPERSET", "in", "NOT", "=~"]
)  # fmt: skip
_spaces = st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0"])


@st.composite
def _comparison(draw: st.DrawFn) -> str:
    path = draw(_types) + ":" + draw(_idents)
    for step in draw(st.lists(_idents, max_size=2)):
        path += step if step.startswith("[") else "." + step
    op = draw(_ops)
    value = draw(_set) if "IN" in op or draw(st.booleans()) is False else draw(_literal)
    return f"{path}{draw(_spaces)}{op}{draw(_spaces)}{value}"


@st.composite
def _pattern(draw: st.DrawFn) -> str:
    observations = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        comparisons = draw(st.lists(_comparison(), min_size=1, max_size=3))
        joiner = draw(st.sampled_from([" AND ", " OR ", " and ", "AND "]))
        observations.append(f"[{draw(_spaces)}{joiner.join(comparisons)}{draw(_spaces)}]")
    joiner = draw(st.sampled_from([" AND ", " OR ", " FOLLOWEDBY ", "  AND\n", "AND", " XOR "]))
    return draw(_spaces) + joiner.join(observations) + draw(_spaces)


@st.composite
def _mutated_pattern(draw: st.DrawFn) -> str:
    text = draw(_pattern())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(list("[]()'\\:.=!<> ,aZ0-*\"")))
        if action == "insert":
            text = text[:position] + char + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + char + text[position + 1 :]
    return text


@settings(max_examples=400, deadline=None)
@given(_pattern())
def test_fast_and_reference_validators_agree_on_generated_patterns(pattern: str) -> None:
    assert _verdict(validate_pattern, pattern) == _verdict(validate_pattern_reference, pattern)


@settings(max_examples=400, deadline=None)
@given(_mutated_pattern())
def test_fast_and_reference_validators_agree_on_mutated_patterns(pattern: str) -> None:
    assert _verdict(validate_pattern, pattern) == _verdict(validate_pattern_reference, pattern)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[]()'\\:.=!<>, aZz0-*\"INOTAD", max_size=40))
def test_fast_and_reference_validators_agree_on_garbage(pattern: str) -> None:
    assert _verdict(validate_pattern, pattern) == _verdict(validate_pattern_reference, pattern)
