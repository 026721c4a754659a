"""Export settings: minimum score, default warninglists, scoring and source reliability."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.config import DEFAULT_EXPORT_MIN_SCORE, load_settings
from entente.errors import ConfigurationError


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert settings.export_min_score == DEFAULT_EXPORT_MIN_SCORE == 1
    assert settings.default_warninglists is True
    assert dict(settings.source_reliability) == {}
    assert settings.scoring.default_reliability == "F"
    assert settings.warninglists_path == tmp_path / "warninglists"
    assert settings.warninglist_allow_path == tmp_path / "warninglist-allow.json"


def test_the_file_sets_them_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(
        "export_min_score = 30\n"
        "default_warninglists = false\n"
        "[scoring]\n"
        "default_confidence = 60\n"
        "[scoring.sources]\n"
        '"abuse.ch" = "b"\n'
        '"IL CERT" = "C"\n'
    )
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert settings.export_min_score == 30
    assert settings.default_warninglists is False
    assert settings.scoring.default_confidence == 60
    assert dict(settings.source_reliability) == {"abuse.ch": "B", "IL CERT": "C"}
    env = {
        "ENTENTE_HOME": str(tmp_path),
        "ENTENTE_EXPORT_MIN_SCORE": "0",
        "ENTENTE_DEFAULT_WARNINGLISTS": "on",
        "ENTENTE_SOURCE_RELIABILITY": "IL CERT=a, local feed=E",
    }
    settings = load_settings(env)
    assert settings.export_min_score == 0
    assert settings.default_warninglists is True
    assert dict(settings.source_reliability) == {"abuse.ch": "B", "IL CERT": "A", "local feed": "E"}


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("export_min_score = 101\n", {}, "export_min_score"),
        ("export_min_score = true\n", {}, "export_min_score"),
        ("", {"ENTENTE_EXPORT_MIN_SCORE": "-1"}, "export_min_score"),
        ('default_warninglists = "yes"\n', {}, "default_warninglists"),
        ("", {"ENTENTE_DEFAULT_WARNINGLISTS": "maybe"}, "ENTENTE_DEFAULT_WARNINGLISTS"),
        ("scoring = 3\n", {}, "scoring"),
        ("[scoring]\nsighting_bonus = 200\n", {}, "scoring.sighting_bonus"),
        ('[scoring.sources]\n"x" = "G"\n', {}, "scoring.sources.x"),
        ("", {"ENTENTE_SOURCE_RELIABILITY": "abuse.ch"}, "name=LETTER"),
        ("", {"ENTENTE_SOURCE_RELIABILITY": "abuse.ch=Z"}, "Admiralty"),
    ],
)
def test_wrong_values_are_configuration_errors(
    tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    (tmp_path / "entente.toml").write_text(toml)
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"ENTENTE_HOME": str(tmp_path), **env})
