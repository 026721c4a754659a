"""What the node keeps of each matching run: its report, bounded, in the run log (issue 13).

A run may hit thousands of indicators and store as many sightings; the log keeps, per run, the
counts and the first ``KEEP_ITEMS`` of each list (the report's own order: most hits first,
sightings in the order stored) with each list's full length, so that a page can say how many
it does not show. Names are not kept: a page reads each indicator's name through the sharing
policy for its reader when it shows it (``services.hits``).

It reads the report's JSON (``MatchReport.to_json``, ``HuntReport.to_json``), the form the
CLI prints, so that ``services.matching`` can record its runs without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from entente.store import MatchRunRecord

__all__ = [
    "COUNTS",
    "HUNT_COUNTS",
    "KEEP_INDICATOR_IDS",
    "KEEP_ITEMS",
    "bounded_report",
    "run_record",
]

# Entries kept per list of a run (indicators hit, suppressed values, sightings).
KEEP_ITEMS: Final = 500
# Indicators named per suppressed value.
KEEP_INDICATOR_IDS: Final = 20
# The counts of every run, and those a hunt adds.
COUNTS: Final = (
    "indicators",
    "records",
    "malformed",
    "hits",
    "suppressed_hits",
    "skipped_old_hits",
)
HUNT_COUNTS: Final = (
    "new_files",
    "grown_files",
    "unchanged_files",
    "skipped_files",
    "new_indicators",
)


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def bounded_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a run's report JSON that the run log keeps (module docstring)."""
    by_indicator = _items(report.get("by_indicator"))
    suppressed = _items(report.get("suppressed"))
    sightings = _items(report.get("sightings"))
    kept: dict[str, Any] = {
        "files": len(_items(report.get("files"))),
        **{key: int(report.get(key) or 0) for key in COUNTS},
        "warninglists": bool(report.get("warninglists", True)),
        "seconds": float(report.get("seconds") or 0.0),
        "by_indicator_total": len(by_indicator),
        "by_indicator": [
            {"id": str(item["id"]), "hits": int(item["hits"])} for item in by_indicator[:KEEP_ITEMS]
        ],
        "suppressed_total": len(suppressed),
        "suppressed": [
            {
                "kind": str(item["kind"]),
                "value": str(item["value"]),
                "lists": [str(name) for name in item["lists"]],
                "indicator_ids": [str(i) for i in item["indicator_ids"][:KEEP_INDICATOR_IDS]],
                "hits": int(item["hits"]),
            }
            for item in suppressed[:KEEP_ITEMS]
        ],
        "sightings_total": len(sightings),
        "sightings": [str(sighting) for sighting in sightings[:KEEP_ITEMS]],
    }
    kept.update({key: int(report[key]) for key in HUNT_COUNTS if key in report})
    return kept


def run_record(
    kind: str, report: Mapping[str, Any], *, started_us: int, finished_us: int
) -> MatchRunRecord:
    """The log entry of a finished run of ``kind`` ("match" or "hunt")."""
    return MatchRunRecord(None, kind, started_us, finished_us, bounded_report(report))
