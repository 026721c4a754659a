"""ATT&CK techniques and mitigations resolved against a pinned ATT&CK release.

ATT&CK ships each release as a bundle with one ``x-mitre-collection`` (ATT&CK data model,
"Collections": ``x_mitre_version`` is the release, ``x_mitre_contents`` lists every object of it
by ``object_ref`` and ``object_modified``). A technique is cited as of a release only when that
exact version is in the collection's contents; a technique the release revokes or deprecates
(``revoked``, ``x_mitre_deprecated``) is refused, so an advisory never names a TTP ATT&CK no
longer stands behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entente.errors import InvalidInput

__all__ = [
    "AttackRelease",
    "Mitigation",
    "TechniqueRow",
    "attack_id",
    "mitigations_for",
    "pin_releases",
    "plain_text",
    "resolve_techniques",
]


@dataclass(frozen=True, slots=True)
class AttackRelease:
    """One ATT&CK release held here: its collection's name, version and contents."""

    collection_id: str
    name: str  # "ICS ATT&CK"
    version: str  # "18.1"
    contents: frozenset[tuple[str, str]]  # (object_ref, object_modified)

    @property
    def label(self) -> str:
        """How the advisory names the release: ``ICS ATT&CK v18.1``."""
        return f"{self.name} v{self.version}"

    def holds(self, obj: Mapping[str, Any]) -> bool:
        """Whether this exact version of ``obj`` is part of the release."""
        return (str(obj.get("id")), str(obj.get("modified"))) in self.contents


@dataclass(frozen=True, slots=True)
class TechniqueRow:
    """A row of the advisory's "MITRE ATT&CK Tactics and Techniques" table."""

    tactics: tuple[str, ...]
    name: str
    attack_id: str  # T0817, T1566.001
    use: str
    stix_id: str
    release: str  # the release label it was resolved against


@dataclass(frozen=True, slots=True)
class Mitigation:
    """A course of action: ATT&CK's (``attack_id`` M0948) or the analyst's own (no id)."""

    stix_id: str
    name: str
    description: str
    attack_id: str | None
    mitigates: tuple[str, ...]  # ATT&CK ids of the advisory's techniques it mitigates


def attack_id(obj: Mapping[str, Any]) -> str | None:
    """The ATT&CK id (``external_id`` of the ``mitre-attack`` external reference), if any."""
    for ref in obj.get("external_references") or ():
        if isinstance(ref, dict) and ref.get("source_name") == "mitre-attack":
            value = ref.get("external_id")
            return value if isinstance(value, str) else None
    return None


def pin_releases(collections: Iterable[Mapping[str, Any]]) -> list[AttackRelease]:
    """The releases named by ``x-mitre-collection`` objects, by name and version."""
    releases = []
    for obj in collections:
        if obj.get("type") != "x-mitre-collection":
            continue
        contents = frozenset(
            (str(item.get("object_ref")), str(item.get("object_modified")))
            for item in obj.get("x_mitre_contents") or ()
            if isinstance(item, dict)
        )
        releases.append(
            AttackRelease(
                str(obj.get("id")),
                str(obj.get("name", "ATT&CK")),
                str(obj.get("x_mitre_version", "?")),
                contents,
            )
        )
    return sorted(releases, key=lambda r: (r.name, r.version))


# ATT&CK descriptions are Markdown with citation markers (ATT&CK data model, "Citations"):
# ``[Triton](https://attack.mitre.org/software/S1009)`` and ``(Citation: FireEye TRITON 2018)``;
# an advisory's table shows the words, the sources stay in the STIX objects.
_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://[^)\s]*)\)")
_CITATION = re.compile(r"\s*\(Citation:[^)]*\)")


def plain_text(text: str) -> str:
    """``text`` without ATT&CK's Markdown links and citation markers."""
    return " ".join(_CITATION.sub("", _LINK.sub(r"\1", text)).split())


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return (head + dot).strip() or text.strip()


