"""STIX 2.1 object validation (§3-§7, §11): one JSON object in, a ``StixObject`` or an error out."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from entente.errors import InvalidObject
from entente.stix.documents import MAX_NESTING_DEPTH, nesting_depth_reason
from entente.stix.identifiers import is_valid_id, is_valid_type_name
from entente.stix.patterns import validate_pattern
from entente.stix.timestamps import Timestamp, parse_timestamp

__all__ = ["STIX_TYPES", "ObjectKind", "StixObject", "parse_object"]


class ObjectKind(enum.StrEnum):
    """The family a STIX object belongs to (§3.1)."""

    SDO = "sdo"
    SRO = "sro"
    SCO = "sco"
    META = "meta"
    CUSTOM = "custom"


def _declares_new_sco(raw: Mapping[str, Any]) -> bool:
    """Whether a custom object's extensions declare it a new SCO (§11.2, extension_type)."""
    extensions = raw.get("extensions")
    if type(extensions) is not dict:
        return False
    return any(
        type(e) is dict and e.get("extension_type") == "new-sco" for e in extensions.values()
    )


@dataclass(frozen=True, slots=True)
class StixObject:
    """A validated STIX 2.1 object; ``raw`` is the JSON value exactly as received."""

    raw: dict[str, Any]
    id: str
    type: str
    kind: ObjectKind
    spec_version: str
    created: Timestamp | None
    modified: Timestamp | None
    created_by_ref: str | None
    revoked: bool
    object_marking_refs: tuple[str, ...]

    @property
    def is_versioned(self) -> bool:
        """False for SCOs, marking-definitions and custom new-sco objects (§3.6)."""
        if self.kind is ObjectKind.SCO or self.type == "marking-definition":
            return False
        return not (self.kind is ObjectKind.CUSTOM and _declares_new_sco(self.raw))

    @property
    def version_key(self) -> str:
        """``modified`` key if versioned; ``created`` key for marking-definitions; else ``""``."""
        if self.type == "marking-definition":
            return self.created.key if self.created is not None else ""
        if self.is_versioned and self.modified is not None:
            return self.modified.key
        return ""


# --------------------------------------------------------------------------- type tables

_SDO_TYPES = frozenset(
    {
        "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
        "indicator", "infrastructure", "intrusion-set", "location", "malware",
        "malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor",
        "tool", "vulnerability",
    }
)  # fmt: skip
_SRO_TYPES = frozenset({"relationship", "sighting"})
_SCO_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
        "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip
_META_TYPES = frozenset({"marking-definition", "language-content", "extension-definition"})

_KIND_OF: Mapping[str, ObjectKind] = MappingProxyType(
    dict.fromkeys(_SDO_TYPES, ObjectKind.SDO)
    | dict.fromkeys(_SRO_TYPES, ObjectKind.SRO)
    | dict.fromkeys(_SCO_TYPES, ObjectKind.SCO)
    | dict.fromkeys(_META_TYPES, ObjectKind.META)
)
# Every object type STIX 2.1 defines (§4-§7, §9); any other is a custom type (§11).
STIX_TYPES: frozenset[str] = frozenset(_KIND_OF)

# Required properties beyond the common ones, per type (§4-§7).
_REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "attack-pattern": ("name",),
        "campaign": ("name",),
        "course-of-action": ("name",),
        "grouping": ("context", "object_refs"),
        "identity": ("name",),
        "incident": ("name",),
        "indicator": ("pattern", "pattern_type", "valid_from"),
        "infrastructure": ("name",),
        "intrusion-set": ("name",),
        "location": (),
        "malware": ("is_family",),
        "malware-analysis": ("product",),
        "note": ("content", "object_refs"),
        "observed-data": ("first_observed", "last_observed", "number_observed"),
        "opinion": ("opinion", "object_refs"),
        "report": ("name", "published", "object_refs"),
        "threat-actor": ("name",),
        "tool": ("name",),
        "vulnerability": ("name",),
        "relationship": ("relationship_type", "source_ref", "target_ref"),
        "sighting": ("sighting_of_ref",),
        "autonomous-system": ("number",),
        "directory": ("path",),
        "domain-name": ("value",),
        "email-addr": ("value",),
        "email-message": ("is_multipart",),
        "ipv4-addr": ("value",),
        "ipv6-addr": ("value",),
        "mac-addr": ("value",),
        "mutex": ("name",),
        "network-traffic": ("protocols",),
        "software": ("name",),
        "url": ("value",),
        "language-content": ("object_ref", "contents"),
        "extension-definition": (
            "created_by_ref", "name", "schema", "version", "extension_types",
        ),
    }
)  # fmt: skip

