"""Indicators of compromise: indicators' STIX patterns reduced to values by type.

The matcher's compiler (``matching.patterns``) already reads a pattern as "this value is one
of these" where it can; its terms are the IOCs a defender blocks. A pattern it cannot reduce
(``FOLLOWEDBY``, qualifiers, other object paths) is listed whole, never dropped (conventions
§11).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from entente.matching.model import TermOp
from entente.matching.patterns import compile_pattern

__all__ = ["Ioc", "iocs_of"]

_LABELS = {
    "ip": "IP address",
    "domain": "Domain",
    "url": "URL",
    "email": "Email address",
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "ja3": "JA3",
    "ja3s": "JA3S",
    "ja4": "JA4",
}


@dataclass(frozen=True, slots=True)
class Ioc:
    """A row of the "Indicators of Compromise" table."""

    kind: str  # "IP address", "Domain", ... or "STIX pattern" when it cannot be reduced
    value: str
    indicator_id: str
    indicator_name: str
    valid_from: str


def iocs_of(indicators: Iterable[Mapping[str, Any]]) -> list[Ioc]:
    """The IOCs of ``indicators``, by type then value; one row per value and indicator."""
    rows: dict[tuple[str, str, str], Ioc] = {}
    for indicator in indicators:
        if indicator.get("type") != "indicator":
            continue
        ident = str(indicator.get("id"))
        name = str(indicator.get("name", ""))
        valid_from = str(indicator.get("valid_from", ""))
        verdict = compile_pattern(str(indicator.get("pattern", "")))
        if verdict.reason is not None:
            pattern = str(indicator.get("pattern", ""))
            rows[("STIX pattern", pattern, ident)] = Ioc(
                "STIX pattern", pattern, ident, name, valid_from
            )
            continue
        for term in verdict.terms:
            kind = _LABELS[term.kind.value]
            if term.op is TermOp.IN_NETWORK:
                kind = "IP network"
            elif term.op is TermOp.SUBDOMAIN:
                kind = "Subdomains of"
            rows[(kind, term.value, ident)] = Ioc(kind, term.value, ident, name, valid_from)
    return [rows[key] for key in sorted(rows)]
