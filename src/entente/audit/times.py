"""The times an audit query starts from, as people write them (RFC 3339, or a date in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from entente.errors import InvalidInput

__all__ = ["parse_since"]


def parse_since(text: str) -> int:
    """Epoch microseconds of an RFC 3339 time (``2026-12-05T10:00:00Z``) or a date (UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"since {text!r} is not an RFC 3339 time (2026-12-05T10:00:00Z) or a date"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
