"""The coalition generator: seeded, the shape the bench describes, agreements that nodes accept."""

from __future__ import annotations

from itertools import combinations

import pytest

from coalition_topology import SECTOR_KINDS, generate
from entente.services.tokens import org_identity_id
from entente.sharing import parse_agreement


def test_the_same_seed_gives_the_same_coalition() -> None:
    assert generate(4, 4, 26) == generate(4, 4, 26)
    assert generate(4, 4, 26) != generate(4, 4, 27)


def test_twenty_nodes_are_four_certs_with_four_sector_partners_each() -> None:
    topology = generate(4, 4, 26)
    assert len(topology.members) == 20
    certs = [m for m in topology.members if m.kind == "cert"]
    assert len(certs) == 4
    for cert in certs:
        kinds = sorted(m.kind for m in topology.members if m.country == cert.country)
        assert kinds == sorted(["cert", *SECTOR_KINDS])


def test_the_certs_share_one_multilateral_agreement_as_a_full_mesh() -> None:
    topology = generate(4, 4, 26)
    certs = sorted(m.org for m in topology.members if m.kind == "cert")
    mesh = [a for a in topology.agreements if sorted(a["parties"]) == certs]
    assert len(mesh) == 1
    links = set(topology.links())
    assert all(tuple(sorted(pair)) in links for pair in combinations(certs, 2))


def test_every_member_has_a_partner_and_one_agreement_has_lapsed() -> None:
    topology = generate(4, 4, 26)
    linked = {org for link in topology.links() for org in link}
    assert linked == set(topology.orgs)
    assert sum("valid_until" in a for a in topology.agreements) == 1
    cross = [a for a in topology.agreements if a["id"].startswith("cross-")]
    assert len(cross) == 4


@pytest.mark.parametrize("seed", [1, 26, 99])
def test_every_agreement_is_one_a_node_accepts(seed: int) -> None:
    for document in generate(4, 4, seed).agreements:
        parsed = parse_agreement(document, org_id=org_identity_id)
        assert parsed.id == document["id"]


def test_a_hundred_partners_are_twenty_countries_of_five() -> None:
    topology = generate(20, 4, 26)
    assert len(topology.orgs) == len(set(topology.orgs)) == 100


@pytest.mark.parametrize(("countries", "sectors"), [(1, 4), (4, 0), (4, 9)])
def test_a_coalition_too_small_or_too_wide_is_refused(countries: int, sectors: int) -> None:
    with pytest.raises(ValueError, match="coalition"):
        generate(countries, sectors, 26)
