"""How UI pages write a time of the node's clock (epoch microseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["when"]


def when(us: int | None) -> str:
    """A time in the node's clock as UTC text (ISO 8601 to the second), or "never"."""
    if us is None:
        return "never"
    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
