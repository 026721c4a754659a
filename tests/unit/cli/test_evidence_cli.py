"""``entente evidence verify``: offline, exit 0 when sound, 1 naming each failure, 2 unreadable."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from tests.unit.cli.conftest import said
from tests.unit.evidence.local_tsa import LocalTsa
from tests.unit.evidence.sample import sample_input, trust_root
from typer.testing import CliRunner

from entente.cli.main import app
from entente.evidence import layout
from entente.evidence.tarball import read_tar, write_tar
from entente.evidence.tsa_client import HttpTimestamper
from entente.evidence.writer import build_package
from entente.federation.keys import NodeKey, generate_key

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def node() -> NodeKey:
    return generate_key()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, node: NodeKey) -> Path:
    # The TSA is gone (its server stopped) before any verification runs: verify is offline.
    with LocalTsa() as tsa:
        built = build_package(
            sample_input(),
            node_key=node,
            trust=trust_root(node),
            timestamper=HttpTimestamper(tsa.url),
            tsa_chain_pem=tsa.chain_pem,
        )
    path = tmp_path_factory.mktemp("packages") / "case.tar"
    path.write_bytes(built)
    return path


def test_a_sound_package_verifies_and_exits_0(package: Path, node: NodeKey) -> None:
    result = CliRunner().invoke(
        app, ["evidence", "verify", str(package), "--node-key", node.public_key_text]
    )
    assert result.exit_code == 0, result.output
    assert "case.tar: verified" in result.stdout
    assert "ok      artifacts/mail.eml: SHA-256 matches" in result.stdout


def test_a_flipped_artifact_exits_1_naming_the_file(package: Path, tmp_path: Path) -> None:
    files = read_tar(package.read_bytes())
    files["artifacts/mail.eml"] = files["artifacts/mail.eml"].replace(b"urgent", b"Urgent")
    tampered = tmp_path / "tampered.tar"
    tampered.write_bytes(write_tar(files))
    result = CliRunner().invoke(app, ["evidence", "verify", str(tampered)])
    assert result.exit_code == 1
    assert "FAILED artifacts/mail.eml: SHA-256 does not match the signed Statement" in said(result)
    assert "1 check(s) failed" in result.stdout


def test_another_node_key_than_expected_fails(package: Path) -> None:
    result = CliRunner().invoke(
        app, ["evidence", "verify", str(package), "--node-key", generate_key().public_key_text]
    )
    assert result.exit_code == 1
    assert f"FAILED {layout.TRUST}: the node key is not the one expected" in said(result)


def test_json_lists_every_check(package: Path) -> None:
    result = CliRunner().invoke(app, ["evidence", "verify", str(package), "--json"])
    assert result.exit_code == 0
    document = orjson.loads(result.stdout)
    assert document["passed"] is True
    assert {check["subject"] for check in document["checks"]} >= {
        f"{layout.CASE} CASE",
        f"{layout.CUSTODY} chain",
        f"{layout.STIX_BUNDLE} STIX 2.1",
    }


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evidence", "verify", str(tmp_path / "absent.tar")])
    assert result.exit_code == 2
    assert "cannot read" in said(result)


def test_a_file_that_is_no_tar_fails_as_a_package(tmp_path: Path) -> None:
    path = tmp_path / "junk.tar"
    path.write_bytes(b"not a tar at all" * 100)
    result = CliRunner().invoke(app, ["evidence", "verify", str(path)])
    assert result.exit_code == 1
    assert "FAILED package:" in said(result)


def _no_network_prefix() -> list[str] | None:
    """``unshare -n``: a process in a network namespace of its own (only a down loopback)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return [unshare, "-n"] if probe.returncode == 0 else None


def test_verify_passes_in_a_process_that_has_no_network(package: Path) -> None:
    prefix = _no_network_prefix()
    if prefix is None:
        pytest.skip("unshare -n is not permitted here (needs root or user namespaces)")
    entente = Path(sys.executable).with_name("entente")
    done = subprocess.run(
        [*prefix, str(entente), "evidence", "verify", str(package)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "case.tar: verified" in done.stdout


def test_file_names_from_the_package_are_printed_as_text(package: Path, tmp_path: Path) -> None:
    files = read_tar(package.read_bytes())
    files["artifacts/[bold]extra[/bold].txt"] = b"slipped in"
    tampered = tmp_path / "extra.tar"
    tampered.write_bytes(write_tar(files))
    result = CliRunner().invoke(app, ["evidence", "verify", str(tampered)])
    assert result.exit_code == 1
    assert (
        "FAILED  artifacts/[bold]extra[/bold].txt: in the package but not listed in the Statement"
        in result.stderr
    )