# §6: the predefined SCO extensions, usable by name rather than by extension-definition id.
_PREDEFINED_EXTENSIONS = frozenset(
    {
        "archive-ext", "ntfs-ext", "pdf-ext", "raster-image-ext", "windows-pebinary-ext",
        "http-request-ext", "icmp-ext", "socket-ext", "tcp-ext", "windows-process-ext",
        "windows-service-ext", "unix-account-ext",
    }
)  # fmt: skip

# §11.3 custom object extensions (deprecated, still valid STIX 2.1): the key starts with
# "x-" and follows the custom property naming rules of §11.1 (a-z, 0-9, hyphen; 3 to 250
# characters). Kept verbatim like any other extension.
_CUSTOM_EXTENSION_NAME = re.compile(r"x-[a-z0-9-]{1,248}")

_KIND_PLURAL: Mapping[ObjectKind, str] = MappingProxyType(
    {
        ObjectKind.SDO: "SDOs",
        ObjectKind.SRO: "SROs",
        ObjectKind.SCO: "SCOs",
        ObjectKind.META: "meta objects",
        ObjectKind.CUSTOM: "custom objects",
    }
)

_MAX_COUNT = 999_999_999  # §5.2 sighting.count, §4.14 observed-data.number_observed


# --------------------------------------------------------------------------- small checks


def _fail(reason: str, field: str) -> InvalidObject:
    return InvalidObject(reason, field)


def _string(raw: Mapping[str, Any], name: str) -> str:
    value = raw[name]
    if type(value) is not str:
        raise _fail(f"must be a string, not {type(value).__name__}", name)
    return value


def _boolean(raw: Mapping[str, Any], name: str) -> bool:
    value = raw[name]
    if type(value) is not bool:
        raise _fail(f"must be a boolean (true/false), not {type(value).__name__}", name)
    return value


