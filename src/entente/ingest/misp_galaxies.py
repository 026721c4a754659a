"""MISP galaxy clusters as STIX 2.1 SDOs (§4) and the relationship verbs between them (App. B)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from entente.stix.identifiers import deterministic_id, is_valid_id

__all__ = [
    "GALAXY_SUFFIXES",
    "GALAXY_TYPES",
    "MALWARE_TYPES",
    "RELATIONSHIP_VERBS",
    "cluster_properties",
    "cluster_type",
    "clusters",
    "galaxy_stix_type",
    "galaxy_survey",
    "mapping_list",
    "misp_uuid",
    "relation_verb",
]

GALAXY_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "threat-actor": "threat-actor",
        "mitre-threat-actor": "threat-actor",
        "intrusion-set": "intrusion-set",
        "microsoft-activity-group": "intrusion-set",
        "malware": "malware",
        "malpedia": "malware",
        "ransomware": "malware",
        "banker": "malware",
        "stealer": "malware",
        "android": "malware",
        "rat": "malware",
        "botnet": "malware",
        "backdoor": "malware",
        "exploit-kit": "malware",
        "tool": "tool",
        "attack-pattern": "attack-pattern",
        "course-of-action": "course-of-action",
        "campaign": "campaign",
    }
)
# mitre-enterprise-attack-malware, mitre-mobile-attack-tool, ...: matched by suffix.
GALAXY_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("-attack-pattern", "attack-pattern"),
    ("-intrusion-set", "intrusion-set"),
    ("-course-of-action", "course-of-action"),
    ("-malware", "malware"),
    ("-tool", "tool"),
)
# Galaxy type -> malware_types (STIX 2.1 §10.15 malware-type-ov).
MALWARE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "ransomware": "ransomware",
        "exploit-kit": "exploit-kit",
        "rat": "remote-access-trojan",
        "backdoor": "backdoor",
        "botnet": "bot",
        "stealer": "spyware",
    }
)
# SDO types that carry ``aliases`` (STIX 2.1 §4).
_ALIASED = frozenset({"threat-actor", "intrusion-set", "malware", "tool", "campaign"})

# STIX 2.1 Appendix B relationship summary: (source type, target type) -> verb.
RELATIONSHIP_VERBS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        **{
            ("indicator", t): "indicates"
            for t in (
                "attack-pattern",
                "campaign",
                "intrusion-set",
                "malware",
                "threat-actor",
                "tool",
            )
        },
        **{
            (s, t): "uses"
            for s in ("threat-actor", "intrusion-set", "campaign")
            for t in ("attack-pattern", "malware", "tool")
        },
        ("malware", "attack-pattern"): "uses",
        ("malware", "tool"): "uses",
        ("malware", "malware"): "uses",
        ("intrusion-set", "threat-actor"): "attributed-to",
        ("campaign", "intrusion-set"): "attributed-to",
        ("campaign", "threat-actor"): "attributed-to",
        ("malware", "vulnerability"): "exploits",
        **{
            ("course-of-action", t): "mitigates"
            for t in ("attack-pattern", "indicator", "malware", "tool", "vulnerability")
        },
    }
)
_MITRE_ID = re.compile(r"\s+-\s+((?:T|TA|G|S|M|C)\d{4}(?:\.\d{3})?)$")


def misp_uuid(value: Any) -> str | None:
    """A MISP uuid, lower-cased, if it is a valid RFC 4122 UUID (STIX 2.1 §2.9)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text if is_valid_id(f"report--{text}") else None


