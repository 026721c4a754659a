"""What every reader yields: candidate objects with where they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from entente.ingest.review import Verdict
from entente.ingest.values import TypedValue

__all__ = ["Candidate"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One would-be STIX object from a reader, or the reason the reader could not make one.

    ``position`` locates it in its source (``objects[12]``, ``line 40``,
    ``Event.Attribute[3]``). ``derived`` marks objects Entente itself builds from a feed
    value: their ``created``/``modified`` are the ingest time, so the ingest service treats
    a re-ingest whose content is otherwise unchanged as a duplicate, and keeps ``created``
    of the first version (STIX 2.1 §3.6).

    ``value`` is the feed value a derived indicator stands for. ``verdict`` is what the review
    of free text (``entente.ingest.review``) decided about it; a value it left out comes with
    no ``data`` and is neither stored nor a rejection.
    """

    source: str
    position: str
    data: Mapping[str, Any] | None
    error: str | None = None
    derived: bool = False
    value: TypedValue | None = None
    verdict: Verdict | None = None

    @property
    def left_out(self) -> bool:
        """Whether the review left this value out (``--force`` keeps it)."""
        return self.verdict is not None and not self.verdict.kept
