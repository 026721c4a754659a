"""TAXII use cases: collections, policy-filtered reads, add-objects with status, delete.

What a caller may see is what ``Visibility`` (the one sharing policy) releases to it, and the
protocol lets it infer nothing more (the issue's "no inference through the protocol"):

* ``more`` is true only when another version the caller may see follows;
* ``match[version]=first|last`` are the first/last versions the caller may see, not the
  first/last stored (a newer hidden version changes nothing the caller is shown);
* one object's versions are read with one store query whether the object is absent or
  hidden, and "not found" is the same answer for both;
* a status names, of the versions already stored, only those its poster may read.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

import orjson

from entente.clock import Clock
from entente.errors import (
    InvalidInput,
    InvalidObject,
    ObjectNotFound,
    PermissionDenied,
    UnderLegalHold,
)
from entente.federation import PublicKey
from entente.ingest import Candidate
from entente.services.collections import DEFAULT_COLLECTIONS, CollectionDef, collection_uuid
from entente.services.ingest import IngestService
from entente.services.legal_holds import HeldBy
from entente.services.ownership import OwnershipScreen
from entente.services.statement_markings import StatementMarkings
from entente.services.tokens import org_identity_id
from entente.services.visibility import Release, Visibility, version_facts
from entente.sharing import (
    Agreement,
    NodeContext,
    Principal,
    Role,
    VersionFacts,
    WriteContext,
    decide,
    is_allowed,
)
from entente.stix import Tlp, Unreadable, parse_object
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
    "Visibility",
    "collection_uuid",
    "node_context",
    "node_org_id",
    "principal_of",
    "version_facts",
]

# Statuses are kept at least 24 hours (§4.3 gives no period; clients poll soon after a POST).
STATUS_RETENTION_US = 2 * 86_400 * 1_000_000
# The most store rows one query of a read examines once past its first query (a reader who
# may see little of the store is answered after fewer, larger queries).
_SCAN_ROWS = 5000
# The most versions of one object a read of that object examines.
_MAX_VERSIONS = 100_000

# §4.3.1 status-details ``message`` of each object of an add-objects request. They are chosen
# from what the poster may read only: versions of the same id that the policy hides from them
# are treated as absent, so a status never reveals that such a version exists, nor its content.
_STATUS_ADDED = "added"
_STATUS_NEW_VERSION = "new version"
_STATUS_DUPLICATE = "duplicate: this version was already stored"
# A version its creator corrected (entente.stix.versioning): the kind is appended.
_STATUS_CORRECTED = "corrected by its creator; what it replaces stays in history"
# The posted version itself is hidden from the poster: stored, whether new or a duplicate.
_STATUS_HIDDEN = "stored; the sharing policy does not let you read this version"
# Replaces the reason a valid object was refused when versions of its id are hidden from the
# poster: a §3.6 error quotes the stored version (its created, created_by_ref, revoked), and
# an ownership refusal names its owner. The poster's own object conflicts; nothing more is said.
_STATUS_HIDDEN_CONFLICT = "conflicts with a stored version of this object (STIX 2.1 §3.6)"
# How many ids one look-up of the versions already stored names.
_IDS_PER_LOOKUP = 500


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
    statement_markings: frozenset[str] = frozenset(),
) -> NodeContext:
    """The policy's view of this node: its org, its community, its agreements and the time.

    The community (TLP:GREEN's boundary) is every org that holds a token here or is party to
    an agreement, and the node's own org. ``statement_markings`` are the statement
    marking-definitions the node holds (``services.statement_markings``): known markings.
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
        known_statement_markings=statement_markings,
    )


def principal_of(token: ApiToken) -> Principal:
    """The principal an API token stands for (tokens are never individuals)."""
    return Principal(id=token.token_id, org=token.org, role=Role(token.role), is_individual=False)


