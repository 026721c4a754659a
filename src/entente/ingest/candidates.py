"""What every reader yields: candidate objects with where they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Candidate"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One would-be STIX object from a reader, or the reason the reader could not make one.

    ``position`` locates it in its source (``objects[12]``, ``line 40``,
    ``Event.Attribute[3]``). ``derived`` marks objects Entente itself builds from a feed
    value: their ``created``/``modified`` are the ingest time, so the ingest service treats
    a re-ingest whose content is otherwise unchanged as a duplicate, and keeps ``created``
    of the first version (STIX 2.1 §3.6).
    """

    source: str
    position: str
    data: Mapping[str, Any] | None
    error: str | None = None
    derived: bool = False
