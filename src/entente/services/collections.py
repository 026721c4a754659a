"""TAXII collections (§5.2) as this node configures them: filtered views with a role ACL.

Kept apart from the TAXII service so that reading the settings (``entente.config``) does not
load the service and everything it uses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from entente.sharing.principals import Principal
from entente.store.records import StoredVersion

__all__ = ["DEFAULT_COLLECTIONS", "CollectionDef", "collection_uuid"]

_ALL_READ = frozenset({"admin", "analyst", "reader", "partner"})
_ALL_WRITE = frozenset({"admin", "analyst"})
_COLLECTION_NAMESPACE = uuid.UUID("5b0d7f0e-3c1a-5d8e-9f5c-2a4e6b8c0d11")


def collection_uuid(title: str) -> uuid.UUID:
    """The deterministic id of a collection configured without one."""
    return uuid.uuid5(_COLLECTION_NAMESPACE, f"entente/collection/{title}")


@dataclass(frozen=True, slots=True)
class CollectionDef:
    """One TAXII collection (§5.2): a filtered view of the store with a role-based ACL."""

    id: uuid.UUID
    title: str
    description: str = ""
    # Empty means "any" for each filter.
    types: frozenset[str] = frozenset()
    marking_refs: frozenset[str] = frozenset()
    source_names: frozenset[str] = frozenset()
    can_read: frozenset[str] = _ALL_READ
    can_write: frozenset[str] = _ALL_WRITE
    # What is published here leaves the coalition (a public feed, a website): publishing to
    # it needs the ``publish-public`` approval too (issue 15 item 1).
    public: bool = False

    def holds(self, version: StoredVersion) -> bool:
        """Whether ``version`` belongs to this collection."""
        if self.types and version.type not in self.types:
            return False
        if self.marking_refs and not self.marking_refs.intersection(version.marking_refs):
            return False
        return not self.source_names or version.provenance.source_name in self.source_names

    def may_read(self, principal: Principal) -> bool:
        """Whether the principal's role may read this collection."""
        return principal.role.value in self.can_read

    def may_write(self, principal: Principal) -> bool:
        """Whether the principal's role may add to (or delete from) this collection."""
        return principal.role.value in self.can_write


DEFAULT_COLLECTIONS = (
    CollectionDef(
        id=collection_uuid("All objects"),
        title="All objects",
        description="Every object this node holds that the caller may see.",
    ),
    CollectionDef(
        id=collection_uuid("Indicators"),
        title="Indicators",
        description="Indicators only.",
        types=frozenset({"indicator"}),
    ),
)
