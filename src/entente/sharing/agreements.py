"""Sharing agreements as data: the document users write, parsed into a frozen ``Agreement``.

An agreement (architecture §2, "Agreement") is between this node's org and one or more
partner orgs: the highest TLP that may flow, the object types allowed, whether and to whom
recipients may re-share, properties to redact and how sightings are shared, with validity
dates. ``agreement.schema.json`` beside this module describes the same document format for
editors and other tools; ``parse_agreement`` is the authority and checks what a JSON Schema
cannot express (dates that exist, ``valid_until`` after ``valid_from``, two spellings of one
party).
"""

from __future__ import annotations

import difflib
import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from entente.errors import InvalidAgreement, InvalidInput, InvalidObject
from entente.sharing.granular import UNSTRIPPABLE
from entente.stix.identifiers import is_valid_id, is_valid_type_name
from entente.stix.markings import Tlp
from entente.stix.timestamps import format_timestamp_us, parse_timestamp, timestamp_us_from_key

__all__ = [
    "Agreement",
    "InvalidAgreement",
    "OnwardSharing",
    "SightingsSharing",
    "ThirdPartySharing",
    "agreement_schema",
    "parse_agreement",
]


class OnwardSharing(enum.StrEnum):
    """Whether a recipient may pass on what it received under the agreement, and to whom."""

    NONE = "none"
    # Only to the other parties of the same agreement.
    COALITION = "coalition"
    # Only to the orgs the agreement names in ``onward_orgs``.
    NAMED = "named"


class SightingsSharing(enum.StrEnum):
    """How sightings (STIX 2.1 §5.7) flow under the agreement."""

    NAMED = "named"
    # Without ``where_sighted_refs``, ``observed_data_refs`` and ``created_by_ref``, the
    # properties that say who saw it.
    ANONYMISED = "anonymised"
    NONE = "none"


class ThirdPartySharing(enum.StrEnum):
    """Whether TLP:AMBER(+STRICT) content a third party created, and this node only ingested,
    may flow under the agreement (default: withhold)."""

    WITHHOLD = "withhold"
    SHARE = "share"


# Properties no agreement may redact: those no copy of an object may lack (the common
# required properties of STIX 2.1 §3.2; the marking properties, whose removal would make the
# copy read as the recipient's default marking: markings are never widened by anyone but the
# creator, architecture §2). The same set granular markings cannot strip.
_NEVER_REDACTED: Final = UNSTRIPPABLE

_TOP_LEVEL: Final = (
    "id",
    "name",
    "parties",
    "max_tlp",
    "object_types",
    "onward_sharing",
    "redact",
    "sightings",
    "third_party",
    "valid_from",
    "valid_until",
)
_REQUIRED: Final = ("id", "name", "parties", "max_tlp", "onward_sharing")
_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
# STIX 2.1 §3.1: property names are 3-250 ASCII characters a-z, 0-9 and underscore.
_PROPERTY_RE: Final = re.compile(r"[a-z0-9_]{3,250}")
# The levels an agreement may name. RED is absent on purpose: it never leaves the node by sync
# (architecture §2), so no agreement can carry it.
_LEVELS: Final = {
    "clear": Tlp.CLEAR,
    "green": Tlp.GREEN,
    "amber": Tlp.AMBER,
    "amber+strict": Tlp.AMBER_STRICT,
}
_ALL_TYPES: Final = "*"


