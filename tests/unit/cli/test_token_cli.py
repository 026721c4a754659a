"""``entente token create|list|revoke`` in-process: JSON contracts and exit codes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.unit.server.conftest import SECRET, serving
from typer.testing import CliRunner

from entente.bootstrap import open_node
from entente.cli.main import app
from entente.config import load_settings
from entente.server import create_app
from entente.services import authenticate
from entente.stix import deterministic_id


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A node home of its own, on SQLite."""
    return {"ENTENTE_HOME": str(tmp_path / "home"), "ENTENTE_DATABASE_URL": ""}


@pytest.fixture
def run(env: dict[str, str]) -> Any:
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), env=env)

    initialised = invoke("init")
    assert initialised.exit_code == 0, initialised.output
    return invoke


def test_create_json_prints_the_secret_once_in_the_contract_shape(run: Any) -> None:
    result = run("token", "create", "--org", "ACME", "--role", "analyst", "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert set(report) == {"token_id", "secret", "org", "org_name", "role", "expires"}
    assert re.fullmatch(r"tok_[0-9a-f]{12}", report["token_id"])
    assert report["secret"].startswith(f"ent_{report['token_id']}_")
    assert report["org"] == deterministic_id("identity", "org", "ACME")
    assert (report["org_name"], report["role"], report["expires"]) == ("ACME", "analyst", None)


def test_a_created_secret_authenticates_against_the_node(
    run: Any, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    report = orjson.loads(
        run("token", "create", "--org", "ACME", "--role", "reader", "--json").stdout
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with open_node(load_settings()) as node:
        token = authenticate(node.tokens, node.clock, report["secret"])
    assert token.token_id == report["token_id"]


def test_create_with_expiry_and_name(run: Any) -> None:
    result = run(
        "token", "create", "--org", "ACME", "--role", "admin", "--name", "ci", "--expires", "7",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["expires"].endswith("Z")
    [listed] = orjson.loads(run("token", "list", "--json").stdout)["tokens"]
    assert (listed["name"], listed["status"]) == ("ci", "active")


def test_create_for_people_prints_the_secret_and_warns_it_is_not_stored(run: Any) -> None:
    result = run("token", "create", "--org", "ACME", "--role", "reader")
    assert result.exit_code == 0, result.output
    assert re.search(r"ent_tok_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", result.stdout)
    assert "not stored" in result.output


def test_create_with_an_unknown_role_exits_2_naming_the_roles(run: Any) -> None:
    result = run("token", "create", "--org", "ACME", "--role", "root", "--json")
    assert result.exit_code == 2
    assert "admin, analyst, reader, partner" in result.output
    assert orjson.loads(run("token", "list", "--json").stdout) == {"tokens": []}


def test_create_without_org_is_a_usage_error(run: Any) -> None:
    assert run("token", "create", "--role", "reader").exit_code == 2


def test_list_never_shows_secrets_or_their_hashes(run: Any) -> None:
    secret = orjson.loads(
        run("token", "create", "--org", "ACME", "--role", "reader", "--json").stdout
    )["secret"]
    for args in (("token", "list", "--json"), ("token", "list")):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert secret not in result.output
        assert secret.split("_", 3)[3] not in result.output
        assert "hash" not in result.output
    [listed] = orjson.loads(run("token", "list", "--json").stdout)["tokens"]
    assert listed["status"] == "active"


def test_revoke_marks_the_token_revoked_in_the_list(run: Any) -> None:
    created = orjson.loads(
        run("token", "create", "--org", "ACME", "--role", "partner", "--json").stdout
    )
    result = run("token", "revoke", created["token_id"], "--json")
    assert result.exit_code == 0, result.output
    revoked = orjson.loads(result.stdout)
    assert (revoked["token_id"], revoked["status"]) == (created["token_id"], "revoked")
    assert revoked["revoked"] is not None
    [listed] = orjson.loads(run("token", "list", "--json").stdout)["tokens"]
    assert listed["status"] == "revoked"
    human = run("token", "revoke", created["token_id"])
    assert human.exit_code == 0
    assert created["token_id"] in human.stdout


def test_revoking_an_unknown_token_exits_2(run: Any) -> None:
    result = run("token", "revoke", "tok_000000000000", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_token_appears_in_help(run: Any) -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "token" in result.stdout


def test_list_shows_the_last_use_once_the_server_has_written_it(
    run: Any, env: dict[str, str]
) -> None:
    made = run("token", "create", "--org", "ACME", "--role", "reader", "--json")
    created = orjson.loads(made.stdout)
    [listed] = orjson.loads(run("token", "list", "--json").stdout)["tokens"]
    assert listed["last_used"] is None
    with open_node(load_settings(env)) as node, serving(create_app(node, secret=SECRET)) as base:
        response = httpx.get(
            f"{base}/api/v1/objects", headers={"Authorization": f"Bearer {created['secret']}"}
        )
        assert response.status_code == 200
    # The server wrote the use when it stopped (and every few seconds while it ran).
    [listed] = orjson.loads(run("token", "list", "--json").stdout)["tokens"]
    assert listed["token_id"] == created["token_id"]
    assert listed["last_used"] is not None
