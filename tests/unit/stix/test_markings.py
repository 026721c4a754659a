"""Tests for the built-in TLP marking-definitions (§7.2.1.4, TLP 2.0 extension)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from entente.stix import (
    BUILTIN_MARKINGS,
    TLP2_EXTENSION_ID,
    Tlp,
    marking_id_for,
    parse_object,
    parse_tlp,
    tlp_of,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "stix"


def test_there_are_nine_builtin_markings_and_all_are_valid_stix() -> None:
    assert len(BUILTIN_MARKINGS) == 9
    for marking in BUILTIN_MARKINGS:
        obj = parse_object(dict(marking))
        assert obj.type == "marking-definition"
        assert obj.is_versioned is False


@pytest.mark.parametrize(
    "name",
    [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb.json",
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003.json",
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1.json",
        "tlp-amber.json",
        "tlp-clear.json",
    ],
)
def test_builtin_tlp2_markings_equal_the_published_oasis_objects(name: str) -> None:
    document: Any = json.loads((DATA / name).read_text(encoding="utf-8"))
    published = document["objects"][0]
    builtin = next(m for m in BUILTIN_MARKINGS if m["id"] == published["id"])
    assert dict(builtin) == published
    level = tlp_of(published["id"])
    assert level is not None
    assert published["extensions"][TLP2_EXTENSION_ID]["tlp_2_0"] == level.label


@pytest.mark.parametrize("level", list(Tlp))
def test_marking_id_for_and_tlp_of_round_trip(level: Tlp) -> None:
    assert tlp_of(marking_id_for(level)) is level


def test_tlp1_ids_read_as_their_tlp2_equivalents() -> None:
    assert tlp_of("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9") is Tlp.CLEAR
    assert tlp_of("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da") is Tlp.GREEN


def test_unknown_marking_has_no_tlp_level() -> None:
    assert tlp_of("marking-definition--3cd55916-d34b-4747-a8e0-dedec14b711b") is None


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("TLP:AMBER+STRICT", Tlp.AMBER_STRICT),
        ("amber+strict", Tlp.AMBER_STRICT),
        ("amber-strict", Tlp.AMBER_STRICT),
        ("tlp:white", Tlp.CLEAR),
        (" TLP:RED ", Tlp.RED),
        ("green", Tlp.GREEN),
    ],
)
def test_parse_tlp_accepts_common_spellings(text: str, level: Tlp) -> None:
    assert parse_tlp(text) is level


def test_parse_tlp_rejects_unknown_levels_listing_the_choices() -> None:
    with pytest.raises(ValueError, match="amber\\+strict"):
        parse_tlp("TLP:PURPLE")


def test_levels_are_ordered_by_restrictiveness() -> None:
    assert Tlp.CLEAR < Tlp.GREEN < Tlp.AMBER < Tlp.AMBER_STRICT < Tlp.RED
