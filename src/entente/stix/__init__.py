"""Entente's pure, sans-IO STIX 2.1 core: validation, patterns, versioning, ids and markings."""

from __future__ import annotations

from entente.stix.canonical import canonical_json
from entente.stix.diff import Change, ChangeKind, diff_objects
from entente.stix.documents import (
    MAX_NESTING_DEPTH,
    Unreadable,
    decode_document,
    nesting_depth_reason,
)
from entente.stix.identifiers import (
    ENTENTE_NAMESPACE,
    STIX_SCO_NAMESPACE,
    deterministic_id,
    is_valid_id,
    is_valid_type_name,
    sco_id,
)
from entente.stix.markings import (
    BUILTIN_MARKINGS,
    TLP2_EXTENSION_ID,
    GranularMarking,
    Tlp,
    granular_markings_of,
    marking_id_for,
    parse_tlp,
    tlp_of,
)
from entente.stix.objects import STIX_TYPES, ObjectKind, StixObject, parse_object
from entente.stix.patterns import validate_pattern, validate_pattern_reference
from entente.stix.timestamps import (
    Timestamp,
    format_timestamp_us,
    parse_timestamp,
    parse_timestamp_reference,
    timestamp_key_from_us,
    timestamp_us_from_key,
)
from entente.stix.versioning import (
    Correction,
    Judgement,
    VersionVerdict,
    check_version,
    judge_version,
)

__all__ = [
    "BUILTIN_MARKINGS",
    "ENTENTE_NAMESPACE",
    "MAX_NESTING_DEPTH",
    "STIX_SCO_NAMESPACE",
    "STIX_TYPES",
    "TLP2_EXTENSION_ID",
    "Change",
    "ChangeKind",
    "Correction",
    "GranularMarking",
    "Judgement",
    "ObjectKind",
    "StixObject",
    "Timestamp",
    "Tlp",
    "Unreadable",
    "VersionVerdict",
    "canonical_json",
    "check_version",
    "decode_document",
    "deterministic_id",
    "diff_objects",
    "format_timestamp_us",
    "granular_markings_of",
    "is_valid_id",
    "is_valid_type_name",
    "judge_version",
    "marking_id_for",
    "nesting_depth_reason",
    "parse_object",
    "parse_timestamp",
    "parse_timestamp_reference",
    "parse_tlp",
    "sco_id",
    "timestamp_key_from_us",
    "timestamp_us_from_key",
    "tlp_of",
    "validate_pattern",
    "validate_pattern_reference",
]
