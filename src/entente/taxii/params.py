"""TAXII 2.1 URL query parameters (§3.4): added_after, limit, next and match[<field>]."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from entente.errors import InvalidObject
from entente.stix.identifiers import is_valid_id, is_valid_type_name
from entente.stix.timestamps import parse_timestamp, timestamp_us_from_key
from entente.store.records import ObjectQuery, VersionFilter
from entente.taxii.problems import InvalidParameter

__all__ = [
    "MANIFEST_MATCH_FIELDS",
    "OBJECTS_MATCH_FIELDS",
    "OBJECT_MATCH_FIELDS",
    "VERSIONS_MATCH_FIELDS",
    "ObjectFilters",
    "parse_object_filters",
    "parse_taxii_timestamp_us",
]

# Which match[<field>] each endpoint defines ("URL Filtering Parameters" of each section).
OBJECTS_MATCH_FIELDS = frozenset({"id", "type", "version", "spec_version"})  # §5.4
MANIFEST_MATCH_FIELDS = OBJECTS_MATCH_FIELDS  # §5.3
OBJECT_MATCH_FIELDS = frozenset({"version", "spec_version"})  # §5.6
VERSIONS_MATCH_FIELDS = frozenset({"spec_version"})  # §5.8

# §2 "integer": MUST be representable as a signed 54-bit value.
_MAX_INTEGER = 2**53 - 1
_MATCH_RE = re.compile(r"match\[([^\[\]]*)\]")
_SPEC_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+")  # §1.6.8.2 "n.m"
_KEYWORDS = frozenset(v.value for v in VersionFilter)
# The longest value accepted for a single-valued parameter; a guard, not a TAXII rule.
_MAX_VALUE_LENGTH = 4096


def parse_taxii_timestamp_us(value: str, parameter: str) -> int:
    """A TAXII timestamp of any fraction precision as epoch microseconds (rounded down).

    §2 requires microsecond precision, but being liberal costs nothing: seconds, millis and
    nanoseconds all parse. Flooring is exact for ``added_after``: with integer microseconds
    ``d``, ``d·1000 > t_ns`` holds exactly when ``d > ⌊t_ns / 1000⌋``.
    """
    try:
        key = parse_timestamp(value, parameter).key
    except InvalidObject as exc:
        raise InvalidParameter(parameter, exc.reason) from None
    return timestamp_us_from_key(key)


@dataclass(frozen=True, slots=True)
class ObjectFilters:
    """The validated filters of one TAXII request (§3.4); list members are ORed, fields ANDed."""

    added_after_us: int | None = None
    limit: int | None = None
    next: str | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    spec_versions: tuple[str, ...] = ()

    def to_query(
        self, limit_default: int, limit_max: int, cursor_after_us: int | None = None
    ) -> ObjectQuery:
        """The store query; ``cursor_after_us`` is the decoded ``next`` cursor, if any."""
        if not 1 <= limit_default <= limit_max:
            raise ValueError("need 1 <= limit_default <= limit_max")
        # §3.4 limit: never more than the client asked for; the server MAY return fewer.
        limit = min(self.limit if self.limit is not None else limit_default, limit_max)
        return ObjectQuery(
            types=self.types,
            ids=self.ids,
            # §3.4.1 version: "last" is the default when no version parameter is given.
            versions=self.versions or (VersionFilter.LAST,),
            spec_versions=self.spec_versions,
            added_after_us=self.added_after_us,
            after_cursor=cursor_after_us,
            limit=limit,
        )


def _split(parameter: str, value: str) -> list[str]:
    # §3.4: "Multiple values are separated by a comma ... without any spaces". Spaces around a
    # value are stripped (no id, type or version contains one); an empty value is malformed.
    parts = [part.strip() for part in value.split(",")]
    if any(not part for part in parts):
        raise InvalidParameter(parameter, f"{value!r} has an empty value in its comma list")
    return parts


def _id(parameter: str, value: str) -> str:
    if not is_valid_id(value):
        raise InvalidParameter(parameter, f"{value!r} is not a STIX identifier (type--UUID)")
    return value


def _type(parameter: str, value: str) -> str:
    # §3.4.1 type: STIX-defined types MUST NOT be an error; a string that cannot be a type name
    # at all (STIX 2.1 §3.1) is a malformed parameter, which §3.4 makes a 400.
    if not is_valid_type_name(value):
        raise InvalidParameter(
            parameter, f"{value!r} is not a STIX type name (3-250 of a-z, 0-9, '-')"
        )
    return value


def _version(parameter: str, value: str) -> str:
    if value in _KEYWORDS:
        return value
    try:
        # §3.4.1 version: "<value> ... MUST follow the rules for timestamp as defined in STIX".
        # The store keys versions by the canonical 9-digit instant, so any precision matches.
        return parse_timestamp(value, parameter).key
    except InvalidObject as exc:
        raise InvalidParameter(
            parameter, f"must be 'first', 'last', 'all' or a STIX timestamp; {exc.reason}"
        ) from None


def _spec_version(parameter: str, value: str) -> str:
    if not _SPEC_VERSION_RE.fullmatch(value):
        raise InvalidParameter(parameter, f"{value!r} is not a specification version like '2.1'")
    return value


_CHECKS = {"id": _id, "type": _type, "version": _version, "spec_version": _spec_version}


def _single(parameter: str, values: list[str]) -> str:
    # §3.4: added_after "MUST NOT have more than one instance"; limit and next are "a single"
    # value (§5.4 URL Filtering Parameters).
    if len(values) > 1:
        raise InvalidParameter(parameter, "must be given at most once")
    value = values[0]
    if not value or len(value) > _MAX_VALUE_LENGTH:
        raise InvalidParameter(parameter, "must not be empty" if not value else "is too long")
    return value


def _limit(value: str) -> int:
    # §3.4 limit: "MUST be a positive integer greater than zero"; §2 integer: at most 2^53-1.
    if not value.isascii() or not value.isdigit() or len(value) > 16:
        raise InvalidParameter("limit", f"{value!r} is not a positive integer")
    number = int(value)
    if not 1 <= number <= _MAX_INTEGER:
        raise InvalidParameter("limit", f"{value!r} must be between 1 and {_MAX_INTEGER}")
    return number


def parse_object_filters(
    query_items: Sequence[tuple[str, str]],
    *,
    match_fields: Collection[str] = OBJECTS_MATCH_FIELDS,
) -> ObjectFilters:
    """Validate decoded query items into ``ObjectFilters``; raise ``InvalidParameter`` (→ 400).

    ``match_fields`` is the set of match fields the endpoint defines (``OBJECTS_MATCH_FIELDS``,
    ``OBJECT_MATCH_FIELDS``, ...). Parameters other than ``added_after``, ``limit``, ``next``
    and ``match[...]`` are not TAXII filters and are ignored (cache busters and the like).
    """
    singles: dict[str, list[str]] = {"added_after": [], "limit": [], "next": []}
    matched: dict[str, list[str]] = {}
    for name, value in query_items:
        if name in singles:
            singles[name].append(value)
            continue
        if not name.startswith("match["):
            continue
        m = _MATCH_RE.fullmatch(name)
        if m is None or not m.group(1):
            raise InvalidParameter(name, "is not of the form match[<field>]")
        field = m.group(1)
        # §3.4: "servers MAY ignore fields they do not understand" — MAY, not MUST. Silently
        # ignoring a filter widens the result, and a client that filtered on match[labels]
        # would take everything it gets as matching. §5.4 lists "400 - The server did not
        # understand the request or filter parameters", so we refuse instead.
        if field not in match_fields:
            known = ", ".join(f"match[{f}]" for f in sorted(match_fields)) or "none"
            raise InvalidParameter(
                name, f"is not a filter this endpoint supports (supported: {known})"
            )
        if len(value) > _MAX_VALUE_LENGTH * 16:
            raise InvalidParameter(name, "is too long")
        check = _CHECKS[field]
        matched.setdefault(field, []).extend(check(name, part) for part in _split(name, value))

    added_after = singles["added_after"]
    limit = singles["limit"]
    nexts = singles["next"]
    versions = _dedupe(matched.get("version", []))
    # §3.4.1 version: "The all keyword MUST NOT be used with any other version parameter."
    if VersionFilter.ALL.value in versions and len(versions) > 1:
        raise InvalidParameter("match[version]", "'all' cannot be combined with other versions")
    return ObjectFilters(
        added_after_us=(
            parse_taxii_timestamp_us(_single("added_after", added_after), "added_after")
            if added_after
            else None
        ),
        limit=_limit(_single("limit", limit)) if limit else None,
        next=_single("next", nexts) if nexts else None,
        ids=_dedupe(matched.get("id", [])),
        types=_dedupe(matched.get("type", [])),
        versions=versions,
        spec_versions=_dedupe(matched.get("spec_version", [])),
    )


def _dedupe(values: list[str]) -> tuple[str, ...]:
    # §3.4 says a field MUST NOT occur more than once and §3.4.1 that a version MUST NOT repeat;
    # both are client obligations. Repeats change nothing in an OR list, so we accept and merge
    # them (repeated match[type]=a&match[type]=b means a,b) rather than fail the request.
    return tuple(dict.fromkeys(values))
