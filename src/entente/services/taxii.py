"""TAXII use cases: collections, policy-filtered reads, add-objects with status, delete."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson

from entente.clock import Clock
from entente.errors import (
    InvalidInput,
    InvalidObject,
    ObjectNotFound,
    PermissionDenied,
    SignatureError,
)
from entente.federation import derived_from_of, signature_info
from entente.ingest import Candidate
from entente.services.ingest import IngestService
from entente.services.tokens import org_identity_id
from entente.sharing import (
    Agreement,
    Allow,
    NodeContext,
    Principal,
    Role,
    VersionFacts,
    decide,
    is_allowed,
    redacted_copy,
)
from entente.stix import Tlp, parse_object
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
    "node_context",
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

# §4.3.1 status-details ``message`` of each object of an add-objects request. They are chosen
# from what the poster may read only: versions of the same id that the policy hides from them
# are treated as absent, so a status never reveals that such a version exists, nor its content.
_STATUS_ADDED = "added"
_STATUS_NEW_VERSION = "new version"
_STATUS_DUPLICATE = "duplicate: this version was already stored"
# The posted version itself is hidden from the poster: stored, whether new or a duplicate.
_STATUS_HIDDEN = "stored; the sharing policy does not let you read this version"
# Replaces a §3.6 versioning error raised against versions hidden from the poster: those
# errors quote the stored version (its created, created_by_ref, revoked).
_STATUS_HIDDEN_CONFLICT = "conflicts with a stored version of this object (STIX 2.1 §3.6)"
# How many ids one look-up of the versions already stored names.
_IDS_PER_LOOKUP = 500


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


def node_context(
    *,
    node_org: str,
    tokens: TokenStore,
    agreements: Iterable[Agreement],
    default_marking: Tlp,
    now_us: int,
) -> NodeContext:
    """The policy's view of this node: its org, its community, its agreements and the time.

    The community (TLP:GREEN's boundary) is every org that holds a token here or is party to
    an agreement, and the node's own org.
    """
    chosen = tuple(agreements)
    orgs = {token.org for token in tokens.list()}
    for agreement in chosen:
        orgs.update(agreement.parties)
    return NodeContext(
        node_org=node_org,
        community_orgs=frozenset(orgs | {node_org}),
        default_marking=default_marking,
        agreements=chosen,
        now_us=now_us,
    )


def principal_of(token: ApiToken) -> Principal:
    """The principal an API token stands for (tokens are never individuals)."""
    return Principal(id=token.token_id, org=token.org, role=Role(token.role), is_individual=False)


def version_facts(version: StoredVersion) -> VersionFacts:
    """What the sharing policy needs about one stored version: markings and provenance."""
    provenance = version.provenance
    received = provenance.source_kind is SourceKind.PARTNER
    return VersionFacts(
        id=version.id,
        type=version.type,
        created_by_ref=version.created_by_ref,
        marking_refs=version.marking_refs,
        # Sync records the sending partner's org as the principal (services.federation).
        received_from_org=provenance.principal if received else None,
        received_under=provenance.agreement if received else None,
    )


class Signer(Protocol):
    """Signs what this node sends partners (``services.federation.NodeSigner``)."""

    @property
    def org_id(self) -> str:
        """The org the signatures are made for."""
        ...

    def sign(
        self, obj: Mapping[str, Any], derived_from: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """``obj`` with this node's signature; ``derived_from`` names a redacted original."""
        ...


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
        self._memo: dict[tuple[Any, ...], Allow | None] = {}

    def decision(self, version: StoredVersion) -> Allow | None:
        """The policy's Allow for ``version`` and this principal, or None if it is denied."""
        provenance = version.provenance
        key = (
            version.type,
            version.created_by_ref,
            version.marking_refs,
            provenance.source_kind,
            provenance.principal,
            provenance.agreement,
        )
        if key in self._memo:
            return self._memo[key]
        decision = decide(version_facts(version), self._principal, self._ctx)
        allow = decision if isinstance(decision, Allow) else None
        self._memo[key] = allow
        return allow

    def allows(self, version: StoredVersion) -> bool:
        """Whether the policy allows ``version`` for this principal."""
        return self.decision(version) is not None


def _echo(version: StoredVersion, org: str) -> bool:
    """Whether this version came to us from that partner org itself.

    The policy allows sending it back (it discloses nothing), but a partner pulling from us
    would download everything it ever sent us to find what is new. It holds all of it: it
    sent it. (What it created but another node relayed to us is still served.)
    """
    provenance = version.provenance
    return provenance.source_kind is SourceKind.PARTNER and provenance.principal == org


def _carries_signature(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` carries our signature extension (a malformed one counts: left as is)."""
    try:
        return signature_info(obj) is not None
    except SignatureError:
        return True


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


def _posted_facts(data: dict[str, Any]) -> VersionFacts:
    """The policy facts of a posted object that was stored (so it passed validation)."""
    creator = data.get("created_by_ref")
    refs = data.get("object_marking_refs")
    return VersionFacts(
        id=_id_of(data),
        type=str(data.get("type")),
        created_by_ref=creator if isinstance(creator, str) else None,
        marking_refs=tuple(r for r in refs if isinstance(r, str)) if isinstance(refs, list) else (),
    )


def _is_valid(data: Any) -> bool:
    """Whether ``data`` passes STIX 2.1 validation on its own (failures then are §3.6 ones)."""
    if not isinstance(data, dict):
        return False
    try:
        parse_object(data)
    except InvalidObject:
        return False
    return True


@dataclass(slots=True)
class _Prior:
    """The versions of one id stored before an add-objects request, as its poster sees them."""

    visible: set[str]  # version keys the poster may read
    hidden: bool = False  # whether any other version is stored


def _status_entries(
    objects: list[Any],
    principal: Principal,
    ctx: NodeContext,
    prior: dict[str, _Prior],
    *,
    whole: str | None,
    refused: dict[str, str],
    rejected: dict[str, str],
) -> list[StatusEntry]:
    """One §4.3.1 status-details per posted object; see ``_STATUS_ADDED`` and its siblings.

    ``whole`` is why the whole envelope was rejected, if it was; ``refused`` and ``rejected``
    say, by position, why an object was kept out before the ingest and by the ingest.
    """
    readable: dict[tuple[str, str | None, tuple[str, ...]], bool] = {}
    repeated = Counter(_id_of(data) for data in objects)
    accepted: dict[str, set[str]] = {}  # version keys stored earlier in this envelope
    entries = []
    for index, data in enumerate(objects):
        oid, version = _id_of(data), _version_of(data)
        known = prior.get(oid)
        position = f"objects[{index}]"
        reason = whole or refused.get(position)
        if reason is None and position in rejected:
            reason = rejected[position]
            # Valid on its own, so a §3.6 error: it may quote a version hidden from the poster.
            if known is not None and known.hidden and _is_valid(data):
                reason = _STATUS_HIDDEN_CONFLICT
        if reason is not None:
            entries.append(StatusEntry(oid, version, "failed", reason))
            continue
        facts = _posted_facts(data)
        memo = (facts.type, facts.created_by_ref, facts.marking_refs)
        if memo not in readable:
            readable[memo] = is_allowed(decide(facts, principal, ctx))
        # Versions of this id the poster may read: stored ones and their own, just posted.
        seen = (known.visible if known is not None else set()) | accepted.get(oid, set())
        key = ""
        if seen or repeated[oid] > 1:
            key = parse_object(data).version_key
            accepted.setdefault(oid, set()).add(key)
        # §5.5: an exact duplicate of a stored object is a success, not an error.
        if not readable[memo]:
            entry = StatusEntry(oid, version, "added", _STATUS_HIDDEN)
        elif key in seen:
            entry = StatusEntry(oid, version, "duplicate", _STATUS_DUPLICATE)
        else:
            message = _STATUS_NEW_VERSION if seen else _STATUS_ADDED
            entry = StatusEntry(oid, version, "added", message)
        entries.append(entry)
    return entries


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
        agreements: Callable[[], Sequence[Agreement]] = tuple,
        signer: Signer | None = None,
    ) -> None:
        self._agreements = agreements
        self._signer = signer
        self._store = store
        self._tokens = tokens
        self._statuses = statuses
        self._clock = clock
        self._collections = tuple(collections) or DEFAULT_COLLECTIONS
        self._node_org = node_org_id(org_name)
        self._default_marking = default_marking
        self._new_id = new_id

    def context(self) -> NodeContext:
        """The node context: node org, community (orgs with tokens or agreements), agreements."""
        return node_context(
            node_org=self._node_org,
            tokens=self._tokens,
            agreements=self._agreements(),
            default_marking=self._default_marking,
            now_us=self._clock.now_us(),
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
                if collection is not None and not collection.holds(item):
                    continue
                if principal.role is Role.PARTNER and _echo(item, principal.org):
                    continue
                allow = visibility.decision(item)
                if allow is not None:
                    visible.append(
                        self._outbound(item, allow) if principal.role is Role.PARTNER else item
                    )
                if len(visible) == query.limit:
                    more = index < len(page.items) - 1 or page.more
                    return Page(tuple(visible), item.date_added_us if more else None)
            if page.next_cursor is None:
                return Page(tuple(visible), None)
            cursor = page.next_cursor
        return Page(tuple(visible), cursor)

    def _outbound(self, version: StoredVersion, allow: Allow) -> StoredVersion:
        """What a partner receives of an allowed version: redacted and signed as needed.

        A redacted copy is signed by this node and names the original it derives from; an
        original this node created is signed by it (architecture §2: verifiable provenance).
        Ed25519 signatures are deterministic, so the same version always reads the same.
        """
        signer = self._signer
        ours = signer is not None and version.created_by_ref == signer.org_id
        if not (allow.redact or allow.anonymise or ours):
            # Nothing to remove and nothing of ours to sign: the stored bytes, undecoded.
            return version
        obj = version.to_json()
        copy = redacted_copy(obj, allow)
        if copy is not None:
            # Redaction never depends on having a signer; signing the copy does.
            signed = copy if signer is None else signer.sign(copy, derived_from_of(obj))
        elif signer is not None and ours and not _carries_signature(obj):
            signed = signer.sign(obj)
        else:
            return version
        return replace(version, raw_json=orjson.dumps(signed))

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
        refused: dict[str, str] = {}
        for index, data in enumerate(objects):
            position = f"objects[{index}]"
            if not isinstance(data, dict):
                candidates.append(Candidate(source, position, None, "not a JSON object"))
            elif collection.types and data.get("type") not in collection.types:
                refused[position] = "this collection does not hold objects of this type"
            else:
                candidates.append(Candidate(source, position, data))
        ctx = self.context()
        prior = self._stored_before(objects, principal, ctx)
        provenance = Provenance(SourceKind.USER, str(collection.id), principal.id)
        ingest = IngestService(self._store, self._clock, principal=principal.id)
        summary = ingest.ingest_candidates(candidates, provenance, source=source)
        whole = next((r.reason for r in summary.rejected if not r.position), None)
        rejected = {r.position: r.reason for r in summary.rejected if r.position}
        entries = _status_entries(
            objects, principal, ctx, prior, whole=whole, refused=refused, rejected=rejected
        )
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

    def _stored_before(
        self, objects: list[Any], principal: Principal, ctx: NodeContext
    ) -> dict[str, _Prior]:
        """The stored versions of the ids in ``objects``, split by what ``principal`` may read."""
        ids = list(dict.fromkeys(oid for data in objects if (oid := _id_of(data))))
        visibility = Visibility(principal, ctx)
        prior: dict[str, _Prior] = {}
        for start in range(0, len(ids), _IDS_PER_LOOKUP):
            query = ObjectQuery(
                ids=tuple(ids[start : start + _IDS_PER_LOOKUP]),
                versions=(VersionFilter.ALL.value,),
                limit=1000,
            )
            for item in self._store.iter_all(query):
                known = prior.setdefault(item.id, _Prior(set()))
                if visibility.allows(item):
                    known.visible.add(item.version)
                else:
                    known.hidden = True
        return prior

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
