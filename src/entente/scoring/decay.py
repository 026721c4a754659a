"""How an indicator's score fades with age: MISP's polynomial decay model, per value kind.

MISP's decaying model (``app/Model/DecayingModelsFormulas/Polynomial.php``, "the decaying
formula from the paper *An indicator scoring method for MISP platforms*"), with MISP's
``tau`` as ``lifetime`` and ``delta`` as ``decay_speed``::

    score(t) = base * (1 - (t / lifetime) ** (1 / decay_speed)),   0 when t >= lifetime

``t`` is the age: the time since the last true sighting or, without one, since ``valid_from``
(MISP ``DecayingModelBase::computeCurrentScore`` takes the last sighting, else the attribute's
time).
A ``decay_speed`` of 1 fades linearly; above 1 the score drops fast at first and then slowly;
below 1 it holds up and then falls steeply towards the lifetime.

Default table (``DEFAULT_DECAY``), overridable per kind in ``ScoringConfig``:

========  =============  ===========  ===================================================
kind      lifetime days  decay speed  why
========  =============  ===========  ===================================================
ip        30             2.0          addresses are reassigned and rotated within days
url       60             1.5          pages are cleaned up or taken down within weeks
domain    90             1.0          names live longer than addresses, then expire
email     180            1.0          sender addresses are reused for months
ja3/ja3s  180            0.5          fingerprints change with the tool's TLS library
ja4       180            0.5          (same)
md5/sha1  730            0.3          a file's hash names that file forever; what fades is
sha256    730            0.3          its use, slowly
default   90             1.0          a pattern of another kind (or none recognised)
========  =============  ===========  ===================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["DECAY_KINDS", "DEFAULT_DECAY", "MICROS_PER_DAY", "DecayRule", "decay_factor"]

MICROS_PER_DAY: Final = 86_400_000_000


@dataclass(frozen=True, slots=True)
class DecayRule:
    """One kind's decay: ``lifetime_days`` until the score reaches 0, and ``decay_speed``."""

    lifetime_days: float
    decay_speed: float

    def __post_init__(self) -> None:
        for name in ("lifetime_days", "decay_speed"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, not {value!r}")


DEFAULT_DECAY: Final[Mapping[str, DecayRule]] = MappingProxyType(
    {
        "ip": DecayRule(30, 2.0),
        "url": DecayRule(60, 1.5),
        "domain": DecayRule(90, 1.0),
        "email": DecayRule(180, 1.0),
        "ja3": DecayRule(180, 0.5),
        "ja3s": DecayRule(180, 0.5),
        "ja4": DecayRule(180, 0.5),
        "md5": DecayRule(730, 0.3),
        "sha1": DecayRule(730, 0.3),
        "sha256": DecayRule(730, 0.3),
        "default": DecayRule(90, 1.0),
    }
)
"""Value kind (``ItemKind`` spelling, plus ``default``) -> its decay rule."""

DECAY_KINDS: Final = frozenset(DEFAULT_DECAY)
"""The kinds a decay table has rows for."""


def decay_factor(age_days: float, rule: DecayRule) -> float:
    """``1 - (age / lifetime) ** (1 / decay_speed)`` in 0..1: 1 at age 0 (or a negative age,
    a sighting dated after now), 0 from the lifetime on."""
    if age_days <= 0:
        return 1.0
    if age_days >= rule.lifetime_days:
        return 0.0
    ratio: float = (age_days / rule.lifetime_days) ** (1.0 / rule.decay_speed)
    return max(0.0, 1.0 - ratio)
