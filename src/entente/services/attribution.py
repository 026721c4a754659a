"""Attribution for one reader: ATT&CK-overlap hypotheses from the ATT&CK data they may see,
and ACH results written as ``attributed-to`` relationships.

Everything is read through the one sharing policy (``services.visibility``). The candidates
(intrusion sets, threat actors) and the techniques are read by type, each as its latest
version the reader is released; the ``uses`` and ``attributed-to`` relationships are found
through the value index's reverse references (``GraphService.referrers``), as
``services.attack_matrix`` counts users: first those of the candidates, which name the
software they use and the campaigns attributed to them, then those of that software and
those campaigns. So the cost follows ATT&CK's groups and what they use, not every malware
object a feed brought; and a relationship, group, software or technique the reader may not
see neither appears nor links. The overlap index is then the sans-IO
``attribution.OverlapIndex`` over what was read.

An ACH result names only objects the reader may see: the incident, every hypothesis and every
item of evidence cited by id are checked, and one not visible answers as absent
(``ObjectNotFound``), the same answer as one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from entente.attribution import (
    CANDIDATE_TYPES,
    AchMatrix,
    AchResult,
    OverlapIndex,
    Ranking,
    build_profiles,
    parse_matrix,
    render_attributed_to,
    score_matrix,
)
from entente.clock import Clock
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.services.graph import GraphService, latest_released
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal, Role
from entente.stix import format_timestamp_us, is_valid_id, marking_id_for
from entente.store import ObjectQuery, ObjectStore

__all__ = ["AttributionService"]

# Read by type: the candidates and the techniques. Software and campaigns are reached from
# the candidates' relationships.
_TYPED = (*CANDIDATE_TYPES, "attack-pattern")
_SECOND_HOP = ("malware", "tool", "campaign")
_RELATIONSHIP_TYPES = ("uses", "attributed-to")


class AttributionService:
    """ATT&CK-overlap rankings and ACH attributions, through the sharing policy."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        graph: GraphService,
        context: Callable[[], NodeContext],
        clock: Clock,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._store = store
        self._graph = graph
        self._context = context
        self._clock = clock
        self._new_id = new_id

    def _visible_of_types(self, visibility: Visibility) -> list[dict[str, Any]]:
        query = ObjectQuery(types=_TYPED, versions=("last",), policy_variants=True, limit=1000)
        shown = latest_released(self._store.iter_all(query), visibility, {})
        return [release.version.to_json() for release in shown.values()]

    def _relationships(self, ids: Iterable[str], visibility: Visibility) -> list[dict[str, Any]]:
        referrers: dict[str, None] = {}
        for oid in ids:
            # Every referring version: a profile is exact, not bounded as a neighbourhood is.
            found, _ = self._graph.referrers(oid, bound=None)
            referrers.update(dict.fromkeys(r for r in found if r.startswith("relationship--")))
        shown = self._graph.latest_visible(sorted(referrers), visibility)
        return [
            obj
            for release in shown.values()
            if (obj := release.version.to_json()).get("relationship_type") in _RELATIONSHIP_TYPES
        ]

    def overlap_index(self, principal: Principal | None) -> OverlapIndex:
        """The overlap index of the ATT&CK data ``principal`` may see."""
        visibility = Visibility(principal, self._context())
        objects = self._visible_of_types(visibility)
        candidates = {str(o["id"]) for o in objects if o.get("type") in CANDIDATE_TYPES}
        first = self._relationships(sorted(candidates), visibility)
        second_hop: set[str] = set()
        for rel in first:
            source, target = str(rel.get("source_ref")), str(rel.get("target_ref"))
            if source in candidates and target.partition("--")[0] in _SECOND_HOP:
                second_hop.add(target)  # software the candidate uses
            if target in candidates and source.partition("--")[0] in _SECOND_HOP:
                second_hop.add(source)  # a campaign attributed to the candidate
        ids = sorted(second_hop)
        hop = [r.version.to_json() for r in self._graph.latest_visible(ids, visibility).values()]
        second = self._relationships(ids, visibility)
        return OverlapIndex(build_profiles([*objects, *hop, *first, *second]))

    def rank(self, principal: Principal | None, techniques: Iterable[str]) -> Ranking:
        """Candidate intrusion sets for a case's techniques (ATT&CK ids such as ``T0800`` or
        attack-pattern ids), best first: hypotheses, never an attribution."""
        return self.overlap_index(principal).rank(techniques)

    def assess(
        self, principal: Principal, incident_id: str, document: Mapping[str, Any]
    ) -> tuple[AchMatrix, AchResult, dict[str, Any]]:
        """Score an ACH matrix (``attribution.parse_matrix``'s JSON) for ``incident_id`` and
        make its ``attributed-to`` relationship (not stored: the caller stores it with the
        case). Only admins and analysts attribute; every id named must be visible."""
        if principal.role not in (Role.ADMIN, Role.ANALYST):
            raise PermissionDenied("only admins and analysts attribute incidents")
        if not is_valid_id(incident_id) or not incident_id.startswith("incident--"):
            raise InvalidInput(f"{incident_id!r} is not an incident id (STIX 2.1 §4.6)")
        matrix = parse_matrix(document)
        result = score_matrix(matrix)
        visibility = Visibility(principal, self._context())
        named = [incident_id, *matrix.hypotheses, *(e.ref for e in matrix.evidence if e.ref)]
        shown = self._graph.latest_visible(sorted(set(named)), visibility)
        missing = [oid for oid in named if oid not in shown]
        if missing:
            # The same answer whether it does not exist or may not be seen.
            raise ObjectNotFound(f"no object {missing[0]} is visible")
        refs = list(shown[incident_id].version.marking_refs)
        if not refs:
            refs = [marking_id_for(self._context().default_marking)]
        relationship = render_attributed_to(
            incident_id,
            matrix,
            result,
            created=format_timestamp_us(self._clock.now_us()),
            created_by_ref=principal.org,
            new_id=self._new_id,
            marking_refs=refs,
        )
        return matrix, result, relationship
