"""STIX 2.1 timestamps (§3.2): strict RFC 3339 UTC parsing into a sortable canonical key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from entente.errors import InvalidObject

__all__ = [
    "Timestamp",
    "format_timestamp_us",
    "parse_timestamp",
    "parse_timestamp_reference",
    "timestamp_key_from_us",
    "timestamp_us_from_key",
]


@dataclass(frozen=True, slots=True, order=True)
class Timestamp:
    """A validated STIX timestamp; equality and order use the canonical instant ``key`` only."""

    key: str
    text: str = field(compare=False)


# §3.2: "YYYY-MM-DDTHH:MM:SS[.s+]Z", UTC with a literal uppercase Z. ASCII digits only
# ([0-9], not \d, which also matches other scripts' digits). The fast regex range-checks every
# field itself, so only "day 29-31 of a short month" is left to check in Python.
_FAST_RE = re.compile(
    r"(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.([0-9]+))?Z"
)
_LOOSE_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?Z"
)
# Last day of each month as text ("02" -> "29"; leap years are checked separately).
_LAST_DAY = {
    f"{month:02d}": f"{days:02d}"
    for month, days in enumerate((31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)
}
_OFFSET_RE = re.compile(r".*(?:[+-][0-9]{2}:?[0-9]{2}|z)$")
_SHAPE = "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z (RFC 3339 in UTC, STIX 2.1 §3.2)"


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _reason(value: str) -> str:
    """Explain precisely why ``value`` is not a STIX timestamp (slow path, errors only)."""
    m = _LOOSE_RE.fullmatch(value)
    if m is None:
        if _OFFSET_RE.match(value):
            return f"{value!r} is not in UTC: STIX 2.1 §3.2 requires a literal uppercase 'Z'"
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}Z", value):
            return f"{value!r} has no seconds; {_SHAPE}"
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return f"{value!r} is a date without a time; {_SHAPE}"
        return f"{value!r} is not a valid timestamp; {_SHAPE}"
    year, month, day, hour, minute, second, _ = m.groups()
    if not 1 <= int(month) <= 12:
        return f"{value!r} has month {month}; months run 01-12"
    if year == "0000":
        # RFC 3339 allows year 0000 but no STIX producer means it; Python cannot represent it.
        return f"{value!r} has year 0000, which is not supported"
    days = int(_LAST_DAY[month])
    if month == "02" and not _is_leap(int(year)):
        days = 28
    if not 1 <= int(day) <= days:
        return f"{value!r} has day {day}; {year}-{month} has {days} days"
    if int(hour) > 23:
        return f"{value!r} has hour {hour}; hours run 00-23"
    if int(minute) > 59:
        return f"{value!r} has minute {minute}; minutes run 00-59"
    # RFC 3339 permits leap second 60; STIX tooling (and Python) does not, so we reject it.
    return f"{value!r} has second {second}; seconds run 00-59"


def parse_timestamp(value: object, field: str) -> Timestamp:
    """Validate a STIX timestamp (§3.2); raise ``InvalidObject(reason, field)`` if it is not one."""
    if type(value) is not str:
        raise InvalidObject(f"must be a timestamp string, not {type(value).__name__}", field)
    m = _FAST_RE.fullmatch(value)
    if m is None:
        raise InvalidObject(_reason(value), field)
    day = value[8:10]
    if day > "28":
        month = value[5:7]
        if day > _LAST_DAY[month] or (
            month == "02" and day == "29" and not _is_leap(int(value[:4]))
        ):
            raise InvalidObject(_reason(value), field)
    # Canonical key: always 9 fraction digits. Digits beyond nanoseconds are truncated, so two
    # timestamps that differ only below 1 ns compare equal (STIX gives them no meaning).
    frac = m.group(1)
    if frac is None:
        return Timestamp(value[:19] + ".000000000Z", value)
    if len(frac) == 9:
        return Timestamp(value, value)
    return Timestamp(f"{value[:19]}.{frac[:9].ljust(9, '0')}Z", value)


def parse_timestamp_reference(value: object) -> str | None:
    """The slow, obvious twin of ``parse_timestamp``: the canonical key, or ``None`` if invalid."""
    if not isinstance(value, str) or not value.endswith("Z"):
        return None
    main, dot, frac = value[:-1].partition(".")
    digits = "0123456789"
    if dot and (not frac or any(c not in digits for c in frac)):
        return None
    if len(main) != 19:
        return None
    for i, c in enumerate(main):
        expected = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":"}.get(i)
        if (expected is None and c not in digits) or (expected is not None and c != expected):
            return None
    try:
        datetime.fromisoformat(main)
    except ValueError:
        return None
    return f"{main}.{frac[:9].ljust(9, '0')}Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _split_us(micros: int) -> tuple[str, int]:
    moment = _EPOCH + timedelta(microseconds=micros)
    m = moment
    # Built by hand: strftime("%Y") does not zero-pad years below 1000 on glibc.
    whole = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    return whole, m.microsecond


def format_timestamp_us(micros: int) -> str:
    """Epoch microseconds as a STIX timestamp with 6 fraction digits (``...:00.123456Z``)."""
    whole, us = _split_us(micros)
    return f"{whole}.{us:06d}Z"


def timestamp_key_from_us(micros: int) -> str:
    """Epoch microseconds as the canonical 9-fraction-digit key ``Timestamp.key`` uses."""
    whole, us = _split_us(micros)
    return f"{whole}.{us:06d}000Z"


def timestamp_us_from_key(key: str) -> int:
    """Epoch microseconds of a canonical key, rounded down (the inverse of the above)."""
    whole = datetime.fromisoformat(key[:19]).replace(tzinfo=UTC)
    return (whole - _EPOCH) // timedelta(seconds=1) * 1_000_000 + int(key[20:26])
