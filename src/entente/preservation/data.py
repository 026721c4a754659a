"""The stored computer data a request asks to preserve, read from a case's objects.

Art. 29(2)(c) asks for "the stored computer data to be preserved": for a case that is the
network identifiers its objects name and when they were seen. Indicators give the values of
their pattern's comparisons (``matching.patterns``, the matcher's own reading, so values are
normalised as it matches them: ``http://a.example`` is ``http://a.example/``) over their
validity; observed data gives its SCOs' values over ``first_observed``..``last_observed``;
sightings give what they sighted (the indicator, the observed data) over
``first_seen``..``last_seen``. The caller passes only objects its requester may see.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from entente.errors import InvalidObject
from entente.matching.model import ValueKind
from entente.matching.patterns import compile_pattern
from entente.preservation.request import DataItem
from entente.stix import format_timestamp_us, parse_timestamp, timestamp_us_from_key

__all__ = ["data_to_preserve", "followed_refs"]

# What each matcher kind is in STIX Cyber-observable terms (STIX 2.1 §6).
_KIND_NAMES = {
    ValueKind.DOMAIN: "domain-name",
    ValueKind.URL: "url",
    ValueKind.EMAIL: "email-addr",
    ValueKind.MD5: "file hash MD5",
    ValueKind.SHA1: "file hash SHA-1",
    ValueKind.SHA256: "file hash SHA-256",
    ValueKind.JA3: "JA3 fingerprint",
    ValueKind.JA3S: "JA3S fingerprint",
    ValueKind.JA4: "JA4 fingerprint",
}
# SCOs whose ``value`` is the data (STIX 2.1 §6.4, §6.5, §6.6, §6.14, §6.2).
_VALUE_SCOS = frozenset({"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr"})
_Span = tuple[str | None, str | None]


def _time(obj: Mapping[str, Any], key: str) -> str | None:
    """A timestamp property in one form (milliseconds, "Z"), so that periods compare."""
    value = obj.get(key)
    if value is None:
        return None
    try:
        micros = timestamp_us_from_key(parse_timestamp(value, key).key)
    except InvalidObject:
        return None
    # To the second, in UTC: what a provider's logs are searched by.
    return format_timestamp_us(micros)[:19] + "Z"


def _ids(obj: Mapping[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def followed_refs(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids whose objects ``obj``'s data is read from: an observed-data's SCOs, a
    sighting's indicator and observed data."""
    kind = obj.get("type")
    if kind == "observed-data":
        return tuple(_ids(obj, "object_refs"))
    if kind == "sighting":
        return (*_ids(obj, "sighting_of_ref"), *_ids(obj, "observed_data_refs"))
    return ()


def _indicator_values(obj: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    pattern = obj.get("pattern")
    if obj.get("pattern_type") != "stix" or not isinstance(pattern, str):
        return
    for term in compile_pattern(pattern).terms:
        if term.kind is ValueKind.IP:
            yield ("ipv6-addr" if ":" in term.value else "ipv4-addr"), term.value
        elif term.kind in _KIND_NAMES:
            yield _KIND_NAMES[term.kind], term.value


def _sco_values(sco: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    kind, value = sco.get("type"), sco.get("value")
    if kind in _VALUE_SCOS and isinstance(value, str) and value:
        yield str(kind), value


def _observed_values(
    obj: Mapping[str, Any], objects: Mapping[str, Mapping[str, Any]]
) -> Iterator[tuple[str, str]]:
    for ref in _ids(obj, "object_refs"):
        sco = objects.get(ref)
        if sco is not None:
            yield from _sco_values(sco)
    embedded = obj.get("objects")  # STIX 2.1 §4.10: deprecated, still met in the wild
    if isinstance(embedded, dict):
        for sco in embedded.values():
            if isinstance(sco, dict):
                yield from _sco_values(sco)


def _values(
    obj: Mapping[str, Any], objects: Mapping[str, Mapping[str, Any]], depth: int = 0
) -> Iterator[tuple[str, str]]:
    kind = obj.get("type")
    if kind == "indicator":
        yield from _indicator_values(obj)
    elif kind == "observed-data":
        yield from _observed_values(obj, objects)
    elif kind == "sighting" and depth == 0:
        for ref in followed_refs(obj):
            target = objects.get(ref)
            if target is not None:
                yield from _values(target, objects, depth + 1)


def _span(obj: Mapping[str, Any]) -> _Span:
    kind = obj.get("type")
    if kind == "indicator":
        return _time(obj, "valid_from"), _time(obj, "valid_until")
    if kind == "observed-data":
        return _time(obj, "first_observed"), _time(obj, "last_observed")
    if kind == "sighting":
        return _time(obj, "first_seen"), _time(obj, "last_seen")
    return None, None


def _widen(held: DataItem, span: _Span) -> DataItem:
    firsts = [t for t in (held.first_seen, span[0]) if t]
    lasts = [t for t in (held.last_seen, span[1]) if t]
    return DataItem(
        held.kind,
        held.value,
        held.source_id,
        min(firsts) if firsts else None,
        max(lasts) if lasts else None,
    )


def data_to_preserve(
    refs: tuple[str, ...], objects: Mapping[str, Mapping[str, Any]]
) -> tuple[DataItem, ...]:
    """The data items the case's ``refs`` name, in the order of ``refs``, one per value
    (its period widened over every object that names it). ``objects`` holds the latest
    version of every ref and followed ref the requester may see; the others are skipped."""
    found: dict[tuple[str, str], DataItem] = {}
    for ref in refs:
        obj = objects.get(ref)
        if obj is None:
            continue
        span = _span(obj)
        for kind, value in _values(obj, objects):
            key = (kind, value)
            held = found.get(key)
            item = DataItem(kind, value, ref) if held is None else held
            found[key] = _widen(item, span)
    return tuple(found.values())
