"""Ingest use case: validate candidates, apply the versioning rules, store atomically per document.

A document (a bundle, a MISP export, a feed file) is one transaction: objects that break
STIX 2.1 are rejected one by one with their position and reason while their valid siblings go
in; a document that breaks mid-way (broken JSON, an I/O error) is rolled back whole, so a
bundle is never half-applied. A dry run does all of it in a transaction it then rolls back:
its summary is what the ingest would store, and nothing is stored.
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from entente.clock import Clock
from entente.errors import EntenteError, InvalidInput, InvalidObject, VersioningError
from entente.ingest import Candidate, Document, DocumentKind, Finding, value_label
from entente.stix import (
    Judgement,
    StixObject,
    VersionVerdict,
    format_timestamp_us,
    granular_markings_of,
    judge_version,
    parse_object,
    timestamp_us_from_key,
)
from entente.store import (
    NewVersion,
    ObjectStore,
    Provenance,
    SourceKind,
    StoredVersion,
    StoreTransaction,
)

__all__ = ["IngestService", "IngestSummary", "LeftOutValue", "Rejection", "Screened"]

_log = logging.getLogger(__name__)

# Properties that an object Entente derives from a feed value sets to the ingest time; a
# re-ingest that differs only in them is the same intelligence, not a new version.
_DERIVED_VOLATILE = frozenset({"created", "modified", "valid_from"})


@dataclass(frozen=True, slots=True)
class Rejection:
    """One object (or whole document) that was not stored, and why."""

    source: str
    position: str
    id: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The rejection as architecture §6 prints it."""
        return {
            "source": self.source,
            "position": self.position,
            "id": self.id,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class LeftOutValue:
    """A value found in free text that the review left out (``entente.ingest.review``)."""

    source: str
    position: str
    type: str
    value: str
    finding: Finding

    def to_json(self) -> dict[str, Any]:
        """The left-out value with its reason, list, block or domain."""
        return {
            "source": self.source,
            "position": self.position,
            "type": self.type,
            "value": self.value,
        } | self.finding.to_json()


@dataclass(slots=True)
class IngestSummary:
    """Counts of one or more ingests (architecture §6 ``entente ingest --json``)."""

    added: int = 0
    duplicates: int = 0
    new_versions: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    # Versions stored as their creator's corrections (``stix.versioning``), counted apart
    # from new versions, and by the §3.6 rule each broke.
    corrected: int = 0
    corrections: dict[str, int] = field(default_factory=dict)
    # Different signed contents for one (id, modified) from a partner: stored or rejected
    # by the rules above, and reported here whatever became of them.
    equivocations: list[Rejection] = field(default_factory=list)
    # Position -> correction kind of each correction, for per-object statuses (TAXII §4.3.1).
    corrected_at: dict[str, str] = field(default_factory=dict, repr=False)
    # Objects a snapshot withdrew (``IngestService.ingest_document``), or why it withdrew none.
    withdrawn: int = 0
    snapshot_note: str | None = None
    # Values of free text the review left out (warninglists, own addresses), not stored.
    left_out: list[LeftOutValue] = field(default_factory=list)

    def left_out_by_reason(self) -> dict[str, int]:
        """How many values were left out for each reason (``warninglist``, ``own network``)."""
        counts: dict[str, int] = {}
        for item in self.left_out:
            reason = item.finding.reason.value
            counts[reason] = counts.get(reason, 0) + 1
        return dict(sorted(counts.items()))

    def merge(self, other: IngestSummary) -> None:
        """Add ``other``'s counts and rejections to this summary."""
        self.added += other.added
        self.duplicates += other.duplicates
        self.new_versions += other.new_versions
        self.rejected.extend(other.rejected)
        self.corrected += other.corrected
        for kind, count in other.corrections.items():
            self.corrections[kind] = self.corrections.get(kind, 0) + count
        self.equivocations.extend(other.equivocations)
        self.corrected_at.update(other.corrected_at)
        self.withdrawn += other.withdrawn
        self.snapshot_note = other.snapshot_note or self.snapshot_note
        self.left_out.extend(other.left_out)

    def to_json(self) -> dict[str, Any]:
        """The summary as one JSON document."""
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "new_versions": self.new_versions,
            "corrected": self.corrected,
            "corrections": dict(sorted(self.corrections.items())),
            "withdrawn": self.withdrawn,
            "rejected": [r.to_json() for r in self.rejected],
            "equivocations": [e.to_json() for e in self.equivocations],
            "left_out": [v.to_json() for v in self.left_out],
        } | ({"snapshot": self.snapshot_note} if self.snapshot_note else {})