def _integer(raw: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = raw[name]
    if type(value) is not int:
        raise _fail(f"must be an integer, not {type(value).__name__}", name)
    if not low <= value <= high:
        raise _fail(f"must be between {low:,} and {high:,}, got {value:,}", name)
    return value


def _ref(value: object, field: str, expected: str | tuple[str, ...] | None = None) -> str:
    if type(value) is not str or not is_valid_id(value):
        raise _fail(f"{value!r} is not a STIX identifier (type--UUID, §2.9)", field)
    if expected is not None:
        prefix = value.partition("--")[0]
        allowed = (expected,) if isinstance(expected, str) else expected
        if prefix not in allowed:
            names = " or ".join(allowed)
            raise _fail(f"must reference a {names}, not a {prefix}", field)
    return value


def _refs(
    raw: Mapping[str, Any],
    name: str,
    expected: str | tuple[str, ...] | None = None,
    *,
    non_empty: bool = False,
) -> tuple[str, ...]:
    value = raw[name]
    if type(value) is not list:
        raise _fail(f"must be a list of identifiers, not {type(value).__name__}", name)
    if non_empty and not value:
        raise _fail("must not be empty", name)
    for i, item in enumerate(value):
        _ref(item, f"{name}[{i}]", expected)
    return tuple(value)


def _strings(raw: Mapping[str, Any], name: str, *, non_empty: bool = False) -> None:
    value = raw[name]
    if type(value) is not list:
        raise _fail(f"must be a list of strings, not {type(value).__name__}", name)
    if non_empty and not value:
        raise _fail("must not be empty", name)
    for i, item in enumerate(value):
        if type(item) is not str:
            raise _fail(f"must be a string, not {type(item).__name__}", f"{name}[{i}]")


def _dict(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = raw[name]
    if type(value) is not dict:
        raise _fail(f"must be a JSON object, not {type(value).__name__}", name)
    return value


def _timestamp(raw: Mapping[str, Any], name: str) -> Timestamp | None:
    value = raw.get(name)
    return None if value is None and name not in raw else parse_timestamp(value, name)


def _not_before(
    later: Timestamp | None, earlier: Timestamp | None, field: str, earlier_name: str
) -> None:
    """§3.2-style ordering rule: ``later`` must not precede ``earlier`` (compared as instants)."""
    if later is not None and earlier is not None and later.key < earlier.key:
        raise _fail(f"{later.text} is earlier than {earlier_name} {earlier.text}", field)


# --------------------------------------------------------------------------- common properties


def _json_objects(raw: Mapping[str, Any], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(location, item)`` for each item of the list ``raw[name]``, which must hold objects."""
    items = raw[name]
    if type(items) is not list:
        raise _fail(f"must be a list, not {type(items).__name__}", name)
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        if type(item) is not dict:
            raise _fail(f"must be a JSON object, not {type(item).__name__}", where)
        yield where, item


def _check_external_references(raw: Mapping[str, Any], _: str) -> None:
    for where, ref in _json_objects(raw, "external_references"):
        if "source_name" not in ref:
            raise _fail("is required (§2.5)", f"{where}.source_name")
        for key in ("source_name", "description", "url", "external_id"):
            if key in ref and type(ref[key]) is not str:
                raise _fail(f"must be a string, not {type(ref[key]).__name__}", f"{where}.{key}")
        if "hashes" in ref and type(ref["hashes"]) is not dict:
            raise _fail("must be a JSON object (hashes dictionary)", f"{where}.hashes")


def _check_granular_markings(raw: Mapping[str, Any], _: str) -> None:
    for where, marking in _json_objects(raw, "granular_markings"):
        has_ref, has_lang = "marking_ref" in marking, "lang" in marking
        if has_ref == has_lang:
            raise _fail("must have exactly one of marking_ref or lang (§7.2.3)", where)
        if has_ref:
            _ref(marking["marking_ref"], f"{where}.marking_ref", "marking-definition")
        elif type(marking["lang"]) is not str:
            raise _fail("must be a string (RFC 5646 language code)", f"{where}.lang")
        selectors = marking.get("selectors")
        if type(selectors) is not list or not selectors:
            raise _fail("must be a non-empty list of selectors (§7.2.3)", f"{where}.selectors")
        for j, selector in enumerate(selectors):
            if type(selector) is not str or not selector:
                raise _fail("must be a non-empty string", f"{where}.selectors[{j}]")


def _check_extensions(raw: Mapping[str, Any], _: str) -> None:
    extensions = _dict(raw, "extensions")
    for name, body in extensions.items():
        where = f"extensions.{name}"
        if not (
            is_valid_id(name, "extension-definition")
            or name in _PREDEFINED_EXTENSIONS
            or _CUSTOM_EXTENSION_NAME.fullmatch(name)
        ):
            raise _fail(
                "keys must be extension-definition ids, predefined extension names (§7.3) "
                "or custom extension names: x- then a-z, 0-9, hyphen, 3-250 characters "
                "(§11.3, deprecated)",
                where,
            )
        if type(body) is not dict:
            raise _fail(f"must be a JSON object, not {type(body).__name__}", where)


def _check_kill_chain_phases(raw: Mapping[str, Any], _: str) -> None:
    for where, phase in _json_objects(raw, "kill_chain_phases"):
        for key in ("kill_chain_name", "phase_name"):
            if type(phase.get(key)) is not str:
                raise _fail("is required and must be a string (§2.7)", f"{where}.{key}")


_COMMON_CHECKS: tuple[tuple[str, Callable[[Mapping[str, Any], str], object]], ...] = (
    ("revoked", _boolean),
    ("labels", _strings),
    ("confidence", lambda raw, name: _integer(raw, name, 0, 100)),
    ("lang", _string),
    ("external_references", _check_external_references),
    ("granular_markings", _check_granular_markings),
    ("extensions", _check_extensions),
    ("kill_chain_phases", _check_kill_chain_phases),
)


# --------------------------------------------------------------------------- per-type checks


def _check_indicator(raw: Mapping[str, Any]) -> None:
    pattern = _string(raw, "pattern")
    pattern_type = _string(raw, "pattern_type")
    valid_from = _timestamp(raw, "valid_from")
    valid_until = _timestamp(raw, "valid_until")
    if valid_until is not None and valid_from is not None and valid_until.key <= valid_from.key:
        raise _fail(f"{valid_until.text} must be later than valid_from (§4.7)", "valid_until")
    if "indicator_types" in raw:
        _strings(raw, "indicator_types")
    if pattern_type == "stix":
        validate_pattern(pattern)


def _check_first_last_seen(raw: Mapping[str, Any]) -> None:
    first = _timestamp(raw, "first_seen")
    last = _timestamp(raw, "last_seen")
    _not_before(last, first, "last_seen", "first_seen")


def _check_malware(raw: Mapping[str, Any]) -> None:
    if _boolean(raw, "is_family") and "name" not in raw:
        raise _fail("is required when is_family is true (§4.11)", "name")
    _check_first_last_seen(raw)


def _check_observed_data(raw: Mapping[str, Any]) -> None:
    first = _timestamp(raw, "first_observed")
    last = _timestamp(raw, "last_observed")
    _not_before(last, first, "last_observed", "first_observed")
    _integer(raw, "number_observed", 1, _MAX_COUNT)
    if "object_refs" in raw:
        _refs(raw, "object_refs", non_empty=True)
    elif "objects" in raw:
        if not _dict(raw, "objects"):
            raise _fail("must not be empty", "objects")
    else:
        raise _fail("is required (or the deprecated objects) (§4.14)", "object_refs")


def _check_report(raw: Mapping[str, Any]) -> None:
    _timestamp(raw, "published")
    _refs(raw, "object_refs", non_empty=True)


def _check_object_refs(raw: Mapping[str, Any]) -> None:
    _refs(raw, "object_refs", non_empty=True)


def _check_location(raw: Mapping[str, Any]) -> None:
    has_lat, has_long = "latitude" in raw, "longitude" in raw
    if has_lat != has_long:
        raise _fail("latitude and longitude must be given together (§4.10)", "latitude")
    if not (has_lat or "region" in raw or "country" in raw):
        raise _fail("needs region, country, or latitude and longitude (§4.10)", "region")
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in raw:
            value = raw[name]
            if type(value) not in (int, float) or not -bound <= value <= bound:
                raise _fail(f"must be a number between -{bound} and {bound}", name)


def _check_malware_analysis(raw: Mapping[str, Any]) -> None:
    if "result" not in raw and "analysis_sco_refs" not in raw:
        raise _fail("one of result or analysis_sco_refs is required (§4.12)", "result")


def _check_relationship(raw: Mapping[str, Any]) -> None:
    _string(raw, "relationship_type")
    _ref(raw["source_ref"], "source_ref")
    _ref(raw["target_ref"], "target_ref")
    start = _timestamp(raw, "start_time")
    stop = _timestamp(raw, "stop_time")
    if start is not None and stop is not None and stop.key <= start.key:
        raise _fail(f"{stop.text} must be later than start_time (§5.1)", "stop_time")


def _check_sighting(raw: Mapping[str, Any]) -> None:
    _ref(raw["sighting_of_ref"], "sighting_of_ref")
    if "count" in raw:
        _integer(raw, "count", 0, _MAX_COUNT)
    _check_first_last_seen(raw)
    if "observed_data_refs" in raw:
        _refs(raw, "observed_data_refs", "observed-data")
    if "where_sighted_refs" in raw:
        _refs(raw, "where_sighted_refs", ("identity", "location"))


def _check_artifact(raw: Mapping[str, Any]) -> None:
    if ("payload_bin" in raw) == ("url" in raw):
        raise _fail("exactly one of payload_bin or url is required (§6.1)", "payload_bin")


def _check_file(raw: Mapping[str, Any]) -> None:
    if "hashes" not in raw and "name" not in raw:
        raise _fail("a file needs hashes or name (§6.7)", "hashes")
    if "hashes" in raw:
        _dict(raw, "hashes")


def _check_network_traffic(raw: Mapping[str, Any]) -> None:
    _strings(raw, "protocols", non_empty=True)


def _check_marking_definition(raw: Mapping[str, Any]) -> None:
    if "definition_type" in raw:
        _string(raw, "definition_type")
        if "definition" not in raw:
            raise _fail("is required with definition_type (§7.2.1)", "definition")
        _dict(raw, "definition")
    elif "extensions" not in raw:
        raise _fail("a marking needs definition_type/definition or extensions", "definition_type")


def _check_language_content(raw: Mapping[str, Any]) -> None:
    _ref(raw["object_ref"], "object_ref")
    _dict(raw, "contents")
    _timestamp(raw, "object_modified")


def _check_extension_definition(raw: Mapping[str, Any]) -> None:
    _strings(raw, "extension_types", non_empty=True)


def _check_autonomous_system(raw: Mapping[str, Any]) -> None:
    _integer(raw, "number", 0, 2**32 - 1)  # §6.2: a 32-bit AS number


def _check_value(raw: Mapping[str, Any]) -> None:
    _string(raw, "value")


_TYPE_CHECKS: Mapping[str, Callable[[Mapping[str, Any]], None]] = MappingProxyType(
    {
        "indicator": _check_indicator,
        "malware": _check_malware,
        "campaign": _check_first_last_seen,
        "intrusion-set": _check_first_last_seen,
        "threat-actor": _check_first_last_seen,
        "infrastructure": _check_first_last_seen,
        "observed-data": _check_observed_data,
        "report": _check_report,
        "grouping": _check_object_refs,
        "note": _check_object_refs,
        "opinion": _check_object_refs,
        "location": _check_location,
        "malware-analysis": _check_malware_analysis,
        "relationship": _check_relationship,
        "sighting": _check_sighting,
        "artifact": _check_artifact,
        "file": _check_file,
        "autonomous-system": _check_autonomous_system,
        "network-traffic": _check_network_traffic,
        "domain-name": _check_value,
        "email-addr": _check_value,
        "ipv4-addr": _check_value,
        "ipv6-addr": _check_value,
        "mac-addr": _check_value,
        "url": _check_value,
        "marking-definition": _check_marking_definition,
        "language-content": _check_language_content,
        "extension-definition": _check_extension_definition,
    }
)


# --------------------------------------------------------------------------- entry point


def _validate(raw: dict[str, Any]) -> StixObject:
    object_type = raw.get("type")
    if type(object_type) is not str:
        raise _fail("is required and must be a string (§3.1)", "type")
    kind = _KIND_OF.get(object_type)
    if kind is None:
        if not is_valid_type_name(object_type):
            raise _fail(
                f"{object_type!r} is not a valid type name (3-250 lowercase a-z, 0-9, '-'; §3.1)",
                "type",
            )
        kind = ObjectKind.CUSTOM
    object_id = raw.get("id")
    if type(object_id) is not str:
        raise _fail("is required and must be a string (§3.1)", "id")
    if not is_valid_id(object_id, object_type):
        raise _fail(f"{object_id!r} is not '{object_type}--<UUID>' (§2.9)", "id")

    is_sco = kind is ObjectKind.SCO or (kind is ObjectKind.CUSTOM and _declares_new_sco(raw))

    spec_version = raw.get("spec_version")
    if spec_version is None:
        if not is_sco:
            raise _fail(
                f"is required for STIX 2.1 {_KIND_PLURAL[kind]} (§3.2); "
                "this looks like STIX 2.0 content",
                "spec_version",
            )
        spec_version = "2.1"  # §6: an SCO without spec_version is STIX 2.1
    elif spec_version != "2.1":
        raise _fail(f"must be '2.1', got {spec_version!r}", "spec_version")

    value = raw.get("created")
    created = None if value is None and "created" not in raw else parse_timestamp(value, "created")
    value = raw.get("modified")
    modified = (
        None if value is None and "modified" not in raw else parse_timestamp(value, "modified")
    )
    if not is_sco:
        if created is None:
            raise _fail("is required (§3.2)", "created")
        if modified is None and object_type != "marking-definition":
            raise _fail("is required (§3.2)", "modified")
    _not_before(modified, created, "modified", "created")

    created_by_ref = raw.get("created_by_ref")
    if created_by_ref is not None or "created_by_ref" in raw:
        _ref(created_by_ref, "created_by_ref", "identity")
    markings: tuple[str, ...] = ()
    if "object_marking_refs" in raw:
        markings = _refs(raw, "object_marking_refs", "marking-definition")

    for name, check_common in _COMMON_CHECKS:  # fixed order: the first problem is reproducible
        if name in raw:
            check_common(raw, name)

    for name in _REQUIRED.get(object_type, ()):
        if name not in raw:
            raise _fail(f"is required for {object_type} (STIX 2.1)", name)
    check = _TYPE_CHECKS.get(object_type)
    if check is not None:
        check(raw)

    return StixObject(
        raw,
        object_id,
        object_type,
        kind,
        spec_version,
        created,
        modified,
        created_by_ref,
        raw.get("revoked", False),
        markings,
    )


def _too_deep(raw: dict[str, Any]) -> str | None:
    """Where ``raw`` first nests deeper than ``MAX_NESTING_DEPTH``; ``None`` if it does not.

    Iterative, so that no nesting can exhaust the interpreter's stack; the path is worked out
    only for an object that is too deep.
    """
    pending: list[tuple[Any, int]] = [(raw, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if type(value) is dict else value
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth + 1 > MAX_NESTING_DEPTH:
                    return _path_to_depth(raw)
                pending.append((child, depth + 1))
    return None


def _path_to_depth(raw: dict[str, Any]) -> str:
    """The path (``a.b[0]``) of the first value nested past ``MAX_NESTING_DEPTH``."""
    pending: list[tuple[Any, int, str]] = [(raw, 1, "")]
    while pending:
        value, depth, path = pending.pop()
        if depth > MAX_NESTING_DEPTH:
            return path
        if type(value) is dict:
            for key, child in value.items():
                if type(child) is dict or type(child) is list:
                    pending.append((child, depth + 1, f"{path}.{key}" if path else str(key)))
        else:
            for index, child in enumerate(value):
                if type(child) is dict or type(child) is list:
                    pending.append((child, depth + 1, f"{path}[{index}]"))
    return ""


def parse_object(data: object) -> StixObject:
    """Validate one STIX 2.1 object; raise ``InvalidObject(reason, field, object_id)`` if bad."""
    if type(data) is not dict:
        raise InvalidObject(f"a STIX object must be a JSON object, not {type(data).__name__}")
    # First, before anything walks it: no deeper than MAX_NESTING_DEPTH (entente.stix.documents).
    where = _too_deep(data)
    if where is not None:
        object_id = data.get("id")
        raise InvalidObject(
            nesting_depth_reason(), where, object_id if type(object_id) is str else None
        )
    try:
        return _validate(data)
    except InvalidObject as exc:
        if exc.object_id is None:
            object_id = data.get("id")
            exc.object_id = object_id if type(object_id) is str else None
        raise
