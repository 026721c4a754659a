"""TAXII use cases: collections, policy-filtered reads, add-objects with status, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from entente.clock import Clock
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.ingest import Candidate
from entente.services.ingest import IngestService
from entente.services.tokens import org_identity_id
from entente.sharing import NodeContext, Principal, Role, VersionFacts, decide, is_allowed
from entente.stix import Tlp
from entente.store import (
    ApiToken,
    ObjectQuery,
    ObjectStore,
    Page,
    Provenance,
    SourceKind,
    StatusEntry,
    StatusRecord,
    StatusStore,
    StoredVersion,
    StoreStats,
    TokenStore,
    VersionFilter,
)

__all__ = [
    "DEFAULT_COLLECTIONS",
    "STATUS_RETENTION_US",
    "CollectionDef",
    "TaxiiService",
    "collection_uuid",
    "node_org_id",
    "principal_of",
    "version_facts",
]

_ALL_READ = frozenset({"admin", "analyst", "reader", "partner"})
_ALL_WRITE = frozenset({"admin", "analyst"})
_COLLECTION_NAMESPACE = uuid.UUID("5b0d7f0e-3c1a-5d8e-9f5c-2a4e6b8c0d11")
# Statuses are kept at least 24 hours (§4.3 gives no period; clients poll soon after a POST).
STATUS_RETENTION_US = 2 * 86_400 * 1_000_000
# How many store pages one read examines before answering with what it has (and "more").
_MAX_SCAN_PAGES = 20


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


def node_org_id(org_name: str) -> str:
    """The node org's STIX identity id: the derivation ``services.tokens`` uses for orgs."""
    return org_identity_id(org_name)


def principal_of(token: ApiToken) -> Principal:
    """The principal an API token stands for (tokens are never individuals)."""
    return Principal(id=token.token_id, org=token.org, role=Role(token.role), is_individual=False)


def version_facts(version: StoredVersion) -> VersionFacts:
    """What the sharing policy needs about one stored version."""
    return VersionFacts(
        id=version.id,
        type=version.type,
        created_by_ref=version.created_by_ref,
        marking_refs=version.marking_refs,
    )


class Visibility:
    """Whether each stored version may be shown to one principal: ``decide`` with a memo.

    The policy's answer depends on the facts ``version_facts`` takes from a version other than
    its id, so versions that share type, creator and markings share the answer; a page of a
    thousand versions then needs a handful of decisions. The property tests of every read
    surface against the policy oracle cover this memo.
    """

    __slots__ = ("_ctx", "_memo", "_principal")

    def __init__(self, principal: Principal | None, ctx: NodeContext) -> None:
        self._principal = principal
        self._ctx = ctx
        self._memo: dict[tuple[str, str | None, tuple[str, ...]], bool] = {}

    def allows(self, version: StoredVersion) -> bool:
        """Whether the policy allows ``version`` for this principal."""
        key = (version.type, version.created_by_ref, version.marking_refs)
        allowed = self._memo.get(key)
        if allowed is None:
            allowed = self._memo[key] = is_allowed(
                decide(version_facts(version), self._principal, self._ctx)
            )
        return allowed


def _version_of(data: Any) -> str:
    if isinstance(data, dict):
        for name in ("modified", "created"):
            value = data.get(name)
            if isinstance(value, str):
                return value
    return ""


def _id_of(data: Any) -> str:
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


