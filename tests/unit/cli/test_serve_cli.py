"""``entente serve``: the cursor key file, and the settings the server reads."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest

from entente.bootstrap import open_node
from entente.cli.serve import load_cursor_secret, with_served_url
from entente.config import DEFAULT_PUBLIC_URL, load_settings
from entente.errors import ConfigurationError
from entente.services import collection_uuid, node_org_id, org_identity_id


def test_the_cursor_key_is_created_0600_once_and_then_reused(tmp_path: Path) -> None:
    first = load_cursor_secret(tmp_path)
    assert len(first) == 32
    assert stat.S_IMODE((tmp_path / "cursor.key").stat().st_mode) == 0o600
    assert load_cursor_secret(tmp_path) == first


def test_a_short_cursor_key_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "cursor.key").write_bytes(b"short")
    with pytest.raises(ConfigurationError):
        load_cursor_secret(tmp_path)


def test_org_name_comes_from_the_environment_then_the_file(tmp_path: Path) -> None:
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).org_name == "Entente node"
    (tmp_path / "entente.toml").write_text('org_name = "From file"\n')
    assert load_settings({"ENTENTE_HOME": str(tmp_path)}).org_name == "From file"
    env = {"ENTENTE_HOME": str(tmp_path), "ENTENTE_ORG": "From env"}
    assert load_settings(env).org_name == "From env"
    assert node_org_id("From env") == org_identity_id("From env")


def test_collections_are_read_from_the_toml_file(tmp_path: Path) -> None:
    fixed = uuid.uuid4()
    (tmp_path / "entente.toml").write_text(
        "[[collections]]\n"
        'title = "Malware"\n'
        'types = ["malware"]\n'
        'can_read = ["admin"]\n'
        "[[collections]]\n"
        f'id = "{fixed}"\n'
        'title = "Feeds"\n'
        'source_names = ["urlhaus"]\n'
    )
    malware, feeds = load_settings({"ENTENTE_HOME": str(tmp_path)}).collections
    assert malware.id == collection_uuid("Malware")
    assert malware.types == frozenset({"malware"})
    assert malware.can_read == frozenset({"admin"})
    assert feeds.id == fixed
    assert feeds.source_names == frozenset({"urlhaus"})


def test_an_unknown_role_in_a_collection_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "entente.toml").write_text('[[collections]]\ntitle = "X"\ncan_read = ["god"]\n')
    with pytest.raises(ConfigurationError):
        load_settings({"ENTENTE_HOME": str(tmp_path)})


@pytest.mark.parametrize(
    ("configured", "host", "port", "named"),
    [
        # public_url left at its default: the address served on, so that --port is honoured.
        ("", "127.0.0.1", 9090, "http://127.0.0.1:9090"),
        ("", "::1", 9090, "http://[::1]:9090"),
        ("", "127.0.0.1", 8080, DEFAULT_PUBLIC_URL),
        # A wildcard address names no reachable host: the default stays (and a warning says so).
        ("", "0.0.0.0", 9090, DEFAULT_PUBLIC_URL),
        # A configured public_url always wins: the node may sit behind a proxy.
        ("https://cti.example.org", "127.0.0.1", 9090, "https://cti.example.org"),
    ],
)
def test_the_server_names_the_configured_public_url_else_its_own_address(
    tmp_path: Path, configured: str, host: str, port: int, named: str
) -> None:
    env = {"ENTENTE_HOME": str(tmp_path), "ENTENTE_PUBLIC_URL": configured}
    with open_node(load_settings(env)) as opened:
        served = with_served_url(opened, host, port)
        assert served.settings.public_url == named
        assert served.store is opened.store
