"""STIX 2.1 indicators (§4.7) selected and compiled into the set the matcher deploys."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from entente.errors import InvalidObject
from entente.matching.model import CompiledIndicator, IndicatorSet, NotDeployable
from entente.matching.patterns import compile_pattern
from entente.stix.timestamps import parse_timestamp, timestamp_key_from_us

__all__ = ["compile_indicator", "indicator_set_fingerprint", "select_active"]


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _score(confidence: object) -> int | None:
    # §3.3.2 confidence: an integer 0-100 (a JSON true is not one, though Python says so).
    if type(confidence) is int and 0 <= confidence <= 100:
        return confidence
    return None


def compile_indicator(obj: Mapping[str, Any]) -> CompiledIndicator | NotDeployable:
    """An indicator's terms and what a hit reports about it, or why it cannot be deployed.

    Only ``pattern_type`` ``stix`` is evaluated (§4.7 lets indicators carry other pattern
    languages: pcre, sigma, snort, suricata, yara). Activity (validity, revocation) is
    :func:`select_active`'s business, not this function's.
    """
    raw_id = obj.get("id")
    indicator_id = raw_id if isinstance(raw_id, str) else ""
    raw_name = obj.get("name")
    name = raw_name if isinstance(raw_name, str) else None
    pattern = obj.get("pattern")
    pattern_type = obj.get("pattern_type")
    if not isinstance(pattern, str):
        return NotDeployable(indicator_id, name, "", "the indicator has no pattern string")
    if pattern_type != "stix":
        return NotDeployable(
            indicator_id,
            name,
            pattern,
            f"pattern_type {pattern_type!r}: the matcher evaluates STIX patterns only "
            "(pattern_type 'stix', STIX 2.1 §4.7)",
        )
    verdict = compile_pattern(pattern)
    if verdict.reason is not None:
        return NotDeployable(indicator_id, name, pattern, verdict.reason)
    created_by = obj.get("created_by_ref")
    return CompiledIndicator(
        id=indicator_id,
        name=name,
        labels=_strings(obj.get("labels")),
        score=_score(obj.get("confidence")),
        terms=verdict.terms,
        created_by_ref=created_by if isinstance(created_by, str) else None,
        marking_refs=_strings(obj.get("object_marking_refs")),
        modified=modified if isinstance(modified := obj.get("modified"), str) else None,
    )


def _evaluate(
    indicator_id: str, obj: Mapping[str, Any], now: str
) -> CompiledIndicator | NotDeployable | None:
    """One indicator at the instant key ``now``: compiled, refused, or ``None`` if inactive."""
    if obj.get("revoked") is True:
        return None
    raw_name = obj.get("name")
    name = raw_name if isinstance(raw_name, str) else None
    raw_pattern = obj.get("pattern")
    pattern = raw_pattern if isinstance(raw_pattern, str) else ""
    try:
        valid_from = parse_timestamp(obj.get("valid_from"), "valid_from").key
        until = obj.get("valid_until")
        valid_until = parse_timestamp(until, "valid_until").key if until is not None else None
    except InvalidObject as exc:
        return NotDeployable(indicator_id, name, pattern, str(exc))
    if now < valid_from or (valid_until is not None and now >= valid_until):
        return None
    return compile_indicator(obj)


@dataclass(frozen=True, slots=True)
class _Held:
    """An indicator version that did not compile (inactive: ``result`` None, or refused)."""

    modified: str
    result: NotDeployable | None


def select_active(objects: Iterable[Mapping[str, Any]], now_us: int) -> IndicatorSet:
    """The indicators active at ``now_us`` (epoch microseconds), compiled.

    Active (§4.7): type ``indicator``, not ``revoked``, ``valid_from <= now < valid_until``
    (no ``valid_until``: valid from then on). Inactive indicators are left out silently: they
    are not wrong, just not in force. Active ones that cannot be evaluated (another pattern
    language, a construct outside the deployable subset, a broken timestamp) are listed in
    ``not_deployable`` with the reason. Both lists are sorted by id.

    Callers pass the latest version of each object; of two versions of one id, the one with the
    later ``modified`` wins (§3.6), the later one passed on a tie. Objects are compiled as they
    stream past and only the compiled form is kept, so a large set is never held twice.
    """
    now = timestamp_key_from_us(now_us)
    # A compiled indicator carries its own ``modified``; the rare others are held with theirs.
    # (A tuple per indicator would cost more than the compiled indicator's terms.)
    latest: dict[str, CompiledIndicator | _Held] = {}
    for obj in objects:
        if obj.get("type") != "indicator":
            continue
        key = obj.get("id")
        indicator_id = key if isinstance(key, str) else ""
        raw_modified = obj.get("modified", "")
        modified = raw_modified if isinstance(raw_modified, str) else str(raw_modified)
        seen = latest.get(indicator_id)
        if seen is not None and modified < (seen.modified or ""):
            continue
        result = _evaluate(indicator_id, obj, now)
        latest[indicator_id] = (
            result if isinstance(result, CompiledIndicator) else _Held(modified, result)
        )
    compiled: list[CompiledIndicator] = []
    refused: list[NotDeployable] = []
    for held in latest.values():
        if isinstance(held, CompiledIndicator):
            compiled.append(held)
        elif held.result is not None:
            refused.append(held.result)
    compiled.sort(key=lambda indicator: indicator.id)
    refused.sort(key=lambda item: item.id)
    return IndicatorSet(tuple(compiled), tuple(refused))


def indicator_set_fingerprint(indicators: IndicatorSet) -> str:
    """A SHA-256 (hex) of the set's ids and terms, independent of order, so that a hunt can tell
    whether the set it matched with has changed (names, scores and refusals are not part)."""
    entries = sorted(
        (indicator.id, sorted((t.kind.value, t.op.value, t.value) for t in indicator.terms))
        for indicator in indicators.indicators
    )
    return hashlib.sha256(orjson.dumps(entries)).hexdigest()