def mapping_list(value: Any) -> list[Mapping[str, Any]]:
    """The JSON objects in a MISP list (``Attribute``, ``Tag``, ...); anything else: none."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def relation_verb(source_type: str, target_type: str) -> tuple[str, bool]:
    """The Appendix B verb for the pair and whether it reads target -> source."""
    verb = RELATIONSHIP_VERBS.get((source_type, target_type))
    if verb is not None:
        return verb, False
    verb = RELATIONSHIP_VERBS.get((target_type, source_type))
    if verb is not None:
        return verb, True
    return "related-to", False


def galaxy_stix_type(galaxy_type: str) -> str | None:
    """The STIX SDO type for a MISP galaxy type, or ``None`` when there is none."""
    if galaxy_type in GALAXY_TYPES:
        return GALAXY_TYPES[galaxy_type]
    for suffix, stix_type in GALAXY_SUFFIXES:
        if galaxy_type.endswith(suffix):
            return stix_type
    return None


def clusters(
    holder: Mapping[str, Any],
) -> Iterator[tuple[int, Mapping[str, Any], int, Mapping[str, Any]]]:
    """(galaxy index, galaxy, cluster index, cluster) for each cluster on an event/attribute."""
    for g, galaxy in enumerate(mapping_list(holder.get("Galaxy"))):
        for c, cluster in enumerate(mapping_list(galaxy.get("GalaxyCluster"))):
            yield g, galaxy, c, cluster


def cluster_type(galaxy: Mapping[str, Any], cluster: Mapping[str, Any]) -> str:
    """The galaxy type a cluster belongs to."""
    return str(cluster.get("type") or galaxy.get("type") or "")


def _all_holders(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield event
    yield from mapping_list(event.get("Attribute"))
    for obj in mapping_list(event.get("Object")):
        yield from mapping_list(obj.get("Attribute"))


def galaxy_survey(event: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """Cluster uuids that do not identify one cluster, and tags that mapped clusters cover.

    Some exports repeat the galaxy uuid on every cluster (PyMISP existing_event.json); such a
    uuid cannot be the id of any one SDO.
    """
    seen: dict[str, set[str]] = {}
    bad: set[str] = set()
    covered: set[str] = set()
    for holder in _all_holders(event):
        for _g, galaxy, _c, cluster in clusters(holder):
            if galaxy_stix_type(cluster_type(galaxy, cluster)) is None:
                continue
            if isinstance(cluster.get("tag_name"), str):
                covered.add(cluster["tag_name"])
            uid = misp_uuid(cluster.get("uuid"))
            if uid is None:
                continue
            seen.setdefault(uid, set()).add(str(cluster.get("value")))
            if uid == misp_uuid(galaxy.get("uuid")):
                bad.add(uid)
    bad.update(uid for uid, values in seen.items() if len(values) > 1)
    return frozenset(bad), frozenset(covered)


def cluster_properties(
    galaxy: Mapping[str, Any], cluster: Mapping[str, Any], ambiguous: frozenset[str]
) -> tuple[str, str, dict[str, Any]] | None:
    """(STIX type, id, properties) of the SDO for a galaxy cluster, or ``None`` if unmapped."""
    galaxy_type = cluster_type(galaxy, cluster)
    stix_type = galaxy_stix_type(galaxy_type)
    value = cluster.get("value")
    if stix_type is None or not isinstance(value, str) or not value.strip():
        return None  # unmapped galaxies stay visible as their tag label
    meta = cluster.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    name = value.strip()
    external_id: str | None = None
    ext = meta.get("external_id")
    if isinstance(ext, list) and ext and isinstance(ext[0], str):
        external_id = ext[0]
    elif isinstance(ext, str):
        external_id = ext
    m = _MITRE_ID.search(name)
    is_mitre = galaxy_type.startswith("mitre-")
    if m is not None and is_mitre:
        external_id = external_id or m.group(1)
        name = name[: m.start()]
    uid = misp_uuid(cluster.get("uuid"))
    if uid is not None and uid not in ambiguous:
        sdo_id = f"{stix_type}--{uid}"
    elif external_id is not None and is_mitre:
        # The same technique from mitre-attack-pattern and mitre-enterprise-attack-attack-
        # pattern galaxies gets one id via its ATT&CK id.
        sdo_id = deterministic_id(stix_type, "mitre-attack", external_id)
    else:
        sdo_id = deterministic_id(stix_type, "misp-galaxy", galaxy_type, value.strip())
    props: dict[str, Any] = {"name": name}
    description = cluster.get("description")
    if isinstance(description, str) and description.strip() and description != value:
        props["description"] = description
    synonyms = meta.get("synonyms")
    if stix_type in _ALIASED and isinstance(synonyms, list):
        props["aliases"] = [s for s in synonyms if isinstance(s, str) and s != name]
    if stix_type == "malware":
        props["is_family"] = True
        if galaxy_type in MALWARE_TYPES:
            props["malware_types"] = [MALWARE_TYPES[galaxy_type]]
    if external_id is not None and is_mitre:
        props["external_references"] = [{"source_name": "mitre-attack", "external_id": external_id}]
    return stix_type, sdo_id, props
