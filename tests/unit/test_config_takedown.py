"""The ``[takedown]`` settings: a default SLA and one per provider, checked at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.abuse import DEFAULT_SLA_HOURS, TakedownSettings
from entente.config import load_settings, render_settings
from entente.errors import ConfigurationError

TABLE = """
[takedown]
default_sla_hours = 24

[takedown.providers."Example Hosting"]
sla_hours = 4

[takedown.providers."MarkMonitor Inc."]
sla_hours = 72.5
"""


def _load(tmp_path: Path, text: str) -> TakedownSettings:
    (tmp_path / "entente.toml").write_text(text, encoding="utf-8")
    return load_settings({"ENTENTE_HOME": str(tmp_path)}).takedown


def test_two_days_for_every_provider_by_default(tmp_path: Path) -> None:
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)}).takedown
    assert settings == TakedownSettings()
    assert settings.sla_hours("Anyone") == DEFAULT_SLA_HOURS == 48.0


def test_the_table_sets_the_default_and_each_providers_sla(tmp_path: Path) -> None:
    settings = _load(tmp_path, TABLE)
    assert settings.default_sla_hours == 24.0
    assert settings.sla_hours("Example Hosting") == 4.0
    assert settings.sla_hours("markmonitor inc.") == 72.5  # names compared without case
    assert settings.sla_hours("Someone Else") == 24.0
    assert settings.sla_hours(None) == 24.0
    shown = dict(render_settings(load_settings({"ENTENTE_HOME": str(tmp_path)})))
    assert shown["takedown.sla"] == "default 24 h; Example Hosting: 4 h; MarkMonitor Inc.: 72.5 h"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[takedown]\ndefault_sla_hours = 0\n", "default_sla_hours must be a positive"),
        ('[takedown]\ndefault_sla_hours = "2d"\n', "default_sla_hours must be a positive"),
        ("[takedown]\nsla = 3\n", "unknown key"),
        ('[takedown.providers."X"]\nhours = 3\n', "with sla_hours only"),
        ('[takedown.providers."X"]\nsla_hours = true\n', r'providers\."X"\.sla_hours'),
        ("takedown = 3\n", r"\[takedown\] must be a table"),
    ],
)
def test_a_wrong_table_stops_start_up_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _load(tmp_path, text)
