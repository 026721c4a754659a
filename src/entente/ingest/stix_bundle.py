"""Reader for STIX 2.1 bundles, bare objects and arrays of objects, streamed when large.

Small documents are parsed whole with orjson (fastest); anything larger than
``STREAM_THRESHOLD`` (or of unknown size, such as stdin) is streamed object by object with
ijson's C backend, so a bundle larger than memory ingests in constant memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import ijson

from entente.errors import MalformedDocument
from entente.ingest.candidates import Candidate
from entente.stix import Unreadable, decode_document

__all__ = ["STREAM_THRESHOLD", "read_stix"]

STREAM_THRESHOLD = 32 * 1024 * 1024
"""Documents at most this large are parsed in one piece."""

_HEAD = 64 * 1024


def read_stix(stream: IO[bytes], *, source: str, size: int | None = None) -> Iterator[Candidate]:
    """Yield one candidate per STIX object in a bundle, an array, or a bare object.

    ``size`` is the document's length when known; without it the document is streamed.
    Raises ``MalformedDocument`` (possibly after some candidates) when the JSON is broken,
    so that the caller rolls the whole document back.
    """
    if size is not None and size <= STREAM_THRESHOLD:
        yield from _read_whole(stream.read(), source)
        return
    head = stream.read(_HEAD)
    if len(head) < _HEAD:
        yield from _read_whole(head, source)
        return
    prefix = _top_level_shape(head)
    chained = _Chained(head, stream)
    if prefix is None:
        # A bare object larger than the head: rare, read it whole.
        yield from _read_whole(head + stream.read(), source)
        return
    label = "objects" if prefix == "objects.item" else ""
    try:
        items = ijson.items(chained, prefix, use_float=True)
        for index, item in enumerate(items):
            yield _candidate(item, source, f"{label}[{index}]")
    except ijson.JSONError as exc:
        raise MalformedDocument(f"{source}: broken JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        # yajl lets encoded surrogates (CESU-8) through; Python's UTF-8 decoder does not.
        raise MalformedDocument(f"{source}: not valid UTF-8: {exc}") from exc


def _read_whole(data: bytes, source: str) -> Iterator[Candidate]:
    try:
        # One object nested too deep for a single decode is read as Unreadable, alone.
        document = decode_document(data)
    except MalformedDocument as exc:
        raise MalformedDocument(f"{source}: {exc}") from exc
    if isinstance(document, list):
        yield from _candidates(document, source, "")
    elif isinstance(document, dict):
        objects = document.get("objects")
        if isinstance(objects, list) and document.get("type", "bundle") == "bundle":
            # STIX 2.1 §8: a bundle; real files sometimes omit "type": "bundle" (and TAXII
            # envelopes, §3.7 of TAXII 2.1, have the same "objects" member), so accept both.
            yield from _candidates(objects, source, "objects")
        elif "type" in document:
            yield _candidate(document, source, "object")
        else:
            raise MalformedDocument(
                f"{source}: neither a STIX bundle (no 'objects' list) nor a STIX object (no 'type')"
            )
    else:
        raise MalformedDocument(f"{source}: a STIX document must be a JSON object or array")


def _candidates(items: Iterable[Any], source: str, label: str) -> Iterator[Candidate]:
    for index, item in enumerate(items):
        yield _candidate(item, source, f"{label}[{index}]")


def _candidate(item: Any, source: str, position: str) -> Candidate:
    if isinstance(item, Mapping):
        return Candidate(source=source, position=position, data=item)
    if isinstance(item, Unreadable):
        return Candidate(source=source, position=position, data=None, error=item.reason)
    return Candidate(source=source, position=position, data=None, error="not a JSON object")


def _top_level_shape(head: bytes) -> str | None:
    """The ijson prefix of the objects in a document, judged from its first bytes."""
    events = ijson.parse(_Chained(head, None), use_float=True)
    try:
        for prefix, event, value in itertools.islice(events, 100_000):
            if prefix == "" and event == "start_array":
                return "item"
            if prefix == "" and event == "map_key" and value == "objects":
                return "objects.item"
    except ijson.IncompleteJSONError:
        return None
    except ijson.JSONError as exc:
        raise MalformedDocument(f"broken JSON at the start of the document: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise MalformedDocument(f"not valid UTF-8 at the start of the document: {exc}") from exc
    return None


class _Chained:
    """A read-only byte stream: ``head`` followed by what remains of ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes] | None) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            n = len(self._head) if size < 0 else min(size, len(self._head))
            chunk = bytes(self._head[:n])
            self._head = self._head[n:]
            return chunk
        if self._rest is None:
            return b""
        return self._rest.read(size)
