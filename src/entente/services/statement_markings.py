"""Which statement marking-definitions the node holds: markings the policy knows.

A statement marking (STIX 2.1 §7.2.1.3: a copyright, terms of use; MITRE marks all of ATT&CK
with one) restricts nothing the specification defines, so an object carrying one is shared by
its TLP marking, or the node's default marking when it has none. A marking-definition the
node does not hold, or of another kind (an extension such as PAP), stays unknown and its
objects are withheld: the policy fails closed (``sharing.policy.unknown_markings``).
"""

from __future__ import annotations

from entente.stix import tlp_of
from entente.store import ObjectQuery, ObjectStore

__all__ = ["StatementMarkings"]

# More marking-definitions than any node holds; the scan reads no object text.
_SCAN = 1000


class StatementMarkings:
    """The ids of the statement marking-definitions a store holds, as of each call.

    Every call lists the marking-definitions' metadata (no object text: reads of what a
    reader may not see must cost the same as reads of what does not exist); only a
    marking-definition added or corrected since the previous call is read in full.
    """

    def __init__(self, store: ObjectStore) -> None:
        self._store = store
        # What the previous call saw: id -> date_added of its latest version, and which of
        # those are statements; replaced as one value, as requests may call concurrently.
        self._state: tuple[dict[str, int], frozenset[str]] = ({}, frozenset())

    def __call__(self) -> frozenset[str]:
        seen, statements = self._state
        query = ObjectQuery(types=("marking-definition",), raw=False, limit=_SCAN)
        current = {
            version.id: version.date_added_us
            for version in self._store.iter_all(query)
            if tlp_of(version.id) is None
        }
        if current == seen:
            return statements
        # Statements whose latest version is unchanged stay statements; the rest are read.
        found = {
            marking_id
            for marking_id in statements
            if seen.get(marking_id) == current.get(marking_id)
        }
        for marking_id, added in current.items():
            if seen.get(marking_id) == added:
                continue
            [latest] = self._store.get_versions(marking_id, ("last",))
            if latest.to_json().get("definition_type") == "statement":
                found.add(marking_id)
        result = frozenset(found)
        self._state = (current, result)
        return result
