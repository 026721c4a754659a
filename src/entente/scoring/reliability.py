"""Source reliability on the Admiralty scale (NATO AJP-2.1 / STANAG 2511): letters and weights.

The letter rates the source, not the item: A completely reliable, B usually reliable, C fairly
reliable, D not usually reliable, E unreliable, F reliability cannot be judged. A score
multiplies an indicator's confidence by the weight of its source's letter. F ("cannot be
judged", e.g. a new partner) weighs 0.5, between C and D: unknown is neither trusted nor
distrusted.

Which letter a source has is the operator's call, configured per source name (the feed or
partner as provenance names it) or org identity id: :func:`reliability_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from entente.errors import InvalidInput

__all__ = [
    "ADMIRALTY_LETTERS",
    "DEFAULT_RELIABILITY",
    "DEFAULT_RELIABILITY_WEIGHTS",
    "parse_reliability",
    "reliability_of",
]

ADMIRALTY_LETTERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "A": "completely reliable",
        "B": "usually reliable",
        "C": "fairly reliable",
        "D": "not usually reliable",
        "E": "unreliable",
        "F": "reliability cannot be judged",
    }
)
"""Admiralty source-reliability letters and their meaning."""

DEFAULT_RELIABILITY_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
)
"""Letter -> weight in 0..1 that multiplies confidence (overridable in ``ScoringConfig``)."""

DEFAULT_RELIABILITY: Final = "F"
"""The letter of a source nobody rated: its reliability cannot be judged."""


def parse_reliability(text: object, where: str = "reliability") -> str:
    """An Admiralty letter, upper-cased; ``InvalidInput`` naming ``where`` if it is not one."""
    if isinstance(text, str):
        letter = text.strip().upper()
        if letter in ADMIRALTY_LETTERS:
            return letter
    raise InvalidInput(f"{where}: {text!r} is not an Admiralty reliability letter (A-F)")


def reliability_of(sources: Mapping[str, str], keys: Iterable[str | None]) -> str | None:
    """The letter configured for the first of ``keys`` that ``sources`` rates, or ``None``.

    ``keys`` are what identifies where an indicator came from, most specific first: e.g. the
    provenance's source name, then the indicator's ``created_by_ref``. ``sources`` holds
    upper-case letters (as ``parse_scoring_config`` leaves them).
    """
    for key in keys:
        if key is not None:
            letter = sources.get(key)
            if letter is not None:
                return letter
    return None
