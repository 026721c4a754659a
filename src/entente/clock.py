"""The injected clock: nothing else in Entente reads the time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Something that tells the current time as integer microseconds since the epoch."""

    def now_us(self) -> int:
        """Return the current time in microseconds since 1970-01-01T00:00:00Z."""
        ...


class SystemClock:
    """The real wall clock."""

    def now_us(self) -> int:
        """Return the wall-clock time in microseconds."""
        return time.time_ns() // 1000


@dataclass
class FixedClock:
    """A clock for tests: it stands still until ``advance`` is called."""

    current_us: int = field(default=1_700_000_000_000_000)

    def now_us(self) -> int:
        """Return the fixed time."""
        return self.current_us

    def advance(self, micros: int) -> None:
        """Move the clock forward by ``micros`` microseconds."""
        self.current_us += micros
