"""What the graph draws: nodes and edges as the reader was shown them, and their labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GraphEdge", "GraphNode", "display_name"]

# Longest label kept of a name (partners write names of any length; the SVG shortens further).
_MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One object: its id, STIX type and the name it is shown under."""

    id: str
    type: str
    name: str


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A link from ``source`` to ``target``: a relationship (``id`` is its id, ``label`` its
    ``relationship_type``) or a reference property (``id`` names the holder and the property,
    ``label`` is the property: ``object_refs``, ``sighting_of_ref``)."""

    id: str
    source: str
    target: str
    label: str


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def display_name(obj: Mapping[str, Any]) -> str:
    """What an object is called on screen: its name (STIX 2.1 SDOs), an SCO's value, an
    indicator's pattern, a relationship's type, a file's name or first hash, else its type."""
    kind = str(obj.get("type", "object"))
    hashes = obj.get("hashes")
    first_hash = (
        next((v for v in hashes.values() if isinstance(v, str)), None)
        if isinstance(hashes, Mapping)
        else None
    )
    for candidate in (
        obj.get("name"),
        obj.get("value"),
        obj.get("pattern") if kind == "indicator" else None,
        obj.get("relationship_type") if kind == "relationship" else None,
        obj.get("number") if kind == "autonomous-system" else None,
        first_hash,
    ):
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return str(candidate)
        text = _text(candidate)
        if text is not None:
            return text.strip()[:_MAX_NAME]
    return kind
