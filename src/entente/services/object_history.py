"""One object's versions as one reader may see them: what its page shows, through the policy.

Every version goes through ``services.visibility`` on its own: a version the reader may not
see is left out of the list (and cannot be chosen for a diff), and each one shown is the copy
the reader is shown (an agreement's redaction, a granular marking). An object with no version
the reader may see answers exactly as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from entente.errors import InvalidInput, ObjectNotFound, SignatureError
from entente.federation import signature_info
from entente.services.visibility import Release, Visibility
from entente.sharing import NodeContext, Principal
from entente.stix import Change, diff_objects, is_valid_id
from entente.store import ObjectStore

__all__ = ["ObjectHistory", "ObjectVersions", "signer_of"]


@dataclass(frozen=True, slots=True)
class ObjectHistory:
    """The versions of one object the reader may see, oldest first (by version key)."""

    id: str
    versions: tuple[Release, ...]

    @property
    def latest(self) -> Release:
        """The latest version the reader may see (the one its page shows)."""
        return self.versions[-1]

    def find(self, version: str) -> Release | None:
        """The shown version whose version key is ``version``, if the reader may see it."""
        return next((r for r in self.versions if r.version.version == version), None)

    def diff(self, older: str, newer: str) -> tuple[Change, ...] | None:
        """The differences between two versions the reader may see, as shown to it;
        ``None`` when either key is not one of them (hidden and absent alike)."""
        before, after = self.find(older), self.find(newer)
        if before is None or after is None:
            return None
        return diff_objects(before.version.to_json(), after.version.to_json())


def signer_of(release: Release) -> str | None:
    """The org whose Entente signature the shown copy carries (``None``: none, or one that
    is malformed; the store keeps no verification result, so this says who signed, not
    that it verified)."""
    try:
        info = signature_info(release.version.to_json())
    except SignatureError:
        return None
    return None if info is None else info.signer


class ObjectVersions:
    """Reads an object's history through the sharing policy."""

    def __init__(self, *, store: ObjectStore, context: Callable[[], NodeContext]) -> None:
        self._store = store
        self._context = context

    def history(self, principal: Principal | None, object_id: str) -> ObjectHistory:
        """The versions of ``object_id`` that ``principal`` may see, each as shown to it;
        ``ObjectNotFound`` when there is none (absent and hidden alike)."""
        if not is_valid_id(object_id):
            raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
        visibility = Visibility(principal, self._context())
        try:
            stored = self._store.get_versions(object_id, ("all",))
        except ObjectNotFound:
            stored = []
        shown = tuple(r for r in map(visibility.release, stored) if r is not None)
        if not shown:
            # The same answer whether it does not exist or may not be seen.
            raise ObjectNotFound(f"no object {object_id} is visible")
        return ObjectHistory(object_id, shown)
