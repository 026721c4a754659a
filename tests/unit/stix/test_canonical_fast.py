"""The fast path of ``canonical_json`` agrees with the RFC 8785 reference (conventions §10)."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.stix.canonical import canonical_json, canonical_json_reference

Outcome = tuple[str, object]


def _outcome(function: Callable[[Any], bytes], value: Any) -> Outcome:
    """The bytes, or the type of the error, that ``function`` gives for ``value``."""
    try:
        return ("bytes", function(value))
    except (ValueError, TypeError, RecursionError) as exc:
        return ("error", type(exc))


def _assert_agree(value: Any) -> None:
    assert _outcome(canonical_json, value) == _outcome(canonical_json_reference, value)


# Every code point, lone surrogates (category Cs) included, so escaping and UTF-8 rules are
# exercised; the reference rejects surrogates and the fast path must reject them too.
_any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
_ascii_text = st.text(st.characters(max_codepoint=0x7F), max_size=8)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.integers()  # beyond the I-JSON range too: both must raise
    | st.sampled_from([2**53 - 1, 2**53, -(2**53) + 1, -(2**53), 2**64, -(2**63) - 1])
    | st.floats()  # NaN and infinities too: both must raise
    | _any_text
    | st.sampled_from(["/", "\u2028\u2029", "\x7f", "\x00\x1f\b\t\n\f\r", '"\\', "\ud800"])
)
_keys = _ascii_text | _any_text | st.sampled_from(["\ue000", "\U0001f600", "a\u00e9", "A", "_"])
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(_keys, children, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=600)
@given(json_values)
def test_fast_path_agrees_with_the_reference_on_any_json_value(value: Any) -> None:
    _assert_agree(value)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _ascii_text,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(_ascii_text, children, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_values_on_the_fast_path_give_the_reference_bytes(value: Any) -> None:
    # The float-free, ASCII-keyed values that orjson serialises: no error may hide a mismatch.
    assert canonical_json(value) == canonical_json_reference(value)


def test_every_unicode_scalar_value_is_escaped_as_rfc_8785_says() -> None:
    # RFC 8785 §3.2.2.2: controls as \b \t \n \f \r or \u00xx, '"' and '\' escaped, all else
    # (U+007F, U+2028/2029, '/', astral planes) raw UTF-8. One string holds every scalar value.
    text = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert canonical_json([text]) == canonical_json_reference([text])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/", b'"/"'),
        ("\u2028\u2029", '"\u2028\u2029"'.encode()),
        ("\x00\x1f\x7f", b'"\\u0000\\u001f\x7f"'),
        ("\b\t\n\f\r", b'"\\b\\t\\n\\f\\r"'),
        ({"b": 1, "B": 2, "_": 3, "a": [None, True]}, b'{"B":2,"_":3,"a":[null,true],"b":1}'),
        ([2**53 - 1, -(2**53) + 1], b"[9007199254740991,-9007199254740991]"),
        ((1, "x"), b'[1,"x"]'),
    ],
)
def test_known_canonical_forms(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # RFC 8785 §3.2.3: U+E000 (one unit 0xE000) sorts after U+1F600 (units 0xD83D 0xDE00),
    # although its code point is smaller: the fast path must not be used for such keys.
    value = {"\ue000": 1, "\U0001f600": 2}
    assert canonical_json(value) == '{"\U0001f600":2,"\ue000":1}'.encode()


@pytest.mark.parametrize("number", [2**53, -(2**53), 2**64, 10**30])
def test_integers_outside_the_i_json_range_are_refused(number: int) -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"n": number})


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused(number: float) -> None:
    with pytest.raises(rfc8785.FloatDomainError):
        canonical_json([number])


def test_lone_surrogates_are_refused_as_the_reference_refuses_them() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"name": "a\ud800b"})


def test_floats_use_the_ecmascript_form() -> None:
    assert canonical_json({"x": [1.0, 1e21, 0.1, -0.0, 1e-7]}) == b'{"x":[1,1e+21,0.1,0,1e-7]}'


@pytest.mark.parametrize("levels", [253, 254, 255, 256, 400])
def test_deep_nesting_around_orjson_limit_matches_the_reference(levels: int) -> None:
    deep: Any = "leaf"
    for level in range(levels):
        deep = [deep] if level % 2 else {"k": deep}
    assert canonical_json(deep) == canonical_json_reference(deep)


def test_cyclic_values_do_not_hang() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(RecursionError):
        canonical_json(cyclic)


class _Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_and_non_dict_mappings_follow_the_reference() -> None:
    _assert_agree({"level": _Level.HIGH})
    _assert_agree(MappingProxyType({"a": 1}))
    _assert_agree({1: "non-string key"})
    _assert_agree({"when": object()})
