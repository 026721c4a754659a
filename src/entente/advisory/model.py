"""What an advisory is made from, and what it is once built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entente.advisory.attack import Mitigation, TechniqueRow
from entente.advisory.iocs import Ioc
from entente.stix import Tlp

__all__ = ["Advisory", "AdvisoryDraft", "Agency", "AttackData"]


@dataclass(frozen=True, slots=True)
class Agency:
    """A co-sealing agency: its org's STIX identity id and the name the advisory prints."""

    org_id: str
    name: str


@dataclass(frozen=True, slots=True)
class AdvisoryDraft:
    """What the author writes: the prose, who seals it, and their own recommendations."""

    title: str
    summary: str
    technical_details: str
    author: Agency
    coauthors: tuple[Agency, ...]
    created: str  # RFC 3339 UTC (STIX §3.2): the advisory's one timestamp
    mitigations: tuple[str, ...] = ()  # the analysts' own, beside ATT&CK's
    case_id: str | None = None


@dataclass(frozen=True, slots=True)
class AttackData:
    """The ATT&CK objects held here that techniques are resolved against."""

    collections: Sequence[Mapping[str, Any]]  # x-mitre-collection: the releases
    tactics: Sequence[Mapping[str, Any]]  # x-mitre-tactic
    courses: Sequence[Mapping[str, Any]]  # course-of-action
    relationships: Sequence[Mapping[str, Any]]  # the "mitigates" relationships


@dataclass(frozen=True, slots=True)
class Advisory:
    """A built advisory: the STIX report and bundle, and the tables the human advisory shows."""

    draft: AdvisoryDraft
    report: Mapping[str, Any]
    objects: tuple[Mapping[str, Any], ...]  # the bundle: the report first, then by id
    techniques: tuple[TechniqueRow, ...]
    iocs: tuple[Ioc, ...]
    mitigations: tuple[Mitigation, ...]
    tlp: Tlp
    releases: tuple[str, ...]  # the ATT&CK releases cited ("ICS ATT&CK v18.1")

    @property
    def report_id(self) -> str:
        """The STIX id of the report."""
        return str(self.report["id"])
