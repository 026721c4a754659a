"""The custody log's hash chain: each entry's ``hash`` covers the entry and its ``prev``.

``hash`` is the SHA-256 (hex) of the RFC 8785 canonical JSON of the entry without ``hash``;
``prev`` is the previous entry's ``hash`` (``null`` for the first entry). Dropping, reordering
or editing an entry breaks the chain at that entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from entente.stix.canonical import canonical_json

__all__ = ["chain", "chain_problems", "entry_hash"]


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The hash an entry must carry."""
    body = {name: value for name, value in entry.items() if name != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def chain(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` with ``prev`` and ``hash`` filled in, in order (for callers and tests)."""
    chained: list[dict[str, Any]] = []
    prev: str | None = None
    for entry in entries:
        linked = {**entry, "prev": prev}
        linked.pop("hash", None)
        linked["hash"] = entry_hash(linked)
        prev = linked["hash"]
        chained.append(linked)
    return chained


def chain_problems(entries: Sequence[object]) -> list[str]:
    """What is wrong with the chain, one line per broken entry (1-based); empty if sound."""
    problems: list[str] = []
    prev: str | None = None
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"entry {number} is not a JSON object")
            prev = None
            continue
        if entry.get("prev") != prev:
            problems.append(f"entry {number}: prev does not match the previous entry's hash")
        if entry.get("hash") != entry_hash(entry):
            problems.append(f"entry {number}: hash does not cover its content")
        hashed = entry.get("hash")
        prev = hashed if isinstance(hashed, str) else None
    return problems
