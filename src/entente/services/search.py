"""Search and correlation: find a value, a word or a filtered set, and where else a value occurs.

Every result goes through the one sharing policy (``services.visibility.Visibility``): a
version the reader may not see is neither returned nor counted, and paging resumes after the
last version *returned*, so neither counts, order nor cursors tell a reader about what it may
not see. When the reader is shown a copy with some content left out (an agreement's
redaction, a granular marking), the match is checked again on that copy: a search never
answers "yes" about a value or a word the reader cannot read.

Correlation reads the value index (``store.search_values``): for each value of an object,
the versions that hold it, O(occurrences) with no pairs; a value held by more than ``cap``
visible objects is reported as common, not expanded (MISP's pairwise correlation tables grew
to 291 GB for 4.9 GB of events). Entities with an equal name or alias are listed as possibly
the same, never merged.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from entente.errors import InvalidInput, InvalidObject, ObjectNotFound
from entente.services.visibility import Release, Visibility
from entente.sharing import NodeContext, Principal
from entente.stix import is_valid_id, parse_timestamp, timestamp_us_from_key
from entente.store import ObjectStore, Probe, SearchFilter, SearchIndex, SourceKind, StoredVersion
from entente.store.search_values import (
    NAMED_TYPES,
    index_entries,
    probes_for,
    render_key,
    text_of,
    tokens_of,
)

__all__ = [
    "COMMON_CAP",
    "Correlation",
    "Occurrence",
    "SearchPage",
    "SearchRequest",
    "SearchService",
    "ValueCorrelation",
    "classify_query",
    "decode_search_cursor",
    "describe_correlation",
    "describe_occurrence",
    "encode_search_cursor",
    "parse_instant",
    "request_fingerprint",
]

# A value held by more objects than this is "common" (a sinkhole, a CDN, a public resolver):
# reported with the cap, not expanded.
COMMON_CAP = 1000
# Candidates read per round trip while filling a page past versions the reader may not see.
_BATCH = 500
# Value kinds correlation follows (labels are filters; names are "possibly the same").
_VALUE_KINDS = frozenset({"ipv4", "ipv6", "domain", "url", "email", "hash", "ja3", "ja3s", "ja4"})


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What an analyst asks: a query (a value, an id or words) and filters, all ANDed.

    ``query`` is classified by :func:`classify_query` (a STIX id finds the object and the
    objects that refer to it, such as its sightings); ``value`` and ``text`` force one
    reading; ``ids`` are the objects themselves. ``added_*_us`` bound ``date_added``;
    ``modified_*`` are STIX timestamps as version keys (nine fraction digits), inclusive.
    """

    query: str | None = None
    value: str | None = None
    text: str | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    creators: tuple[str, ...] = ()
    markings: tuple[str, ...] = ()
    added_after_us: int | None = None
    added_before_us: int | None = None
    modified_after: str | None = None
    modified_before: str | None = None
    all_versions: bool = False


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Versions the reader may see (as shown to it), and where the next page starts."""

    items: tuple[StoredVersion, ...]
    next_cursor: int | None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One other object that holds a value, as the reader may see it."""

    id: str
    type: str
    source_kind: str
    source_name: str
    created_by_ref: str | None
    date_added_us: int


@dataclass(frozen=True, slots=True)
class ValueCorrelation:
    """Where one value of the object occurs elsewhere; ``common``: more than the cap."""

    kind: str
    key: str
    occurrences: tuple[Occurrence, ...]
    common: bool


@dataclass(frozen=True, slots=True)
class Correlation:
    """Where an object's values appear elsewhere, its sightings, and same-named entities."""

    id: str
    type: str
    values: tuple[ValueCorrelation, ...]
    sightings: tuple[Occurrence, ...]
    possibly_same: tuple[Occurrence, ...] = field(default=())


