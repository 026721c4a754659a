"""The graph around one object: its neighbours as one reader may see them, a capped few at a time.

The neighbours of an object are the objects its ``*_ref``/``*_refs`` properties name, the
objects whose properties name it (sightings of it, reports that list it, anything else), and
the other end of each relationship from or to it; a relationship is drawn as an edge, not a
node. Each object is read as the reader sees it: its latest version the sharing policy
releases to them (``services.visibility``), the copy they are shown (an agreement's
redaction, a granular marking, an anonymised sighting can remove a reference). A neighbour the
reader may not see, and the edge to it, are absent: they are neither returned nor counted, and
an object they may not see answers as one that does not exist.

Reads are indexed: the references an object holds are in its JSON; the objects that reference
it are the value index's ``ref`` and ``link`` rows (``store.search_values``); the versions of
a batch of ids are one query by id (``ObjectQuery.policy_variants``). An expansion returns at
most ``cap`` new nodes and how many more visible ones there are, counted up to a bound.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from entente.errors import InvalidInput, ObjectNotFound
from entente.graph import GraphEdge, GraphNode, display_name
from entente.services.visibility import Release, Visibility
from entente.sharing import NodeContext, Principal
from entente.stix import is_valid_id
from entente.store import ObjectQuery, ObjectStore, SearchIndex, StoredVersion
from entente.store.search_values import references_of

__all__ = [
    "COUNT_BOUND",
    "NEIGHBOUR_CAP",
    "GraphService",
    "Neighbourhood",
    "latest_released",
    "node_of",
]

# New nodes one expansion returns at most (the page asks again, naming what it shows).
NEIGHBOUR_CAP = 50
# Referring versions read per expansion at most: "N more not shown" is exact below it and a
# lower bound above it (an attack-pattern referenced by ten thousand relationships).
COUNT_BOUND = 5000
# Rows read per round trip of the value index, ids per lookup of latest versions.
_BATCH = 500
_IDS_PER_LOOKUP = 400
# The value-index kinds that hold referenced ids (store.search_values).
_REFERENCE_KINDS = ("ref", "link")


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """One expansion: the object, up to the cap of new neighbours, the edges between the
    object and the neighbours returned or already shown, and how many visible neighbours
    were left out (``more_bounded``: at least that many; the count stopped at the bound)."""

    centre: GraphNode
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    more: int
    more_bounded: bool = False


def node_of(release: Release) -> GraphNode:
    """The node of a released version, named as the reader is shown it."""
    version = release.version
    return GraphNode(version.id, version.type, display_name(version.to_json()))


def latest_released(
    versions: Iterable[StoredVersion], visibility: Visibility, into: dict[str, Release]
) -> dict[str, Release]:
    """Each object among ``versions`` as the reader sees it: its latest version (by version
    key) that ``visibility`` releases, added to ``into`` (which is returned)."""
    for version in versions:
        kept = into.get(version.id)
        if kept is not None and kept.version.version >= version.version:
            continue
        release = visibility.release(version)
        if release is not None:
            into[version.id] = release
    return into


@dataclass(frozen=True, slots=True)
class _Link:
    """An edge found, and the neighbour it leads to."""

    edge: GraphEdge
    neighbour: str


class GraphService:
    """Neighbourhoods of objects, through the sharing policy."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        index: SearchIndex,
        context: Callable[[], NodeContext],
    ) -> None:
        self._store = store
        self._index = index
        self._context = context

    def node(self, principal: Principal | None, object_id: str) -> GraphNode:
        """The node of one object as ``principal`` sees it; ``ObjectNotFound`` if not visible."""
        visibility = Visibility(principal, self._context())
        return node_of(self._centre(object_id, visibility))

    def neighbourhood(
        self,
        principal: Principal | None,
        object_id: str,
        *,
        shown: Collection[str] = (),
        cap: int = NEIGHBOUR_CAP,
    ) -> Neighbourhood:
        """The neighbours of ``object_id`` that ``principal`` may see, at most ``cap`` of them
        not in ``shown`` (the nodes the caller already draws), and the edges from the object
        to those and to the shown ones it is linked to. ``ObjectNotFound`` when the object is
        absent or not visible (the same answer)."""
        if cap < 1:
            raise InvalidInput("the expansion cap must be at least 1")
        visibility = Visibility(principal, self._context())
        centre = self._centre(object_id, visibility)
        links, bounded = self._links(centre, visibility)
        ends = self.latest_visible(sorted({link.neighbour for link in links}), visibility)
        already = set(shown)
        order: list[str] = []
        for link in links:
            if link.neighbour in ends and link.neighbour not in order:
                order.append(link.neighbour)
        new = [n for n in order if n not in already]
        chosen = new[:cap]
        drawn = set(chosen) | (already & set(order))
        edges: dict[str, GraphEdge] = {}
        for link in links:
            if link.neighbour in drawn:
                edges.setdefault(link.edge.id, link.edge)
        return Neighbourhood(
            centre=node_of(centre),
            nodes=tuple(node_of(ends[n]) for n in chosen),
            edges=tuple(edges.values()),
            more=len(new) - len(chosen),
            more_bounded=bounded,
        )

    def nodes(self, principal: Principal | None, ids: Sequence[str]) -> dict[str, GraphNode]:
        """The nodes of those ``ids`` that ``principal`` may see, as it sees them (the ends
        of an expansion's edges that a page already draws, to name them)."""
        visibility = Visibility(principal, self._context())
        found = self.latest_visible(sorted(set(ids)), visibility)
        return {oid: node_of(release) for oid, release in found.items()}

    def _centre(self, object_id: str, visibility: Visibility) -> Release:
        if not is_valid_id(object_id):
            raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
        found = self.latest_visible([object_id], visibility)
        if object_id not in found:
            # The same answer whether it does not exist or may not be seen.
            raise ObjectNotFound(f"no object {object_id} is visible")
        return found[object_id]

    def latest_visible(self, ids: Sequence[str], visibility: Visibility) -> dict[str, Release]:
        """Each of ``ids`` as the reader sees it: its latest version the policy releases
        (ids with none are absent).

        The store returns each id's last version and those whose policy facts differ from it
        (``ObjectQuery.policy_variants``): a version with the facts of the last one is shown
        exactly when the last one is, so the latest one shown is among these rows.
        """
        best: dict[str, Release] = {}
        for start in range(0, len(ids), _IDS_PER_LOOKUP):
            query = ObjectQuery(
                ids=tuple(ids[start : start + _IDS_PER_LOOKUP]),
                versions=("last",),
                policy_variants=True,
                limit=1000,
            )
            latest_released(self._store.iter_all(query), visibility, best)
        return best

    def _links(self, centre: Release, visibility: Visibility) -> tuple[list[_Link], bool]:
        """Every edge of the object the reader sees (neighbours not yet checked), outgoing
        references first in property order, then what refers to it by date added; and
        whether the referrers were cut at ``COUNT_BOUND``."""
        oid = centre.version.id
        obj = centre.version.to_json()
        links = [
            _Link(GraphEdge(f"{oid}/{prop}/{ref}", oid, ref, prop), ref)
            for prop, ref in references_of(obj)
            if ref != oid
        ]
        referrers, bounded = self.referrers(oid)
        found = self.latest_visible(referrers, visibility)
        for rid in referrers:
            release = found.get(rid)
            if release is not None:
                links.extend(_incoming(oid, release.version.to_json(), rid))
        return links, bounded

    def referrers(self, oid: str, bound: int | None = COUNT_BOUND) -> tuple[list[str], bool]:
        """Ids of objects with a version that references ``oid`` (not yet through the policy:
        callers read each with ``latest_visible`` and check its copy), by first date added;
        and whether reading stopped at ``bound`` versions (``None``: read them all)."""
        seen: dict[str, int] = {}
        read = 0
        for kind in _REFERENCE_KINDS:
            for version in self._occurrences(kind, oid):
                read += 1
                if bound is not None and read > bound:
                    return _by_first_added(seen), True
                if version.id != oid:
                    seen.setdefault(version.id, version.date_added_us)
        return _by_first_added(seen), False

    def _occurrences(self, kind: str, key: str) -> Iterator[StoredVersion]:
        position: int | None = None
        while True:
            batch = self._index.occurrences(kind, key, position, _BATCH)
            yield from batch
            if len(batch) < _BATCH:
                return
            position = batch[-1].date_added_us


def _by_first_added(seen: dict[str, int]) -> list[str]:
    return sorted(seen, key=lambda rid: (seen[rid], rid))


def _incoming(oid: str, obj: dict[str, Any], rid: str) -> Iterable[_Link]:
    """The edges the copy ``obj`` of referrer ``rid`` (as the reader sees it) makes with
    ``oid``: a relationship joins its two ends (STIX 2.1 §5.1: ``source_ref`` to
    ``target_ref``); any other object points at ``oid`` by each property naming it. Nothing
    when the copy no longer names ``oid`` (a later version dropped it, or it was left out)."""
    names = [prop for prop, ref in references_of(obj) if ref == oid]
    if not names:
        return []
    if obj.get("type") == "relationship":
        kind = str(obj.get("relationship_type", "related-to"))
        source, target = obj.get("source_ref"), obj.get("target_ref")
        if not isinstance(source, str) or not isinstance(target, str) or source == target:
            return []
        other = target if source == oid else source
        return [_Link(GraphEdge(rid, source, target, kind), other)]
    return [
        _Link(GraphEdge(f"{rid}/{prop}/{oid}", rid, oid, prop), rid)
        for prop in dict.fromkeys(names)
    ]