@dataclass(frozen=True, slots=True)
class Screened:
    """What a sync screen lets through: the object, and what it established about it."""

    obj: StixObject
    # Signed by its creator: a §3.6 break it makes is the creator's correction.
    from_creator: bool = False
    # Why this is an equivocation (two signed contents for one (id, modified)), if it is.
    equivocation: str | None = None


# Sees a parsed object and the versions held of it; see ``IngestService.ingest_candidates``.
Screen = Callable[[StixObject, Sequence[StixObject]], Screened | None]
# Sees a parsed object and the stored versions of it (with their provenance) and raises
# ``VersioningError`` when its poster may not store it (``services.ownership``).
OwnershipCheck = Callable[[StixObject, Sequence[StoredVersion]], None]


class IngestService:
    """Stores candidates from readers under the STIX 2.1 validation and versioning rules."""

    def __init__(
        self,
        store: ObjectStore,
        clock: Clock,
        principal: str,
        batch_size: int = 5000,
        *,
        ownership: OwnershipCheck | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._principal = principal
        self._batch_size = batch_size
        # The ownership rules for what a local principal posts (``None``: sync, whose inbound
        # screen applies the partner rules instead).
        self._ownership = ownership

    def ingest_document(
        self,
        document: Document,
        progress: Callable[[int], None] | None = None,
        *,
        snapshot: bool = False,
        dry_run: bool = False,
    ) -> IngestSummary:
        """Ingest one document atomically; a broken document is rejected whole.

        ``dry_run``: the summary of what the ingest would do, with nothing stored (module
        docstring).

        ``snapshot``: the document is its source's complete current content (a publisher's
        release): objects whose latest version came from the same source name and that it no
        longer holds are withdrawn in the same transaction, their versions kept in history
        (``ObjectStore.history``). Nothing is withdrawn when an object of the document could
        not be read, as its id would be unknown.
        """
        kind = SourceKind.FEED if document.kind is DocumentKind.FEED else SourceKind.FILE
        provenance = Provenance(kind, document.source_name, self._principal)
        return self.ingest_candidates(
            document.candidates,
            provenance,
            source=document.source,
            progress=progress,
            snapshot=snapshot,
            dry_run=dry_run,
        )

    def ingest_candidates(
        self,
        candidates: Iterable[Candidate],
        provenance: Provenance,
        *,
        source: str,
        progress: Callable[[int], None] | None = None,
        screen: Screen | None = None,
        snapshot: bool = False,
        dry_run: bool = False,
    ) -> IngestSummary:
        """Ingest ``candidates`` in one transaction; see the module docstring.

        ``screen`` (sync from partners) sees each parsed object with the versions held of it
        before the versioning rules: it returns the object to store (``Screened``: whether
        its creator signed it, whether it is an equivocation), ``None`` for one already held,
        or raises ``InvalidObject``/``VersioningError`` to reject it. Without a screen, a
        version is its creator's when the ownership rules let its poster store it and it
        names the same ``created_by_ref`` as the versions held.
        """
        summary = IngestSummary()
        present: set[str] = set()
        unidentified = 0
        try:
            with _few_gc_passes(), self._store.transaction() as txn:
                for chunk in _batched(iter(candidates), self._batch_size):
                    if snapshot:
                        for candidate in chunk:
                            if candidate.left_out:
                                # Not held by the snapshot as far as this node stores it; no
                                # unknown id either.
                                continue
                            oid = None if candidate.data is None else candidate.data.get("id")
                            if isinstance(oid, str):
                                present.add(oid)
                            else:
                                unidentified += 1
                    self._ingest_chunk(txn, chunk, provenance, summary, screen)
                    if progress is not None:
                        progress(len(chunk))
                if snapshot:
                    self._withdraw_absent(txn, provenance, present, unidentified, summary)
                if dry_run:
                    # Later objects of the document were judged against the earlier ones
                    # written in this transaction, as a real ingest judges them; only now is
                    # everything undone.
                    raise _DryRunDone
        except _DryRunDone:
            pass
        except InvalidInput as exc:
            # The transaction rolled back: nothing of this document is stored.
            return IngestSummary(
                rejected=[Rejection(source, "", None, f"document rejected whole: {exc}")]
            )
        return summary

    @staticmethod
    def _withdraw_absent(
        txn: StoreTransaction,
        provenance: Provenance,
        present: set[str],
        unidentified: int,
        summary: IngestSummary,
    ) -> None:
        """Withdraw what the source held before and its snapshot no longer holds."""
        if unidentified:
            summary.snapshot_note = (
                f"nothing withdrawn: {unidentified} object(s) of the snapshot had no readable "
                "id, so what it no longer holds is unknown"
            )
            return
        absent = [
            oid for oid in txn.latest_from_source(provenance.source_name) if oid not in present
        ]
        if absent:
            txn.withdraw(absent)
        summary.withdrawn += len(absent)

    def _ingest_chunk(
        self,
        txn: StoreTransaction,
        chunk: list[Candidate],
        provenance: Provenance,
        summary: IngestSummary,
        screen: Screen | None = None,
    ) -> None:
        parsed: list[tuple[Candidate, StixObject]] = []
        for candidate in chunk:
            if candidate.left_out:
                summary.left_out.append(_left_out(candidate))
                continue
            if candidate.data is None:
                summary.rejected.append(
                    Rejection(
                        candidate.source, candidate.position, None, candidate.error or "unreadable"
                    )
                )
                continue
            try:
                parsed.append((candidate, parse_object(candidate.data)))
            except InvalidObject as exc:
                summary.rejected.append(_rejection(candidate, exc.object_id, exc))
            except EntenteError:
                raise
            except Exception as exc:  # one object's failure is that object's alone
                summary.rejected.append(_unexpected(candidate, None, exc))
        if not parsed:
            return
        ids = list(dict.fromkeys(obj.id for _, obj in parsed))
        stored = txn.versions_of(ids)
        # For the ownership rules, what corrections replaced counts as held: an object's
        # first-stored version stays its first even when a correction replaced its content.
        replaced = txn.replaced_of(ids) if self._ownership is not None else {}
        history: dict[str, list[StixObject]] = {}
        writes: list[tuple[NewVersion, Provenance]] = []
        corrections: list[tuple[NewVersion, Provenance, str]] = []
        for candidate, parsed_obj in parsed:
            obj = parsed_obj
            versions = history.get(obj.id)
            if versions is None:
                held = stored.get(obj.id)
                versions = [_restore(v) for v in held] if held else []
                history[obj.id] = versions
            try:
                if candidate.derived and versions:
                    rebased = self._rebase_derived(obj, versions)
                    if rebased is None:
                        summary.duplicates += 1
                        continue
                    obj = rebased
                from_creator = False
                judgement = None
                if screen is not None:
                    screened = screen(obj, versions)
                    if screened is None:
                        summary.duplicates += 1
                        continue
                    obj, from_creator = screened.obj, screened.from_creator
                    if screened.equivocation is not None:
                        summary.equivocations.append(
                            Rejection(
                                candidate.source,
                                candidate.position,
                                obj.id,
                                screened.equivocation,
                            )
                        )
                elif self._ownership is not None and not _is_duplicate(obj, versions):
                    judgement = self._judge_posted(
                        obj, versions, [*stored.get(obj.id, ()), *replaced.get(obj.id, ())]
                    )
                if judgement is None:
                    judgement = judge_version(obj, versions, from_creator=from_creator)
                new = None if judgement.verdict is VersionVerdict.DUPLICATE else _new_version(obj)
            except (VersioningError, InvalidObject) as exc:
                summary.rejected.append(_rejection(candidate, obj.id, exc))
                continue
            except EntenteError:
                raise
            except Exception as exc:  # one object's failure is that object's alone
                # Whatever else fails on one object (its serialisation, a validator's limits)
                # rejects it alone, with the reason; its siblings are stored (the issue's
                # "bad input cannot stop the node").
                summary.rejected.append(_unexpected(candidate, obj.id, exc))
                continue
            if new is None:
                summary.duplicates += 1
                continue
            if judgement.correction is not None:
                kind = judgement.correction.value
                summary.corrected += 1
                summary.corrections[kind] = summary.corrections.get(kind, 0) + 1
                summary.corrected_at[candidate.position] = kind
            elif versions:
                summary.new_versions += 1
            else:
                summary.added += 1
            if judgement.replaces:
                key = obj.version_key
                versions[:] = [v for v in versions if v.version_key != key]
                corrections.append((new, provenance, judgement.correction or "content"))
            else:
                writes.append((new, provenance))
            versions.append(obj)
            versions.sort(key=lambda v: v.version_key)
        # New versions first: a correction may replace one written by this very chunk.
        if writes:
            txn.insert(writes)
        if corrections:
            txn.correct(corrections)

    def _judge_posted(
        self, obj: StixObject, versions: list[StixObject], held: Sequence[StoredVersion]
    ) -> Judgement:
        """The verdict on what a local principal posted: §3.6, ownership, then corrections.

        A §3.6 violation is reported as such when the poster may not store the object
        either (the reason it has always been given); when the ownership rules let the
        poster store it and it names the creator of the held versions, it comes from that
        creator and a §3.6 break is its correction (issue: publisher corrections).
        """
        ownership = self._ownership
        assert ownership is not None
        try:
            judgement = judge_version(obj, versions, from_creator=False)
        except VersioningError as violation:
            try:
                ownership(obj, held)
            except VersioningError:
                raise violation from None
            from_creator = bool(versions) and versions[0].created_by_ref == obj.created_by_ref
            if not from_creator:
                raise
            return judge_version(obj, versions, from_creator=True)
        if judgement.verdict is not VersionVerdict.DUPLICATE:
            ownership(obj, held)
        return judgement

    def _rebase_derived(self, obj: StixObject, versions: list[StixObject]) -> StixObject | None:
        """Re-ingest of a feed value: ``None`` if unchanged, else a proper next version."""
        latest = max(versions, key=lambda v: v.version_key)
        if _without_volatile(latest.raw) == _without_volatile(obj.raw):
            return None
        raw = dict(obj.raw)
        first = min(versions, key=lambda v: v.version_key)
        raw["created"] = first.raw["created"]  # §3.6: created never changes across versions
        now_us = self._clock.now_us()
        # Rounded down, +1 ms is still strictly after the latest version (§3.6).
        latest_us = timestamp_us_from_key(latest.version_key)
        raw["modified"] = format_timestamp_us(max(now_us, latest_us + 1000))
        return parse_object(raw)


class _DryRunDone(Exception):
    """Raised inside a dry run's transaction to roll it back once its summary is complete."""


# Objects parsed from JSON are acyclic and die young: reference counting frees them, and the
# cyclic collector's default (a pass every 700 net allocations) only rescans survivors; it
# cost a quarter of ingest time (bench/ingest.py). Passes are made rarer during an ingest
# and the previous thresholds restored after it.
_INGEST_GC_THRESHOLD = 200_000


@contextmanager
def _few_gc_passes() -> Iterator[None]:
    """Raise the cyclic GC's generation-0 threshold for the duration of the block."""
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], _INGEST_GC_THRESHOLD), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _is_duplicate(obj: StixObject, versions: Sequence[StixObject]) -> bool:
    """Whether exactly this object is held already (anyone may send a copy again)."""
    if not obj.is_versioned:
        return any(old.raw == obj.raw for old in versions)
    key = obj.version_key
    return any(old.version_key == key and old.raw == obj.raw for old in versions)


