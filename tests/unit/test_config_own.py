"""The ``own_networks`` and ``own_domains`` settings: environment first, then entente.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.config import load_settings
from entente.errors import ConfigurationError


def test_unset_means_no_own_addresses(tmp_path: Path) -> None:
    assert not load_settings({"ENTENTE_HOME": str(tmp_path)}).own_addresses


def test_the_environment_separates_by_commas_or_spaces(tmp_path: Path) -> None:
    env = {
        "ENTENTE_HOME": str(tmp_path),
        "ENTENTE_OWN_NETWORKS": "198.51.100.0/24, 2001:db8:cafe::/48 192.0.2.1",
        "ENTENTE_OWN_DOMAINS": "CSIRT-Nordland.eu,cert.example.org",
    }
    own = load_settings(env).own_addresses
    assert [n.compressed for n in own.networks] == [
        "198.51.100.0/24",
        "2001:db8:cafe::/48",
        "192.0.2.1/32",
    ]
    assert own.domains == ("csirt-nordland.eu", "cert.example.org")


def test_the_file_holds_lists_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(
        'own_networks = ["198.51.100.0/24"]\nown_domains = ["csirt-nordland.eu"]\n'
    )
    own = load_settings({"ENTENTE_HOME": str(tmp_path), "ENTENTE_OWN_NETWORKS": ""}).own_addresses
    assert ([n.compressed for n in own.networks], own.domains) == (
        ["198.51.100.0/24"],
        ("csirt-nordland.eu",),
    )
    env = {"ENTENTE_HOME": str(tmp_path), "ENTENTE_OWN_NETWORKS": "203.0.113.0/24"}
    assert [n.compressed for n in load_settings(env).own_addresses.networks] == ["203.0.113.0/24"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('own_networks = ["10.0.0.0/33"]\n', "own_networks: '10.0.0.0/33' is not an IP address"),
        ('own_domains = ["not a domain"]\n', "own_domains: 'not a domain' is not a domain name"),
        ("own_networks = 3\n", "own_networks 3 must be a list of strings"),
        ("own_domains = [1]\n", "own_domains \\[1\\] must be a list of strings"),
    ],
)
def test_a_value_that_is_not_an_address_or_name_is_refused(
    tmp_path: Path, toml: str, message: str
) -> None:
    (tmp_path / "entente.toml").write_text(toml)
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"ENTENTE_HOME": str(tmp_path)})