def classify_query(
    query: str,
) -> tuple[tuple[str, ...], tuple[Probe, ...], tuple[tuple[str, ...], ...]]:
    """(ids, value probes, full-text phrases) of what was typed: a STIX id is an id; an
    address, block, URL, e-mail address, hash or dotted domain is a value; else words."""
    text = query.strip()
    if not text:
        raise InvalidInput("the search query is empty")
    if is_valid_id(text):
        return (text,), (), ()
    looks_like_value = any(c in text for c in ".:@/") or len(text) in (32, 40, 56, 64, 96, 128)
    if looks_like_value and " " not in text:
        probes = probes_for(text)
        if probes:
            return (), tuple(probes), ()
    return (), (), _phrases(text)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_instant(text: str, name: str) -> str:
    """A date (``2024-05-01``: its midnight UTC) or a STIX timestamp (§3.2) as a version key
    (nine fraction digits); ``InvalidInput`` naming ``name`` otherwise."""
    value = f"{text}T00:00:00Z" if _DAY.fullmatch(text) else text
    try:
        return parse_timestamp(value, name).key
    except InvalidObject as exc:
        raise InvalidInput(
            f"{name}: {text!r} is not a date (YYYY-MM-DD) or a STIX timestamp ({exc.reason})"
        ) from None


def search_request(
    *,
    query: str | None = None,
    value: str | None = None,
    text: str | None = None,
    ids: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    creators: Sequence[str] | None = None,
    markings: Sequence[str] | None = None,
    added_after: str | None = None,
    added_before: str | None = None,
    modified_after: str | None = None,
    modified_before: str | None = None,
    all_versions: bool = False,
    spell: Callable[[str], str] = lambda name: name,
) -> SearchRequest:
    """The request of a caller's parameters as typed (dates as text); ``spell`` names a
    parameter as that caller writes it (``--added-after`` on the command line) in errors."""

    def instant(text: str | None, name: str) -> str | None:
        return None if text is None else parse_instant(text, spell(name))

    after, before = instant(added_after, "added_after"), instant(added_before, "added_before")
    return SearchRequest(
        query=query,
        value=value,
        text=text,
        ids=tuple(ids or ()),
        types=tuple(types or ()),
        labels=tuple(labels or ()),
        sources=tuple(sources or ()),
        creators=tuple(creators or ()),
        markings=tuple(markings or ()),
        added_after_us=None if after is None else timestamp_us_from_key(after),
        added_before_us=None if before is None else timestamp_us_from_key(before),
        modified_after=instant(modified_after, "modified_after"),
        modified_before=instant(modified_before, "modified_before"),
        all_versions=all_versions,
    )


def request_fingerprint(request: SearchRequest) -> str:
    """A digest of everything a request selects on: a cursor is valid for that request only."""
    return hashlib.sha256(repr(request).encode("utf-8")).hexdigest()[:32]


