"""An indicator's score (0-100) now, and every step that led to it: ``score_indicator``.

The steps, each a line of ``ScoreExplanation.lines()``:

1. **Reliability**: the source's Admiralty letter (given by the caller, see
   :func:`entente.scoring.reliability.reliability_of`; unrated sources get
   ``config.default_reliability``) and its weight.
2. **Confidence**: the indicator's STIX ``confidence`` (§3.2, 0-100); absent or not an integer
   0-100, ``config.default_confidence``.
3. **Base** = round(confidence x weight), rounding halves up.
4. **Sightings** (STIX ``sighting`` objects of this indicator; several versions of one
   sighting count once, the latest; revoked ones not at all): each true sighting adds
   ``config.sighting_bonus`` points, at most ``config.sighting_bonus_cap`` in all, and moves the
   age's starting point to its ``last_seen`` (else ``first_seen``, else ``created``); a sighting
   with ``count`` 0 is no sighting. A sighting with the custom property
   ``x_entente_false_positive: true`` (STIX §11.1 custom properties) is a false-positive
   report: it takes ``config.false_positive_penalty`` points off and does not refresh the age.
   The result, clamped to 0-100, is the **adjusted** score.
5. **Age**: from the last true sighting or, without one, from ``valid_from`` (``created`` if
   that is missing) to ``now_us``; a sighting dated after now counts as now. Unlike MISP, a
   new version (``modified``) does not refresh the age: STIX says an indicator is valid from
   ``valid_from``, and a producer that re-asserts it moves that.
6. **Decay** by the kind's rule (:mod:`entente.scoring.decay`): factor
   ``1 - (age / lifetime) ** (1 / decay_speed)``, 0 from the lifetime on. The kind is the
   caller's (an export item's kind) or read from the pattern: the shortest-lived kind among the
   STIX objects it names, ``default`` for other pattern languages or objects.
7. **Score** = round(adjusted x factor). A revoked indicator, one past ``valid_until`` or not
   valid yet (``valid_from`` after now; MISP scores a negative age 0 too) scores 0.

Pure: the clock's value, the sightings and the reliability letter are passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from entente.errors import InvalidObject
from entente.scoring.decay import MICROS_PER_DAY, decay_factor
from entente.scoring.reliability import ADMIRALTY_LETTERS, parse_reliability
from entente.scoring.settings import ScoringConfig
from entente.stix import format_timestamp_us, parse_timestamp, timestamp_us_from_key

__all__ = ["FALSE_POSITIVE_PROPERTY", "ScoreExplanation", "pattern_kinds", "score_indicator"]

FALSE_POSITIVE_PROPERTY: Final = "x_entente_false_positive"
"""The custom sighting property (boolean) that marks a false-positive report."""


@dataclass(frozen=True, slots=True)
class ScoreExplanation:
    """A score and the numbers behind it (``lines()`` for people, ``to_json()`` for tools)."""

    score: int
    kind: str
    reliability: str
    reliability_weight: float
    reliability_given: bool  # False: the source is unrated and got the default letter
    confidence: int
    confidence_note: str
    base: int
    true_sightings: int
    false_positive_sightings: int
    bonus: int
    penalty: int
    adjusted: int
    age_from: str  # "valid_from", "created", "last sighting" or "now" (no usable time)
    age_from_time: str | None  # STIX timestamp of that starting point
    age_days: float
    lifetime_days: float
    decay_speed: float
    decay_factor: float
    stopped: str | None = None  # why the score is 0 whatever the numbers: revoked, expired

    def lines(self) -> tuple[str, ...]:
        """One line per step, e.g. ``base: 80 x 0.8 = 64``."""
        letter = self.reliability
        rated = "" if self.reliability_given else ", default for an unrated source"
        out = [
            f"reliability: {letter} ({ADMIRALTY_LETTERS[letter]}{rated}), "
            f"weight {self.reliability_weight:g}",
            f"confidence: {self.confidence} ({self.confidence_note})",
            f"base: {self.confidence} x {self.reliability_weight:g} = {self.base}",
            f"sightings: {self.true_sightings} true (+{self.bonus}), "
            f"{self.false_positive_sightings} false positive (-{self.penalty}): "
            f"adjusted {self.adjusted}",
        ]
        since = f" ({self.age_from_time})" if self.age_from_time else ""
        out.append(f"age: {self.age_days:.2f} days since {self.age_from}{since}")
        out.append(
            f"decay ({self.kind}): lifetime {self.lifetime_days:g} days, speed "
            f"{self.decay_speed:g}: factor 1 - ({self.age_days:.2f}/{self.lifetime_days:g})"
            f"^(1/{self.decay_speed:g}) = {self.decay_factor:.4f}"
        )
        if self.stopped is not None:
            out.append(f"score: 0 ({self.stopped})")
        else:
            out.append(f"score: {self.adjusted} x {self.decay_factor:.4f} = {self.score}")
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        """Every number, by name, plus the lines."""
        return {
            "score": self.score,
            "kind": self.kind,
            "reliability": self.reliability,
            "reliability_weight": self.reliability_weight,
            "reliability_given": self.reliability_given,
            "confidence": self.confidence,
            "confidence_note": self.confidence_note,
            "base": self.base,
            "true_sightings": self.true_sightings,
            "false_positive_sightings": self.false_positive_sightings,
            "bonus": self.bonus,
            "penalty": self.penalty,
            "adjusted": self.adjusted,
            "age_from": self.age_from,
            "age_from_time": self.age_from_time,
            "age_days": self.age_days,
            "lifetime_days": self.lifetime_days,
            "decay_speed": self.decay_speed,
            "decay_factor": self.decay_factor,
            "stopped": self.stopped,
            "lines": list(self.lines()),
        }


# --- the kind of a pattern --------------------------------------------------------------------

# STIX 2.1 §9: object paths are "type:property"; string literals are quoted with ' and may
# hold anything, so they are blanked out first, except the quoted hash names of
# file:hashes.'SHA-256'.
_LITERAL_RE: Final = re.compile(r"(?<!hashes\.)'(?:[^'\\]|\\.)*'")
_PATH_RE: Final = re.compile(
    r"(?<![\w-])(ipv4-addr|ipv6-addr|domain-name|url|email-addr|email-message|x-ja3s|x-ja3|"
    r"x-ja4|file|artifact)\s*:\s*(hashes\s*\.\s*(?:'([^']*)'|([A-Za-z0-9-]+)))?"
)
_OBJECT_KINDS: Final = {
    "ipv4-addr": "ip",
    "ipv6-addr": "ip",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
    "email-message": "email",
    "x-ja3": "ja3",
    "x-ja3s": "ja3s",
    "x-ja4": "ja4",
}
# STIX 2.1 §10.5 hashing-algorithm-ov spellings (and the unquoted ones producers write).
_HASH_KINDS: Final = {
    "md5": "md5",
    "sha-1": "sha1",
    "sha1": "sha1",
    "sha-256": "sha256",
    "sha256": "sha256",
}


def pattern_kinds(indicator: Mapping[str, Any]) -> frozenset[str]:
    """The value kinds a STIX-pattern indicator names (``ip``, ``md5``...); empty for other
    pattern languages and objects. A file hash of another algorithm (SHA-512, SSDEEP) counts
    as ``sha256``: file hashes decay alike."""
    pattern = indicator.get("pattern")
    if indicator.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
        return frozenset()
    kinds: set[str] = set()
    for m in _PATH_RE.finditer(_LITERAL_RE.sub("''", pattern)):
        object_type, hashes, quoted, bare = m.groups()
        if object_type in _OBJECT_KINDS:
            kinds.add(_OBJECT_KINDS[object_type])
        elif hashes:
            name = (quoted if quoted is not None else bare).lower()
            kinds.add(_HASH_KINDS.get(name, "sha256"))
    return frozenset(kinds)


# --- scoring ----------------------------------------------------------------------------------


def _time_us(value: object) -> int | None:
    try:
        return timestamp_us_from_key(parse_timestamp(value, "").key)
    except InvalidObject:
        return None


def _round(value: float) -> int:
    """Round half up, into 0..100."""
    return min(100, max(0, math.floor(value + 0.5)))


def _confidence(indicator: Mapping[str, Any], config: ScoringConfig) -> tuple[int, str]:
    value = indicator.get("confidence")
    if value is None:
        return config.default_confidence, "default: the indicator has none"
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        return config.default_confidence, f"default: {value!r} is not an integer 0-100"
    return value, "from the indicator"


def _latest_versions(
    sightings: Sequence[Mapping[str, Any]], indicator_id: object
) -> list[Mapping[str, Any]]:
    """The sightings of this indicator that count: latest version of each id, not revoked."""
    latest: dict[object, tuple[str, Mapping[str, Any]]] = {}
    anonymous: list[Mapping[str, Any]] = []
    for sighting in sightings:
        ref = sighting.get("sighting_of_ref")
        if ref is not None and indicator_id is not None and ref != indicator_id:
            continue
        sid = sighting.get("id")
        if sid is None:
            anonymous.append(sighting)
            continue
        modified = sighting.get("modified")
        try:
            key = parse_timestamp(modified, "modified").key
        except InvalidObject:
            key = ""
        kept = latest.get(sid)
        if kept is None or key > kept[0]:
            latest[sid] = (key, sighting)
    chosen = [s for _, s in latest.values()] + anonymous
    return [s for s in chosen if s.get("revoked") is not True]


def _seen_us(sighting: Mapping[str, Any]) -> int | None:
    for name in ("last_seen", "first_seen", "created"):
        micros = _time_us(sighting.get(name))
        if micros is not None:
            return micros
    return None


def _kind(indicator: Mapping[str, Any], kind: str | None, config: ScoringConfig) -> str:
    if kind is not None:
        return kind
    kinds = pattern_kinds(indicator)
    if not kinds:
        return "default"
    # Several kinds: the one that fades first, so the score never outlives any part.
    return min(sorted(kinds), key=lambda k: config.decay_rule(k).lifetime_days)


def score_indicator(
    indicator: Mapping[str, Any],
    *,
    now_us: int,
    sightings: Sequence[Mapping[str, Any]],
    reliability: str | None,
    config: ScoringConfig,
    kind: str | None = None,
) -> ScoreExplanation:
    """Score a STIX indicator at ``now_us`` (see the module doc for every step).

    ``reliability`` is its source's Admiralty letter, ``None`` for an unrated source;
    ``sightings`` are STIX sighting objects (others' ``sighting_of_ref`` are skipped); ``kind``
    decays the score as that value kind (an export item's) instead of the pattern's kinds.
    Raises ``InvalidInput`` only for a ``reliability`` that is not a letter A-F.
    """
    letter = parse_reliability(
        reliability if reliability is not None else config.default_reliability
    )
    weight = config.reliability_weights[letter]
    confidence, confidence_note = _confidence(indicator, config)
    base = _round(confidence * weight)

    counted = _latest_versions(sightings, indicator.get("id"))
    false_positives = [s for s in counted if s.get(FALSE_POSITIVE_PROPERTY) is True]
    true_ones = [
        s for s in counted if s.get(FALSE_POSITIVE_PROPERTY) is not True and s.get("count") != 0
    ]
    bonus = min(len(true_ones) * config.sighting_bonus, config.sighting_bonus_cap)
    penalty = len(false_positives) * config.false_positive_penalty
    adjusted = min(100, max(0, base + bonus - penalty))

    age_from, start_us = "valid_from", _time_us(indicator.get("valid_from"))
    if start_us is None:
        age_from, start_us = "created", _time_us(indicator.get("created"))
    valid_from_us, valid_from_name = start_us, age_from
    seen = [t for t in map(_seen_us, true_ones) if t is not None]
    if seen:
        last_seen = min(max(seen), now_us)  # a sighting dated after now counts as now
        if start_us is None or last_seen > start_us:
            age_from, start_us = "last sighting", last_seen
    if start_us is None:
        age_from, start_us = "now", now_us
    age_days = max(0, now_us - start_us) / MICROS_PER_DAY
    chosen = _kind(indicator, kind, config)
    rule = config.decay_rule(chosen)
    factor = decay_factor(age_days, rule)

    stopped = None
    valid_until_us = _time_us(indicator.get("valid_until"))
    if indicator.get("revoked") is True:
        stopped = "the indicator is revoked"
    elif valid_until_us is not None and valid_until_us <= now_us:
        stopped = f"expired: valid_until {format_timestamp_us(valid_until_us)} has passed"
    elif valid_from_us is not None and valid_from_us > now_us:
        stopped = f"not valid yet: {valid_from_name} {format_timestamp_us(valid_from_us)} is ahead"
    score = 0 if stopped is not None else _round(adjusted * factor)

    return ScoreExplanation(
        score=score,
        kind=chosen,
        reliability=letter,
        reliability_weight=weight,
        reliability_given=reliability is not None,
        confidence=confidence,
        confidence_note=confidence_note,
        base=base,
        true_sightings=len(true_ones),
        false_positive_sightings=len(false_positives),
        bonus=bonus,
        penalty=penalty,
        adjusted=adjusted,
        age_from=age_from,
        age_from_time=format_timestamp_us(start_us) if age_from != "now" else None,
        age_days=age_days,
        lifetime_days=rule.lifetime_days,
        decay_speed=rule.decay_speed,
        decay_factor=factor,
        stopped=stopped,
    )
