"""The port of the log of recent matching runs (``entente match``, ``entente hunt``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

__all__ = ["RUN_KINDS", "MatchRunRecord", "MatchRunStore"]

RUN_KINDS: Final = ("match", "hunt")


@dataclass(frozen=True, slots=True)
class MatchRunRecord:
    """One finished matching run and its bounded report (a JSON object).

    ``run_id`` is assigned by the store (None before it is added).
    """

    run_id: int | None
    kind: str  # one of RUN_KINDS
    started_us: int
    finished_us: int
    report: Mapping[str, Any]


class MatchRunStore(Protocol):
    """The newest matching runs, newest first; older ones are pruned as new ones arrive."""

    def add(self, run: MatchRunRecord) -> int:
        """Store the run under a new, increasing ``run_id`` and return that id, then keep only
        the newest runs (the adapter's cap). An unknown ``kind`` raises ``InvalidInput``."""
        ...

    def latest(self, limit: int, offset: int = 0) -> Sequence[MatchRunRecord]:
        """Up to ``limit`` runs, newest first, skipping the ``offset`` newest."""
        ...

    def count(self) -> int:
        """How many runs are kept."""
        ...

    def get(self, run_id: int) -> MatchRunRecord | None:
        """The run ``run_id``, or None when it is not (or no longer) kept."""
        ...
