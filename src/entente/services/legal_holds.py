"""Which legal holds preserve a stored object: the cases under hold that reference it.

A case under legal hold (``entente.cases.holds``) keeps itself, its incident and every object
it references from deletion (issue 15 item 5). The cases referencing an object are found by
the value index's reference rows (``GraphService.referrers``: a grouping's ``object_refs``);
each one's latest stored version decides, so a hold released or a reference dropped in a
later version no longer counts. Only this node's own cases count: a case received from a
partner (``SourceKind.PARTNER``) cannot freeze what this node holds.

This is a store-side check, not a read: it looks at cases whoever asks, and the caller
(``TaxiiService.delete_object``) decides what of a hold it may tell its principal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from entente.cases import Case, LegalHold, is_case, parse_case
from entente.errors import InvalidObject, ObjectNotFound
from entente.store import ObjectStore, SourceKind, StoredVersion

__all__ = ["HeldBy", "LegalHolds"]


@dataclass(frozen=True, slots=True)
class HeldBy:
    """One hold preserving an object: the case's latest stored version, the case, its hold."""

    version: StoredVersion
    case: Case
    hold: LegalHold


class LegalHolds:
    """Finds the holds in force on an object over the node's store and reference index."""

    def __init__(self, *, store: ObjectStore, referrers: Callable[[str], Sequence[str]]) -> None:
        self._store = store
        # The ids of the objects with a version referencing an id (GraphService.referrers).
        self._referrers = referrers

    def holds_on(self, object_id: str) -> list[HeldBy]:
        """The holds in force that preserve ``object_id`` (itself a case, or referenced by
        one, its incident included), in no particular order."""
        found: list[HeldBy] = []
        candidates = [object_id, *(r for r in self._referrers(object_id) if r != object_id)]
        for case_id in dict.fromkeys(candidates):
            if not case_id.startswith("grouping--"):
                continue
            held = self._held(case_id, object_id)
            if held is not None:
                found.append(held)
        return found

    def _held(self, case_id: str, object_id: str) -> HeldBy | None:
        try:
            latest = self._store.get_versions(case_id, ("last",))
        except ObjectNotFound:
            return None
        if not latest or latest[-1].provenance.source_kind is SourceKind.PARTNER:
            return None
        version = latest[-1]
        obj = version.to_json()
        if not is_case(obj):
            return None
        try:
            case = parse_case(obj)
        except InvalidObject:
            return None
        hold = case.hold
        named = object_id in (case.id, case.incident_id, *case.merged_from, *case.refs)
        if hold is None or not named:
            return None
        return HeldBy(version, case, hold)
