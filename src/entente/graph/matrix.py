"""The ATT&CK matrix of one domain: its tactics in order, their techniques, and usage counts.

Built from the objects a reader may see (the service passes their copies): the domain's
``x-mitre-matrix`` orders the tactics (``tactic_refs``), each ``x-mitre-tactic`` names one
kill-chain phase (``x_mitre_shortname``), and each ``attack-pattern`` sits under the tactics
of its ``kill_chain_phases`` in the domain's kill chain (STIX 2.1 §4.1, §3.4 kill chain
phases; ATT&CK's STIX representation: https://github.com/mitre/cti/blob/master/USAGE.md).
Revoked and deprecated techniques are left out, as ATT&CK's own matrices leave them out;
sub-techniques (``T1566.001``) are listed under their technique (``T1566``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ATTACK_DOMAINS",
    "AttackMatrix",
    "MatrixTactic",
    "MatrixTechnique",
    "build_matrix",
    "domains_of",
    "usage_counts",
]

# ATT&CK domain -> the kill_chain_name of its phases.
ATTACK_DOMAINS: Mapping[str, str] = {
    "enterprise-attack": "mitre-attack",
    "mobile-attack": "mitre-mobile-attack",
    "ics-attack": "mitre-ics-attack",
}
_DOMAIN_OF_CHAIN = {chain: domain for domain, chain in ATTACK_DOMAINS.items()}
# Who "uses" a technique (STIX 2.1 §4: campaign, intrusion-set, malware, threat-actor, tool;
# incidents as analysts here record them). A report counts when it lists the technique.
USER_TYPES = frozenset({"campaign", "incident", "intrusion-set", "malware", "threat-actor", "tool"})


@dataclass(frozen=True, slots=True)
class MatrixTechnique:
    """A technique (or sub-technique) and how many users of it the reader may see."""

    id: str
    external_id: str
    name: str
    count: int
    subtechniques: tuple[MatrixTechnique, ...] = ()


@dataclass(frozen=True, slots=True)
class MatrixTactic:
    """A column: one tactic (kill-chain phase) and its techniques by name."""

    shortname: str
    name: str
    id: str | None
    external_id: str | None
    techniques: tuple[MatrixTechnique, ...]


@dataclass(frozen=True, slots=True)
class AttackMatrix:
    """The matrix of one ATT&CK domain; ``max_count`` is the largest count in it."""

    domain: str
    name: str
    tactics: tuple[MatrixTactic, ...]
    max_count: int


def _active(obj: Mapping[str, Any]) -> bool:
    return not obj.get("revoked") and not obj.get("x_mitre_deprecated")


def _attack_id(obj: Mapping[str, Any]) -> str | None:
    for ref in obj.get("external_references") or ():
        if isinstance(ref, Mapping) and ref.get("source_name") in (
            "mitre-attack",
            "mitre-mobile-attack",
            "mitre-ics-attack",
        ):
            value = ref.get("external_id")
            if isinstance(value, str):
                return value
    return None


def _phases(obj: Mapping[str, Any], chain: str) -> list[str]:
    phases = obj.get("kill_chain_phases")
    if not isinstance(phases, list):
        return []
    return [
        str(p["phase_name"])
        for p in phases
        if isinstance(p, Mapping)
        and p.get("kill_chain_name") == chain
        and isinstance(p.get("phase_name"), str)
    ]


def _in_domain(obj: Mapping[str, Any], domain: str) -> bool:
    domains = obj.get("x_mitre_domains")
    return isinstance(domains, list) and domain in domains


def domains_of(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """The ATT&CK domains that have an active technique among ``objects``, in
    ``ATTACK_DOMAINS`` order."""
    found: set[str] = set()
    for obj in objects:
        if obj.get("type") != "attack-pattern" or not _active(obj):
            continue
        for phase in obj.get("kill_chain_phases") or ():
            if isinstance(phase, Mapping):
                domain = _DOMAIN_OF_CHAIN.get(str(phase.get("kill_chain_name")))
                if domain is not None:
                    found.add(domain)
    return [d for d in ATTACK_DOMAINS if d in found]


def usage_counts(objects: Iterable[Mapping[str, Any]], visible: Iterable[str]) -> dict[str, int]:
    """How many distinct users each attack-pattern has: the ``uses`` relationships from a user
    type (``USER_TYPES``) whose source is in ``visible``, and the reports listing it.

    ``objects``: the relationships and reports as the reader sees them (only those it may
    see); ``visible``: the ids of the relationships' sources the reader may see. A user with
    several relationships to one technique counts once.
    """
    shown = set(visible)
    users: dict[str, set[str]] = {}
    for obj in objects:
        kind = obj.get("type")
        if kind == "relationship" and obj.get("relationship_type") == "uses":
            source, target = obj.get("source_ref"), obj.get("target_ref")
            if (
                isinstance(source, str)
                and isinstance(target, str)
                and target.startswith("attack-pattern--")
                and source.partition("--")[0] in USER_TYPES
                and source in shown
            ):
                users.setdefault(target, set()).add(source)
        elif kind == "report":
            refs = obj.get("object_refs")
            if isinstance(refs, list):
                for ref in refs:
                    if isinstance(ref, str) and ref.startswith("attack-pattern--"):
                        users.setdefault(ref, set()).add(str(obj.get("id")))
    return {technique: len(who) for technique, who in users.items()}


def _tactic_order(
    objects: list[Mapping[str, Any]], domain: str, chain: str
) -> list[tuple[str, str, str | None, str | None]]:
    """(shortname, name, id, external id) of the domain's tactics in matrix order."""
    tactics = {
        str(o["id"]): o
        for o in objects
        if o.get("type") == "x-mitre-tactic"
        and _active(o)
        and isinstance(o.get("x_mitre_shortname"), str)
        and (_in_domain(o, domain) or "x_mitre_domains" not in o)
    }
    matrices = sorted(
        (
            o
            for o in objects
            if o.get("type") == "x-mitre-matrix"
            and _active(o)
            and (_in_domain(o, domain) or _attack_id(o) == domain)
        ),
        key=lambda m: (-len(m.get("tactic_refs") or ()), str(m.get("id"))),
    )
    ordered: list[str] = []
    for matrix in matrices:
        for ref in matrix.get("tactic_refs") or ():
            if ref in tactics and ref not in ordered:
                ordered.append(ref)
    # Tactics no visible matrix orders follow, by ATT&CK id (TA0001 first).
    ordered += sorted(
        (t for t in tactics if t not in ordered),
        key=lambda t: (_attack_id(tactics[t]) or "~", t),
    )
    columns: list[tuple[str, str, str | None, str | None]] = [
        (
            str(tactics[t]["x_mitre_shortname"]),
            str(tactics[t].get("name") or tactics[t]["x_mitre_shortname"]),
            t,
            _attack_id(tactics[t]),
        )
        for t in ordered
    ]
    # Phases of techniques with no tactic object visible still get a column, named by phase.
    named = {c[0] for c in columns}
    phases = sorted(
        {
            phase
            for o in objects
            if o.get("type") == "attack-pattern" and _active(o)
            for phase in _phases(o, chain)
        }
        - named
    )
    columns += [(p, p.replace("-", " ").title(), None, None) for p in phases]
    return columns


