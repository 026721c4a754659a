"""Builders of STIX objects and store versions shared by tests (conventions §14)."""

from __future__ import annotations

from typing import Any

import orjson

from entente.stix import granular_markings_of
from entente.store import NewVersion

STAMP = "2024-01-01T00:00:00.000000000Z"
CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
RED = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"


def ident(n: int, kind: str) -> str:
    """A STIX id of ``kind`` numbered ``n`` (the number is its last twelve digits)."""
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


def number(object_id: str) -> int:
    """The number of an id made by :func:`ident`."""
    return int(object_id[-12:])


def stix(kind: str, n: int, marking: str | None = CLEAR, **properties: Any) -> dict[str, Any]:
    """A STIX 2.1 SDO/SRO of ``kind`` (common properties filled in) with ``properties``."""
    obj: dict[str, Any] = {
        "type": kind,
        "spec_version": "2.1",
        "id": ident(n, kind),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        **properties,
    }
    if marking is not None:
        obj["object_marking_refs"] = [marking]
    return obj


def relationship(
    n: int, source: str, kind: str, target: str, marking: str | None = CLEAR
) -> dict[str, Any]:
    """A relationship ``source`` -``kind``-> ``target`` (STIX 2.1 §5.1)."""
    return stix(
        "relationship",
        n,
        marking,
        relationship_type=kind,
        source_ref=source,
        target_ref=target,
    )


def new_version(obj: dict[str, Any], modified: str = STAMP) -> NewVersion:
    """The store's new version of ``obj`` with the version key ``modified``."""
    return NewVersion(
        id=obj["id"],
        type=obj["type"],
        spec_version="2.1",
        version=modified,
        created=modified,
        modified=modified,
        created_by_ref=obj.get("created_by_ref"),
        revoked=False,
        marking_refs=tuple(obj.get("object_marking_refs", ())),
        raw_json=orjson.dumps(obj),
        granular_markings=granular_markings_of(obj),
    )
