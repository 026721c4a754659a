"""RFC 8785 canonical JSON (JCS), the byte form Entente hashes and signs.

``canonical_json`` takes a fast path through orjson when the value cannot tell the two apart and
otherwise defers to ``canonical_json_reference`` (the pure-Python ``rfc8785`` package), which is
the readable specification; a Hypothesis property asserts that they agree (conventions §10).

Why orjson with sorted keys gives the RFC 8785 bytes for the values the fast path admits:

- whitespace: both emit none (RFC 8785 §3.2.1);
- literals ``true``/``false``/``null`` are identical (§3.2.2.1);
- strings (§3.2.2.2, ECMAScript ``JSON.stringify``): both escape ``"`` and ``\\`` with a
  backslash, U+0008/0009/000A/000C/000D as ``\\b \\t \\n \\f \\r``, the other controls below
  U+0020 as ``\\u00xx`` in lower-case hex, and write everything else (``/``, U+007F,
  U+2028/U+2029, non-ASCII) as raw UTF-8; lone surrogates are rejected by both, so orjson's
  error routes the value to the reference, which raises its own error;
- integers (§3.2.2.3): inside the I-JSON range ±(2**53-1) the ECMAScript form of an integral
  double is its plain decimal digits, which is what orjson prints; outside it the reference
  raises ``IntegerDomainError``, so such values go there;
- floats go to the reference: orjson prints ``1.0`` where ECMAScript prints ``1``, and its
  exponent thresholds are not those of ECMA-262 Number::toString;
- key order (§3.2.3) is by UTF-16 code units; orjson sorts by UTF-8 bytes, i.e. by code point,
  and the two orders differ where a supplementary-plane character meets U+E000-U+FFFF, so only
  ASCII keys take the fast path and any other key goes to the reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import rfc8785

__all__ = ["canonical_json", "canonical_json_reference"]

# Deeper values go to the reference: orjson refuses 255 or more nested containers, and the
# bound also stops the walk on a self-referencing (cyclic) value.
_MAX_DEPTH = 253
# ``int`` is admitted whatever its size: OPT_STRICT_INTEGER makes orjson raise outside
# ±(2**53-1), exactly the I-JSON bound of RFC 8785 §3.2.2.3, and the error routes the value on.
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def canonical_json_reference(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value, by the pure-Python reference."""
    return rfc8785.dumps(value)


def _items_agree(items: Iterable[Any], depth: int) -> bool:
    # Exact ``type(...) is`` checks keep floats and subclasses (IntEnum, str enums, mappings
    # that are not dicts) on the reference path, whose handling of them is the definition.
    # Measured: this inline recursion is ~2.5x faster than set(map(type, ...)) per level on a
    # typical indicator, and the walk, not orjson, is where the fast path spends its time.
    for item in items:
        kind = type(item)
        if kind is str:
            continue
        if kind is dict or kind is list or kind is tuple:
            if not _orjson_agrees(item, depth + 1):
                return False
        elif kind is not int and kind is not bool and item is not None:
            return False
    return True


def _orjson_agrees(value: Any, depth: int = 0) -> bool:
    """Whether orjson's sorted-key output is the RFC 8785 form of ``value`` (see module doc)."""
    kind = type(value)
    if kind is dict:
        if depth > _MAX_DEPTH:
            return False
        try:
            if not "".join(value).isascii():
                return False
        except TypeError:  # a key that is not a str: the reference rejects it
            return False
        return _items_agree(value.values(), depth)
    if kind is list or kind is tuple:
        return depth <= _MAX_DEPTH and _items_agree(value, depth)
    return kind is str or kind is int or kind is bool or value is None


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (sorted keys, ES6 numbers)."""
    if _orjson_agrees(value):
        try:
            return orjson.dumps(value, option=_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # lone surrogates, big ints, too deep: the reference raises or answers itself
    return canonical_json_reference(value)
