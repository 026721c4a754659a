"""The ``audit_log`` setting: on unless the environment or the file turns it off."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.config import load_settings
from entente.errors import ConfigurationError


def test_the_audit_log_is_on_by_default(tmp_path: Path) -> None:
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).audit_log is True


def test_the_environment_and_the_file_turn_it_off(tmp_path: Path) -> None:
    env = {"ENTENTE_HOME": str(tmp_path), "ENTENTE_AUDIT_LOG": "false"}
    assert load_settings(env).audit_log is False
    (tmp_path / "entente.toml").write_text("audit_log = false\n", encoding="utf-8")
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).audit_log is False
    env["ENTENTE_AUDIT_LOG"] = "true"
    assert load_settings(env).audit_log is True


@pytest.mark.parametrize(("variable", "text"), [("ENTENTE_AUDIT_LOG", "maybe"), ("", "")])
def test_a_value_that_is_no_flag_is_refused(tmp_path: Path, variable: str, text: str) -> None:
    env = {"ENTENTE_HOME": str(tmp_path)}
    if variable:
        env[variable] = text
    else:
        (tmp_path / "entente.toml").write_text('audit_log = "off"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"audit_log|AUDIT_LOG"):
        load_settings(env)
