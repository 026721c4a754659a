"""What one reader may see of each stored version: ``decide`` on its facts, and the copy shown.

Every read path (TAXII, REST, feeds and exports, matching, sync) asks a ``Visibility`` for
each stored version: the one sharing policy (``entente.sharing.decide``) says whether it may
be shown and what must be left out of it (an agreement's redactions, an anonymised sighting,
content under a granular marking the reader may not see); ``release`` makes that copy and
withholds the version whole when the copy would no longer be a valid STIX object.

``release`` is also where reads are audited (issue 14, item 3): each release of content above
TLP:CLEAR is noted in the request's ``ReadNotes`` (``services.audit_reads``), when the request
keeps any; the request's edge writes them as one audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from entente.services.audit_reads import ReaderReads, current_notes
from entente.sharing import (
    Allow,
    NodeContext,
    Principal,
    VersionFacts,
    decide,
    effective_tlp,
    is_shareable,
    redacted_copy,
)
from entente.stix import GranularMarking
from entente.stix.markings import Tlp
from entente.store import Provenance, SourceKind, StoredVersion

__all__ = ["Release", "Visibility", "facts_of", "is_third_party", "version_facts"]

# Kinds of local provenance under which an object without created_by_ref was authored on this
# node (posted by one of its principals, made by its matching, built in), as opposed to read
# from a file or a feed someone else wrote.
_AUTHORED_HERE = frozenset({SourceKind.USER, SourceKind.MATCHING, SourceKind.BUILTIN})


def is_third_party(version: StoredVersion, node_org: str) -> bool:
    """Whether this node holds ``version`` only because it ingested someone else's content.

    Not for what a partner sent (its agreement's onward rules apply to that). A version is
    this node's own when its org created it and stored it: a version naming this node's org
    as creator that an outsider stored (before the ownership rules refused that) is not.
    Without a creator, it is its own only when authored here by its own org; content read
    from files and feeds without a creator is someone else's (fail closed).
    """
    return _is_third_party(version.created_by_ref, version.provenance, node_org)


def _is_third_party(created_by_ref: str | None, provenance: Provenance, node_org: str) -> bool:
    if provenance.source_kind is SourceKind.PARTNER:
        return False
    stored_by_node = provenance.org is None or provenance.org == node_org
    if created_by_ref is not None:
        return not (created_by_ref == node_org and stored_by_node)
    return not (provenance.source_kind in _AUTHORED_HERE and stored_by_node)


def version_facts(version: StoredVersion, node_org: str) -> VersionFacts:
    """What the sharing policy needs about one stored version: markings and provenance."""
    return facts_of(
        object_id=version.id,
        object_type=version.type,
        created_by_ref=version.created_by_ref,
        marking_refs=version.marking_refs,
        granular=version.granular_markings,
        provenance=version.provenance,
        node_org=node_org,
    )


def facts_of(
    *,
    object_id: str,
    object_type: str,
    created_by_ref: str | None,
    marking_refs: tuple[str, ...],
    granular: tuple[GranularMarking, ...],
    provenance: Provenance,
    node_org: str,
) -> VersionFacts:
    """``version_facts`` from the facts alone (what the dashboard's counter cells keep)."""
    received = provenance.source_kind is SourceKind.PARTNER
    return VersionFacts(
        id=object_id,
        type=object_type,
        created_by_ref=created_by_ref,
        marking_refs=marking_refs,
        # Sync records the sending partner's org as the principal (services.federation).
        received_from_org=provenance.principal if received else None,
        received_under=provenance.agreement if received else None,
        granular=granular,
        third_party=_is_third_party(created_by_ref, provenance, node_org),
    )


@dataclass(frozen=True, slots=True)
class Release:
    """A version as one reader is shown it, and the policy's answer that let it through."""

    version: StoredVersion
    allow: Allow
    # The stored object, when what is shown is a copy without some of it (``derived_from``
    # of a signed redacted copy names it).
    original: dict[str, Any] | None = None


class Visibility:
    """Whether each stored version may be shown to one principal: ``decide`` with a memo.

    The policy's answer depends on the facts ``version_facts`` takes from a version other than
    its id, so versions that share type, creator, markings, granular markings and provenance
    share the answer; a page of a thousand versions then needs a handful of decisions. The
    property tests of every read surface against the policy oracle cover this memo.
    """

    __slots__ = ("_audited", "_ctx", "_memo", "_principal", "_reads")

    def __init__(self, principal: Principal | None, ctx: NodeContext) -> None:
        self._principal = principal
        self._ctx = ctx
        self._memo: dict[tuple[Any, ...], Allow | None] = {}
        # Per memo key: whether a release is audited (content above TLP:CLEAR).
        self._audited: dict[tuple[Any, ...], bool] = {}
        # Where the request's audit notes keep this reader's releases, found once here: a
        # page of a thousand versions then costs a list append per audited version.
        notes = current_notes() if principal is not None else None
        self._reads: ReaderReads | None = (
            None if notes is None or principal is None else notes.reads_of(principal)
        )

    @property
    def principal(self) -> Principal | None:
        """Whom this visibility is for (``None``: the public)."""
        return self._principal

    @staticmethod
    def _key(version: StoredVersion) -> tuple[Any, ...]:
        provenance = version.provenance
        return (
            version.type,
            version.created_by_ref,
            version.marking_refs,
            version.granular_markings,
            provenance.source_kind,
            provenance.principal,
            provenance.agreement,
            provenance.org,
        )

    def _decide(self, key: tuple[Any, ...], version: StoredVersion) -> Allow | None:
        if key in self._memo:
            return self._memo[key]
        decision = decide(version_facts(version, self._ctx.node_org), self._principal, self._ctx)
        allow = decision if isinstance(decision, Allow) else None
        self._memo[key] = allow
        return allow

    def decision(self, version: StoredVersion) -> Allow | None:
        """The policy's Allow for ``version`` and this principal, or None if it is denied."""
        return self._decide(self._key(version), version)

    def release(self, version: StoredVersion) -> Release | None:
        """``version`` as this principal may see it, or ``None`` when it may not see it.

        Nothing to leave out: the stored version itself (its bytes are not decoded). Else a
        copy without it, or ``None`` when that copy would not be valid STIX 2.1 (a property
        its type requires is under a granular marking the reader may not see): withheld.
        """
        key = self._key(version)
        released = self._release(key, version)
        reads = self._reads
        if released is not None and reads is not None:
            audited = self._audited.get(key)
            if audited is None:
                audited = self._audited[key] = self._audit(reads, version, released.allow)
            if audited:
                reads.add(version.id)
        return released

    def _release(self, key: tuple[Any, ...], version: StoredVersion) -> Release | None:
        """``release`` without noting the read."""
        allow = self._decide(key, version)
        if allow is None:
            return None
        if not (allow.redact or allow.anonymise or allow.strip):
            return Release(version, allow)
        obj = version.to_json()
        copy = redacted_copy(obj, allow)
        if copy is None:
            return Release(version, allow)
        if not is_shareable(copy):
            return None
        return Release(version.with_raw_json(orjson.dumps(copy)), allow, obj)

    def _audit(self, reads: ReaderReads, version: StoredVersion, allow: Allow) -> bool:
        """Whether releases with ``version``'s facts are audited; if so, note their level and
        agreements once (every version with the same memo key shares them)."""
        if version.type == "marking-definition":
            # The markings themselves (STIX 2.1 §7.2) say how to share, not what is shared.
            return False
        ctx = self._ctx
        level = effective_tlp(
            version.marking_refs,
            ctx.default_marking,
            known_statement_markings=ctx.known_statement_markings,
        )
        # Allowed, so no marking is unknown and there is a level; fail closed all the same.
        if level is Tlp.CLEAR:
            return False
        reads.raise_level(Tlp.RED if level is None else level, allow.agreements)
        return True

    def allows(self, version: StoredVersion) -> bool:
        """Whether this principal may see ``version`` (some copy of it); a question, not a
        read: it is not audited."""
        return self._release(self._key(version), version) is not None