def _without_volatile(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in _DERIVED_VOLATILE}


def _left_out(candidate: Candidate) -> LeftOutValue:
    """The record of a value the review left out (``Candidate.left_out``)."""
    value, verdict = candidate.value, candidate.verdict
    # The reader sets both on every value it reviews; a value is left out for a finding.
    assert value is not None and verdict is not None and verdict.finding is not None
    return LeftOutValue(
        candidate.source, candidate.position, value_label(value.type), value.value, verdict.finding
    )


def _rejection(
    candidate: Candidate, object_id: str | None, exc: InvalidObject | VersioningError
) -> Rejection:
    if object_id is None and candidate.data is not None:
        raw_id = candidate.data.get("id")
        object_id = raw_id if isinstance(raw_id, str) else None
    reason = f"{exc.field}: {exc.reason}" if exc.field else exc.reason
    return Rejection(candidate.source, candidate.position, object_id, reason)


def _unexpected(candidate: Candidate, object_id: str | None, exc: Exception) -> Rejection:
    """The rejection of an object something failed on unexpectedly; logged with its trace."""
    _log.warning(
        "%s %s: object could not be processed", candidate.source, candidate.position, exc_info=exc
    )
    if object_id is None and candidate.data is not None:
        raw_id = candidate.data.get("id")
        object_id = raw_id if isinstance(raw_id, str) else None
    reason = f"could not be processed ({type(exc).__name__}: {exc})"
    return Rejection(candidate.source, candidate.position, object_id, reason[:500])


def _restore(version: StoredVersion) -> StixObject:
    """A stored version as a StixObject, for the versioning rules."""
    return parse_object(version.to_json())


def _new_version(obj: StixObject) -> NewVersion:
    return NewVersion(
        id=obj.id,
        type=obj.type,
        spec_version=obj.spec_version,
        version=obj.version_key,
        created=obj.created.key if obj.created else None,
        modified=obj.modified.key if obj.modified else None,
        created_by_ref=obj.created_by_ref,
        revoked=obj.revoked,
        marking_refs=obj.object_marking_refs,
        raw_json=orjson.dumps(obj.raw),
        granular_markings=granular_markings_of(obj.raw),
        content=obj.raw,
    )


def _batched(items: Iterator[Candidate], size: int) -> Iterator[list[Candidate]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk
