"""What changed between two versions of an object, property by property (pure).

Paths are written as STIX 2.1 granular-marking selectors (§7.2.3.1): ``name``,
``kill_chain_phases.[0].phase_name``, ``hashes.SHA-256``, so an analyst reads the same path
a marking would name. Dictionaries and lists are followed down to their leaves; a value whose
JSON type changed (a string that became a list) is one change at its own path.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "ChangeKind", "diff_objects"]


class ChangeKind(enum.StrEnum):
    """How a property differs from the older version to the newer one."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: its selector path, its kind, and the values before and after
    (``None`` on the side where it is absent)."""

    path: str
    kind: ChangeKind
    old: Any
    new: Any


def _join(prefix: str, part: str) -> str:
    return part if not prefix else f"{prefix}.{part}"


def _walk(prefix: str, old: Any, new: Any, into: list[Change]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        # Keys in the older version's order, then the keys only the newer one has.
        for key in [*old, *(k for k in new if k not in old)]:
            path = _join(prefix, str(key))
            if key not in new:
                into.append(Change(path, ChangeKind.REMOVED, old[key], None))
            elif key not in old:
                into.append(Change(path, ChangeKind.ADDED, None, new[key]))
            else:
                _walk(path, old[key], new[key], into)
        return
    if isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            path = _join(prefix, f"[{index}]")
            if index >= len(new):
                into.append(Change(path, ChangeKind.REMOVED, old[index], None))
            elif index >= len(old):
                into.append(Change(path, ChangeKind.ADDED, None, new[index]))
            else:
                _walk(path, old[index], new[index], into)
        return
    # JSON equality: 1 and 1.0 are one number, but true is not 1 (bool is an int in Python).
    bool_apart = type(old) is not type(new) and (isinstance(old, bool) or isinstance(new, bool))
    if bool_apart or old != new:
        into.append(Change(prefix, ChangeKind.CHANGED, old, new))


def diff_objects(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[Change, ...]:
    """The differences from ``old`` to ``new`` (two JSON objects), leaf by leaf."""
    found: list[Change] = []
    _walk("", old, new, found)
    return tuple(found)
