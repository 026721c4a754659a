"""Granular markings (STIX 2.1 §7.2.3): selectors, and copies without what they select."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.sharing import parse_selector, strip_selected
from entente.stix import granular_markings_of, parse_object

RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def indicator(**extra: Any) -> dict[str, Any]:
    """A valid indicator with ``extra`` properties."""
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '192.0.2.1']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        **extra,
    }


def test_selectors_parse_as_paths() -> None:
    assert parse_selector("description") == ("description",)
    assert parse_selector("labels.[1]") == ("labels", 1)
    assert parse_selector("kill_chain_phases.[0].phase_name") == (
        "kill_chain_phases",
        0,
        "phase_name",
    )
    for bad in ("", "a..b", "[0]", "labels.[x]", "labels.[-1]", "la[0]bels", "a.b]"):
        assert parse_selector(bad) is None, bad


def test_a_top_level_property_is_removed_and_its_marking_with_it() -> None:
    obj = indicator(
        description="secret",
        name="public",
        granular_markings=[
            {"marking_ref": RED, "selectors": ["description"]},
            {"marking_ref": GREEN, "selectors": ["name"]},
        ],
    )
    copy = strip_selected(obj, ["description"])
    assert copy is not None
    assert "description" not in copy
    assert copy["name"] == "public"
    # What is left is marked as before; nothing says where the removed content was.
    assert copy["granular_markings"] == [{"marking_ref": GREEN, "selectors": ["name"]}]
    assert obj["description"] == "secret"  # the original is untouched
    parse_object(copy)


def test_list_items_move_up_and_selectors_follow_them() -> None:
    obj = indicator(
        labels=["a", "secret", "c"],
        granular_markings=[
            {"marking_ref": RED, "selectors": ["labels.[1]"]},
            {"marking_ref": GREEN, "selectors": ["labels.[2]", "labels.[0]"]},
        ],
    )
    copy = strip_selected(obj, ["labels.[1]"])
    assert copy is not None
    assert copy["labels"] == ["a", "c"]
    assert copy["granular_markings"] == [
        {"marking_ref": GREEN, "selectors": ["labels.[1]", "labels.[0]"]}
    ]


def test_a_list_or_dictionary_left_empty_is_removed() -> None:
    obj = indicator(
        labels=["secret"],
        external_references=[{"source_name": "x", "url": "http://secret.example/"}],
        x_extra={"only": "secret"},
        granular_markings=[
            {"marking_ref": RED, "selectors": ["labels.[0]", "x_extra.only"]},
            {"marking_ref": GREEN, "selectors": ["external_references.[0].source_name"]},
        ],
    )
    copy = strip_selected(obj, ["labels.[0]", "x_extra.only", "external_references.[0].url"])
    assert copy is not None
    assert "labels" not in copy and "x_extra" not in copy
    assert copy["external_references"] == [{"source_name": "x"}]
    assert copy["granular_markings"] == [
        {"marking_ref": GREEN, "selectors": ["external_references.[0].source_name"]}
    ]


def test_no_copy_without_required_common_properties_or_markings() -> None:
    obj = indicator(object_marking_refs=[GREEN])
    for selector in ("id", "modified", "object_marking_refs.[0]", "granular_markings", "a..b"):
        assert strip_selected(obj, [selector]) is None, selector


def test_a_selector_naming_nothing_present_removes_nothing() -> None:
    obj = indicator(description="x")
    assert strip_selected(obj, ["name", "labels.[4]", "description.deeper"]) == obj


def test_removing_a_required_type_property_leaves_an_invalid_copy() -> None:
    # The policy withholds such an object (entente.sharing.is_shareable).
    copy = strip_selected(indicator(), ["pattern"])
    assert copy is not None and "pattern" not in copy


texts = st.text(alphabet="abcdefgh", min_size=1, max_size=6)
values: st.SearchStrategy[Any] = st.recursive(
    texts | st.integers(0, 9),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(st.sampled_from(["p", "q", "r"]), inner, min_size=1, max_size=3)
    ),
    max_leaves=8,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (not the root)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(paths_of(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found.extend(paths_of(item, (*prefix, index)))
    return found


def render(path: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path)


def at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def markers(value: Any) -> set[str]:
    """The unique leaf markers inside ``value``."""
    return {leaf for leaf in orjson.dumps(value).decode().split('"') if leaf[:1] == "M"}


bodies = st.dictionaries(st.sampled_from(["x_a", "x_b", "x_c"]), values, min_size=1)


@settings(max_examples=300)
@given(body=bodies, data=st.data())
def test_kept_selectors_point_at_the_same_content_and_removed_content_is_gone(
    body: dict[str, Any], data: st.DataObject
) -> None:
    """Every value removed is absent from the copy (found by a unique marker), and every
    selector kept in the copy names what it named in the original, less what was removed."""
    counter = iter(range(10_000))

    def mark(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return f"M{next(counter)}M"

    body = mark(body)
    paths = paths_of(body)
    removed = data.draw(st.lists(st.sampled_from(paths), max_size=3, unique=True))
    kept = [p for p in paths if p not in removed]
    obj = indicator(
        **body,
        granular_markings=[{"marking_ref": GREEN, "selectors": [render(p) for p in kept]}],
    )
    copy = strip_selected(obj, [render(p) for p in removed])
    assert copy is not None
    gone = set().union(*(markers(at(obj, p)) for p in removed))
    assert not gone & markers(copy)
    for ref, selectors in granular_markings_of(copy):
        assert ref == GREEN
        for selector in selectors:
            new_path = parse_selector(selector)
            assert new_path is not None
            shown = markers(at(copy, new_path))
            assert shown
            assert any(markers(at(obj, p)) - gone == shown for p in kept)
