"""STIX identifiers (STIX 2.1 §2.9) and deterministic ids (§2.9, §6.1).

SCO ids are UUIDv5 in the STIX namespace over the RFC 8785 canonical JSON of the
id-contributing properties (§2.9). Entente derives ids of objects it creates from feeds the
same way, in its own namespace, so the same value from the same source always gives the same
id and re-ingest is idempotent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from entente.stix.canonical import canonical_json

__all__ = [
    "ENTENTE_NAMESPACE",
    "STIX_SCO_NAMESPACE",
    "deterministic_id",
    "is_valid_id",
    "is_valid_type_name",
    "sco_id",
]

STIX_SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
"""The namespace that STIX 2.1 §2.9 fixes for deterministic SCO ids."""

ENTENTE_NAMESPACE = uuid.UUID("6d1f3c2e-6b57-5e0c-9c3a-0e6e7465e7e1")
"""Entente's own namespace for ids it derives from feed values and MISP uuids."""

# §2.9: type "--" UUID (RFC 4122, any variant-1 version; v4 is only a SHOULD). RFC 4122 §3
# makes hex digits case-insensitive on input, and the OASIS JSON schemas accept upper case
# (their own example infrastructure.json has one), so both cases are accepted.
_ID_RE = re.compile(
    r"^([a-z0-9]+(?:-[a-z0-9]+)*)--"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)
# §2.8 / §3.1: type names are 3-250 chars of lowercase ASCII letters, digits and hyphens,
# no leading digit-free rule, no leading/trailing or double hyphen.
_TYPE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_valid_type_name(name: str) -> bool:
    """Whether ``name`` is a valid STIX object type name (§3.1)."""
    return 3 <= len(name) <= 250 and _TYPE_RE.match(name) is not None


def is_valid_id(value: str, expected_type: str | None = None) -> bool:
    """Whether ``value`` is ``type--uuid`` per §2.9, of ``expected_type`` when given."""
    m = _ID_RE.match(value)
    if m is None:
        return False
    return expected_type is None or m.group(1) == expected_type


def sco_id(object_type: str, contributing: Mapping[str, Any]) -> str:
    """The deterministic SCO id for the id-contributing properties (§2.9)."""
    name = canonical_json(dict(contributing)).decode("utf-8")
    return f"{object_type}--{uuid.uuid5(STIX_SCO_NAMESPACE, name)}"


def deterministic_id(object_type: str, *parts: str) -> str:
    """A stable id for an object Entente derives from ``parts`` (source, value, ...)."""
    name = canonical_json(list(parts)).decode("utf-8")
    return f"{object_type}--{uuid.uuid5(ENTENTE_NAMESPACE, name)}"
