"""``bootstrap.tsa_config``: the one construction of the time-stamping authority that the CLI's
``evidence export`` and the case's evidence page both use."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.bootstrap import tsa_config
from entente.config import Settings
from entente.errors import ConfigurationError
from entente.evidence.tsa_client import HttpTimestamper


def _settings(home: Path, url: str | None = None, chain: Path | None = None) -> Settings:
    return Settings(
        home=home,
        database_url=f"sqlite:///{home / 'node.db'}",
        tsa_url=url,
        tsa_chain_file=chain,
    )


def test_no_tsa_configured_is_none(tmp_path: Path) -> None:
    assert tsa_config(_settings(tmp_path)) is None


def test_an_unreadable_chain_file_names_the_setting(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "http://127.0.0.1:9/", tmp_path / "absent.pem")
    with pytest.raises(ConfigurationError, match=r"tsa_chain_file .*absent\.pem"):
        tsa_config(settings)


def test_a_configured_tsa_is_asked_over_http_with_its_chain(tmp_path: Path) -> None:
    chain = tmp_path / "chain.pem"
    chain.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    made = tsa_config(_settings(tmp_path, "http://127.0.0.1:3180/", chain))
    assert made is not None
    assert made.chain_pem == chain.read_bytes()
    assert isinstance(made.timestamper, HttpTimestamper)
