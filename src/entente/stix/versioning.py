"""STIX 2.1 versioning rules (§3.6): is a candidate a new version, a duplicate, or a violation?"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from entente.errors import VersioningError
from entente.stix.objects import StixObject

__all__ = ["VersionVerdict", "check_version"]


class VersionVerdict(enum.StrEnum):
    """What storing a candidate object would mean."""

    NEW = "new"
    DUPLICATE = "duplicate"


def check_version(candidate: StixObject, stored: Sequence[StixObject]) -> VersionVerdict:
    """Judge ``candidate`` against all stored versions of its id (oldest first) per §3.6."""
    object_id = candidate.id
    if not stored:
        return VersionVerdict.NEW
    for old in stored:
        if old.type != candidate.type:  # ids embed the type, so this is a store mix-up
            raise VersioningError(
                f"type cannot change between versions ({old.type} -> {candidate.type})",
                "type",
                object_id,
            )
    if not candidate.is_versioned:
        for old in stored:
            if old.raw == candidate.raw:
                return VersionVerdict.DUPLICATE
        what = "marking-definitions" if candidate.type == "marking-definition" else "SCOs"
        raise VersioningError(
            f"a different object with this id is already stored; {what} are not versioned (§3.6)",
            "",
            object_id,
        )
    key = candidate.version_key
    for old in stored:
        if old.version_key == key:
            if old.raw == candidate.raw:
                return VersionVerdict.DUPLICATE
            raise VersioningError(
                "a different object with the same id and modified is already stored (§3.6)",
                "modified",
                object_id,
            )
    first = stored[0]
    if candidate.created != first.created:
        raise VersioningError(
            f"created must stay the same across versions (§3.6): stored "
            f"{first.created.text if first.created else None}, got "
            f"{candidate.created.text if candidate.created else None}",
            "created",
            object_id,
        )
    if candidate.created_by_ref != first.created_by_ref:
        raise VersioningError(
            f"only the creator may version an object (§3.6): stored created_by_ref "
            f"{first.created_by_ref!r}, got {candidate.created_by_ref!r}",
            "created_by_ref",
            object_id,
        )
    for old in stored:
        if old.revoked and old.version_key < key:
            raise VersioningError(
                "object was revoked; revoked objects take no new versions (§3.6)",
                "revoked",
                object_id,
            )
    return VersionVerdict.NEW
