"""The ``hunt_archive`` setting: environment first (os.pathsep-separated), then entente.toml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from entente.config import load_settings
from entente.errors import ConfigurationError


def test_the_environment_names_several_entries_separated_like_path(tmp_path: Path) -> None:
    value = os.pathsep.join(["/var/log/zeek", "", "/srv/eve/*.json"])
    settings = load_settings({"ENTENTE_HOME": str(tmp_path), "ENTENTE_HUNT_ARCHIVE": value})
    assert settings.hunt_archive == ("/var/log/zeek", "/srv/eve/*.json")
    assert settings.hunt_state_path == tmp_path / "hunt-state.json"


def test_the_file_holds_a_list_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text('hunt_archive = ["~/logs", "/data/*.parquet"]\n')
    settings = load_settings({"ENTENTE_HOME": str(tmp_path), "ENTENTE_HUNT_ARCHIVE": ""})
    assert settings.hunt_archive == (str(Path("~/logs").expanduser()), "/data/*.parquet")
    env = {"ENTENTE_HOME": str(tmp_path), "ENTENTE_HUNT_ARCHIVE": "/elsewhere"}
    assert load_settings(env).hunt_archive == ("/elsewhere",)


def test_unset_means_no_archive(tmp_path: Path) -> None:
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).hunt_archive == ()


def test_a_value_of_another_type_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text("hunt_archive = 3\n")
    with pytest.raises(ConfigurationError, match="hunt_archive"):
        load_settings({"ENTENTE_HOME": str(tmp_path)})


def test_hunt_interval_defaults_reads_both_sources_and_refuses_nonsense(tmp_path: Path) -> None:
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).hunt_interval == 900.0
    (tmp_path / "entente.toml").write_text("hunt_interval = 60\n")
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).hunt_interval == 60.0
    env = {"ENTENTE_HOME": str(tmp_path), "ENTENTE_HUNT_INTERVAL": "0"}
    assert load_settings(env).hunt_interval == 0.0
    env["ENTENTE_HUNT_INTERVAL"] = "-5"
    with pytest.raises(ConfigurationError, match="hunt_interval '-5' must be a number"):
        load_settings(env)
