"""What a signed-in user may do to an object from its page (issue 13), written as REST does.

Every write goes through ``TaxiiService.add`` with the user's principal, as ``POST
/api/v1/objects`` does: the same validation, the ownership rules (``sharing.ownership``:
provenance bound to the poster, new versions only from the org that owns the object), the
same provenance (``SourceKind.USER``) and the same store transactions that keep the search
and dashboard indexes. This module only builds the objects:

- **revoke** and **new version** (confidence, labels, ``valid_until``, TLP marking): a new
  version of the current one (STIX 2.1 §3.6: same id and ``created``, a later ``modified``),
  offered only to the admins and analysts of the org that owns it, who see the current
  version whole (a copy without what they may not see would lose it in the new version);
- **false positive**: a sighting of an indicator with ``x_entente_false_positive: true``
  (``scoring.score`` counts it against the indicator), by the user's org, count 1;
- **note** and **opinion** (STIX 2.1 §4.9, §4.11) about the object, by the user's org, with
  the user as author.

What a user creates about an object carries the object's markings (else the node's default
marking, as ``matching.sightings`` does): it is no more widely shared than what it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from entente.clock import Clock
from entente.errors import InvalidInput, InvalidObject, ObjectNotFound, PermissionDenied
from entente.scoring import FALSE_POSITIVE_PROPERTY
from entente.services.taxii import TaxiiService
from entente.services.visibility import Release, Visibility
from entente.sharing import Principal, Role
from entente.stix import (
    Tlp,
    format_timestamp_us,
    marking_id_for,
    parse_timestamp,
    parse_tlp,
    timestamp_us_from_key,
    tlp_of,
)
from entente.store import ObjectStore, StatusEntry, StoredVersion

__all__ = [
    "OPINIONS",
    "TLP_CHOICES",
    "ActionRights",
    "ObjectActions",
    "VersionChanges",
    "parse_version_changes",
]

# STIX 2.1 §10.9 opinion-enum.
OPINIONS: Final = ("strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")
# The levels a new version may be marked with. Not TLP:RED: it is for named individuals
# only, and a version marked so from this form would name none, so nobody (its author
# included) could read it again.
TLP_CHOICES: Final = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT)
MAX_LABELS: Final = 20
MAX_TEXT: Final = 4000
_SOURCE = "ui"
_LABEL = re.compile(r"[^,\n]{1,100}")


@dataclass(frozen=True, slots=True)
class ActionRights:
    """Which of the page's forms a user gets for an object."""

    # Revoke and new version: the owner org's admins and analysts (``None``: allowed).
    version_refusal: str | None
    # Notes, opinions and false positives: any admin or analyst who sees the object.
    may_annotate: bool

    @property
    def may_version(self) -> bool:
        """Whether the user may revoke the object or add a version of it."""
        return self.version_refusal is None


@dataclass(frozen=True, slots=True)
class VersionChanges:
    """A new version's edited properties; ``None`` removes one (an empty field)."""

    confidence: int | None
    labels: tuple[str, ...] | None
    valid_until: str | None
    tlp: Tlp


def parse_version_changes(form: Mapping[str, str], object_type: str) -> VersionChanges:
    """The new-version form's fields; ``InvalidInput`` naming the first bad one."""
    raw_confidence = form.get("confidence", "").strip()
    confidence = None
    if raw_confidence:
        # STIX 2.1 §3.2 confidence: an integer 0-100.
        if not raw_confidence.isdigit() or int(raw_confidence) > 100:
            raise InvalidInput("confidence: a whole number from 0 to 100, or empty")
        confidence = int(raw_confidence)
    labels = tuple(
        dict.fromkeys(part.strip() for part in form.get("labels", "").split(",") if part.strip())
    )
    if len(labels) > MAX_LABELS or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(f"labels: at most {MAX_LABELS}, each of at most 100 characters")
    raw_until = form.get("valid_until", "").strip()
    valid_until = None
    if raw_until:
        if object_type != "indicator":
            raise InvalidInput("valid_until: only indicators have it (STIX 2.1 §4.7)")
        try:
            parse_timestamp(raw_until, "valid_until")
        except InvalidObject:
            raise InvalidInput(
                "valid_until: a STIX timestamp such as 2026-12-31T00:00:00Z"
            ) from None
        valid_until = raw_until
    try:
        tlp = parse_tlp(form.get("tlp", ""))
    except ValueError:
        tlp = None
    if tlp not in TLP_CHOICES:
        raise InvalidInput("tlp: one of " + ", ".join(level.label for level in TLP_CHOICES))
    assert tlp is not None
    return VersionChanges(confidence, labels or None, valid_until, tlp)


