"""After a report: does the target still answer DNS, and has it been seen since?

The resolver is a parameter (``entente.abuse.dns.system_resolver`` in production), so the
logic is checked with any resolver; sightings are the ones the reader may see, read through
the policy by the service and passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from entente.abuse.reports import AbuseReport
from entente.abuse.targets import TargetKind
from entente.errors import InvalidInput
from entente.stix import parse_timestamp, timestamp_us_from_key

__all__ = ["Recheck", "Resolver", "recheck"]

# A DNS name to its addresses (A and AAAA); empty when the name does not resolve.
Resolver = Callable[[str], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Recheck:
    """What a re-check found: ``resolves`` is None for an address (nothing to resolve)."""

    report_id: str
    target: str
    checked_us: int
    resolves: bool | None
    addresses: tuple[str, ...]
    # Sightings of the indicator last seen after the report was sent.
    new_sightings: tuple[str, ...]


def _seen_us(sighting: Mapping[str, Any]) -> int | None:
    # STIX 2.1 §5.7: last_seen when given, else when the sighting was made.
    value = sighting.get("last_seen") or sighting.get("first_seen") or sighting.get("created")
    try:
        return timestamp_us_from_key(parse_timestamp(value, "last_seen").key)
    except InvalidInput:
        return None


def recheck(
    report: AbuseReport,
    *,
    resolver: Resolver,
    sightings: Iterable[Mapping[str, Any]],
    now_us: int,
) -> Recheck:
    """Re-check ``report``'s target: resolve a DNS name, and list the sightings of its
    indicator seen after it was sent (or drafted, if it was never sent)."""
    since = report.sent_at_us() or report.created_us
    addresses: tuple[str, ...] = ()
    resolves: bool | None = None
    if report.target.kind is TargetKind.DOMAIN:
        addresses = tuple(sorted(set(resolver(report.target.value))))
        resolves = bool(addresses)
    newer = sorted(
        str(s["id"])
        for s in sightings
        if s.get("type") == "sighting"
        and s.get("sighting_of_ref") == report.indicator_id
        and (seen := _seen_us(s)) is not None
        and seen > since
    )
    return Recheck(report.id, report.target.value, now_us, resolves, addresses, tuple(newer))