class Signer(Protocol):
    """Signs what this node sends partners (``services.node_signer.NodeSigner``)."""

    @property
    def org_id(self) -> str:
        """The org the signatures are made for."""
        ...

    def sign_copies(
        self, copies: Sequence[Mapping[str, Any]], originals: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Redacted copies with this node's signature, each naming its original."""
        ...

    def sign_own(self, versions: Sequence[StoredVersion]) -> list[StoredVersion]:
        """This org's own versions with its signature (kept ones attached, not re-made)."""
        ...

    def seal_added_after(self, store: ObjectStore, after_us: int | None) -> int:
        """Sign once (and keep) this org's versions stored after ``after_us``."""
        ...


def _echo(version: StoredVersion, org: str) -> bool:
    """Whether this version came to us from that partner org itself.

    The policy allows sending it back (it discloses nothing), but a partner pulling from us
    would download everything it ever sent us to find what is new. It holds all of it: it
    sent it. (What it created but another node relayed to us is still served.)
    """
    provenance = version.provenance
    return provenance.source_kind is SourceKind.PARTNER and provenance.principal == org


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


def _posted_facts(data: dict[str, Any], node_org: str, poster: Principal) -> VersionFacts:
    """The policy facts of a posted object once stored (it passed validation) by ``poster``."""
    creator = data.get("created_by_ref")
    refs = data.get("object_marking_refs")
    creator = creator if isinstance(creator, str) else None
    posted_here = poster.org == node_org
    return VersionFacts(
        id=_id_of(data),
        type=str(data.get("type")),
        created_by_ref=creator,
        marking_refs=tuple(r for r in refs if isinstance(r, str)) if isinstance(refs, list) else (),
        # As services.visibility.is_third_party judges a version posted by ``poster``.
        third_party=not posted_here or (creator is not None and creator != node_org),
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
    corrected: Mapping[str, str] | None = None,
) -> list[StatusEntry]:
    """One §4.3.1 status-details per posted object; see ``_STATUS_ADDED`` and its siblings.

    ``whole`` is why the whole envelope was rejected, if it was; ``refused`` and ``rejected``
    say, by position, why an object was kept out before the ingest (for what the posted
    object is, whatever is stored) and by the ingest; ``corrected`` which objects the ingest
    stored as their creator's corrections (named only where the poster may read what the
    correction replaced).
    """
    corrected = corrected or {}
    readable: dict[tuple[str, str | None, tuple[str, ...], bool], bool] = {}
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
            # Valid on its own, so refused for what is stored: a §3.6 error may quote a
            # version hidden from the poster, an ownership refusal names the owner.
            if known is not None and known.hidden and _is_valid(data):
                reason = _STATUS_HIDDEN_CONFLICT
        if reason is not None:
            entries.append(StatusEntry(oid, version, "failed", reason))
            continue
        facts = _posted_facts(data, ctx.node_org, principal)
        memo = (facts.type, facts.created_by_ref, facts.marking_refs, facts.third_party)
        if memo not in readable:
            readable[memo] = is_allowed(decide(facts, principal, ctx))
        # Versions of this id the poster may read: stored ones and their own, just posted.
        seen = (known.visible if known is not None else set()) | accepted.get(oid, set())
        key = ""
        if seen or repeated[oid] > 1:
            key = parse_object(data).version_key
            accepted.setdefault(oid, set()).add(key)
        # §5.5: an exact duplicate of a stored object is a success, not an error.
        kind = corrected.get(position)
        if not readable[memo]:
            entry = StatusEntry(oid, version, "added", _STATUS_HIDDEN)
        elif kind is not None and (key in seen or (seen and kind != "content")):
            entry = StatusEntry(oid, version, "added", f"{_STATUS_CORRECTED} ({kind})")
        elif key in seen:
            entry = StatusEntry(oid, version, "duplicate", _STATUS_DUPLICATE)
        else:
            message = _STATUS_NEW_VERSION if seen else _STATUS_ADDED
            entry = StatusEntry(oid, version, "added", message)
        entries.append(entry)
    return entries


@dataclass(frozen=True, slots=True)
class _Selection:
    """Which versions of each object a read wants (TAXII 2.1 §3.4.3 ``match[version]``)."""

    all: bool
    first: bool
    last: bool
    exact: frozenset[str]

    @classmethod
    def of(cls, versions: Sequence[str]) -> _Selection:
        wanted = set(versions) if versions else {VersionFilter.LAST.value}
        return cls(
            all=VersionFilter.ALL.value in wanted,
            first=VersionFilter.FIRST.value in wanted,
            last=VersionFilter.LAST.value in wanted,
            exact=frozenset(wanted - {v.value for v in VersionFilter}),
        )

    @property
    def extremes(self) -> bool:
        """Whether first or last (of what the reader may see) is asked for."""
        return not self.all and (self.first or self.last)

    def settled(self, version: StoredVersion) -> bool:
        """Whether a shown version is selected without looking at the object's other versions.

        A shown version flagged first (last) of all stored is the first (last) shown.
        """
        if self.all or version.version in self.exact:
            return True
        return (self.first and version.is_first) or (self.last and version.is_last)

    def needs_others(self, version: StoredVersion) -> bool:
        """Whether deciding on a shown version needs the object's other versions."""
        return self.extremes and not self.settled(version)

    def chosen(self, version: StoredVersion, shown_keys: Sequence[str]) -> bool:
        """Whether a shown version is selected, given the keys of every shown version."""
        if self.settled(version):
            return True
        if not shown_keys:
            return False
        return (self.first and version.version == min(shown_keys)) or (
            self.last and version.version == max(shown_keys)
        )


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
        partner_keys: Callable[[], Mapping[str, PublicKey]] = dict,
        holds: Callable[[str], Sequence[HeldBy]] = lambda _object_id: (),
    ) -> None:
        self._agreements = agreements
        # The legal holds preserving an object (``LegalHolds.holds_on``); none by default.
        self._holds = holds
        self._signer = signer
        self._store = store
        self._tokens = tokens
        self._statuses = statuses
        self._clock = clock
        self._collections = tuple(collections) or DEFAULT_COLLECTIONS
        self._node_org = node_org_id(org_name)
        self._default_marking = default_marking
        self._new_id = new_id
        self._partner_keys = partner_keys
        self._statements = StatementMarkings(store)

    def context(self) -> NodeContext:
        """The node context: node org, community (orgs with tokens or agreements), agreements."""
        return node_context(
            node_org=self._node_org,
            tokens=self._tokens,
            agreements=self._agreements(),
            default_marking=self._default_marking,
            now_us=self._clock.now_us(),
            statement_markings=self._statements(),
        )

    def ownership(self, principal: Principal) -> OwnershipScreen:
        """The ownership rules for what ``principal`` writes (with the partner keys held now)."""
        keys = dict(self._partner_keys())
        ctx = WriteContext(node_org=self._node_org, partner_orgs=frozenset(keys))
        return OwnershipScreen(principal, ctx, keys)

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

    def check_write(self, collection: CollectionDef | None, principal: Principal) -> None:
        """``PermissionDenied`` unless the principal may add objects (to the collection).

        Routes call it before reading a request body: a caller who may not write gets 403
        without the node reading, let alone parsing, what it sent.
        """
        if principal.role not in (Role.ADMIN, Role.ANALYST) and collection is None:
            raise PermissionDenied("objects may be added by admins and analysts")
        if collection is not None and not collection.may_write(principal):
            raise PermissionDenied("this collection may not be written with this role")

    # -- reads -----------------------------------------------------------------------------

    def _shown(
        self, collection: CollectionDef | None, principal: Principal, visibility: Visibility
    ) -> Callable[[StoredVersion], Release | None]:
        """What a read shows of each stored version: in the collection, not an echo, released."""
        partner = principal.role is Role.PARTNER

        def shown(item: StoredVersion) -> Release | None:
            if collection is not None and not collection.holds(item):
                return None
            if partner and _echo(item, principal.org):
                return None
            return visibility.release(item)

        return shown

    def _types(self, collection: CollectionDef | None, types: tuple[str, ...]) -> tuple[str, ...]:
        if collection is None or not collection.types:
            return types
        return tuple(sorted(collection.types.intersection(types) if types else collection.types))

    def read(
        self, collection: CollectionDef | None, principal: Principal, query: ObjectQuery
    ) -> Page:
        """Up to ``query.limit`` versions the principal may see, and the cursor after them.

        Store rows are examined in ``date_added`` order until ``limit`` versions are shown and
        one more is found to follow (so ``more`` is true only when a version the principal may
        see follows), or the rows run out. ``next_cursor`` then continues right before that
        next shown version: every row in between was examined and is not shown to them.
        With ``first``/``last`` a version is selected when it is the first/last of its
        object's versions the principal is shown.
        """
        self._check_read(collection, principal)
        types = self._types(collection, query.types)
        if collection is not None and collection.types and not types:
            return Page(items=(), next_cursor=None)
        selection = _Selection.of(query.versions)
        shown = self._shown(collection, principal, Visibility(principal, self.context()))
        scan = replace(
            query,
            types=types,
            policy_variants=selection.extremes,
            # The first query is the size of the page plus the one row that tells "more".
            limit=query.limit + 1,
        )
        items: list[Release] = []
        examined = 0
        cursor = query.after_cursor
        while True:
            page = self._store.query(replace(scan, after_cursor=cursor))
            rows = page.items
            # Versions whose selection needs their object's other versions (first/last of
            # what the principal sees): the rare rows ``policy_variants`` added, looked up
            # together.
            unsettled = [row.id for row in rows if not selection.settled(row)]
            others = self._shown_keys(sorted(set(unsettled)), shown) if unsettled else {}
            for row in rows:
                examined += 1
                release = shown(row)
                if release is None:
                    continue
                if unsettled and not selection.chosen(row, others.get(row.id, ())):
                    continue
                if len(items) == query.limit:
                    # The next version shown exists: continue right before it.
                    return Page(self._outbound(items), row.date_added_us - 1)
                items.append(release)
            if page.next_cursor is None:
                return Page(self._outbound(items), None)
            cursor = page.next_cursor
            # Ask for about as many rows as the share shown so far says are still needed.
            needed = query.limit + 1 - len(items)
            share = max(len(items), 1) / examined
            scan = replace(scan, limit=min(_SCAN_ROWS, max(needed, int(needed / share * 1.2) + 8)))

    def _shown_keys(
        self, ids: Sequence[str], shown: Callable[[StoredVersion], Release | None]
    ) -> dict[str, list[str]]:
        """The version keys shown of each of ``ids``, all of its stored versions considered."""
        keys: dict[str, list[str]] = {}
        for item in self._every_version(ids):
            if shown(item) is not None:
                keys.setdefault(item.id, []).append(item.version)
        return keys

    def _every_version(self, ids: Sequence[str]) -> Iterator[StoredVersion]:
        """Every stored version of each of ``ids``, looked up a few hundred ids at a time."""
        for start in range(0, len(ids), _IDS_PER_LOOKUP):
            query = ObjectQuery(
                ids=tuple(ids[start : start + _IDS_PER_LOOKUP]),
                versions=(VersionFilter.ALL.value,),
                limit=1000,
            )
            yield from self._store.iter_all(query)

    def read_object(
        self,
        collection: CollectionDef | None,
        principal: Principal,
        object_id: str,
        query: ObjectQuery,
    ) -> Page:
        """The versions of one object the principal may see, selected and paged as ``query``.

        One store query reads what the policy needs of every version of the object (not
        their content), and only then is the content of the versions shown read: an object
        that does not exist and one the principal may not see cost the same work and get the
        same ``ObjectNotFound``. The versions shown are selected among themselves
        (``first``/``last`` are the first/last shown).
        """
        self._check_read(collection, principal)
        everything = ObjectQuery(
            ids=(object_id,), versions=(VersionFilter.ALL.value,), limit=_MAX_VERSIONS
        )
        visibility = Visibility(principal, self.context())
        partner = principal.role is Role.PARTNER
        keys = [
            row.version
            for row in self._store.query(replace(everything, raw=False)).items
            if (collection is None or collection.holds(row))
            and not (partner and _echo(row, principal.org))
            and visibility.decision(row) is not None
        ]
        if not keys:
            raise ObjectNotFound(f"no object {object_id}")
        rows = self._store.query(replace(everything, versions=tuple(keys))).items
        shown = self._shown(collection, principal, visibility)
        released = [(row, release) for row in rows if (release := shown(row)) is not None]
        if not released:
            # Allowed by the policy, but withheld whole (no valid copy without what it hides).
            raise ObjectNotFound(f"no object {object_id}")
        types = self._types(collection, query.types)
        selection = _Selection.of(query.versions)
        keys = [row.version for row, _ in released]
        chosen = [
            release
            for row, release in released
            if selection.chosen(row, keys)
            and (not types or row.type in types)
            and (not query.spec_versions or row.spec_version in query.spec_versions)
            and (query.added_after_us is None or row.date_added_us > query.added_after_us)
            and (query.after_cursor is None or row.date_added_us > query.after_cursor)
        ]
        if len(chosen) > query.limit:
            page = self._outbound(chosen[: query.limit])
            return Page(page, page[-1].date_added_us)
        return Page(self._outbound(chosen), None)

    def _outbound(self, releases: Sequence[Release]) -> tuple[StoredVersion, ...]:
        """What a reader is sent of released versions: to partners, signed as needed.

        A copy without some of the original is signed by this node and names the original it
        derives from; an original this node's org created (not one it only ingested) carries
        its signature (architecture §2: verifiable provenance), made once and kept when the
        node makes signed batches (ADR 0025), else made now (Ed25519 is deterministic, so the
        same version always reads the same).
        """
        signer = self._signer
        out = [release.version for release in releases]
        if signer is None:
            return tuple(out)
        copies: list[int] = []
        own: list[int] = []
        for at, release in enumerate(releases):
            if not release.allow.agreements:
                continue  # local readers (only partners read under agreements): as released
            if release.original is not None:
                copies.append(at)
            elif (
                release.version.created_by_ref == signer.org_id
                and not release.allow.facts.third_party
            ):
                own.append(at)
        if copies:
            signed = signer.sign_copies(
                [releases[at].version.to_json() for at in copies],
                [cast("dict[str, Any]", releases[at].original) for at in copies],
            )
            for at, obj in zip(copies, signed, strict=True):
                out[at] = out[at].with_raw_json(orjson.dumps(obj))
        if own:
            for at, version in zip(own, signer.sign_own([out[at] for at in own]), strict=True):
                out[at] = version
        return tuple(out)

    # -- writes ----------------------------------------------------------------------------

    def add_objects(
        self, collection: CollectionDef, principal: Principal, envelope: Any
    ) -> StatusRecord:
        """Ingest a §3.7 envelope's objects into the collection and record a §4.3 status."""
        self.check_write(collection, principal)
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
            raise InvalidInput("the body must be a TAXII envelope with an 'objects' list")
        objects: list[Any] = envelope["objects"]
        entries = self.add(
            objects,
            principal,
            collection=collection,
            source=f"taxii:{collection.id}",
            source_name=str(collection.id),
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

    def add(
        self,
        objects: list[Any],
        principal: Principal,
        *,
        collection: CollectionDef | None,
        source: str,
        source_name: str,
    ) -> list[StatusEntry]:
        """Store what ``principal`` posts, one §4.3.1 status entry per object, in order.

        Provenance is bound to the poster (``entente.sharing.ownership``): an object created
        by another org is refused unless the poster is this node's admin ingesting third-party
        content, and new versions go only to the org that owns the object.
        """
        self.check_write(collection, principal)
        ownership = self.ownership(principal)
        candidates: list[Candidate] = []
        refused: dict[str, str] = {}
        for index, data in enumerate(objects):
            position = f"objects[{index}]"
            if isinstance(data, Unreadable):
                candidates.append(Candidate(source, position, None, data.reason))
            elif not isinstance(data, dict):
                candidates.append(Candidate(source, position, None, "not a JSON object"))
            elif (
                collection is not None
                and collection.types
                and (data.get("type") not in collection.types)
            ):
                refused[position] = "this collection does not hold objects of this type"
            elif (reason := ownership.creator_refusal(data)) is not None:
                refused[position] = f"created_by_ref: {reason}"
            else:
                candidates.append(Candidate(source, position, data))
        ctx = self.context()
        prior = self._stored_before(objects, principal, ctx)
        provenance = Provenance(SourceKind.USER, source_name, principal.id, org=principal.org)
        ingest = IngestService(
            self._store, self._clock, principal=principal.id, ownership=ownership
        )
        # date_added is at least the time of the write (strictly increasing per node), so
        # what this call stores was added after this instant.
        before_us = self._clock.now_us() - 1
        summary = ingest.ingest_candidates(candidates, provenance, source=source)
        if self._signer is not None and (
            summary.added or summary.new_versions or summary.corrected
        ):
            # Signed once, as one batch, when created (ADR 0025), not on every partner read.
            self._signer.seal_added_after(self._store, before_us)
        whole = next((r.reason for r in summary.rejected if not r.position), None)
        rejected = {r.position: r.reason for r in summary.rejected if r.position}
        return _status_entries(
            objects,
            principal,
            ctx,
            prior,
            whole=whole,
            refused=refused,
            rejected=rejected,
            corrected=summary.corrected_at,
        )

    def _stored_before(
        self, objects: list[Any], principal: Principal, ctx: NodeContext
    ) -> dict[str, _Prior]:
        """The stored versions of the ids in ``objects``, split by what ``principal`` may read.

        A version shown to the poster only without some of its content counts as hidden: the
        refusals a status would otherwise quote could name what was left out.
        """
        ids = list(dict.fromkeys(oid for data in objects if (oid := _id_of(data))))
        visibility = Visibility(principal, ctx)
        prior: dict[str, _Prior] = {}
        for item in self._every_version(ids):
            known = prior.setdefault(item.id, _Prior(set()))
            release = visibility.release(item)
            if release is not None and release.original is None:
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
        """Delete the matching versions the principal may see (§5.7); return how many.

        Only admins and analysts with write access delete, and only objects their org owns
        (this node's admins: any it holds): an analyst of another org deletes nothing of ours.
        Nothing a case under legal hold references is deleted (``UnderLegalHold``).
        """
        if principal.role not in (Role.ADMIN, Role.ANALYST) or not collection.may_write(principal):
            raise PermissionDenied(
                "objects may be deleted by admins and analysts with write access"
            )
        self._check_read(collection, principal)
        # §5.7: without match[version], every version of the object is deleted.
        query = ObjectQuery(
            versions=tuple(versions) or (VersionFilter.ALL.value,),
            spec_versions=tuple(spec_versions),
            limit=_MAX_VERSIONS,
        )
        page = self.read_object(collection, principal, object_id, query)
        keys = [item.version for item in page.items]
        if not keys:
            raise ObjectNotFound(f"no object {object_id}")
        held = self._store.query(
            ObjectQuery(ids=(object_id,), versions=(VersionFilter.ALL.value,), limit=_MAX_VERSIONS)
        ).items
        reason = self.ownership(principal).delete_refusal(held)
        if reason is not None:
            raise PermissionDenied(reason)
        self._check_holds(principal, object_id)
        return self._store.delete_versions(object_id, keys)

    def _check_holds(self, principal: Principal, object_id: str) -> None:
        """``UnderLegalHold`` when a hold preserves ``object_id``: naming the case, its hold
        and how to lift it to a principal who may see the case; to anyone else, only that a
        hold applies (the refusal must be given, but the case's id, name, reason and very
        existence as a case stay as hidden as the policy keeps them)."""
        held = self._holds(object_id)
        if not held:
            return
        visibility = Visibility(principal, self.context())
        for found in held:
            if visibility.allows(found.version):
                raise UnderLegalHold(
                    f"{object_id} is preserved by the legal hold on case {found.case.id} "
                    f"({found.case.name}), placed by {found.hold.placed_by}: "
                    f"{found.hold.reason}. Release the hold to delete it."
                )
        raise UnderLegalHold(f"{object_id} is preserved by a legal hold and cannot be deleted")

    # -- counts and tokens -----------------------------------------------------------------

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