class TaxiiService:
    """What the TAXII and REST routes do, without HTTP: every read goes through ``decide``."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        tokens: TokenStore,
        statuses: StatusStore,
        clock: Clock,
        collections: Sequence[CollectionDef],
        org_name: str,
        default_marking: Tlp = Tlp.AMBER_STRICT,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._statuses = statuses
        self._clock = clock
        self._collections = tuple(collections) or DEFAULT_COLLECTIONS
        self._node_org = node_org_id(org_name)
        self._default_marking = default_marking
        self._new_id = new_id

    def context(self) -> NodeContext:
        """The node context: node org, and the community of every org holding a token."""
        orgs = {token.org for token in self._tokens.list()}
        return NodeContext(
            node_org=self._node_org,
            community_orgs=frozenset(orgs | {self._node_org}),
            default_marking=self._default_marking,
        )

    def collections_for(self, principal: Principal) -> list[CollectionDef]:
        """The collections the principal may read or write (§5.1)."""
        return [c for c in self._collections if c.may_read(principal) or c.may_write(principal)]

    def collection(self, collection_id: str, principal: Principal) -> CollectionDef:
        """One collection the principal has access to; ``ObjectNotFound`` otherwise."""
        for candidate in self.collections_for(principal):
            if str(candidate.id) == collection_id:
                return candidate
        raise ObjectNotFound(f"no collection {collection_id}")

    def _check_read(self, collection: CollectionDef | None, principal: Principal) -> None:
        if collection is not None and not collection.may_read(principal):
            raise PermissionDenied("this collection may not be read with this role")

    def read(
        self, collection: CollectionDef | None, principal: Principal, query: ObjectQuery
    ) -> Page:
        """Up to ``query.limit`` versions the principal may see, and the cursor after them.

        Store pages are fetched until ``limit`` visible versions or the end (at most
        ``_MAX_SCAN_PAGES`` pages); ``next_cursor`` is the last *examined* date_added, so
        hidden versions are skipped for good and never counted.
        """
        self._check_read(collection, principal)
        types = query.types
        if collection is not None and collection.types:
            types = tuple(
                sorted(collection.types.intersection(types) if types else collection.types)
            )
            if not types:
                return Page(items=(), next_cursor=None)
        visibility = Visibility(principal, self.context())
        visible: list[StoredVersion] = []
        cursor = query.after_cursor
        for _ in range(_MAX_SCAN_PAGES):
            page = self._store.query(replace(query, types=types, after_cursor=cursor))
            for index, item in enumerate(page.items):
                if (collection is None or collection.holds(item)) and visibility.allows(item):
                    visible.append(item)
                if len(visible) == query.limit:
                    more = index < len(page.items) - 1 or page.more
                    return Page(tuple(visible), item.date_added_us if more else None)
            if page.next_cursor is None:
                return Page(tuple(visible), None)
            cursor = page.next_cursor
        return Page(tuple(visible), cursor)

    def has_visible(
        self, collection: CollectionDef | None, principal: Principal, object_id: str
    ) -> bool:
        """Whether any version of ``object_id`` is in the collection and visible to them."""
        query = ObjectQuery(ids=(object_id,), versions=(VersionFilter.ALL.value,), limit=1)
        return bool(self.read(collection, principal, query).items)

    def add_objects(
        self, collection: CollectionDef, principal: Principal, envelope: Any
    ) -> StatusRecord:
        """Ingest a §3.7 envelope's objects into the collection and record a §4.3 status."""
        if not collection.may_write(principal):
            raise PermissionDenied("this collection may not be written with this role")
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
            raise InvalidInput("the body must be a TAXII envelope with an 'objects' list")
        objects: list[Any] = envelope["objects"]
        source = f"taxii:{collection.id}"
        candidates: list[Candidate] = []
        failures: dict[str, str] = {}
        for index, data in enumerate(objects):
            position = f"objects[{index}]"
            if not isinstance(data, dict):
                candidates.append(Candidate(source, position, None, "not a JSON object"))
            elif collection.types and data.get("type") not in collection.types:
                failures[position] = "this collection does not hold objects of this type"
            else:
                candidates.append(Candidate(source, position, data))
        provenance = Provenance(SourceKind.USER, str(collection.id), principal.id)
        ingest = IngestService(self._store, self._clock, principal=principal.id)
        summary = ingest.ingest_candidates(candidates, provenance, source=source)
        whole = next((r.reason for r in summary.rejected if not r.position), None)
        failures.update({r.position: r.reason for r in summary.rejected if r.position})
        entries = []
        for index, data in enumerate(objects):
            reason = whole or failures.get(f"objects[{index}]")
            # §5.5: an exact duplicate of a stored object is a success, not an error.
            outcome = "added" if reason is None else "failed"
            entries.append(StatusEntry(_id_of(data), _version_of(data), outcome, reason))
        now = self._clock.now_us()
        record = StatusRecord(
            status_id=self._new_id(),
            collection_id=str(collection.id),
            principal=principal.id,
            request_us=now,
            entries=tuple(entries),
        )
        self._statuses.purge_before(now - STATUS_RETENTION_US)
        self._statuses.add(record)
        return record

    def status(self, status_id: str, principal: Principal) -> StatusRecord:
        """A status the principal created; anyone else's is "not found" (§4.3)."""
        record = self._statuses.get(status_id)
        if record is None or record.principal != principal.id:
            raise ObjectNotFound(f"no status {status_id}")
        return record

    def delete_object(
        self,
        collection: CollectionDef,
        principal: Principal,
        object_id: str,
        *,
        versions: Sequence[str] = (),
        spec_versions: Sequence[str] = (),
    ) -> int:
        """Delete the matching versions the principal may see (§5.7); return how many."""
        if principal.role not in (Role.ADMIN, Role.ANALYST) or not collection.may_write(principal):
            raise PermissionDenied(
                "objects may be deleted by admins and analysts with write access"
            )
        self._check_read(collection, principal)
        # §5.7: without match[version], every version of the object is deleted.
        query = ObjectQuery(
            ids=(object_id,),
            versions=tuple(versions) or (VersionFilter.ALL.value,),
            spec_versions=tuple(spec_versions),
            limit=1000,
        )
        keys: list[str] = []
        while True:
            page = self.read(collection, principal, query)
            keys.extend(item.version for item in page.items)
            if page.next_cursor is None:
                break
            query = replace(query, after_cursor=page.next_cursor)
        if not keys:
            raise ObjectNotFound(f"no object {object_id}")
        return self._store.delete_versions(object_id, keys)

    def visible_stats(self, principal: Principal) -> StoreStats:
        """Counts of the objects and versions the principal may see."""
        visibility = Visibility(principal, self.context())
        ids: dict[str, str] = {}
        versions = 0
        query = ObjectQuery(versions=(VersionFilter.ALL.value,), limit=1000)
        for item in self._store.iter_all(query):
            if visibility.allows(item):
                versions += 1
                ids[item.id] = item.type
        by_type: dict[str, int] = {}
        for kind in ids.values():
            by_type[kind] = by_type.get(kind, 0) + 1
        return StoreStats(objects=len(ids), versions=versions, by_type=by_type)

    def list_tokens(self, principal: Principal) -> Iterable[ApiToken]:
        """Every token, for admins only."""
        if principal.role is not Role.ADMIN:
            raise PermissionDenied("only admins may list tokens")
        return list(self._tokens.list())
