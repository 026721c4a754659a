"""Typed, frozen records that cross the store boundary (architecture §2: object, provenance)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from entente.stix.markings import GranularMarking

__all__ = [
    "NewVersion",
    "ObjectQuery",
    "Page",
    "Provenance",
    "ReplacedVersion",
    "SourceKind",
    "StoreStats",
    "StoredVersion",
    "VersionFilter",
]


class SourceKind(enum.StrEnum):
    """Where a stored version came from."""

    FILE = "file"
    FEED = "feed"
    USER = "user"
    PARTNER = "partner"
    BUILTIN = "builtin"
    # Made by this node from its own logs (sightings of ``entente match``/``hunt``). Stored as
    # text like every kind, so adding one needs no migration.
    MATCHING = "matching"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where one stored version came from and who put it here (architecture §2)."""

    source_kind: SourceKind
    source_name: str
    principal: str
    agreement: str | None = None
    # The org (STIX identity id) of the principal that stored it: an API token's org, the
    # sending partner's org. ``None`` for this node's own operator: the CLI, the feeds it
    # reads, its matching and built-ins.
    org: str | None = None


@dataclass(frozen=True, slots=True)
class NewVersion:
    """One object version about to be written.

    ``version`` is the version key: the canonical instant of ``modified`` for versioned
    objects, of ``created`` for marking-definitions, ``""`` for SCOs (STIX 2.1 §3.6: neither
    is versioned). Timestamp keys are ``YYYY-MM-DDTHH:MM:SS.fffffffffZ`` (nine fraction
    digits) so that text order is instant order; ``raw_json`` is the object as received.
    """

    id: str
    type: str
    spec_version: str
    version: str
    created: str | None
    modified: str | None
    created_by_ref: str | None
    revoked: bool
    marking_refs: tuple[str, ...]
    raw_json: bytes
    # Its granular markings that name a marking-definition (language ones restrict nothing).
    granular_markings: tuple[GranularMarking, ...] = ()
    # The object already parsed, when the writer has it: the search index reads it instead
    # of parsing ``raw_json`` again (``store.search_index``). Not compared: same raw, same object.
    content: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One stored object version with its provenance and ``date_added`` (TAXII 2.1 §3.2)."""

    id: str
    type: str
    spec_version: str
    version: str
    created: str | None
    modified: str | None
    created_by_ref: str | None
    revoked: bool
    marking_refs: tuple[str, ...]
    raw_json: bytes
    date_added_us: int
    provenance: Provenance
    granular_markings: tuple[GranularMarking, ...] = ()
    # Whether it is the first / the last version of its object held here (by version key),
    # as the store knew when it was read or written: a snapshot, so not part of equality.
    is_first: bool = field(default=False, compare=False)
    is_last: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The object as it was ingested, as a JSON value."""
        value: dict[str, Any] = orjson.loads(self.raw_json)
        return value

    def with_raw_json(self, raw_json: bytes) -> StoredVersion:
        """This version with other bytes (a signed or redacted copy as served).

        ``dataclasses.replace`` without its field introspection, which a page of a thousand
        copies pays a thousand times; a test checks that every other field is kept.
        """
        return StoredVersion(
            self.id,
            self.type,
            self.spec_version,
            self.version,
            self.created,
            self.modified,
            self.created_by_ref,
            self.revoked,
            self.marking_refs,
            raw_json,
            self.date_added_us,
            self.provenance,
            self.granular_markings,
            self.is_first,
            self.is_last,
        )


@dataclass(frozen=True, slots=True)
class ReplacedVersion:
    """A stored version that a correction by its creator replaced, kept as history."""

    # As it was stored and served, with its provenance and its own date_added.
    version: StoredVersion
    replaced_us: int
    # The date_added of the version that took its place; None when the object was withdrawn.
    replaced_by_us: int | None
    # Which §3.6 rule the correction broke (``stix.versioning.Correction`` value), or
    # ``"withdrawn"``: a snapshot of the source it came from no longer held it.
    correction: str


class VersionFilter(enum.StrEnum):
    """Which versions of each object a query returns (TAXII 2.1 §3.4.3 ``match[version]``)."""

    FIRST = "first"
    LAST = "last"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class ObjectQuery:
    """A query over stored versions, paged by ``date_added`` (stable: it strictly increases).

    ``versions`` is ``VersionFilter`` values and/or exact version keys, combined with OR.
    ``added_after_us`` excludes versions added at or before that instant; ``after_cursor``
    continues a previous page (it is that page's ``next_cursor``).

    ``policy_variants`` (with ``first``/``last``): also the other versions of an object whose
    facts the sharing policy reads (markings, granular markings, creator, provenance) differ
    from those of its first/last version. A reader's first/last *visible* version (TAXII 2.1
    §3.4.3 as seen through the policy) is then among the rows returned: a version with the
    same facts as the last one is visible exactly when the last one is.

    ``raw=False`` reads everything but the objects themselves (``raw_json`` is empty): what
    the sharing policy needs to decide, without reading the content of versions it hides.
    """

    types: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    versions: tuple[str, ...] = (VersionFilter.LAST,)
    spec_versions: tuple[str, ...] = ()
    added_after_us: int | None = None
    after_cursor: int | None = None
    limit: int = 100
    policy_variants: bool = False
    raw: bool = True


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a query; ``next_cursor`` is set when more results follow."""

    items: tuple[StoredVersion, ...]
    next_cursor: int | None

    @property
    def more(self) -> bool:
        """Whether another page follows (TAXII 2.1 envelope ``more``)."""
        return self.next_cursor is not None


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What the store holds: distinct objects, versions, and objects per type."""

    objects: int
    versions: int
    by_type: dict[str, int] = field(default_factory=dict)
