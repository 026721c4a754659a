"""The ATT&CK-overlap score written as its definition: the readable twin of ``OverlapIndex``.

Every candidate, every technique, straight from the formula in ``attribution.overlap``; slow
(candidates × techniques) and obviously right. A Hypothesis property asserts the two agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from entente.attribution.overlap import idf, resolve_techniques
from entente.attribution.profiles import Profiles

__all__ = ["reference_rank"]


def reference_rank(profiles: Profiles, techniques: Iterable[str]) -> dict[str, float]:
    """Each candidate's score for the case (only those above 0)."""
    asked, _ = resolve_techniques(techniques, profiles)
    users = [c for c, uses in profiles.uses.items() if uses]

    def weight_idf(technique: str) -> float:
        df = sum(1 for c in users if technique in profiles.uses[c])
        return idf(len(users), df) if df else 0.0

    query = {t: weight_idf(t) for t in asked}
    query_norm = math.sqrt(sum(v * v for v in query.values()))
    scores: dict[str, float] = {}
    for candidate in users:
        uses = profiles.uses[candidate]
        vector = {t: w * weight_idf(t) for t, w in uses.items()}
        norm = math.sqrt(sum(v * v for v in vector.values()))
        dot = sum(query[t] * vector.get(t, 0.0) for t in query)
        if dot > 0:
            scores[candidate] = dot / (query_norm * norm)
    return scores
