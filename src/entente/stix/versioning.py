"""STIX 2.1 versioning rules (§3.6): is a candidate a new version, a duplicate, a correction
by its creator, or a violation?

§3.6 lets only the creator version an object, keeps ``created`` fixed, gives each version a
``modified`` later than the one before, and ends an object's history at ``revoked``. Real
publishers break these rules while fixing their own data: MITRE's Mobile ATT&CK 17.0 -> 17.1
added ``x_mitre_deprecated`` to 1,329 objects without bumping ``modified``, published later
versions of revoked objects, changed ``created`` of a few, and rewrote its copyright
marking-definition in place. Rejecting those leaves a node serving stale intelligence; so
when the caller has established that the candidate comes from the object's own creator
(``from_creator``), such a break is a *correction*: it is stored, and what it replaces is
kept in history. Anything else that breaks §3.6 is still rejected.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from entente.errors import VersioningError
from entente.stix.markings import tlp_of
from entente.stix.objects import StixObject

__all__ = ["Correction", "Judgement", "VersionVerdict", "check_version", "judge_version"]


class VersionVerdict(enum.StrEnum):
    """What storing a candidate object would mean."""

    NEW = "new"
    DUPLICATE = "duplicate"
    # A version from the object's creator that §3.6 would refuse: see ``Correction``.
    CORRECTION = "correction"


class Correction(enum.StrEnum):
    """How a creator's correction breaks §3.6."""

    # Other content under an (id, modified) already held, or for an unversioned object (a
    # marking-definition, an SCO): it takes the place of the held content.
    CONTENT = "content"
    # A ``created`` other than the version it follows.
    CREATED = "created"
    # A later version of a revoked object, itself still revoked.
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on a candidate; for a correction, its kind and whether it replaces."""

    verdict: VersionVerdict
    correction: Correction | None = None
    # True when the candidate takes the place of a held version with the same version key
    # (that version moves to history); False when it is stored beside the held ones.
    replaces: bool = False


_NEW = Judgement(VersionVerdict.NEW)
_DUPLICATE = Judgement(VersionVerdict.DUPLICATE)


def check_version(candidate: StixObject, stored: Sequence[StixObject]) -> VersionVerdict:
    """Judge ``candidate`` against all stored versions of its id under §3.6 alone."""
    return judge_version(candidate, stored, from_creator=False).verdict


def judge_version(
    candidate: StixObject, stored: Sequence[StixObject], *, from_creator: bool
) -> Judgement:
    """Judge ``candidate`` against the stored versions of its id (oldest first).

    ``from_creator``: the caller has established that the candidate comes from the object's
    creator (same ``created_by_ref`` posted by a principal allowed to speak for it, or a copy
    signed by the creator), so a §3.6 break it makes is a correction rather than an error.
    ``created_by_ref`` itself is never corrected: a version naming another creator is not
    the creator's.
    """
    object_id = candidate.id
    if not stored:
        return _NEW
    for old in stored:
        if old.type != candidate.type:  # ids embed the type, so this is a store mix-up
            raise VersioningError(
                f"type cannot change between versions ({old.type} -> {candidate.type})",
                "type",
                object_id,
            )
    if not candidate.is_versioned:
        return _judge_unversioned(candidate, stored, from_creator=from_creator)
    key = candidate.version_key
    same = [old for old in stored if old.version_key == key]
    if any(old.raw == candidate.raw for old in same):
        return _DUPLICATE
    first = stored[0]
    if candidate.created_by_ref != first.created_by_ref:
        raise VersioningError(
            f"only the creator may version an object (§3.6): stored created_by_ref "
            f"{first.created_by_ref!r}, got {candidate.created_by_ref!r}",
            "created_by_ref",
            object_id,
        )
    if same:
        if not from_creator:
            raise VersioningError(
                "a different object with the same id and modified is already stored (§3.6)",
                "modified",
                object_id,
            )
        if any(old.revoked for old in stored if old.version_key <= key) and not candidate.revoked:
            raise VersioningError(
                "object was revoked; a correction cannot withdraw the revocation (§3.6)",
                "revoked",
                object_id,
            )
        return Judgement(VersionVerdict.CORRECTION, Correction.CONTENT, replaces=True)
    if any(old.revoked and old.version_key < key for old in stored):
        if not (from_creator and candidate.revoked):
            raise VersioningError(
                "object was revoked; revoked objects take no new versions (§3.6), except "
                "from their creator and only if they stay revoked",
                "revoked",
                object_id,
            )
        return Judgement(VersionVerdict.CORRECTION, Correction.REVOKED)
    # After a correction of ``created`` the versions disagree; the one the candidate follows
    # (else the oldest) is what the publisher last said.
    before = [old for old in stored if old.version_key < key]
    reference = before[-1] if before else first
    if candidate.created != reference.created:
        if not from_creator:
            raise VersioningError(
                f"created must stay the same across versions (§3.6): stored "
                f"{reference.created.text if reference.created else None}, got "
                f"{candidate.created.text if candidate.created else None}",
                "created",
                object_id,
            )
        return Judgement(VersionVerdict.CORRECTION, Correction.CREATED)
    return _NEW


def _judge_unversioned(
    candidate: StixObject, stored: Sequence[StixObject], *, from_creator: bool
) -> Judgement:
    """Marking-definitions and SCOs have one content per id (§3.6)."""
    if any(old.raw == candidate.raw for old in stored):
        return _DUPLICATE
    creators = {old.created_by_ref for old in stored}
    # The TLP definitions are fixed by the specification (§7.2.1.4, TLP 2.0 extension): no
    # publisher corrects them.
    if from_creator and tlp_of(candidate.id) is None and creators == {candidate.created_by_ref}:
        return Judgement(VersionVerdict.CORRECTION, Correction.CONTENT, replaces=True)
    what = "marking-definitions" if candidate.type == "marking-definition" else "SCOs"
    raise VersioningError(
        f"a different object with this id is already stored; {what} are not versioned (§3.6)",
        "",
        candidate.id,
    )
