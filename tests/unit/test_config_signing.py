"""The ``signed_batches`` setting (ADR 0025): on unless the environment or the file turns it off."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.config import load_settings, render_settings
from entente.errors import ConfigurationError


def test_signed_batches_are_on_by_default(tmp_path: Path) -> None:
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert settings.signed_batches is True
    assert ("signed_batches", "on") in render_settings(settings)


def test_the_environment_and_the_file_turn_them_off(tmp_path: Path) -> None:
    env = {"ENTENTE_HOME": str(tmp_path), "ENTENTE_SIGNED_BATCHES": "false"}
    assert load_settings(env).signed_batches is False
    (tmp_path / "entente.toml").write_text("signed_batches = false\n", encoding="utf-8")
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).signed_batches is False
    env["ENTENTE_SIGNED_BATCHES"] = "true"
    assert load_settings(env).signed_batches is True


def test_a_value_that_is_no_flag_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text('signed_batches = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="signed_batches"):
        load_settings({"ENTENTE_HOME": str(tmp_path)})
    with pytest.raises(ConfigurationError, match="ENTENTE_SIGNED_BATCHES"):
        load_settings({"ENTENTE_HOME": str(tmp_path), "ENTENTE_SIGNED_BATCHES": "maybe"})
