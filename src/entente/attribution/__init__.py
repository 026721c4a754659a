"""Attribution with evidence (sans-IO): ACH matrices, STIX confidence scales, ATT&CK-overlap
hypotheses and the ``attributed-to`` relationships that record a result.

``services.attribution`` reads the ATT&CK objects a reader may see through the sharing policy
and hands them here.
"""

from __future__ import annotations

from entente.attribution.ach import (
    CREDIBILITY_FACTORS,
    HYPOTHESIS_TYPES,
    RELIABILITY_FACTORS,
    AchMatrix,
    AchResult,
    Cell,
    Evidence,
    HypothesisScore,
    parse_matrix,
    score_matrix,
)
from entente.attribution.confidence import (
    ADMIRALTY_CANNOT_BE_JUDGED,
    ConfidenceScale,
    from_confidence,
    scale_values,
    to_confidence,
)
from entente.attribution.overlap import (
    Candidate,
    OverlapIndex,
    Ranking,
    idf,
    resolve_techniques,
)
from entente.attribution.profiles import (
    ATTACK_SOURCES,
    CANDIDATE_TYPES,
    DIRECT_WEIGHT,
    INDIRECT_WEIGHT,
    TECHNIQUE_ID,
    Profiles,
    build_profiles,
)
from entente.attribution.reference import reference_rank
from entente.attribution.relationships import EVIDENCE_REFS, render_attributed_to

__all__ = [
    "ADMIRALTY_CANNOT_BE_JUDGED",
    "ATTACK_SOURCES",
    "CANDIDATE_TYPES",
    "CREDIBILITY_FACTORS",
    "DIRECT_WEIGHT",
    "EVIDENCE_REFS",
    "HYPOTHESIS_TYPES",
    "INDIRECT_WEIGHT",
    "RELIABILITY_FACTORS",
    "TECHNIQUE_ID",
    "AchMatrix",
    "AchResult",
    "Candidate",
    "Cell",
    "ConfidenceScale",
    "Evidence",
    "HypothesisScore",
    "OverlapIndex",
    "Profiles",
    "Ranking",
    "build_profiles",
    "from_confidence",
    "idf",
    "parse_matrix",
    "reference_rank",
    "render_attributed_to",
    "resolve_techniques",
    "scale_values",
    "score_matrix",
    "to_confidence",
]
