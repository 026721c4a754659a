"""Scores and warninglists: how much to trust an indicator now, and which values never to deploy.

Scoring (``score_indicator``): Admiralty reliability of the source x STIX confidence, adjusted
by sightings, decayed with MISP's polynomial model per value kind. Warninglists (MISP format):
``parse_warninglist``/``load_warninglists``/``default_warninglists`` read them,
``WarninglistSet.match`` says whether an export item is on one and why.
"""

from __future__ import annotations

from entente.scoring.decay import DEFAULT_DECAY, DecayRule, decay_factor
from entente.scoring.reliability import (
    ADMIRALTY_LETTERS,
    DEFAULT_RELIABILITY_WEIGHTS,
    parse_reliability,
    reliability_of,
)
from entente.scoring.score import (
    FALSE_POSITIVE_PROPERTY,
    ScoreExplanation,
    pattern_kinds,
    score_indicator,
)
from entente.scoring.settings import ScoringConfig, parse_scoring_config
from entente.scoring.warninglist_files import default_warninglists, load_warninglists
from entente.scoring.warninglist_set import WarninglistHit, WarninglistSet
from entente.scoring.warninglists import (
    IgnoredEntry,
    Warninglist,
    WarninglistCategory,
    WarninglistType,
    parse_warninglist,
)

__all__ = [
    "ADMIRALTY_LETTERS",
    "DEFAULT_DECAY",
    "DEFAULT_RELIABILITY_WEIGHTS",
    "FALSE_POSITIVE_PROPERTY",
    "DecayRule",
    "IgnoredEntry",
    "ScoreExplanation",
    "ScoringConfig",
    "Warninglist",
    "WarninglistCategory",
    "WarninglistHit",
    "WarninglistSet",
    "WarninglistType",
    "decay_factor",
    "default_warninglists",
    "load_warninglists",
    "parse_reliability",
    "parse_scoring_config",
    "parse_warninglist",
    "pattern_kinds",
    "reliability_of",
    "score_indicator",
]
