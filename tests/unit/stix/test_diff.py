"""diff_objects: property-by-property differences written as STIX selectors."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from entente.stix import Change, ChangeKind, diff_objects

OLD: dict[str, Any] = {
    "type": "indicator",
    "name": "old name",
    "labels": ["a", "b"],
    "kill_chain_phases": [{"kill_chain_name": "k", "phase_name": "recon"}],
    "confidence": 50,
    "revoked": False,
}


def test_equal_objects_have_no_differences() -> None:
    assert diff_objects(OLD, dict(OLD)) == ()


def test_changed_added_and_removed_properties_are_named_by_selector() -> None:
    new = {
        **OLD,
        "name": "new name",
        "labels": ["a"],
        "kill_chain_phases": [{"kill_chain_name": "k", "phase_name": "delivery"}],
        "description": "added",
    }
    del new["confidence"]
    assert diff_objects(OLD, new) == (
        Change("name", ChangeKind.CHANGED, "old name", "new name"),
        Change("labels.[1]", ChangeKind.REMOVED, "b", None),
        Change("kill_chain_phases.[0].phase_name", ChangeKind.CHANGED, "recon", "delivery"),
        Change("confidence", ChangeKind.REMOVED, 50, None),
        Change("description", ChangeKind.ADDED, None, "added"),
    )


def test_a_value_that_changes_json_type_is_one_change_at_its_path() -> None:
    assert diff_objects({"x": "one"}, {"x": ["one"]}) == (
        Change("x", ChangeKind.CHANGED, "one", ["one"]),
    )


def test_true_and_one_differ_as_json_values() -> None:
    assert diff_objects({"x": True}, {"x": 1}) == (Change("x", ChangeKind.CHANGED, True, 1),)
    assert diff_objects({"x": 1}, {"x": 1.0}) == ()


# Keys without selector syntax ("." and "[" would make a path ambiguous).
keys = st.text(alphabet="abc-_", min_size=1, max_size=3)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)
objects = st.dictionaries(keys, json_values, max_size=4)


def _apply(obj: Any, changes: tuple[Change, ...]) -> Any:
    """``obj`` with the leaf changes applied (list removals last, from the end)."""
    result = copy.deepcopy(obj)
    removals = sorted((c for c in changes if c.kind == ChangeKind.REMOVED), key=lambda c: c.path)
    others = [c for c in changes if c.kind != ChangeKind.REMOVED]
    for change in [*others, *reversed(removals)]:
        parts = change.path.split(".") if change.path else []
        holder: Any = result
        for part in parts[:-1]:
            holder = holder[int(part[1:-1])] if isinstance(holder, list) else holder[part]
        last = parts[-1]
        if isinstance(holder, list):
            index = int(last[1:-1])
            if change.kind == ChangeKind.REMOVED:
                holder.pop(index)
            elif change.kind == ChangeKind.ADDED:
                holder.insert(index, change.new)
            else:
                holder[index] = change.new
        elif change.kind == ChangeKind.REMOVED:
            del holder[last]
        else:
            holder[last] = change.new
    return result


@given(old=objects, new=objects)
def test_applying_the_differences_to_the_old_object_gives_the_new_one(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    changes = diff_objects(old, new)
    assert _apply(old, changes) == new
    assert (changes == ()) is (old == new)