def _text(form: Mapping[str, str], name: str, *, required: bool) -> str:
    value = form.get(name, "").strip()
    if required and not value:
        raise InvalidInput(f"{name}: required")
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{name}: at most {MAX_TEXT} characters")
    return value


class ObjectActions:
    """Builds the page's writes and stores them through the REST write path."""

    def __init__(
        self,
        *,
        store: ObjectStore,
        writer: TaxiiService,
        clock: Clock,
        new_id: Callable[[], str],
    ) -> None:
        self._store = store
        self._writer = writer
        self._clock = clock
        self._new_id = new_id

    def default_tlp(self) -> Tlp:
        """The level unmarked objects read as on this node."""
        return self._writer.context().default_marking

    # -- what may be done ------------------------------------------------------------------

    def _held(self, principal: Principal, object_id: str) -> tuple[list[StoredVersion], Release]:
        """Every stored version, and the latest the principal may see (else ObjectNotFound)."""
        try:
            stored = self._store.get_versions(object_id, ("all",))
        except ObjectNotFound:
            stored = []
        visibility = Visibility(principal, self._writer.context())
        shown = [r for r in map(visibility.release, stored) if r is not None]
        if not shown:
            raise ObjectNotFound(f"no object {object_id} is visible")
        return stored, shown[-1]

    def rights(self, principal: Principal, object_id: str) -> ActionRights:
        """Which forms ``principal`` gets on the page of ``object_id``."""
        stored, shown = self._held(principal, object_id)
        return self._rights(principal, stored, shown)

    def _rights(
        self, principal: Principal, stored: list[StoredVersion], shown: Release
    ) -> ActionRights:
        if principal.role not in (Role.ADMIN, Role.ANALYST):
            return ActionRights("only admins and analysts change objects", may_annotate=False)
        refusal = None
        if shown.version.version != stored[-1].version or shown.original is not None:
            # Not the current version, or not all of it: a new version would lose what the
            # principal may not see.
            refusal = "you do not see the current version of this object whole"
        elif shown.version.modified is None:
            refusal = "objects of this type have no versions (STIX 2.1 §3.6)"
        else:
            refusal = self._writer.ownership(principal).version_refusal(stored)
        return ActionRights(refusal, may_annotate=True)

    # -- writes ----------------------------------------------------------------------------

    def _store_one(self, obj: dict[str, Any], principal: Principal) -> StatusEntry:
        entries = self._writer.add([obj], principal, collection=None, source=_SOURCE,
                                   source_name=_SOURCE)  # fmt: skip
        entry = entries[0]
        if entry.outcome == "failed":
            raise InvalidInput(entry.message or "the object was not stored")
        return entry

    def _versionable(self, principal: Principal, object_id: str) -> dict[str, Any]:
        stored, shown = self._held(principal, object_id)
        rights = self._rights(principal, stored, shown)
        if rights.version_refusal is not None:
            raise PermissionDenied(rights.version_refusal)
        return shown.version.to_json()

    def _next_modified(self, obj: Mapping[str, Any]) -> str:
        """Now, or just after the current ``modified`` if the clock is not past it (§3.6)."""
        previous = timestamp_us_from_key(parse_timestamp(obj["modified"], "modified").key)
        return format_timestamp_us(max(self._clock.now_us(), previous + 1))

    def revoke(self, principal: Principal, object_id: str) -> StatusEntry:
        """Store a revoked version of the object (STIX 2.1 §3.6: revoking is for good)."""
        obj = self._versionable(principal, object_id)
        if obj.get("revoked") is True:
            raise InvalidInput("this object is revoked already")
        return self._store_one({**obj, "revoked": True, "modified": self._next_modified(obj)},
                               principal)  # fmt: skip

    def new_version(
        self, principal: Principal, object_id: str, changes: VersionChanges
    ) -> StatusEntry:
        """Store a version of the object with ``changes`` made to the current one."""
        obj = self._versionable(principal, object_id)
        if obj.get("revoked") is True:
            raise InvalidInput("a revoked object gets no new versions (STIX 2.1 §3.6)")
        refs = [ref for ref in obj.get("object_marking_refs", []) if isinstance(ref, str)]
        if any(tlp_of(ref) is Tlp.RED for ref in refs):
            # The form offers no TLP:RED (``TLP_CHOICES``): any version it makes would widen
            # a RED object to its recipients' whole org or more.
            raise InvalidInput("a TLP:RED object gets no new versions from this page")
        if changes.valid_until is not None and obj.get("type") != "indicator":
            raise InvalidInput("valid_until: only indicators have it (STIX 2.1 §4.7)")
        new = dict(obj)
        for name, value in (
            ("confidence", changes.confidence),
            ("labels", None if changes.labels is None else list(changes.labels)),
            ("valid_until", changes.valid_until),
        ):
            if value is None:
                new.pop(name, None)
            else:
                new[name] = value
        # The TLP marking is replaced; statement and other markings stay.
        others = [ref for ref in refs if tlp_of(ref) is None]
        new["object_marking_refs"] = [*others, marking_id_for(changes.tlp)]
        new["modified"] = self._next_modified(obj)
        return self._store_one(new, principal)

    def _about(self, principal: Principal, object_id: str) -> tuple[str, list[str]]:
        """Now, and the markings of what the principal creates about the object."""
        stored, shown = self._held(principal, object_id)
        if not self._rights(principal, stored, shown).may_annotate:
            raise PermissionDenied("only admins and analysts add to objects")
        refs = list(shown.version.marking_refs)
        if not refs:
            refs = [marking_id_for(self._writer.context().default_marking)]
        return format_timestamp_us(self._clock.now_us()), refs

    def mark_false_positive(self, principal: Principal, indicator_id: str) -> StatusEntry:
        """Store a false-positive sighting of the indicator (``scoring.score``)."""
        if not indicator_id.startswith("indicator--"):
            raise InvalidInput("only indicators are marked false positive")
        now, refs = self._about(principal, indicator_id)
        return self._store_one(
            {
                "type": "sighting",
                "spec_version": "2.1",
                "id": f"sighting--{self._new_id()}",
                "created": now,
                "modified": now,
                "created_by_ref": principal.org,
                "sighting_of_ref": indicator_id,
                "count": 1,
                "where_sighted_refs": [principal.org],
                FALSE_POSITIVE_PROPERTY: True,
                "object_marking_refs": refs,
            },
            principal,
        )

    def add_note(
        self, principal: Principal, author: str, object_id: str, form: Mapping[str, str]
    ) -> StatusEntry:
        """Store a note about the object (STIX 2.1 §4.9) by ``author`` of the user's org."""
        abstract = _text(form, "abstract", required=False)
        content = _text(form, "content", required=True)
        now, refs = self._about(principal, object_id)
        note: dict[str, Any] = {
            "type": "note",
            "spec_version": "2.1",
            "id": f"note--{self._new_id()}",
            "created": now,
            "modified": now,
            "created_by_ref": principal.org,
            "content": content,
            "authors": [author],
            "object_refs": [object_id],
            "object_marking_refs": refs,
        }
        if abstract:
            note["abstract"] = abstract
        return self._store_one(note, principal)

    def add_opinion(
        self, principal: Principal, author: str, object_id: str, form: Mapping[str, str]
    ) -> StatusEntry:
        """Store an opinion about the object (STIX 2.1 §4.11) by ``author`` of the user's org."""
        opinion = form.get("opinion", "")
        if opinion not in OPINIONS:
            raise InvalidInput("opinion: one of " + ", ".join(OPINIONS))
        explanation = _text(form, "explanation", required=False)
        now, refs = self._about(principal, object_id)
        made: dict[str, Any] = {
            "type": "opinion",
            "spec_version": "2.1",
            "id": f"opinion--{self._new_id()}",
            "created": now,
            "modified": now,
            "created_by_ref": principal.org,
            "opinion": opinion,
            "authors": [author],
            "object_refs": [object_id],
            "object_marking_refs": refs,
        }
        if explanation:
            made["explanation"] = explanation
        return self._store_one(made, principal)