@dataclass(frozen=True, slots=True)
class Agreement:
    """One sharing agreement between orgs (architecture §2), as the policy reads it."""

    # The slug from the file: [a-z0-9][a-z0-9._-]{0,99}. Stored with every version received
    # under it (architecture §2 "Provenance").
    id: str
    name: str
    # STIX identity ids of the orgs bound by it; at least two.
    parties: frozenset[str]
    # Highest TLP that may flow; never RED.
    max_tlp: Tlp
    # ``None``: every type.
    object_types: frozenset[str] | None
    onward: OnwardSharing
    # Org ids a recipient may pass things on to; non-empty exactly when ``onward`` is NAMED.
    onward_orgs: frozenset[str]
    # Object type (or "*" for every type) -> top-level properties removed before sending.
    # Read-only after construction; left out of the hash because mappings have none.
    redact: Mapping[str, tuple[str, ...]] = field(hash=False)
    sightings: SightingsSharing
    # Epoch microseconds; in force from ``valid_from_us`` (inclusive) to ``valid_until_us``
    # (exclusive). ``None`` is unbounded on that side.
    valid_from_us: int | None
    valid_until_us: int | None
    # Whether AMBER/AMBER+STRICT content created by a third party, which this node only
    # ingested, may go to the partners (an explicit ``third_party: share``).
    third_party: ThirdPartySharing = ThirdPartySharing.WITHHOLD

    def __post_init__(self) -> None:
        # A safety net for agreements built in code: the same invariants the parser checks
        # with precise locations, so a policy input can never be malformed.
        if len(self.parties) < 2:
            raise InvalidAgreement("an agreement binds at least two orgs", "parties", self.id)
        if self.max_tlp is Tlp.RED:
            raise InvalidAgreement(_RED, "max_tlp", self.id)
        if self.object_types is not None and not self.object_types:
            raise InvalidAgreement("an empty list would allow nothing", "object_types", self.id)
        if (self.onward is OnwardSharing.NAMED) != bool(self.onward_orgs):
            raise InvalidAgreement(
                "onward orgs are given exactly when onward sharing is 'named'",
                "onward_sharing",
                self.id,
            )
        for key, names in self.redact.items():
            for name in names:
                if name in _NEVER_REDACTED:
                    raise InvalidAgreement(_never_redacted(name), f"redact.{key}", self.id)
        if (
            self.valid_from_us is not None
            and self.valid_until_us is not None
            and self.valid_until_us <= self.valid_from_us
        ):
            raise InvalidAgreement("must be after valid_from", "valid_until", self.id)
        frozen = {key: tuple(self.redact[key]) for key in sorted(self.redact)}
        object.__setattr__(self, "redact", MappingProxyType(frozen))

    def in_force(self, now_us: int) -> bool:
        """Whether the agreement applies at ``now_us`` (epoch microseconds)."""
        if self.valid_from_us is not None and now_us < self.valid_from_us:
            return False
        return self.valid_until_us is None or now_us < self.valid_until_us

    def binds(self, org_a: str, org_b: str) -> bool:
        """Whether two different orgs are both parties to the agreement."""
        return org_a != org_b and org_a in self.parties and org_b in self.parties

    def to_json(self) -> dict[str, Any]:
        """The canonical document (parties as identity ids); ``parse_agreement`` reads it back."""
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "parties": sorted(self.parties),
            "max_tlp": self.max_tlp.label,
        }
        if self.object_types is not None:
            doc["object_types"] = sorted(self.object_types)
        if self.onward is OnwardSharing.NAMED:
            doc["onward_sharing"] = {"named": sorted(self.onward_orgs)}
        else:
            doc["onward_sharing"] = str(self.onward)
        if self.redact:
            doc["redact"] = {key: list(names) for key, names in self.redact.items()}
        doc["sightings"] = str(self.sightings)
        if self.third_party is not ThirdPartySharing.WITHHOLD:
            doc["third_party"] = str(self.third_party)
        if self.valid_from_us is not None:
            doc["valid_from"] = format_timestamp_us(self.valid_from_us)
        if self.valid_until_us is not None:
            doc["valid_until"] = format_timestamp_us(self.valid_until_us)
        return doc


_RED = "TLP:RED never leaves the node by sync, so no agreement may carry it (architecture §2)"


def _never_redacted(name: str) -> str:
    if name in {"object_marking_refs", "granular_markings"}:
        return f"{name!r} may never be redacted: removing markings would widen them"
    return f"{name!r} may never be redacted: the object would no longer be valid STIX 2.1"