def resolve_techniques(
    techniques: Sequence[Mapping[str, Any]],
    *,
    releases: Sequence[AttackRelease],
    tactics: Iterable[Mapping[str, Any]],
    uses: Mapping[str, str],
) -> list[TechniqueRow]:
    """A table row per technique, each pinned to the release that holds its version.

    ``uses`` maps a technique's STIX id to how the actor used it (the description of a
    ``uses`` relationship of the selection); without one, the technique's first sentence.
    Raises ``InvalidInput`` naming every technique that no release holds, or that is revoked
    or deprecated: an advisory cites ATT&CK as published, or not at all.
    """
    tactic_names = {
        str(t.get("x_mitre_shortname")): str(t.get("name"))
        for t in tactics
        if t.get("type") == "x-mitre-tactic"
    }
    rows, problems = [], []
    for technique in techniques:
        ident = attack_id(technique) or str(technique.get("id"))
        name = str(technique.get("name", ""))
        release = next((r for r in releases if r.holds(technique)), None)
        if technique.get("revoked") is True:
            problems.append(f"{ident} {name} is revoked")
        elif technique.get("x_mitre_deprecated") is True:
            problems.append(f"{ident} {name} is deprecated")
        elif release is None:
            held = ", ".join(r.label for r in releases) or "none held here"
            problems.append(
                f"{ident} {name} (modified {technique.get('modified')}) is in no "
                f"pinned ATT&CK release ({held})"
            )
        elif attack_id(technique) is None:
            problems.append(f"{technique.get('id')} has no ATT&CK id")
        if problems:
            continue
        assert release is not None  # every other case was a problem above
        phases = [
            tactic_names.get(str(p.get("phase_name")), str(p.get("phase_name")))
            for p in technique.get("kill_chain_phases") or ()
            if isinstance(p, dict)
        ]
        stix_id = str(technique["id"])
        rows.append(
            TechniqueRow(
                tuple(phases),
                name,
                ident,
                plain_text(
                    uses.get(stix_id) or _first_sentence(str(technique.get("description", "")))
                ),
                stix_id,
                release.label,
            )
        )
    if problems:
        raise InvalidInput("ATT&CK techniques refused: " + "; ".join(problems))
    return sorted(rows, key=lambda row: (row.tactics, row.attack_id))


def mitigations_for(
    rows: Sequence[TechniqueRow],
    *,
    courses: Iterable[Mapping[str, Any]],
    relationships: Iterable[Mapping[str, Any]],
    releases: Sequence[AttackRelease],
) -> list[Mitigation]:
    """ATT&CK's courses of action that ``mitigates`` one of the techniques, in the release
    (revoked or deprecated ones left out: ATT&CK no longer recommends them)."""
    by_stix = {row.stix_id: row.attack_id for row in rows}
    usable = {
        str(c["id"]): c
        for c in courses
        if c.get("type") == "course-of-action"
        and c.get("revoked") is not True
        and c.get("x_mitre_deprecated") is not True
        and any(r.holds(c) for r in releases)
    }
    mitigated: dict[str, set[str]] = {}
    for rel in relationships:
        source, target = str(rel.get("source_ref")), str(rel.get("target_ref"))
        if (
            rel.get("type") == "relationship"
            and rel.get("relationship_type") == "mitigates"
            and rel.get("revoked") is not True
            and source in usable
            and target in by_stix
        ):
            mitigated.setdefault(source, set()).add(by_stix[target])
    result = [
        Mitigation(
            coa_id,
            str(usable[coa_id].get("name", "")),
            plain_text(str(usable[coa_id].get("description", ""))),
            attack_id(usable[coa_id]),
            tuple(sorted(techniques)),
        )
        for coa_id, techniques in mitigated.items()
    ]
    return sorted(result, key=lambda m: (m.attack_id or "", m.name))
