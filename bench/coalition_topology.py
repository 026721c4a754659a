"""A seeded coalition: national CERTs, their sector partners and the agreements between them.

Shape (``generate``): each country has one national CERT and a few sector partners (a
government agency, a critical-infrastructure operator, an industry member, a university).
The CERTs share in one multilateral agreement (a full mesh of partner links); each sector
partner has a bilateral agreement with its own CERT whose TLP ceiling, onward-sharing rule and
redaction depend on its kind (with seeded variation); a few cross-border bilateral agreements
join sector partners to foreign partners. One agreement has lapsed (its validity dates are in
the past), so nothing may flow under it. Every pair of parties of an agreement is a partner
link: each node pulls from the other.

Agreements are written as users write them (``docs/adr/0002-federation.md``: parties by org
name, ``max_tlp``, ``onward_sharing``, ``redact``, ``valid_from``/``valid_until``), and the
same documents feed both the real nodes and the oracle. Pure: no I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

__all__ = [
    "SECTOR_KINDS",
    "Member",
    "Topology",
    "generate",
]

SECTOR_KINDS: Final = ("agency", "ci-operator", "industry", "academia")

# Per sector kind: the TLP ceilings and onward rules its bilateral agreement with its CERT
# draws from (seeded). "named" lets the CERT pass what it received on to the coalition's CERTs.
_CEILINGS: Final = {
    "agency": ("amber", "amber", "green"),
    "ci-operator": ("amber+strict", "amber", "amber+strict"),
    "industry": ("green", "amber", "green"),
    "academia": ("clear", "green", "clear"),
}
_ONWARD: Final = {
    "agency": ("named", "named", "coalition"),
    "ci-operator": ("named", "none", "named"),
    "industry": ("none", "none", "named"),
    "academia": ("coalition", "named", "none"),
}
# Victim details stay with the sector partner's own CERT: a redacted copy goes out.
_REDACT: Final = {"indicator": ["description"]}
_LAPSED: Final = {"valid_from": "2020-01-01T00:00:00Z", "valid_until": "2021-01-01T00:00:00Z"}


@dataclass(frozen=True, slots=True)
class Member:
    """One node of the coalition: its org name, its kind and its country."""

    org: str
    kind: str
    country: str


@dataclass(frozen=True, slots=True)
class Topology:
    """The members, the agreement documents and the partner links they imply."""

    members: tuple[Member, ...]
    agreements: tuple[dict[str, Any], ...]

    @property
    def orgs(self) -> tuple[str, ...]:
        """Every member's org name, in order."""
        return tuple(member.org for member in self.members)

    def links(self) -> list[tuple[str, str]]:
        """Each unordered pair of orgs bound by some agreement, once, sorted."""
        pairs = {
            tuple(sorted(pair))
            for agreement in self.agreements
            for pair in combinations(agreement["parties"], 2)
        }
        return sorted((a, b) for a, b in pairs)

    def agreements_of(self, org: str) -> list[dict[str, Any]]:
        """The agreements ``org`` is party to."""
        return [a for a in self.agreements if org in a["parties"]]


def _country(index: int) -> str:
    """A, B, ..., Z, then AA, AB, ...: a short country code."""
    letters = ""
    index += 1
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def generate(countries: int, sectors: int, seed: int, cross_border: int | None = None) -> Topology:
    """A coalition of ``countries`` CERTs with ``sectors`` sector partners each (seeded).

    ``cross_border`` bilateral links between sector partners of different countries (default:
    one per country). Needs at least two countries and one sector partner each.
    """
    if countries < 2 or not 1 <= sectors <= 8:
        raise ValueError("a coalition needs two countries or more and 1-8 sector partners each")
    rng = random.Random(seed)
    members: list[Member] = []
    certs: list[str] = []
    by_country: dict[str, list[Member]] = {}
    for c in range(countries):
        country = _country(c)
        cert = Member(f"CERT {country}", "cert", country)
        members.append(cert)
        certs.append(cert.org)
        by_country[country] = []
        for s in range(sectors):
            kind = SECTOR_KINDS[s % len(SECTOR_KINDS)]
            sector = Member(f"{kind.title()} {country}{s + 1}", kind, country)
            members.append(sector)
            by_country[country].append(sector)
    agreements: list[dict[str, Any]] = [
        {
            "id": "cert-mesh",
            "name": "Coalition CERTs (multilateral)",
            "parties": list(certs),
            "max_tlp": "amber",
            # The CERTs pass on what they receive to any member of the coalition.
            "onward_sharing": {"named": [m.org for m in members]},
        }
    ]
    bilateral: list[dict[str, Any]] = []
    for country, sectors_here in by_country.items():
        national = f"CERT {country}"
        for sector in sectors_here:
            onward_rule = rng.choice(_ONWARD[sector.kind])
            document: dict[str, Any] = {
                "id": f"national-{_slug(sector.org)}",
                "name": f"{national} and {sector.org}",
                "parties": [national, sector.org],
                "max_tlp": rng.choice(_CEILINGS[sector.kind]),
                "onward_sharing": _onward(onward_rule, certs),
            }
            if sector.kind in ("ci-operator", "agency") and rng.random() < 0.5:
                document["redact"] = _REDACT
            bilateral.append(document)
    sector_members = [m for m in members if m.kind != "cert"]
    wanted = countries if cross_border is None else cross_border
    seen: set[tuple[str, str]] = set()
    for _ in range(wanted * 20):
        if len(seen) >= wanted:
            break
        a, b = rng.sample(sector_members, 2)
        pair = (min(a.org, b.org), max(a.org, b.org))
        if a.country == b.country or pair in seen:
            continue
        seen.add(pair)
        bilateral.append(
            {
                "id": f"cross-{_slug(pair[0])}-{_slug(pair[1])}",
                "name": f"{pair[0]} and {pair[1]} (cross-border)",
                "parties": list(pair),
                "max_tlp": rng.choice(("green", "amber", "clear")),
                "onward_sharing": rng.choice(("none", "coalition")),
            }
        )
    # One agreement has lapsed: its link stays configured, but nothing may flow under it.
    lapsed = rng.randrange(len(bilateral))
    bilateral[lapsed] = {**bilateral[lapsed], **_LAPSED}
    agreements.extend(bilateral)
    return Topology(tuple(members), tuple(agreements))


def _onward(rule: str, certs: list[str]) -> Any:
    return {"named": list(certs)} if rule == "named" else rule


def _slug(org: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in org.lower())
