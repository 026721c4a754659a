"""The scoring knobs, frozen (``ScoringConfig``), and their reading from a user's ``[scoring]``.

In ``entente.toml``::

    [scoring]
    default_confidence = 50         # STIX confidence (0-100) of an indicator that has none
    default_reliability = "F"       # Admiralty letter of a source nobody rated
    sighting_bonus = 5              # points per true sighting ...
    sighting_bonus_cap = 20         # ... up to this many in all
    false_positive_penalty = 25     # points off per false-positive sighting

    [scoring.reliability_weights]   # letter -> weight 0..1 (defaults A 1.0 .. E 0.2, F 0.5)
    B = 0.75

    [scoring.sources]               # source name or org identity id -> Admiralty letter
    "abuse.ch URLhaus" = "B"
    "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" = "A"

    [scoring.decay.ip]              # per kind (ip, domain, url, email, md5, sha1, sha256,
    lifetime_days = 14              # ja3, ja3s, ja4, default); a missing key keeps its default
    decay_speed = 2.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from entente.errors import ConfigurationError, InvalidInput
from entente.scoring.decay import DEFAULT_DECAY, DecayRule
from entente.scoring.reliability import (
    ADMIRALTY_LETTERS,
    DEFAULT_RELIABILITY,
    DEFAULT_RELIABILITY_WEIGHTS,
    parse_reliability,
)

__all__ = ["ScoringConfig", "parse_scoring_config"]


@dataclass(frozen=True)
class ScoringConfig:
    """Everything a score depends on besides the indicator, its sightings and the clock.

    ``decay`` must have a ``default`` row; ``reliability_weights`` a weight for every letter
    A-F; ``sources`` maps a source name or org id to an upper-case letter.
    """

    decay: Mapping[str, DecayRule] = field(default_factory=lambda: DEFAULT_DECAY)
    reliability_weights: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_RELIABILITY_WEIGHTS
    )
    default_reliability: str = DEFAULT_RELIABILITY
    default_confidence: int = 50
    sighting_bonus: int = 5
    sighting_bonus_cap: int = 20
    false_positive_penalty: int = 25
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # Freeze the mappings a caller passed in, so the config cannot change under a score.
        for name in ("decay", "reliability_weights", "sources"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))
        if "default" not in self.decay:
            raise ValueError("decay needs a 'default' row")
        missing = set(ADMIRALTY_LETTERS) - set(self.reliability_weights)
        if missing:
            raise ValueError(f"reliability_weights lacks {''.join(sorted(missing))}")

    def decay_rule(self, kind: str) -> DecayRule:
        """The decay rule of ``kind``, or the ``default`` row."""
        return self.decay.get(kind) or self.decay["default"]

    def to_json(self) -> dict[str, Any]:
        """The effective settings, as ``parse_scoring_config`` reads them."""
        return {
            "default_confidence": self.default_confidence,
            "default_reliability": self.default_reliability,
            "sighting_bonus": self.sighting_bonus,
            "sighting_bonus_cap": self.sighting_bonus_cap,
            "false_positive_penalty": self.false_positive_penalty,
            "reliability_weights": dict(self.reliability_weights),
            "sources": dict(self.sources),
            "decay": {
                kind: {"lifetime_days": rule.lifetime_days, "decay_speed": rule.decay_speed}
                for kind, rule in self.decay.items()
            },
        }


_SCALARS: Final = (
    "default_confidence",
    "default_reliability",
    "sighting_bonus",
    "sighting_bonus_cap",
    "false_positive_penalty",
)
_TABLES: Final = ("reliability_weights", "sources", "decay")


def _fail(where: str, reason: str) -> ConfigurationError:
    return ConfigurationError(f"{where}: {reason}")


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "must be a table")
    return value


def _points(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise _fail(where, f"must be an integer from 0 to 100, not {value!r}")
    return value


def _positive(value: object, where: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise _fail(where, f"must be a number greater than 0, not {value!r}")
    return float(value)


def _unknown(keys: Mapping[str, Any], known: tuple[str, ...] | frozenset[str], where: str) -> None:
    extra = sorted(str(k) for k in keys if k not in known)
    if extra:
        raise _fail(f"{where}.{extra[0]}", f"unknown setting (known: {', '.join(sorted(known))})")


def _letter(value: object, where: str) -> str:
    try:
        return parse_reliability(value, where)
    except InvalidInput as exc:
        raise ConfigurationError(str(exc)) from None


def parse_scoring_config(mapping: Mapping[str, Any], where: str = "scoring") -> ScoringConfig:
    """Check a user's ``[scoring]`` table and build the ``ScoringConfig`` (defaults for what it
    leaves out). Raises ``ConfigurationError`` naming the setting, e.g.
    ``scoring.decay.ip.lifetime_days: must be a number greater than 0, not -1``."""
    table = _table(mapping, where)
    _unknown(table, _SCALARS + _TABLES, where)
    defaults = ScoringConfig()
    weights = dict(defaults.reliability_weights)
    for letter, weight in _table(
        table.get("reliability_weights", {}), f"{where}.reliability_weights"
    ).items():
        at = f"{where}.reliability_weights.{letter}"
        key = _letter(letter, at)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise _fail(at, f"must be a number from 0 to 1, not {weight!r}")
        if not 0.0 <= float(weight) <= 1.0:
            raise _fail(at, f"must be a number from 0 to 1, not {weight!r}")
        weights[key] = float(weight)
    sources: dict[str, str] = {}
    for name, letter in _table(table.get("sources", {}), f"{where}.sources").items():
        if not str(name).strip():
            raise _fail(f"{where}.sources", "a source name must not be empty")
        sources[str(name)] = _letter(letter, f"{where}.sources.{name}")
    decay = dict(defaults.decay)
    for kind, rule in _table(table.get("decay", {}), f"{where}.decay").items():
        at = f"{where}.decay.{kind}"
        if kind not in DEFAULT_DECAY:
            raise _fail(at, f"unknown kind (known: {', '.join(sorted(DEFAULT_DECAY))})")
        row = _table(rule, at)
        _unknown(row, ("lifetime_days", "decay_speed"), at)
        old = decay[kind]
        decay[kind] = DecayRule(
            _positive(row.get("lifetime_days", old.lifetime_days), f"{at}.lifetime_days"),
            _positive(row.get("decay_speed", old.decay_speed), f"{at}.decay_speed"),
        )
    return ScoringConfig(
        decay=MappingProxyType(decay),
        reliability_weights=MappingProxyType(weights),
        default_reliability=_letter(
            table.get("default_reliability", defaults.default_reliability),
            f"{where}.default_reliability",
        ),
        default_confidence=_points(
            table.get("default_confidence", defaults.default_confidence),
            f"{where}.default_confidence",
        ),
        sighting_bonus=_points(
            table.get("sighting_bonus", defaults.sighting_bonus), f"{where}.sighting_bonus"
        ),
        sighting_bonus_cap=_points(
            table.get("sighting_bonus_cap", defaults.sighting_bonus_cap),
            f"{where}.sighting_bonus_cap",
        ),
        false_positive_penalty=_points(
            table.get("false_positive_penalty", defaults.false_positive_penalty),
            f"{where}.false_positive_penalty",
        ),
        sources=MappingProxyType(sources),
    )