def agreement_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the agreement document, read from package data."""
    text = resources.files("entente.sharing").joinpath("agreement.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class _Reader:
    """Raises ``InvalidAgreement`` at a location, carrying the agreement id once known."""

    def __init__(self) -> None:
        self.agreement_id: str | None = None

    def fail(self, where: str, reason: str) -> InvalidAgreement:
        return InvalidAgreement(reason, where, self.agreement_id)

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, not {_kind(value)}")
        return value

    def strings(self, value: Any, where: str) -> list[str]:
        """A non-empty list of strings without duplicates."""
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list, not {_kind(value)}")
        if not value:
            raise self.fail(where, "must not be empty")
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            text = self.string(item, f"{where}[{index}]")
            if text in seen:
                raise self.fail(f"{where}[{index}]", f"repeats {where}[{seen[text]}]")
            seen[text] = index
        return value

    def orgs(self, value: Any, where: str, org_id: Callable[[str], str]) -> frozenset[str]:
        """Org names or identity ids, mapped to ids; two spellings of one org are a mistake."""
        ids: dict[str, int] = {}
        for index, text in enumerate(self.strings(value, where)):
            at = f"{where}[{index}]"
            if text.startswith("identity--"):
                # Anything that looks like an id must be one: a mistyped id read as an org name
                # would silently name some other org.
                if not is_valid_id(text, "identity"):
                    raise self.fail(at, f"{text!r} is not a valid identity id (STIX 2.1 §2.9)")
                org = text
            elif not text.strip():
                raise self.fail(at, "an org name must not be blank")
            else:
                try:
                    org = org_id(text)
                except InvalidInput as exc:
                    raise self.fail(at, str(exc)) from exc
                if not is_valid_id(org, "identity"):
                    raise self.fail(at, f"org {text!r} maps to no identity id")
            if org in ids:
                raise self.fail(at, f"names the same org as {where}[{ids[org]}]")
            ids[org] = index
        return frozenset(ids)

    def timestamp(self, value: Any, where: str) -> int:
        if not isinstance(value, str):
            # YAML reads an unquoted 2026-01-01T00:00:00Z as a date, not text.
            raise self.fail(where, f"must be an RFC 3339 timestamp in quotes, not {_kind(value)}")
        try:
            key = parse_timestamp(value, where).key
        except InvalidObject as exc:
            raise self.fail(where, exc.reason) from exc
        return timestamp_us_from_key(key)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def parse_agreement(data: Any, *, org_id: Callable[[str], str]) -> Agreement:
    """Read one decoded agreement document; raise ``InvalidAgreement`` naming where it is wrong.

    ``org_id`` maps an org name to its STIX identity id (the node's derivation).
    """
    r = _Reader()
    if not isinstance(data, dict):
        raise r.fail("", f"an agreement must be a mapping, not {_kind(data)}")
    if isinstance(data.get("id"), str) and _ID_RE.fullmatch(data["id"]):
        r.agreement_id = data["id"]
    for key in data:
        # Unknown keys are errors, not ignored: a misspelt "object_type" or "onward_sharng"
        # must not silently widen sharing.
        if key not in _TOP_LEVEL:
            close = difflib.get_close_matches(str(key), _TOP_LEVEL, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise r.fail(str(key), f"unknown key{hint} (expected: {', '.join(_TOP_LEVEL)})")
    for key in _REQUIRED:
        if key not in data:
            raise r.fail(key, "is required")

    agreement_id = r.string(data["id"], "id")
    if not _ID_RE.fullmatch(agreement_id):
        raise r.fail("id", f"{agreement_id!r} must match [a-z0-9][a-z0-9._-]{{0,99}}")
    name = r.string(data["name"], "name")
    if not name.strip():
        raise r.fail("name", "must not be blank")
    parties = r.orgs(data["parties"], "parties", org_id)
    if len(parties) < 2:
        raise r.fail("parties", "an agreement binds at least two orgs")
    max_tlp = _parse_level(r, data["max_tlp"])

    object_types: frozenset[str] | None = None
    if "object_types" in data:
        if data["object_types"] is None:
            raise r.fail("object_types", "leave the key out to allow every type")
        types = r.strings(data["object_types"], "object_types")
        for index, type_name in enumerate(types):
            if not is_valid_type_name(type_name):
                raise r.fail(f"object_types[{index}]", f"{type_name!r} is not a STIX type name")
        object_types = frozenset(types)

    onward, onward_orgs = _parse_onward(r, data["onward_sharing"], org_id)
    redact = _parse_redact(r, data["redact"]) if "redact" in data else {}

    sightings = SightingsSharing.NAMED
    if "sightings" in data:
        text = r.string(data["sightings"], "sightings")
        try:
            sightings = SightingsSharing(text)
        except ValueError:
            choices = ", ".join(str(s) for s in SightingsSharing)
            raise r.fail("sightings", f"{text!r} is not one of: {choices}") from None

    third_party = ThirdPartySharing.WITHHOLD
    if "third_party" in data:
        text = r.string(data["third_party"], "third_party")
        try:
            third_party = ThirdPartySharing(text)
        except ValueError:
            choices = ", ".join(str(t) for t in ThirdPartySharing)
            raise r.fail("third_party", f"{text!r} is not one of: {choices}") from None

    valid_from = r.timestamp(data["valid_from"], "valid_from") if "valid_from" in data else None
    valid_until = r.timestamp(data["valid_until"], "valid_until") if "valid_until" in data else None
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise r.fail("valid_until", "must be after valid_from")

    return Agreement(
        id=agreement_id,
        name=name,
        parties=parties,
        max_tlp=max_tlp,
        object_types=object_types,
        onward=onward,
        onward_orgs=onward_orgs,
        redact=redact,
        sightings=sightings,
        valid_from_us=valid_from,
        valid_until_us=valid_until,
        third_party=third_party,
    )


def _parse_level(r: _Reader, value: Any) -> Tlp:
    text = r.string(value, "max_tlp")
    # Case-insensitive with an optional "TLP:" prefix, as TLP labels are written (FIRST TLP 2.0).
    key = text.lower().removeprefix("tlp:")
    if key == "red":
        raise r.fail("max_tlp", _RED)
    if key not in _LEVELS:
        raise r.fail("max_tlp", f"{text!r} is not one of: {', '.join(_LEVELS)}")
    return _LEVELS[key]


def _parse_onward(
    r: _Reader, value: Any, org_id: Callable[[str], str]
) -> tuple[OnwardSharing, frozenset[str]]:
    if isinstance(value, str):
        if value in {"none", "coalition"}:
            return OnwardSharing(value), frozenset()
        if value == "named":
            raise r.fail("onward_sharing", "name the orgs: {named: [org, ...]}")
        raise r.fail("onward_sharing", f"{value!r} is not none, coalition or {{named: [...]}}")
    if not isinstance(value, dict):
        raise r.fail(
            "onward_sharing", f"must be none, coalition or {{named: [...]}}, not {_kind(value)}"
        )
    for key in value:
        if key != "named":
            raise r.fail(f"onward_sharing.{key}", "unknown key (expected: named)")
    if "named" not in value:
        raise r.fail("onward_sharing.named", "is required")
    return OnwardSharing.NAMED, r.orgs(value["named"], "onward_sharing.named", org_id)


def _parse_redact(r: _Reader, value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise r.fail(
            "redact", f"must be a mapping of object type to properties, not {_kind(value)}"
        )
    redact: dict[str, tuple[str, ...]] = {}
    for key, names in value.items():
        if not isinstance(key, str) or (key != _ALL_TYPES and not is_valid_type_name(key)):
            raise r.fail(f"redact.{key}", "must be a STIX type name or '*' for every type")
        where = f"redact.{key}"
        for index, name in enumerate(r.strings(names, where)):
            if name in _NEVER_REDACTED:
                raise r.fail(f"{where}[{index}]", _never_redacted(name))
            if not _PROPERTY_RE.fullmatch(name):
                raise r.fail(
                    f"{where}[{index}]",
                    f"{name!r} is not a STIX property name (3-250 of a-z, 0-9, _; §3.1)",
                )
        redact[key] = tuple(sorted(names))
    return redact
