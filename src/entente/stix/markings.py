"""TLP marking-definitions built into every node (STIX 2.1 §7.2.1.4, OASIS TLP 2.0 extension).

The five TLP 2.0 definitions are the canonical objects published by OASIS
(cti-stix-common-objects, extension-definition--60a3c5c5-...); the four TLP 1.0 ones are
those of STIX 2.1 §7.2.1.4 and are read as their TLP 2.0 equivalents (FIRST TLP 2.0 §"Changes":
WHITE became CLEAR; GREEN, AMBER and RED keep their meaning).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeAlias

__all__ = [
    "BUILTIN_MARKINGS",
    "TLP2_EXTENSION_ID",
    "GranularMarking",
    "Tlp",
    "granular_markings_of",
    "marking_id_for",
    "parse_tlp",
    "tlp_of",
]

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


class Tlp(enum.IntEnum):
    """TLP 2.0 levels ordered from least to most restrictive."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def label(self) -> str:
        """The level as TLP 2.0 writes it (``amber+strict``)."""
        return self.name.lower().replace("_", "+")


def _tlp2(uuid: str, level: Tlp) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid}",
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{level.label.upper()}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.label}
        },
    }


def _tlp1(uuid: str, colour: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid}",
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": f"TLP:{colour.upper()}",
        "definition": {"tlp": colour},
    }


_TLP2_IDS: dict[Tlp, str] = {
    Tlp.CLEAR: "94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP1: dict[str, tuple[str, Tlp]] = {
    "white": ("613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp.CLEAR),
    "green": ("34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp.GREEN),
    "amber": ("f88d31f6-486f-44da-b317-01333bde0b82", Tlp.AMBER),
    "red": ("5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp.RED),
}

_LEVEL_BY_ID: Mapping[str, Tlp] = MappingProxyType(
    {f"marking-definition--{u}": lvl for lvl, u in _TLP2_IDS.items()}
    | {f"marking-definition--{u}": lvl for u, lvl in _TLP1.values()}
)

BUILTIN_MARKINGS: tuple[Mapping[str, Any], ...] = tuple(
    [_tlp2(u, lvl) for lvl, u in _TLP2_IDS.items()]
    + [_tlp1(u, colour) for colour, (u, _) in _TLP1.items()]
)
"""The nine built-in marking-definitions as STIX JSON values."""


def tlp_of(marking_id: str) -> Tlp | None:
    """The TLP 2.0 level a built-in marking-definition id stands for, else ``None``."""
    return _LEVEL_BY_ID.get(marking_id)


def marking_id_for(level: Tlp) -> str:
    """The id of the canonical TLP 2.0 marking-definition for ``level``."""
    return f"marking-definition--{_TLP2_IDS[level]}"


_ALIASES = {"white": Tlp.CLEAR, "amber-strict": Tlp.AMBER_STRICT, "amber_strict": Tlp.AMBER_STRICT}


def parse_tlp(text: str) -> Tlp:
    """Parse ``TLP:AMBER+STRICT``, ``amber+strict``, ``tlp:white`` ... into a level.

    Raises ``ValueError`` with the accepted spellings when the text names no TLP level.
    """
    key = text.strip().lower().removeprefix("tlp:").strip()
    if key in _ALIASES:
        return _ALIASES[key]
    for level in Tlp:
        if level.label == key:
            return level
    choices = ", ".join(level.label for level in Tlp)
    raise ValueError(f"{text!r} is not a TLP level (expected one of: {choices}; or white)")


GranularMarking: TypeAlias = tuple[str, tuple[str, ...]]
"""A STIX 2.1 §7.2.3 granular marking naming a marking-definition: ``(marking_ref, selectors)``."""


def granular_markings_of(obj: Mapping[str, Any]) -> tuple[GranularMarking, ...]:
    """The granular markings of an object that name a marking-definition, in order.

    Language markings (``lang``, §7.2.3) restrict nothing and are left out, as are entries
    that are not well formed (``parse_object`` rejects those objects).
    """
    entries = obj.get("granular_markings")
    if not isinstance(entries, list):
        return ()
    found: list[GranularMarking] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        ref = entry.get("marking_ref")
        selectors = entry.get("selectors")
        if isinstance(ref, str) and isinstance(selectors, list):
            found.append((ref, tuple(s for s in selectors if isinstance(s, str))))
    return tuple(found)
