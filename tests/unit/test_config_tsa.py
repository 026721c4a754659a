"""The time-stamping authority settings: ``tsa_url`` and ``tsa_chain_file``, both or neither."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.config import load_settings
from entente.errors import ConfigurationError


def test_no_tsa_is_configured_by_default(tmp_path: Path) -> None:
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert (settings.tsa_url, settings.tsa_chain_file) == (None, None)


def test_the_environment_wins_and_a_relative_chain_is_in_the_home(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(
        'tsa_url = "http://127.0.0.1:3180/"\ntsa_chain_file = "tsa.pem"\n', encoding="utf-8"
    )
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert (settings.tsa_url, settings.tsa_chain_file) == (
        "http://127.0.0.1:3180/",
        tmp_path / "tsa.pem",
    )
    env = {
        "ENTENTE_HOME": str(tmp_path),
        "ENTENTE_TSA_URL": "https://127.0.0.1:8443/tsa",
        "ENTENTE_TSA_CHAIN": "/etc/tsa/chain.pem",
    }
    settings = load_settings(env)
    assert (settings.tsa_url, settings.tsa_chain_file) == (
        "https://127.0.0.1:8443/tsa",
        Path("/etc/tsa/chain.pem"),
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ENTENTE_TSA_URL": "http://127.0.0.1:3180/"}, "tsa_chain_file"),
        ({"ENTENTE_TSA_CHAIN": "tsa.pem"}, "tsa_url"),
        ({"ENTENTE_TSA_URL": "ftp://127.0.0.1/", "ENTENTE_TSA_CHAIN": "tsa.pem"}, "http"),
    ],
)
def test_half_a_tsa_or_a_bad_url_is_refused(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"ENTENTE_HOME": str(tmp_path), **variables})
