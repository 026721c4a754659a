"""The StatusStore port: what became of each object of a TAXII add-objects request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["StatusEntry", "StatusRecord", "StatusStore"]


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One object of a request: its id, version, outcome name and optional message."""

    id: str
    version: str
    outcome: str
    message: str | None = None


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """One add-objects request: who sent it, to which collection, when, and its outcomes."""

    status_id: str
    collection_id: str
    principal: str
    request_us: int
    entries: tuple[StatusEntry, ...]


class StatusStore(Protocol):
    """Where status resources are kept."""

    def add(self, record: StatusRecord) -> None:
        """Store a new status record."""
        ...

    def get(self, status_id: str) -> StatusRecord | None:
        """The record with that id, or None."""
        ...

    def purge_before(self, request_us: int) -> int:
        """Delete records of requests made before ``request_us``; return how many."""
        ...
