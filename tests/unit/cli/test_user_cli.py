"""``entente user``: add (secret shown once), list, disable/enable, reset-totp, passwd."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.unit.cli.conftest import cli_for, said
from typer.testing import CliRunner

from entente.accounts import totp_at
from entente.bootstrap import open_node, users
from entente.cli.main import app
from entente.cli.serve import load_cursor_secret
from entente.clock import SystemClock
from entente.config import Settings
from entente.errors import AuthenticationFailed

PASSWORD = "correct horse battery"


def _password_file(tmp_path: Path, password: str = PASSWORD) -> str:
    path = tmp_path / "password.txt"
    path.write_text(password + "\n", encoding="utf-8")
    return str(path)


def _sign_in(home: Path, username: str, password: str, secret: str) -> str:
    """Sign in as the UI would, with the code the secret gives now; the user's name."""
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'entente.db'}")
    with open_node(settings, SystemClock()) as node:
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        code = totp_at(key, node.clock.now_us() // 1_000_000)
        return users(node, load_cursor_secret(home)).verify_login(username, password, code).username


def test_add_prints_the_uri_and_secret_that_sign_in(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli = cli_for(home, org="CERT-X")
    added = cli(
        "user", "add", "Alice", "--org", "CERT-X", "--role", "analyst",
        "--password-file", _password_file(tmp_path), "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = json.loads(added.stdout)
    assert (shown["username"], shown["org_name"], shown["role"]) == ("Alice", "CERT-X", "analyst")
    uri = urlsplit(shown["otpauth_uri"])
    assert (uri.scheme, uri.path) == ("otpauth", "/CERT-X:Alice")
    assert parse_qs(uri.query)["secret"] == [shown["totp_secret"]]
    assert _sign_in(home, "alice", PASSWORD, shown["totp_secret"]) == "Alice"
    listed = json.loads(cli("user", "list", "--json").stdout)["users"]
    assert [(u["username"], u["status"]) for u in listed] == [("Alice", "active")]
    assert shown["totp_secret"] not in cli("user", "list", "--json").stdout
    text = cli("user", "list")
    assert text.exit_code == 0 and "Alice" in text.stdout


def test_add_reads_the_password_from_a_prompt(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli_for(home)
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["user", "add", "bob", "--org", "Org B", "--role", "reader", "--json"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env={"ENTENTE_HOME": str(home), "ENTENTE_DATABASE_URL": "", "ENTENTE_ORG": ""},
    )
    assert added.exit_code == 0, added.output
    secret = json.loads(added.stdout[added.stdout.index("{") :])["totp_secret"]
    assert _sign_in(home, "bob", PASSWORD, secret) == "bob"


def test_bad_input_exits_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli = cli_for(home)
    short = _password_file(tmp_path, "short")
    weak = cli("user", "add", "alice", "--org", "X", "--role", "analyst", "--password-file", short)
    assert weak.exit_code == 2
    assert "at least 12" in said(weak)
    good = _password_file(tmp_path)
    role = cli("user", "add", "alice", "--org", "X", "--role", "root", "--password-file", good)
    assert role.exit_code == 2
    assert cli("user", "add", "alice", "--org", "X", "--role", "reader", "--password-file", good)
    again = cli("user", "add", "ALICE", "--org", "X", "--role", "reader", "--password-file", good)
    assert again.exit_code == 2
    assert "already exists" in said(again)
    assert cli("user", "disable", "nobody").exit_code == 2


def test_disable_enable_reset_totp_and_passwd(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli = cli_for(home)
    first = json.loads(
        cli(
            "user", "add", "alice", "--org", "X", "--role", "reader",
            "--password-file", _password_file(tmp_path), "--json",
        ).stdout
    )  # fmt: skip
    disabled = cli("user", "disable", "Alice", "--json")
    assert json.loads(disabled.stdout)["status"] == "disabled"
    with pytest.raises(AuthenticationFailed):
        _sign_in(home, "alice", PASSWORD, first["totp_secret"])
    assert json.loads(cli("user", "enable", "alice", "--json").stdout)["status"] == "active"
    reset = json.loads(cli("user", "reset-totp", "alice", "--json").stdout)
    assert reset["totp_secret"] != first["totp_secret"]
    new_password = "a brand new passphrase"
    changed = cli(
        "user", "passwd", "alice", "--password-file", _password_file(tmp_path, new_password)
    )
    assert changed.exit_code == 0, changed.output
    assert _sign_in(home, "alice", new_password, reset["totp_secret"]) == "alice"
