"""The DashboardCounts port: the counters behind the dashboard, by policy cell.

``store.dashboard_index`` explains what is counted and why per cell: the dashboard service
asks the sharing policy about each cell and sums the cells the reader may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from entente.stix import GranularMarking
from entente.store.records import Provenance

__all__ = ["CountCell", "DashboardCounts", "MonthCount", "TargetHits"]


@dataclass(frozen=True, slots=True)
class CountCell:
    """One combination of the facts the sharing policy reads of a version."""

    cell: str
    type: str
    created_by_ref: str | None
    marking_refs: tuple[str, ...]
    granular_markings: tuple[GranularMarking, ...]
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class MonthCount:
    """How many objects of one cell have their latest version added in ``month`` (YYYY-MM)."""

    cell: str
    month: str
    objects: int


@dataclass(frozen=True, slots=True)
class TargetHits:
    """The sightings (latest versions) of one object and the sum of their counts."""

    target_ref: str
    sightings: int
    hits: int


class DashboardCounts(Protocol):
    """Reads of the dashboard counters; not yet through the sharing policy."""

    def cells(self, types: Sequence[str] = ()) -> list[CountCell]:
        """Every cell (of these types, when given), by key."""
        ...

    def month_counts(self, since_month: str) -> list[MonthCount]:
        """The counts of ``since_month`` (YYYY-MM) and later, by cell and month."""
        ...

    def targets_by_total(self, after: tuple[int, str] | None, limit: int) -> list[TargetHits]:
        """Sighted objects by the hits of all their sightings, most first (ties by id,
        descending), after ``after`` (the (hits, id) of the last one read), at most
        ``limit``."""
        ...

    def hits_in(self, targets: Sequence[str], cells: Sequence[str]) -> list[TargetHits]:
        """The sightings and hits of each of ``targets`` that has sightings in ``cells``,
        summed over those cells, by target."""
        ...
