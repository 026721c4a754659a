"""Hits aggregated into STIX 2.1 sightings (§5.2): one per indicator and observing org.

A run feeds every hit to a ``SightingAggregator``, which keeps one small accumulator per
indicator hit (a count, the first and last record time, and how many hits each log field
gave), so memory does not grow with the number of hits. ``render`` then writes one sighting
per indicator:

- ``sighting_of_ref`` the indicator; ``created_by_ref`` and ``where_sighted_refs`` the observing
  org's identity (it saw the indicator in its own logs);
- ``count`` the number of hits (§5.2 caps it at 999,999,999);
- ``first_seen``/``last_seen`` the earliest and latest record time among the hits; a record
  without a time counts as seen at the run's time;
- ``description`` where it was seen: "Seen 3 times in this node's logs: zeek.dns query (2),
  zeek.ssl server_name (1).";
- ``object_marking_refs`` the indicator's own markings (a sighting names its indicator, so it is
  marked at least as tightly), or the node's default marking if the indicator has none.

No observed-data is attached (``observed_data_refs`` is optional in §5.2). The matched values
and records stay in the node's hit output: a sighting says that and how often an indicator was
seen, which is what its creator needs back, and discloses no log content about the observer's
network. The hit files carry the record-level evidence for cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from entente.clock import Clock
from entente.matching.hits import hit_ts_us
from entente.matching.model import CompiledIndicator, Hit
from entente.stix import Tlp, format_timestamp_us, marking_id_for

__all__ = ["SightingAggregator"]

# STIX 2.1 §5.2: ``count`` is an integer between 0 and 999,999,999 inclusive.
_MAX_COUNT: Final = 999_999_999
# How many log fields a description names before "and N more".
_PLACES_SHOWN: Final = 10


@dataclass(slots=True)
class _Seen:
    """What the hits of one indicator add up to."""

    count: int = 0
    first_us: int | None = None
    last_us: int | None = None
    # Whether some hit's record had no time (it then counts as seen at the run's time).
    undated: bool = False
    # (log, field) -> hits; bounded by the log fields the sources know, not by the hits.
    places: Counter[tuple[str, str]] = field(default_factory=Counter)


class SightingAggregator:
    """Accumulates hits per indicator and renders them as STIX 2.1 sightings."""

    def __init__(self, indicators: Iterable[CompiledIndicator]) -> None:
        self._indicators: Mapping[str, CompiledIndicator] = {i.id: i for i in indicators}
        self._seen: dict[str, _Seen] = {}

    def __len__(self) -> int:
        """How many indicators were hit."""
        return len(self._seen)

    def add(self, hits: Iterable[Hit]) -> None:
        """Count ``hits``; each must be of an indicator the aggregator was given."""
        for hit in hits:
            seen = self._seen.get(hit.indicator_id)
            if seen is None:
                if hit.indicator_id not in self._indicators:
                    # Its markings are unknown, so no sighting could be marked right.
                    raise ValueError(f"a hit of {hit.indicator_id}, which is not in the set")
                seen = self._seen[hit.indicator_id] = _Seen()
            seen.count += 1
            micros = hit_ts_us(hit)
            if micros is None:
                seen.undated = True
            else:
                if seen.first_us is None or micros < seen.first_us:
                    seen.first_us = micros
                if seen.last_us is None or micros > seen.last_us:
                    seen.last_us = micros
            seen.places[(hit.log or "", hit.field)] += 1

    def render(
        self,
        *,
        observer_org: str,
        default_marking: Tlp,
        clock: Clock,
        new_id: Callable[[], str],
    ) -> list[dict[str, Any]]:
        """One sighting per indicator hit, in indicator id order.

        ``observer_org`` is the observing org's identity id; ``new_id`` returns a UUID (the
        sightings' ids are ``sighting--<uuid>``); ``clock`` dates ``created``/``modified`` and
        the hits whose records have no time.
        """
        now_us = clock.now_us()
        now = format_timestamp_us(now_us)
        default_refs = [marking_id_for(default_marking)]
        sightings = []
        for indicator_id in sorted(self._seen):
            seen = self._seen[indicator_id]
            indicator = self._indicators[indicator_id]
            instants = [t for t in (seen.first_us, seen.last_us) if t is not None]
            if seen.undated:
                instants.append(now_us)
            sightings.append(
                {
                    "type": "sighting",
                    "spec_version": "2.1",
                    "id": f"sighting--{new_id()}",
                    "created": now,
                    "modified": now,
                    "created_by_ref": observer_org,
                    "sighting_of_ref": indicator_id,
                    "count": min(seen.count, _MAX_COUNT),
                    "first_seen": format_timestamp_us(min(instants)),
                    "last_seen": format_timestamp_us(max(instants)),
                    "where_sighted_refs": [observer_org],
                    "description": _description(seen),
                    "object_marking_refs": list(indicator.marking_refs) or default_refs,
                }
            )
        return sightings


def _description(seen: _Seen) -> str:
    """Where the indicator was seen: "Seen 3 times in this node's logs: zeek.dns query (2)."."""
    times = "once" if seen.count == 1 else f"{seen.count} times"
    ranked = sorted(seen.places.items(), key=lambda item: (-item[1], item[0]))
    places = [
        f"{(log + ' ') if log else ''}{name} ({count})"
        for (log, name), count in ranked[:_PLACES_SHOWN]
    ]
    more = len(ranked) - _PLACES_SHOWN
    if more > 0:
        places.append(f"and {more} more")
    text = f"Seen {times} in this node's logs: {', '.join(places)}."
    if seen.undated:
        text += " Records without a time are dated to the matching run."
    return text
