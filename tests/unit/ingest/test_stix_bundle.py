"""The STIX document reader: whole and streamed parsing agree; broken JSON is refused."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.errors import MalformedDocument
from entente.ingest.stix_bundle import read_stix


def _obj(i: int, pad: int = 0) -> dict[str, Any]:
    return {
        "type": "x-thing",
        "id": f"x-thing--{i:08d}-0000-4000-8000-000000000000",
        "n": i,
        "f": 1.5,
        "pad": "a" * pad,
        "nested": {"k": [1, {"u": "é"}]},
    }


def _read(data: bytes, streamed: bool) -> list[tuple[str, Any]]:
    size = None if streamed else len(data)
    return [(c.position, c.data) for c in read_stix(io.BytesIO(data), source="t", size=size)]


@given(
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=6000),
    st.sampled_from(["bundle", "untyped", "array"]),
)
@settings(max_examples=40, deadline=None)
def test_streamed_and_whole_reading_yield_the_same_objects(n: int, pad: int, shape: str) -> None:
    objects = [_obj(i, pad) for i in range(n)]
    document: Any
    if shape == "bundle":
        document = {"type": "bundle", "id": "bundle--1", "objects": objects}
    elif shape == "untyped":
        document = {"id": "bundle--1", "objects": objects}
    else:
        document = objects
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    assert _read(data, streamed=True) == _read(data, streamed=False)
    assert [d for _, d in _read(data, streamed=False)] == objects


def test_bare_object_is_one_candidate() -> None:
    data = orjson.dumps(_obj(1))
    assert _read(data, streamed=False) == [("object", _obj(1))]
    assert _read(data, streamed=True) == [("object", _obj(1))]


def test_non_object_items_become_error_candidates() -> None:
    data = orjson.dumps({"type": "bundle", "id": "bundle--1", "objects": [_obj(1), 7]})
    candidates = list(read_stix(io.BytesIO(data), source="t", size=len(data)))
    assert candidates[1].data is None
    assert candidates[1].error == "not a JSON object"
    assert candidates[1].position == "objects[1]"


@pytest.mark.parametrize("streamed", [False, True])
def test_truncated_json_raises_malformed_document(streamed: bool) -> None:
    objects = [_obj(i, 2000) for i in range(100)]
    data = orjson.dumps({"type": "bundle", "id": "bundle--1", "objects": objects})
    broken = data[: len(data) - 5000]
    with pytest.raises(MalformedDocument):
        _read(broken, streamed=streamed)


def test_json_that_is_neither_bundle_nor_object_is_refused() -> None:
    data = b'{"hello": "world"}'
    with pytest.raises(MalformedDocument, match="neither a STIX bundle"):
        _read(data, streamed=False)


# Found through the fuzz targets (tests/fuzz/targets.py): bytes that yajl lexes but Python's
# UTF-8 decoder refuses (an encoded UTF-16 surrogate, as CESU-8 writes them) raised
# UnicodeDecodeError out of the streamed reader; the whole-document reader says
# MalformedDocument, and so must the stream, wherever the bytes are.
SURROGATE = b"\xed\xa0\x80"


@pytest.mark.parametrize(
    "data",
    [
        b'[{"type": "x-thing", "name": "a' + SURROGATE + b'"}]',
        b'{"objects": [{"type": "x-thing", "n' + SURROGATE + b'": 1}]}',
        b'{"x' + SURROGATE + b'": 1, "objects": []}',
        orjson.dumps([_obj(i, 2000) for i in range(60)])[:-1]
        + b', {"type": "x-'
        + SURROGATE
        + b'"}]',
    ],
    ids=["value", "key", "top-level key", "after the first 64 KiB"],
)
@pytest.mark.parametrize("streamed", [False, True])
def test_bytes_that_are_not_utf8_are_a_malformed_document(data: bytes, streamed: bool) -> None:
    padded = data + b" " * 70_000  # past the head, so that the stream path reads it
    with pytest.raises(MalformedDocument, match="UTF-8"):
        _read(padded, streamed=streamed)
