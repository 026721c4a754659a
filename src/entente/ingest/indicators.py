"""STIX 2.1 indicators (§4.7) and feed identities (§4.5) built from typed feed values."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from entente.ingest.values import TypedValue, ValueType
from entente.stix.identifiers import deterministic_id

__all__ = [
    "build_indicator",
    "build_source_identity",
    "pattern_for",
    "stix_literal",
    "to_stix_timestamp",
]

# §9.3 object paths; hash names from the §10.6 hashing-algorithm-ov vocabulary. Names with a
# hyphen must be quoted as a path step (§9.4: "'SHA-256'").
_HASH_PATH: Mapping[ValueType, str] = MappingProxyType(
    {
        ValueType.MD5: "file:hashes.MD5",
        ValueType.SHA1: "file:hashes.'SHA-1'",
        ValueType.SHA256: "file:hashes.'SHA-256'",
        ValueType.SHA512: "file:hashes.'SHA-512'",
    }
)
_VALUE_PATH: Mapping[ValueType, str] = MappingProxyType(
    {
        ValueType.IPV4: "ipv4-addr:value",
        ValueType.IPV6: "ipv6-addr:value",
        ValueType.IPV4_CIDR: "ipv4-addr:value",
        ValueType.IPV6_CIDR: "ipv6-addr:value",
        ValueType.DOMAIN: "domain-name:value",
        ValueType.URL: "url:value",
        ValueType.EMAIL: "email-addr:value",
    }
)
_CIDR_TYPES = frozenset({ValueType.IPV4_CIDR, ValueType.IPV6_CIDR})


def stix_literal(text: str) -> str:
    """``text`` as a STIX pattern string literal: quoted, with ``\\`` and ``'`` escaped (§9.2)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(value: TypedValue) -> str:
    """The STIX 2.1 pattern (§9) that matches ``value``."""
    if value.type in _HASH_PATH:
        return f"[{_HASH_PATH[value.type]} = {stix_literal(value.value)}]"
    if value.type in _CIDR_TYPES:
        # §9.5: ISSUBSET matches every address inside the block, not only an object whose
        # value is the CIDR string itself.
        return f"[{_VALUE_PATH[value.type]} ISSUBSET {stix_literal(value.value)}]"
    if value.type is ValueType.IP_PORT:
        # The matcher and every exporter deploy one value at a time (a log field, a firewall
        # set): a §6.12 network-traffic observation of an address AND a port is deployable by
        # none of them (entente.matching.patterns refuses the AND). The pattern names the
        # address, as abuse.ch's own Feodo IP blocklist does; build_indicator keeps the port
        # in the description.
        host = value.host
        addr_type = "ipv6-addr" if ":" in host else "ipv4-addr"
        return f"[{addr_type}:value = {stix_literal(host)}]"
    return f"[{_VALUE_PATH[value.type]} = {stix_literal(value.value)}]"


_FEED_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def to_stix_timestamp(text: str) -> str | None:
    """A feed timestamp (``2022-09-13 07:28:08``, ISO 8601, UTC unless an offset is given) as a
    STIX timestamp with millisecond precision (§3.2); ``None`` if it is not one."""
    m = _FEED_TS_RE.match(text.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    tz = UTC
    if zone and zone.upper() not in ("Z", "UTC"):
        offset = zone.replace(":", "")
        minutes = int(offset[1:3]) * 60 + int(offset[3:5])
        tz = timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
            int((frac or "0")[:6].ljust(6, "0")), tzinfo=tz,
        ).astimezone(UTC)  # fmt: skip
    except (ValueError, OverflowError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def build_indicator(
    value: TypedValue,
    *,
    source_name: str,
    now: str,
    created_by_ref: str,
    name: str | None = None,
    description: str | None = None,
    labels: Sequence[str] = (),
    indicator_types: Sequence[str] = ("malicious-activity",),
    confidence: int | None = None,
    valid_from: str | None = None,
    markings: Sequence[str] = (),
    external_references: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """A STIX 2.1 indicator (§4.7) for ``value`` with an id deterministic in source and value.

    ``now`` (the ingest time) becomes ``created``/``modified``; ``valid_from`` defaults to it.
    Labels are stripped and deduplicated (first spelling kept); empty ones are dropped.
    Raises ``ValueError`` for a confidence outside 0-100 (§3.3.2) or an external reference
    without ``source_name`` (§2.5).
    """
    if confidence is not None and not 0 <= confidence <= 100:
        raise ValueError(f"confidence {confidence} is outside 0-100")
    indicator: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": deterministic_id("indicator", source_name, value.type.value, value.value),
        "created_by_ref": created_by_ref,
        "created": now,
        "modified": now,
        "name": name if name is not None else value.value,
    }
    if value.port is not None:
        note = f"Port {value.port}; the pattern matches the address {value.host} on any port."
        description = f"{description}. {note}" if description else note
    if description:
        indicator["description"] = description
    if indicator_types:
        indicator["indicator_types"] = list(dict.fromkeys(indicator_types))
    indicator |= {
        "pattern": pattern_for(value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": valid_from if valid_from is not None else now,
    }
    clean_labels = list(dict.fromkeys(s for s in (label.strip() for label in labels) if s))
    if clean_labels:
        indicator["labels"] = clean_labels
    if confidence is not None:
        indicator["confidence"] = confidence
    refs: list[dict[str, str]] = []
    for ref in external_references:
        if not ref.get("source_name"):
            raise ValueError("an external reference needs a source_name (STIX 2.1 §2.5)")
        refs.append(dict(ref))
    if refs:
        indicator["external_references"] = refs
    if markings:
        indicator["object_marking_refs"] = list(dict.fromkeys(markings))
    return indicator


def build_source_identity(source_name: str, now: str) -> dict[str, Any]:
    """The identity (§4.5, class ``system``) that stands for a feed as the indicators' creator."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": deterministic_id("identity", "feed", source_name),
        "created": now,
        "modified": now,
        "name": source_name,
        "description": f"Threat-intelligence feed {source_name}, as ingested by Entente",
        "identity_class": "system",
    }
