"""Sans-IO TAXII 2.1 protocol layer: negotiation, filters, cursors, resource bodies, errors."""

from __future__ import annotations

from entente.taxii.cursors import decode_cursor, encode_cursor, fingerprint, next_token
from entente.taxii.envelopes import (
    DATE_ADDED_FIRST,
    DATE_ADDED_LAST,
    ObjectOutcome,
    Outcome,
    build_envelope,
    build_manifest,
    build_status,
    build_versions,
    date_added_headers,
    render_envelope,
)
from entente.taxii.media import (
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    is_acceptable_content_type,
    negotiate,
)
from entente.taxii.params import (
    MANIFEST_MATCH_FIELDS,
    OBJECT_MATCH_FIELDS,
    OBJECTS_MATCH_FIELDS,
    VERSIONS_MATCH_FIELDS,
    ObjectFilters,
    parse_object_filters,
)
from entente.taxii.problems import InvalidParameter, error_body, invalid_parameter_body

__all__ = [
    "DATE_ADDED_FIRST",
    "DATE_ADDED_LAST",
    "MANIFEST_MATCH_FIELDS",
    "OBJECTS_MATCH_FIELDS",
    "OBJECT_MATCH_FIELDS",
    "STIX_MEDIA_TYPE",
    "TAXII_MEDIA_TYPE",
    "VERSIONS_MATCH_FIELDS",
    "InvalidParameter",
    "ObjectFilters",
    "ObjectOutcome",
    "Outcome",
    "build_envelope",
    "build_manifest",
    "build_status",
    "build_versions",
    "date_added_headers",
    "decode_cursor",
    "encode_cursor",
    "error_body",
    "fingerprint",
    "invalid_parameter_body",
    "is_acceptable_content_type",
    "negotiate",
    "next_token",
    "parse_object_filters",
    "render_envelope",
]
