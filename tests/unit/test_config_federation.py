"""Federation settings: public_url, sync_interval and the key path, from env and entente.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.config import (
    DEFAULT_PUBLIC_URL,
    DEFAULT_SYNC_INTERVAL,
    KEY_FILE,
    Settings,
    load_settings,
)
from entente.errors import ConfigurationError


def _load(home: Path, toml: str | None = None, **env: str) -> Settings:
    if toml is not None:
        (home / "entente.toml").write_text(toml, encoding="utf-8")
    return load_settings({"ENTENTE_HOME": str(home), **env})


def test_defaults_when_neither_env_nor_file_set_them(tmp_path: Path) -> None:
    settings = _load(tmp_path)
    assert settings.public_url == DEFAULT_PUBLIC_URL == "http://127.0.0.1:8080"
    assert settings.sync_interval == DEFAULT_SYNC_INTERVAL == 300.0


def test_the_key_lives_in_the_home(tmp_path: Path) -> None:
    assert _load(tmp_path).key_path == tmp_path / KEY_FILE == tmp_path / "node.key"


def test_public_url_from_the_file_loses_its_trailing_slash(tmp_path: Path) -> None:
    settings = _load(tmp_path, 'public_url = "https://cti.example.org/"\n')
    assert settings.public_url == "https://cti.example.org"


def test_public_url_from_the_environment_overrides_the_file(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        'public_url = "https://file.example"\n',
        ENTENTE_PUBLIC_URL="http://127.0.0.1:9001/",
    )
    assert settings.public_url == "http://127.0.0.1:9001"


@pytest.mark.parametrize("toml", ['public_url = "ftp://x.example"\n', "public_url = 8080\n"])
def test_a_public_url_that_is_not_http_is_a_configuration_error(tmp_path: Path, toml: str) -> None:
    with pytest.raises(ConfigurationError, match="public_url"):
        _load(tmp_path, toml)


def test_a_non_http_public_url_in_the_environment_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigurationError, match="must be an http"):
        _load(tmp_path, ENTENTE_PUBLIC_URL="cti.example.org")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [("sync_interval = 60\n", 60.0), ("sync_interval = 2.5\n", 2.5), ("sync_interval = 0\n", 0.0)],
)
def test_sync_interval_from_the_file(tmp_path: Path, toml: str, expected: float) -> None:
    assert _load(tmp_path, toml).sync_interval == expected


def test_sync_interval_from_the_environment_overrides_the_file(tmp_path: Path) -> None:
    settings = _load(tmp_path, "sync_interval = 60\n", ENTENTE_SYNC_INTERVAL="0.5")
    assert settings.sync_interval == 0.5


def test_empty_environment_variables_mean_unset(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        'public_url = "https://file.example"\nsync_interval = 45\n',
        ENTENTE_PUBLIC_URL="",
        ENTENTE_SYNC_INTERVAL="",
    )
    assert (settings.public_url, settings.sync_interval) == ("https://file.example", 45.0)


@pytest.mark.parametrize("text", ["-1", "soon", "nan", "inf", "1e400"])
def test_a_bad_sync_interval_in_the_environment_is_a_configuration_error(
    tmp_path: Path, text: str
) -> None:
    with pytest.raises(ConfigurationError, match="sync_interval"):
        _load(tmp_path, ENTENTE_SYNC_INTERVAL=text)


@pytest.mark.parametrize(
    "toml", ["sync_interval = -5\n", "sync_interval = true\n", "sync_interval = nan\n"]
)
def test_a_bad_sync_interval_in_the_file_is_a_configuration_error(
    tmp_path: Path, toml: str
) -> None:
    with pytest.raises(ConfigurationError, match="sync_interval"):
        _load(tmp_path, toml)
