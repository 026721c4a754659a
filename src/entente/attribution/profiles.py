"""Which ATT&CK techniques each intrusion set uses, read from STIX objects (values in).

A candidate (intrusion set or threat actor) uses a technique **directly** (a ``uses``
relationship candidate → attack-pattern) or **indirectly**: through software it uses
(candidate ``uses`` malware/tool ``uses`` attack-pattern) or through a campaign attributed to
it (campaign ``attributed-to`` candidate, campaign ``uses`` attack-pattern) — the paths ATT&CK
itself draws (its "Software" and "Campaigns" tables on a group's page). An indirect use weighs
``INDIRECT_WEIGHT``: the set may not use every feature of the software, and a campaign is one
episode. Revoked objects (STIX 2.1 §3.6) and ones ATT&CK marks ``x_mitre_deprecated`` are left
out: they no longer describe anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ATTACK_SOURCES",
    "CANDIDATE_TYPES",
    "DIRECT_WEIGHT",
    "INDIRECT_WEIGHT",
    "TECHNIQUE_ID",
    "Profiles",
    "build_profiles",
]

CANDIDATE_TYPES = ("intrusion-set", "threat-actor")
_SOFTWARE_TYPES = ("malware", "tool")
DIRECT_WEIGHT = 1.0
INDIRECT_WEIGHT = 0.5
# The external_references source names of ATT&CK's three domains.
ATTACK_SOURCES = ("mitre-attack", "mitre-ics-attack", "mitre-mobile-attack")
# T1234, T1234.001 (enterprise/mobile sub-techniques) and T0800 (ICS).
TECHNIQUE_ID = re.compile(r"T\d{4}(\.\d{3})?")


@dataclass(frozen=True, slots=True)
class Profiles:
    """Each candidate's techniques with the weight of its strongest path, the candidates'
    names, and the ATT&CK external id → attack-pattern ids map."""

    uses: Mapping[str, Mapping[str, float]]
    names: Mapping[str, str]
    external_ids: Mapping[str, tuple[str, ...]]
    technique_names: Mapping[str, str]


def _live(obj: Mapping[str, Any]) -> bool:
    return not obj.get("revoked") and not obj.get("x_mitre_deprecated")


def _type(ref: object) -> str:
    return ref.partition("--")[0] if isinstance(ref, str) else ""


def _external_ids(technique: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for ref in technique.get("external_references") or ():
        if isinstance(ref, Mapping) and ref.get("source_name") in ATTACK_SOURCES:
            value = ref.get("external_id")
            if isinstance(value, str) and TECHNIQUE_ID.fullmatch(value):
                found.append(value)
    return found


def build_profiles(objects: Iterable[Mapping[str, Any]]) -> Profiles:
    """The profiles of every live candidate among ``objects`` (each object once, the
    version the reader sees)."""
    live = [o for o in objects if _live(o)]
    by_id = {str(o.get("id")): o for o in live}
    names = {
        oid: str(o.get("name") or oid) for oid, o in by_id.items() if _type(oid) in CANDIDATE_TYPES
    }
    techniques = {oid: o for oid, o in by_id.items() if _type(oid) == "attack-pattern"}
    software: dict[str, set[str]] = {}
    campaign_uses: dict[str, set[str]] = {}
    direct: dict[str, set[str]] = {c: set() for c in names}
    via_software: dict[str, set[str]] = {c: set() for c in names}
    attributed: dict[str, set[str]] = {c: set() for c in names}
    for rel in live:
        if rel.get("type") != "relationship":
            continue
        source, target, kind = (
            rel.get("source_ref"),
            rel.get("target_ref"),
            rel.get("relationship_type"),
        )
        if not isinstance(source, str) or not isinstance(target, str):
            continue
        if source not in by_id or target not in by_id:
            continue  # an end the reader may not see, or revoked: the path is not there
        if kind == "uses" and _type(target) == "attack-pattern":
            if source in names:
                direct[source].add(target)
            elif _type(source) in _SOFTWARE_TYPES:
                software.setdefault(source, set()).add(target)
            elif _type(source) == "campaign":
                campaign_uses.setdefault(source, set()).add(target)
        elif kind == "uses" and source in names and _type(target) in _SOFTWARE_TYPES:
            via_software[source].add(target)
        elif kind == "attributed-to" and _type(source) == "campaign" and target in names:
            attributed[target].add(source)
    uses: dict[str, dict[str, float]] = {}
    for candidate in names:
        profile: dict[str, float] = {}
        for tool in via_software[candidate]:
            profile.update(dict.fromkeys(software.get(tool, ()), INDIRECT_WEIGHT))
        for campaign in attributed[candidate]:
            profile.update(dict.fromkeys(campaign_uses.get(campaign, ()), INDIRECT_WEIGHT))
        profile.update(dict.fromkeys(direct[candidate], DIRECT_WEIGHT))
        uses[candidate] = profile
    external: dict[str, list[str]] = {}
    for oid, technique in sorted(techniques.items()):
        for value in _external_ids(technique):
            external.setdefault(value, []).append(oid)
    return Profiles(
        uses=uses,
        names=names,
        external_ids={k: tuple(v) for k, v in external.items()},
        technique_names={oid: str(t.get("name") or oid) for oid, t in techniques.items()},
    )