def build_matrix(
    objects: Iterable[Mapping[str, Any]], counts: Mapping[str, int], domain: str
) -> AttackMatrix:
    """The matrix of ``domain`` (an ``ATTACK_DOMAINS`` key) from the matrix, tactic and
    attack-pattern objects the reader may see, with ``counts`` by attack-pattern id."""
    chain = ATTACK_DOMAINS[domain]
    everything = list(objects)
    columns = _tactic_order(everything, domain, chain)
    techniques = [
        o
        for o in everything
        if o.get("type") == "attack-pattern" and _active(o) and _phases(o, chain)
    ]
    by_phase: dict[str, list[Mapping[str, Any]]] = {}
    for technique in techniques:
        for phase in dict.fromkeys(_phases(technique, chain)):
            by_phase.setdefault(phase, []).append(technique)

    def entry(obj: Mapping[str, Any], subs: tuple[MatrixTechnique, ...] = ()) -> MatrixTechnique:
        oid = str(obj["id"])
        return MatrixTechnique(
            id=oid,
            external_id=_attack_id(obj) or "",
            name=str(obj.get("name") or oid),
            count=counts.get(oid, 0),
            subtechniques=subs,
        )

    tactics: list[MatrixTactic] = []
    highest = 0
    for shortname, name, tactic_id, external_id in columns:
        members = by_phase.get(shortname, [])
        parents = [m for m in members if "." not in (_attack_id(m) or "")]
        parent_ids = {_attack_id(p) or "" for p in parents}
        children: dict[str, list[Mapping[str, Any]]] = {}
        orphans: list[Mapping[str, Any]] = []
        for member in members:
            attack_id = _attack_id(member) or ""
            if "." in attack_id:
                parent_key = attack_id.partition(".")[0]
                # A sub-technique whose technique is not in this column stands on its own.
                if parent_key in parent_ids:
                    children.setdefault(parent_key, []).append(member)
                else:
                    orphans.append(member)
        rows = [
            entry(
                p,
                tuple(
                    entry(c)
                    for c in sorted(
                        children.get(_attack_id(p) or "", []),
                        key=lambda c: (_attack_id(c) or "", str(c["id"])),
                    )
                ),
            )
            for p in parents
        ]
        rows += [entry(o) for o in orphans]
        rows.sort(key=lambda t: (t.name.casefold(), t.external_id, t.id))
        for row in rows:
            highest = max(highest, row.count, *(s.count for s in row.subtechniques))
        tactics.append(MatrixTactic(shortname, name, tactic_id, external_id, tuple(rows)))
    # Named as its main matrix (the one with most tactics: Mobile ATT&CK, not a side matrix).
    matrices = sorted(
        (
            o
            for o in everything
            if o.get("type") == "x-mitre-matrix" and _active(o) and _attack_id(o) == domain
        ),
        key=lambda m: (-len(m.get("tactic_refs") or ()), str(m.get("id"))),
    )
    name = str(matrices[0].get("name") or domain) if matrices else domain
    return AttackMatrix(domain, name, tuple(tactics), highest)