def encode_search_cursor(after_us: int, fingerprint: str) -> str:
    """An opaque CLI cursor (the operator sees everything, so it need not be sealed; the REST
    API seals its cursors with ``entente.taxii.encode_cursor``)."""
    raw = f"{fingerprint[:16]}.{after_us}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_search_cursor(token: str, fingerprint: str) -> int:
    """The position a CLI cursor resumes after; ``InvalidInput`` if it is not one of this
    request's cursors."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        digest, _, after = raw.partition(".")
        position = int(after)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{token!r} is not a search cursor") from None
    if digest != fingerprint[:16] or position < 0:
        raise InvalidInput("the cursor belongs to another search (same query and filters only)")
    return position


def _phrases(text: str) -> tuple[tuple[str, ...], ...]:
    phrases = tuple(tuple(tokens_of(word)) for word in text.split())
    phrases = tuple(p for p in phrases if p)
    if not phrases:
        raise InvalidInput(f"{text!r} holds no word to search for (letters or digits)")
    return phrases


def _in_probes(entries: Sequence[tuple[str, str]], probes: Sequence[Probe]) -> bool:
    return any(kind == p.kind and p.low <= key <= p.high for kind, key in entries for p in probes)


def _has_phrases(body: str, phrases: Sequence[Sequence[str]]) -> bool:
    padded = f" {body} "
    return all(f" {' '.join(p)} " in padded for p in phrases)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _still_matches(release: Release, where: SearchFilter) -> bool:
    """Whether the copy the reader is shown matches: the index holds the words of labels,
    not the labels themselves, and what it matched in a stored original may be redacted
    from the copy."""
    copy: Mapping[str, Any] | None = None
    if where.labels:
        copy = release.version.to_json()
        labels = {label.casefold() for label in _strings(copy.get("labels"))}
        if any(label not in labels for label in where.labels):
            return False
    if release.original is None:
        return True  # shown whole: what the index matched is what the reader reads
    if copy is None:
        copy = release.version.to_json()
    if where.probes and not _in_probes(index_entries(copy), where.probes):
        return False
    if where.related and copy.get("id") not in where.related:
        refs = {key for kind, key in index_entries(copy) if kind == "ref"}
        if not refs & set(where.related):
            return False
    if where.words and not _has_phrases(text_of(copy), where.words):
        return False
    if where.creators and copy.get("created_by_ref") not in where.creators:
        return False
    return not where.markings or bool(
        set(where.markings) & set(_strings(copy.get("object_marking_refs")))
    )


def _occurrence(version: StoredVersion) -> Occurrence:
    return Occurrence(
        id=version.id,
        type=version.type,
        source_kind=version.provenance.source_kind.value,
        source_name=version.provenance.source_name,
        created_by_ref=version.created_by_ref,
        date_added_us=version.date_added_us,
    )


class SearchService:
    """Search and correlation over the indexes, through the sharing policy."""

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

    def filter_of(self, request: SearchRequest) -> SearchFilter:
        """The store filter for a request; ``InvalidInput`` when it asks for nothing valid."""
        ids: tuple[str, ...] = tuple(request.ids)
        probes: tuple[Probe, ...] = ()
        words: tuple[tuple[str, ...], ...] = ()
        related: tuple[str, ...] = ()
        if request.query is not None:
            # An id typed as the query finds the object and what refers to it (its sightings).
            related, probes, words = classify_query(request.query)
        if request.value is not None:
            found = probes_for(request.value)
            if not found:
                raise InvalidInput(
                    f"{request.value!r} is not an IP address, CIDR block, domain, URL, "
                    "e-mail address or hash"
                )
            probes += tuple(found)
        if request.text is not None:
            words += _phrases(request.text)
        for oid in ids + related:
            if not is_valid_id(oid):
                raise InvalidInput(f"{oid!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
        return SearchFilter(
            probes=probes,
            words=words,
            ids=ids,
            related=related,
            types=request.types,
            labels=tuple(label.casefold() for label in request.labels),
            sources=request.sources,
            creators=request.creators,
            markings=request.markings,
            added_after_us=request.added_after_us,
            added_before_us=request.added_before_us,
            modified_after=request.modified_after,
            modified_before=request.modified_before,
            last_only=not request.all_versions,
        )

    def search(
        self,
        principal: Principal | None,
        request: SearchRequest,
        *,
        after_us: int | None = None,
        limit: int = 50,
    ) -> SearchPage:
        """One page of the versions matching ``request`` that ``principal`` may see, oldest
        first; ``after_us`` is the previous page's ``next_cursor``."""
        if limit < 1:
            raise InvalidInput("limit must be at least 1")
        where = self.filter_of(request)
        visibility = Visibility(principal, self._context())
        found: list[StoredVersion] = []
        for release in self._released(where, visibility, after_us):
            found.append(release.version)
            if len(found) > limit:
                break
        more = len(found) > limit
        items = tuple(found[:limit])
        # The cursor is the date_added of the last version returned, never of one withheld.
        return SearchPage(items, items[-1].date_added_us if more else None)

    def _released(
        self, where: SearchFilter, visibility: Visibility, after_us: int | None
    ) -> Iterator[Release]:
        position = after_us
        while True:
            batch = self._index.candidates(where, position, _BATCH)
            for version in batch:
                release = visibility.release(version)
                if release is not None and _still_matches(release, where):
                    yield release
            if len(batch) < _BATCH:
                return
            position = batch[-1].date_added_us

    def _visible_latest(self, object_id: str, visibility: Visibility) -> Release:
        try:
            versions = self._store.get_versions(object_id, ("all",))
        except ObjectNotFound:
            versions = []
        for version in reversed(versions):
            release = visibility.release(version)
            if release is not None:
                return release
        # The same answer whether it does not exist or may not be seen.
        raise ObjectNotFound(f"no object {object_id} is visible")

    def _holders(
        self, kind: str, key: str, visibility: Visibility, cap: int, skip: str
    ) -> tuple[tuple[Occurrence, ...], bool]:
        """Other objects the reader may see that hold (kind, key), latest each; capped."""
        probe = (Probe(kind, key, key),)
        seen: dict[str, Occurrence] = {}
        position: int | None = None
        # The first read asks for no more than the cap needs (the object itself and one past
        # the cap); a summary of a common value then reads 52 rows, not 500.
        size = min(_BATCH, cap + 2)
        while True:
            batch = self._index.occurrences(kind, key, position, size)
            for version in batch:
                if version.id == skip:
                    continue
                release = visibility.release(version)
                if release is None or (
                    release.original is not None
                    and not _in_probes(index_entries(release.version.to_json()), probe)
                ):
                    continue
                seen[version.id] = _occurrence(version)
                if len(seen) > cap:
                    return (), True
            if len(batch) < size:
                break
            position = batch[-1].date_added_us
            size = _BATCH
        return tuple(seen.values()), False

    def correlate(
        self, principal: Principal | None, object_id: str, *, cap: int = COMMON_CAP
    ) -> Correlation:
        """Where the values of ``object_id`` (as the reader sees it) occur in other objects,
        the sightings of it, and same-named entities; ``ObjectNotFound`` if not visible."""
        if not is_valid_id(object_id):
            raise InvalidInput(f"{object_id!r} is not a STIX id (type--uuid, STIX 2.1 §2.9)")
        if cap < 1:
            raise InvalidInput("the fan-out cap must be at least 1")
        return self._correlate(Visibility(principal, self._context()), object_id, cap)

    def correlate_each(
        self, principal: Principal | None, object_ids: Sequence[str], *, cap: int = COMMON_CAP
    ) -> dict[str, Correlation]:
        """``correlate`` of each id, decided under one node context (a page of results);
        an id the reader may not see (or invalid) is left out."""
        if cap < 1:
            raise InvalidInput("the fan-out cap must be at least 1")
        visibility = Visibility(principal, self._context())
        found: dict[str, Correlation] = {}
        for object_id in object_ids:
            if not is_valid_id(object_id):
                continue
            try:
                found[object_id] = self._correlate(visibility, object_id, cap)
            except ObjectNotFound:
                continue
        return found

    def _correlate(self, visibility: Visibility, object_id: str, cap: int) -> Correlation:
        shown = self._visible_latest(object_id, visibility)
        obj = shown.version.to_json()
        entries = index_entries(obj)
        values = []
        for kind, key in entries:
            if kind in _VALUE_KINDS:
                holders, common = self._holders(kind, key, visibility, cap, object_id)
                values.append(ValueCorrelation(kind, key, holders, common))
        sightings, _ = self._holders("ref", object_id, visibility, cap, object_id)
        same: dict[str, Occurrence] = {}
        if shown.version.type in NAMED_TYPES:
            for kind, key in entries:
                if kind == "name":
                    holders, _ = self._holders(kind, key, visibility, cap, object_id)
                    for holder in holders:
                        if holder.type in NAMED_TYPES:
                            same.setdefault(holder.id, holder)
        return Correlation(
            id=object_id,
            type=shown.version.type,
            values=tuple(values),
            sightings=tuple(s for s in sightings if s.type == "sighting"),
            possibly_same=tuple(same.values()),
        )


def describe_occurrence(occurrence: Occurrence) -> dict[str, Any]:
    """An occurrence as JSON (REST and ``--json``)."""
    return {
        "id": occurrence.id,
        "type": occurrence.type,
        "source_kind": occurrence.source_kind,
        "source_name": occurrence.source_name,
        "partner": occurrence.source_kind == SourceKind.PARTNER.value,
        "created_by_ref": occurrence.created_by_ref,
        "date_added_us": occurrence.date_added_us,
    }


def describe_correlation(correlation: Correlation) -> dict[str, Any]:
    """A correlation as JSON (REST and ``--json``)."""
    return {
        "id": correlation.id,
        "type": correlation.type,
        "values": [
            {
                "kind": value.kind,
                "value": render_key(value.kind, value.key),
                "common": value.common,
                "count": None if value.common else len(value.occurrences),
                "occurrences": [describe_occurrence(o) for o in value.occurrences],
            }
            for value in correlation.values
        ],
        "sightings": [describe_occurrence(o) for o in correlation.sightings],
        "possibly_same": [describe_occurrence(o) for o in correlation.possibly_same],
    }
