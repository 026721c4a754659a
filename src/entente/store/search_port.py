"""The SearchIndex port: candidate versions for a search, and where one value occurs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from entente.store.records import StoredVersion

__all__ = ["Probe", "SearchFilter", "SearchIndex"]


@dataclass(frozen=True, slots=True)
class Probe:
    """Value-index keys of one kind from ``low`` to ``high`` inclusive (equal: one key)."""

    kind: str
    low: str
    high: str


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """What a search asks of the store; every field set must hold (AND), each list is an OR.

    ``probes``: value-index key ranges (``search_values.probes_for``); ``words``: phrases of
    full-text tokens, all of which must occur; ``labels`` are lower-cased; ``markings`` are
    marking-definition ids; ``modified_*`` are version keys (nine fraction digits), inclusive;
    ``added_*_us`` bound ``date_added`` exclusively. ``last_only``: only the latest version
    of each object. ``related``: objects with one of these ids or that refer to one (the
    sightings of an indicator, the observed data that names an object), where ``ids`` is
    the objects themselves only.
    """

    probes: tuple[Probe, ...] = ()
    words: tuple[tuple[str, ...], ...] = ()
    ids: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    creators: tuple[str, ...] = ()
    markings: tuple[str, ...] = ()
    added_after_us: int | None = None
    added_before_us: int | None = None
    modified_after: str | None = None
    modified_before: str | None = None
    last_only: bool = True


class SearchIndex(Protocol):
    """Reads of the value and full-text indexes (architecture §2: every read via the policy)."""

    def candidates(
        self, where: SearchFilter, after_us: int | None, limit: int
    ) -> list[StoredVersion]:
        """Versions matching ``where`` added after ``after_us``, by date_added, at most
        ``limit``; not yet through the sharing policy."""
        ...

    def occurrences(
        self, kind: str, key: str, after_us: int | None, limit: int
    ) -> list[StoredVersion]:
        """Versions holding the value ``(kind, key)``, by date_added, at most ``limit``."""
        ...
