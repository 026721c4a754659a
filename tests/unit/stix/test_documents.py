"""Documents decoded so that one object nested too deep is refused alone (stix.documents)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.errors import InvalidObject, MalformedDocument
from entente.stix import MAX_NESTING_DEPTH, Unreadable, decode_document, parse_object

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


def nested_text(depth: int, opener: str = '{"a":', closer: str = "}") -> str:
    return opener * depth + "1" + closer * depth


@settings(max_examples=300)
@given(json_values)
def test_what_orjson_decodes_is_decoded_the_same(value: Any) -> None:
    assert decode_document(orjson.dumps(value)) == value


@settings(max_examples=200)
@given(
    items=st.lists(st.dictionaries(st.sampled_from(["id", "type", "x"]), json_values), max_size=4),
    deep_at=st.integers(0, 4),
    depth=st.integers(1100, 3000),
    wrapped=st.booleans(),
)
def test_a_document_too_deep_to_decode_keeps_every_other_item(
    items: list[dict[str, Any]], deep_at: int, depth: int, wrapped: bool
) -> None:
    parts = [orjson.dumps(item).decode() for item in items]
    parts.insert(min(deep_at, len(parts)), nested_text(depth))
    listed = "[" + ",".join(parts) + "]"
    text = '{"type": "bundle", "id": "bundle--1", "objects": ' + listed + "}" if wrapped else listed
    decoded = decode_document(text.encode())
    objects = decoded["objects"] if wrapped else decoded
    if wrapped:
        assert (decoded["type"], decoded["id"]) == ("bundle", "bundle--1")
    position = min(deep_at, len(items))
    assert objects[:position] + objects[position + 1 :] == items
    assert isinstance(objects[position], Unreadable)
    assert f"{MAX_NESTING_DEPTH} levels" in objects[position].reason
    assert f"({depth} levels)" in objects[position].reason


def test_pure_nesting_is_scanned_without_building_it() -> None:
    # Five million brackets: decoded item by item in well under the time a value per level
    # would take, and without the memory of one.
    text = ("[" * 5_000_000 + "]" * 5_000_000).encode()
    [item] = decode_document(text)
    assert isinstance(item, Unreadable)


@pytest.mark.parametrize(
    "text",
    [
        '{"objects": [], "x": ' + nested_text(2000) + "}",  # too deep outside the object list
        nested_text(2000),  # a document that is one deep object
        "[" + nested_text(2000) + ",",  # ends inside the list
        "[" + '{"a": [' * 1500 + "}" * 1500 + "]",  # brackets that do not match
        "{not json",
    ],
)
def test_what_cannot_be_read_item_by_item_is_a_malformed_document(text: str) -> None:
    with pytest.raises(MalformedDocument):
        decode_document(text.encode())


def test_an_object_nested_past_the_limit_is_invalid_with_where() -> None:
    obj: dict[str, Any] = {
        "type": "x-sample",
        "id": "x-sample--00000000-0000-4000-8000-000000000001",
        "spec_version": "2.1",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
    }
    value: Any = 1
    for _ in range(MAX_NESTING_DEPTH - 1):
        value = [value]
    parse_object({**obj, "x_list": value})  # the object is level 1: 64 levels in all
    with pytest.raises(InvalidObject) as caught:
        parse_object({**obj, "x_list": [value]})
    assert caught.value.field.startswith("x_list[0][0]")
    assert caught.value.object_id == obj["id"]
    assert "nested deeper than 64 levels" in caught.value.reason
