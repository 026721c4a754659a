"""Rank candidate intrusion sets by the ATT&CK techniques they share with a case (hypotheses).

The score is the cosine similarity of TF-IDF vectors (Salton & Buckley 1988), as information
retrieval ranks documents for a query:

* the **IDF** of technique ``t`` is ``ln(1 + N / df(t))``, ``N`` the number of candidates with
  any technique and ``df(t)`` how many of them use ``t``: a technique every group uses
  (spearphishing) says little about who is behind a case; one that only two groups use says a
  lot, so it weighs more (always above 0, so a shared technique never counts against);
* a candidate's vector has ``w(c, t) × idf(t)`` for each technique it uses, ``w`` 1 for a direct
  use and 0.5 through software or a campaign (``attribution.profiles``); the case's vector has
  ``idf(t)`` for each of its techniques the index knows;
* ``score(c) = (q · v_c) / (|q| |v_c|)``: dividing by ``|v_c|`` keeps a group that uses
  hundreds of techniques from matching every case, and the score lies in (0, 1].

A technique matches only itself: ATT&CK models a sub-technique (T1059.001) as its own
attack-pattern, and a case that names the parent (T1059) does not match the sub-technique's
users; the analyst names what was observed. Only candidates sharing a technique are
returned, best first (ties by id), each with the techniques it matched: **hypotheses to
weigh** (an ACH matrix's rows), never an attribution. ``OverlapIndex`` is the fast path (an
inverted index from technique to its users, norms computed once);
``attribution.reference.reference_rank`` is its readable twin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from entente.attribution.profiles import TECHNIQUE_ID, Profiles
from entente.errors import InvalidInput
from entente.stix import is_valid_id

__all__ = ["Candidate", "OverlapIndex", "Ranking", "idf", "resolve_techniques"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate offered as a hypothesis: its id, name, score in (0, 1] and the case's
    techniques it uses (directly, or only through software or a campaign)."""

    id: str
    name: str
    score: float
    direct: tuple[str, ...]
    indirect: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ranking:
    """Candidates best first, the techniques the case named (as attack-pattern ids), and those
    it named that the reader's ATT&CK data does not hold."""

    candidates: tuple[Candidate, ...]
    techniques: tuple[str, ...]
    unknown: tuple[str, ...]


def idf(candidates: int, users: int) -> float:
    """``ln(1 + N / df)`` (module docstring)."""
    return math.log1p(candidates / users)


def resolve_techniques(
    techniques: Iterable[str], profiles: Profiles
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The attack-pattern ids of ``techniques`` (attack-pattern ids or ATT&CK ids such as
    ``T0800``), in first-named order, and those named that are not held. ``InvalidInput`` for
    a name that is neither."""
    found: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for raw in techniques:
        name = raw.strip()
        if TECHNIQUE_ID.fullmatch(name.upper()):
            ids = profiles.external_ids.get(name.upper(), ())
            found.update(dict.fromkeys(ids))
            if not ids:
                unknown[name.upper()] = None
        elif is_valid_id(name) and name.startswith("attack-pattern--"):
            if name in profiles.technique_names:
                found[name] = None
            else:
                unknown[name] = None
        else:
            raise InvalidInput(
                f"{raw!r} is neither an ATT&CK technique id (T1234, T1234.001, T0800) "
                "nor an attack-pattern id"
            )
    return tuple(found), tuple(unknown)


class OverlapIndex:
    """Techniques → the candidates that use them, with each candidate's vector norm."""

    def __init__(self, profiles: Profiles) -> None:
        self._profiles = profiles
        users = [c for c, uses in profiles.uses.items() if uses]
        count: dict[str, int] = {}
        for candidate in users:
            for technique in profiles.uses[candidate]:
                count[technique] = count.get(technique, 0) + 1
        self._idf = {t: idf(len(users), n) for t, n in count.items()}
        self._postings: dict[str, list[tuple[str, float]]] = {}
        self._norms: dict[str, float] = {}
        for candidate in sorted(users):
            squares = 0.0
            for technique, weight in sorted(profiles.uses[candidate].items()):
                value = weight * self._idf[technique]
                self._postings.setdefault(technique, []).append((candidate, value))
                squares += value * value
            self._norms[candidate] = math.sqrt(squares)

    @property
    def profiles(self) -> Profiles:
        """The profiles the index was built from."""
        return self._profiles

    def rank(self, techniques: Iterable[str]) -> Ranking:
        """The candidates sharing a technique with the case, best first."""
        asked, unknown = resolve_techniques(techniques, self._profiles)
        query = {t: self._idf[t] for t in asked if t in self._idf}
        query_norm = math.sqrt(sum(v * v for v in query.values()))
        dots: dict[str, float] = {}
        for technique, weight in sorted(query.items()):
            for candidate, value in self._postings[technique]:
                dots[candidate] = dots.get(candidate, 0.0) + weight * value
        candidates = [
            _candidate(self._profiles, c, dot / (query_norm * self._norms[c]), asked)
            for c, dot in dots.items()
        ]
        return Ranking(
            candidates=tuple(sorted(candidates, key=lambda c: (-c.score, c.id))),
            techniques=asked,
            unknown=unknown,
        )


def _candidate(profiles: Profiles, candidate: str, score: float, asked: Iterable[str]) -> Candidate:
    uses: Mapping[str, float] = profiles.uses[candidate]
    shared = [t for t in asked if t in uses]
    return Candidate(
        id=candidate,
        name=profiles.names[candidate],
        score=score,
        direct=tuple(t for t in shared if uses[t] >= 1.0),
        indirect=tuple(t for t in shared if uses[t] < 1.0),
    )
