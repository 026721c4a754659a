"""The ATT&CK matrix of the techniques held here, shaded by how often they are used.

For whichever ATT&CK domains are loaded (enterprise, mobile, ICS), the matrix, tactic and
attack-pattern objects the reader may see are laid out by ``graph.matrix``; each technique's
count is the number of distinct users the reader may see: campaigns, incidents, intrusion sets,
malware, threat actors and tools with a ``uses`` relationship to it, and reports listing it.
Everything is read through the one sharing policy (``services.visibility``): a technique, a
relationship, a user or a report the reader may not see neither appears nor counts. The
relationships and reports are found through the value index's reverse references
(``GraphService.referrers``), so the cost follows the techniques and their users, not the size
of the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from entente.errors import InvalidInput
from entente.graph import ATTACK_DOMAINS, AttackMatrix, build_matrix, domains_of, usage_counts
from entente.graph.matrix import USER_TYPES
from entente.services.graph import GraphService, latest_released
from entente.services.visibility import Visibility
from entente.sharing import NodeContext, Principal
from entente.store import ObjectQuery, ObjectStore
from entente.store.search_values import references_of

__all__ = ["AttackMatrixService"]

_LAYOUT_TYPES = ("attack-pattern", "x-mitre-matrix", "x-mitre-tactic")


class AttackMatrixService:
    """ATT&CK matrices through the sharing policy."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        graph: GraphService,
        context: Callable[[], NodeContext],
    ) -> None:
        self._store = store
        self._graph = graph
        self._context = context

    def _layout_objects(self, visibility: Visibility) -> list[dict[str, Any]]:
        """The matrix, tactic and attack-pattern objects as the reader sees them."""
        query = ObjectQuery(
            types=_LAYOUT_TYPES, versions=("last",), policy_variants=True, limit=1000
        )
        shown = latest_released(self._store.iter_all(query), visibility, {})
        return [release.version.to_json() for release in shown.values()]

    def domains(self, principal: Principal | None) -> list[str]:
        """The ATT&CK domains with a technique the reader may see."""
        visibility = Visibility(principal, self._context())
        return domains_of(self._layout_objects(visibility))

    def matrix(self, principal: Principal | None, domain: str) -> AttackMatrix:
        """The matrix of ``domain`` (``enterprise-attack``, ``mobile-attack``,
        ``ics-attack``) as ``principal`` may see it, with its usage counts."""
        if domain not in ATTACK_DOMAINS:
            raise InvalidInput(
                f"{domain!r} is not an ATT&CK domain ({', '.join(sorted(ATTACK_DOMAINS))})"
            )
        visibility = Visibility(principal, self._context())
        objects = self._layout_objects(visibility)
        chain = ATTACK_DOMAINS[domain]
        techniques = [
            str(o["id"])
            for o in objects
            if o.get("type") == "attack-pattern"
            and any(
                isinstance(p, dict) and p.get("kill_chain_name") == chain
                for p in o.get("kill_chain_phases") or ()
            )
        ]
        counts = self._counts(techniques, visibility)
        return build_matrix(objects, counts, domain)

    def _counts(self, techniques: list[str], visibility: Visibility) -> dict[str, int]:
        """Users of each technique the reader may see (``graph.matrix.usage_counts``)."""
        wanted = set(techniques)
        referrers: dict[str, None] = {}
        for technique in techniques:
            # Every referring version is read: a count is exact, not bounded as a
            # neighbourhood's "more" is.
            found, _ = self._graph.referrers(technique, bound=None)
            referrers.update(dict.fromkeys(found))
        shown = self._graph.latest_visible(list(referrers), visibility)
        users: list[dict[str, Any]] = []
        sources: set[str] = set()
        for release in shown.values():
            obj = release.version.to_json()
            if obj.get("type") == "relationship" and obj.get("relationship_type") == "uses":
                source, target = obj.get("source_ref"), obj.get("target_ref")
                if (
                    target in wanted
                    and isinstance(source, str)
                    and source.partition("--")[0] in USER_TYPES
                ):
                    users.append(obj)
                    sources.add(source)
            elif obj.get("type") == "report" and any(
                ref in wanted for _, ref in references_of(obj)
            ):
                users.append(obj)
        visible_sources = self._graph.latest_visible(sorted(sources), visibility)
        return usage_counts(users, visible_sources)
