"""Hits held back because the indicator term they matched is on a warninglist.

A warninglisted term (``google.com``, ``8.8.8.8``, an RFC 1918 block) names something every
network talks to: its hits are noise, and a sighting of it would tell partners that a top
site was seen "attacking" us. Matching therefore applies the warninglists exactly as exports
do, term by term: the caller (``entente.services.matching``) looks every term up with
``WarninglistSet.match`` and passes the listed ones here with the names of their lists.

``HitFilter.split`` then sorts a matcher's hits: a hit is *ordinary* when its indicator has no
listed term, or when a term of its indicator that is not listed matches the hit's value too
(an indicator ``[ipv4-addr:value = '8.8.8.8' OR ipv4-addr:value = '203.0.113.7']`` still
reports ``203.0.113.7``); otherwise it is *suppressed* and attributed to the first listed term
of its indicator (in pattern order) that matches. ``SuppressedTally`` counts the suppressed
hits per listed value for the run's report. The readable twin of ``split`` is matching the
indicators without their listed terms, and with only those (``tests/unit/matching``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from entente.matching.model import Hit, IndicatorSet, Term, ValueKind
from entente.matching.reference import term_matches

__all__ = ["HitFilter", "SuppressedTally", "SuppressedValue"]


@dataclass(frozen=True, slots=True)
class SuppressedValue:
    """One warninglisted value: its lists, the indicators carrying it, how many hits it had."""

    kind: str
    value: str
    lists: tuple[str, ...]
    indicator_ids: tuple[str, ...]
    hits: int

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "kind": self.kind,
            "value": self.value,
            "lists": list(self.lists),
            "indicator_ids": list(self.indicator_ids),
            "hits": self.hits,
        }


@dataclass(frozen=True, slots=True)
class _Rule:
    """The terms of one indicator that has at least one listed term, split by listing."""

    unlisted: tuple[Term, ...]
    listed: tuple[Term, ...]


class HitFilter:
    """Splits hits into ordinary and suppressed ones (module docstring)."""

    def __init__(self, indicators: IndicatorSet, listed: Mapping[Term, object]) -> None:
        # Only indicators with a listed term get a rule: every other hit passes on one lookup.
        self._rules: dict[str, _Rule] = {}
        for indicator in indicators.indicators:
            held = tuple(t for t in indicator.terms if t in listed)
            if held:
                kept = tuple(t for t in indicator.terms if t not in listed)
                self._rules[indicator.id] = _Rule(kept, held)

    def __bool__(self) -> bool:
        """Whether any hit can be suppressed at all."""
        return bool(self._rules)

    def split(self, hits: Sequence[Hit]) -> tuple[list[Hit], list[tuple[Hit, Term]]]:
        """The ordinary hits, and each suppressed hit with the listed term it is put on."""
        if not self._rules:
            return list(hits), []
        ordinary: list[Hit] = []
        suppressed: list[tuple[Hit, Term]] = []
        for hit in hits:
            rule = self._rules.get(hit.indicator_id)
            if rule is None:
                ordinary.append(hit)
                continue
            term = self._attribute(rule, hit)
            if term is None:
                ordinary.append(hit)
            else:
                suppressed.append((hit, term))
        return ordinary, suppressed

    @staticmethod
    def _attribute(rule: _Rule, hit: Hit) -> Term | None:
        """The listed term ``hit`` is suppressed for, or ``None`` when it is ordinary."""
        if not rule.unlisted and len(rule.listed) == 1:
            # The common case (a one-term indicator on a list): no comparison needed.
            return rule.listed[0]
        kind = ValueKind(hit.kind)
        if any(term_matches(term, kind, hit.matched) for term in rule.unlisted):
            return None
        for term in rule.listed:
            if term_matches(term, kind, hit.matched):
                return term
        # The hit came from no term of its indicator: not ours to hold back.
        return None


@dataclass(slots=True)
class SuppressedTally:
    """Suppressed hits counted per listed value, with the lists and indicators behind it."""

    listed: Mapping[Term, tuple[str, ...]]
    _hits: dict[tuple[str, str], int] = field(default_factory=dict)
    _lists: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _indicators: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, suppressed: Iterable[tuple[Hit, Term]]) -> int:
        """Count ``suppressed``; how many hits that was."""
        count = 0
        for hit, term in suppressed:
            key = (term.kind.value, term.value)
            self._hits[key] = self._hits.get(key, 0) + 1
            self._lists.setdefault(key, set()).update(self.listed.get(term, ()))
            self._indicators.setdefault(key, set()).add(hit.indicator_id)
            count += 1
        return count

    @property
    def hits(self) -> int:
        """Every suppressed hit counted so far."""
        return sum(self._hits.values())

    def values(self) -> tuple[SuppressedValue, ...]:
        """One entry per value, most hits first, then by kind and value."""
        ranked = sorted(self._hits.items(), key=lambda item: (-item[1], item[0]))
        return tuple(
            SuppressedValue(
                kind=kind,
                value=value,
                lists=tuple(sorted(self._lists[kind, value])),
                indicator_ids=tuple(sorted(self._indicators[kind, value])),
                hits=hits,
            )
            for (kind, value), hits in ranked
        )
