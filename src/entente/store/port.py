"""The ObjectStore port: what services need from storage, whatever the adapter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from entente.store.records import (
    NewVersion,
    ObjectQuery,
    Page,
    Provenance,
    ReplacedVersion,
    StoredVersion,
    StoreStats,
)

__all__ = ["ObjectStore", "StoreTransaction"]


class StoreTransaction(Protocol):
    """A unit of work: everything written through it commits together or not at all."""

    def versions_of(self, ids: Sequence[str]) -> dict[str, list[StoredVersion]]:
        """All stored versions of each id (ids with none are absent), oldest version first."""
        ...

    def insert(self, versions: Sequence[tuple[NewVersion, Provenance]]) -> list[StoredVersion]:
        """Write new versions; each gets a ``date_added`` strictly greater than any before.

        The caller has checked that no ``(id, version)`` among them is stored already; a
        clash raises ``StorageError``.
        """
        ...

    def replaced_of(self, ids: Sequence[str]) -> dict[str, list[StoredVersion]]:
        """What corrections replaced of each of ``ids`` (ids with none are absent).

        The ownership rules read it: who first stored an object is still who first stored
        it after that version was corrected.
        """
        ...

    def latest_from_source(self, source_name: str) -> list[str]:
        """The ids whose latest version's provenance names ``source_name``."""
        ...

    def withdraw(self, ids: Sequence[str]) -> int:
        """Move every version of these objects to history as withdrawn; return how many.

        For a snapshot of a source that no longer holds them (``IngestService``).
        """
        ...

    def correct(
        self, corrections: Sequence[tuple[NewVersion, Provenance, str]]
    ) -> list[StoredVersion]:
        """Replace stored versions by their creator's corrections (``stix.versioning``).

        Each ``(version, provenance, correction kind)`` takes the place of the stored version
        with the same ``(id, version)``, which moves to history (``ObjectStore.history``);
        the replacement gets a new ``date_added``. A key that is not stored raises
        ``StorageError``.
        """
        ...


class ObjectStore(Protocol):
    """Every version of every STIX object with its provenance (architecture §2)."""

    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        """Open a unit of work; it commits on normal exit and rolls back on an exception."""
        ...

    def get_versions(
        self, object_id: str, versions: Sequence[str] = ("all",)
    ) -> list[StoredVersion]:
        """Versions of one object selected as in ``ObjectQuery.versions``, oldest first."""
        ...

    def query(self, query: ObjectQuery) -> Page:
        """One page of versions matching ``query``, ordered by ``date_added``."""
        ...

    def iter_all(self, query: ObjectQuery) -> Iterator[StoredVersion]:
        """Every version matching ``query``, page after page."""
        ...

    def history(self, object_id: str) -> list[ReplacedVersion]:
        """The versions of ``object_id`` that corrections replaced, oldest first."""
        ...

    def delete_versions(self, object_id: str, version_keys: Sequence[str]) -> int:
        """Delete the versions of ``object_id`` with these version keys; return how many.

        The remaining versions' first/last flags are recomputed, so ``match[version]=first``
        and ``last`` stay right after a delete.
        """
        ...

    def stats(self) -> StoreStats:
        """Counts of objects, versions and objects per type."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
