"""What the Suricata, Zeek, RPZ and YARA renderers share: one order for items, and the record of
an item a format cannot express.

Output must not depend on the order items arrive in (conventions §11: golden files), so every
renderer walks :func:`ordered_groups` (or :func:`ordered_unique`), never the input sequence.
Pure: no I/O.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from itertools import compress, islice
from operator import attrgetter, eq

from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOut, LeftOutReason

__all__ = ["epoch_seconds", "ordered_groups", "ordered_unique", "unsupported"]

_VALUE = attrgetter("value")
_INDICATOR = attrgetter("indicator_id")
# STIX 2.1 §3.2: timestamps are RFC 3339 in UTC with the "Z" zone, any number of fraction digits.
_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?Z")


def _rank(item: ExportItem) -> tuple[int, str, str, str, str, tuple[str, ...]]:
    """Which of two items with the same indicator, kind, op and value is kept: the higher score,
    then the fields as text, so the choice does not depend on input order."""
    return (
        -item.score,
        item.modified or "",
        item.name or "",
        item.tlp or "",
        item.created_by_ref or "",
        item.labels,
    )


def _ties(run: list[ExportItem]) -> list[ExportItem]:
    """Items of one value, ordered by indicator id, one per indicator."""
    run.sort(key=_rank)
    run.sort(key=_INDICATOR)  # stable: per indicator, the best-ranked item comes first
    unique = [run[0]]
    for item in run[1:]:
        if item.indicator_id != unique[-1].indicator_id:
            unique.append(item)
    return unique


def _ordered(bucket: list[ExportItem]) -> list[ExportItem]:
    """``bucket`` sorted by value then indicator id, one item per (indicator, value)."""
    bucket.sort(key=_VALUE)
    values = [item.value for item in bucket]
    # Positions whose value equals the one before: found at C speed, usually none.
    repeats = list(compress(range(1, len(values)), map(eq, islice(values, 1, None), values)))
    if not repeats:
        return bucket
    ordered: list[ExportItem] = []
    done, i = 0, 0
    while i < len(repeats):
        j = i
        while j + 1 < len(repeats) and repeats[j + 1] == repeats[j] + 1:
            j += 1
        start, end = repeats[i] - 1, repeats[j] + 1  # one run of a single value
        ordered.extend(bucket[done:start])
        ordered.extend(_ties(bucket[start:end]))
        done, i = end, j + 1
    ordered.extend(bucket[done:])
    return ordered


def ordered_groups(
    items: Sequence[ExportItem],
) -> list[tuple[ItemKind, ItemOp, list[ExportItem]]]:
    """``items`` by kind and op (groups in kind, op order), each group sorted by value then
    indicator id, with one item per (indicator, kind, op, value).

    Output must not depend on input order, and this runs over a million items: linear passes
    to group, then one C-level sort per group on one string attribute, the rare ties of one
    value sorted apart (sorting on a tuple key costs several times more).
    """
    buckets: dict[tuple[ItemKind, ItemOp], list[ExportItem]] = {}
    for item in items:
        key = (item.kind, item.op)
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = bucket = []
        bucket.append(item)
    return [(kind, op, _ordered(buckets[kind, op])) for kind, op in sorted(buckets)]


def ordered_unique(items: Sequence[ExportItem]) -> list[ExportItem]:
    """``items`` sorted by kind, op, value and indicator id, one item per such quadruple."""
    return [item for _, _, group in ordered_groups(items) for item in group]


def unsupported(item: ExportItem, detail: str) -> LeftOut:
    """``item`` left out because the format cannot express it, with the reason in words."""
    return LeftOut(
        indicator_id=item.indicator_id,
        reason=LeftOutReason.UNSUPPORTED,
        detail=detail,
        kind=item.kind,
        value=item.value,
    )


def epoch_seconds(timestamp: str) -> int | None:
    """A STIX timestamp (``2026-11-26T12:00:00.000Z``) as whole seconds since
    1970-01-01T00:00:00Z, the fraction dropped; ``None`` when it is not one."""
    m = _TIMESTAMP_RE.fullmatch(timestamp)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in m.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
