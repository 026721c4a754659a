"""The ``[abuse]`` settings: the SMTP relay, the reporter, the RDAP bootstrap; secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.abuse import DEFAULT_RDAP_BOOTSTRAP, AbuseSettings
from entente.config import load_settings, render_settings
from entente.errors import ConfigurationError
from entente.stix import Tlp

TABLE = """
[abuse]
smtp_host = "relay.acme.example"
smtp_port = 2525
smtp_starttls = true
smtp_username = "cert"
smtp_password = "from-the-file"
reporter_org = "Acme CERT"
reporter_email = "cert@acme.example"
reporter_domain = "acme.example"
rdap_bootstrap_url = "http://127.0.0.1:8081/iana/"
evidence_tlp = "TLP:AMBER"
"""


def test_no_relay_and_iana_bootstrap_by_default(tmp_path: Path) -> None:
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)})
    assert settings.abuse == AbuseSettings()
    assert settings.abuse.rdap_bootstrap_url == DEFAULT_RDAP_BOOTSTRAP
    assert settings.abuse.evidence_tlp is Tlp.GREEN
    assert dict(render_settings(settings))["abuse.evidence_tlp"] == "up to green"


def test_the_table_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(TABLE, encoding="utf-8")
    settings = load_settings({"ENTENTE_HOME": str(tmp_path)}).abuse
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_password) == (
        "relay.acme.example",
        2525,
        "from-the-file",
    )
    assert settings.rdap_bootstrap_url == "http://127.0.0.1:8081/iana/"
    assert settings.evidence_tlp is Tlp.AMBER
    env = {
        "ENTENTE_HOME": str(tmp_path),
        "ENTENTE_SMTP_HOST": "127.0.0.1",
        "ENTENTE_SMTP_PORT": "1025",
        "ENTENTE_SMTP_PASSWORD": "from-the-env",
    }
    settings = load_settings(env).abuse
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_password) == (
        "127.0.0.1",
        1025,
        "from-the-env",
    )


def test_the_password_is_never_shown(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text(TABLE, encoding="utf-8")
    shown = dict(render_settings(load_settings({"ENTENTE_HOME": str(tmp_path)})))
    assert shown["abuse.smtp_password"] == "set (not shown)"
    assert shown["abuse.smtp_relay"] == "relay.acme.example:2525"
    assert "from-the-file" not in repr(shown)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[abuse]\nsmtp_port = 70000\n", "smtp_port"),
        ('[abuse]\nsmtp_port = "x"\n', "smtp_port"),
        ('[abuse]\nsmtp_starttls = "yes"\n', "smtp_starttls"),
        ('[abuse]\nrdap_bootstrap_url = "ftp://x/"\n', "rdap_bootstrap_url"),
        ('[abuse]\nsmtp_host = ""\n', "smtp_host"),
        ('abuse = "relay"\n', r"\[abuse\]"),
        ('[abuse]\nevidence_tlp = "red"\n', "cannot be red"),
        ('[abuse]\nevidence_tlp = "purple"\n', "evidence_tlp"),
    ],
)
def test_settings_that_cannot_work_are_refused(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "entente.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"ENTENTE_HOME": str(tmp_path)})
