"""JSON documents of STIX objects, decoded so that one too-deep object cannot sink the rest.

A STIX object nested deeper than ``MAX_NESTING_DEPTH`` (JSON objects and arrays within one
another, the object itself being level 1) is invalid (``parse_object`` says so). Most
documents decode in one go with orjson; one that nests deeper than orjson allows (1,024
levels) would be "not JSON" as a whole, and a bundle, a TAXII envelope or a page from a
partner would then lose every valid sibling of the one bad object. ``decode_document`` then
falls back to a scan of the document's structure that finds each item of its object list
(a bundle's or envelope's ``objects``, or a top-level array), decodes the items that are
shallow enough one by one and puts an ``Unreadable`` in the place of each one that is not,
without ever building it. The scan builds no nested values, so its memory does not grow with
the nesting (a streaming parser that tracks the path of every value grows quadratically),
and its time is linear in the document (a second or so per megabyte of pure nesting).

Pure: bytes in, values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import orjson

from entente.errors import MalformedDocument

__all__ = ["MAX_NESTING_DEPTH", "Unreadable", "decode_document", "nesting_depth_reason"]

MAX_NESTING_DEPTH: Final = 64
"""The deepest a STIX object may nest JSON objects and arrays (the object is level 1)."""

# A JSON string (escapes included), a run of opening or of closing brackets, a colon or a
# comma; everything else (numbers, literals, whitespace) is skipped by ``finditer``.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[{]+|[\]}]+|[:,]', re.DOTALL)
_QUOTE, _LIST, _OBJECT, _COMMA = ord('"'), ord("["), ord("{"), ord(",")
_OPENING = b"[{"
_CLOSING = b"]}"
_PAIRS = {_LIST: ord("]"), _OBJECT: ord("}")}


def nesting_depth_reason(depth: int | None = None) -> str:
    """The rejection reason of an object nested too deep (``depth`` when known)."""
    how_deep = "" if depth is None else f" ({depth} levels)"
    return (
        f"nested deeper than {MAX_NESTING_DEPTH} levels of JSON objects and arrays{how_deep}: "
        "a STIX object is not processed past that limit"
    )


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An item of a document's object list that was not decoded, and why."""

    reason: str


def decode_document(data: bytes) -> Any:
    """The JSON value of ``data``; a document too deep for one decode is decoded item by item.

    Raises ``MalformedDocument`` when ``data`` is not JSON, or when what is too deep is not
    an item of its object list (a whole document that deep is no STIX document).
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # orjson reports its nesting limit so; any other error is broken JSON.
        if "depth limit" not in str(exc):
            raise MalformedDocument(f"not valid JSON: {exc}") from exc
    return _decode_scanned(data)


@dataclass(slots=True)
class _Span:
    start: int
    end: int = -1
    depth: int = 0  # deepest nesting inside the item, the item itself being level 1


def _decode_scanned(data: bytes) -> Any:
    """``decode_document`` for a document orjson refused for its depth.

    Runs of brackets are one token each, so even a document that is nothing but nesting is
    scanned in a few steps per run rather than per bracket.
    """
    stack = bytearray()  # opening brackets of the containers we are inside
    root: int | None = None  # "[" or "{" of the document
    items_level = 0  # len(stack) inside the object list; 0 while it is not open
    items: list[_Span] = []
    members: dict[str, tuple[int, int]] = {}  # root object key -> span of its value
    key: str | None = None  # the root key whose value is being read
    value_start = -1
    last_string = b""
    for match in _TOKEN.finditer(data):
        token = match.group()
        first = token[0]
        if first == _QUOTE:
            last_string = token
            continue
        if first in _OPENING:
            if root is None:
                root = first
                if first == _LIST:
                    items_level = 1
                    items.append(_Span(match.start() + 1))
            elif (
                len(stack) == 1
                and root == _OBJECT
                and key == "objects"
                and first == _LIST
                and not items
            ):
                items_level = 2
                items.append(_Span(match.start() + 1))
            stack.extend(token)
            if items_level and len(stack) > items_level:
                span = items[-1]
                span.depth = max(span.depth, len(stack) - items_level)
            continue
        if first in _CLOSING:
            count = len(token)
            if count > len(stack):
                raise MalformedDocument("not valid JSON: a bracket closes nothing")
            opened = stack[len(stack) - count :]
            if bytes(_PAIRS[c] for c in reversed(opened)) != token:
                raise MalformedDocument("not valid JSON: brackets do not match")
            if items_level and len(stack) - count < items_level:
                # The object list closes at this bracket of the run.
                items[-1].end = match.start() + len(stack) - items_level
                items_level = 0
            if len(stack) == count and root == _OBJECT and key is not None:
                members[key] = (value_start, match.start() + count - 1)
            del stack[len(stack) - count :]
            continue
        if first == _COMMA:
            if items_level and len(stack) == items_level:
                items[-1].end = match.start()
                items.append(_Span(match.end()))
            elif len(stack) == 1 and root == _OBJECT and key is not None:
                members[key] = (value_start, match.start())
                key = None
            continue
        # A colon: in the root object, the key just read names the value that follows.
        if len(stack) == 1 and root == _OBJECT:
            key = _string(last_string)
            value_start = match.end()
    if stack or root is None:
        raise MalformedDocument("not valid JSON: the document ends inside a value")
    if not items or items[-1].end < 0:
        raise MalformedDocument(
            "not valid JSON: nested deeper than the JSON decoder allows, and not inside a list "
            "of objects whose items can be read one by one"
        )
    decoded = [_item(data, span) for span in items if data[span.start : span.end].strip()]
    if root == _LIST:
        return decoded
    document: dict[str, Any] = {}
    for name, (start, end) in members.items():
        if name == "objects":
            continue
        try:
            document[name] = orjson.loads(data[start:end])
        except orjson.JSONDecodeError as exc:
            raise MalformedDocument(f"not valid JSON in {name!r}: {exc}") from exc
    document["objects"] = decoded
    return document


def _item(data: bytes, span: _Span) -> Any:
    if span.depth > MAX_NESTING_DEPTH:
        return Unreadable(nesting_depth_reason(span.depth))
    try:
        return orjson.loads(data[span.start : span.end])
    except orjson.JSONDecodeError as exc:
        raise MalformedDocument(f"not valid JSON: {exc}") from exc


def _string(token: bytes) -> str | None:
    try:
        value = orjson.loads(token)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None
