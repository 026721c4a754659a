"""``entente demo`` ends with a real node serving on loopback, reachable with its token."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from entente.accounts import totp_at

pytestmark = pytest.mark.integration

ENTENTE = Path(sys.executable).parent / "entente"
TAXII = "application/taxii+json;version=2.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_demo_serves_taxii_to_the_reader_token_it_prints(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ENTENTE_HOME": str(tmp_path / "home"), "ENTENTE_DATABASE_URL": ""}
    proc = subprocess.Popen(
        [str(ENTENTE), "demo", "--json", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for _ in range(10_000):  # the report is one indented JSON document
            line = proc.stdout.readline()
            assert line, "demo exited before printing its report"
            lines.append(line)
            if line.rstrip("\n") == "}":
                break
        report = json.loads("".join(lines))
        assert report["ingest"]["rejected"] == []
        token = report["reader_token"]
        url = report["urls"]["taxii"] + "api/collections/"
        headers = {"Authorization": f"Bearer {token}", "Accept": TAXII}
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(url, headers=headers, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["collections"]
        denied = httpx.get(url, headers={"Accept": TAXII}, timeout=5)
        assert denied.status_code == 401
        _sign_in_to_the_ui(report["ui"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def _sign_in_to_the_ui(ui: dict[str, str]) -> None:
    """Sign in with the printed login, as a person would: the form, the password, the code."""
    key = base64.b32decode(ui["totp_secret"] + "=" * (-len(ui["totp_secret"]) % 8))
    with httpx.Client(base_url=ui["url"], timeout=10) as client:
        form = client.get("/login")
        assert form.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None, form.text
        signed = client.post(
            "/login",
            data={
                "username": ui["username"],
                "password": ui["password"],
                "code": totp_at(key, int(time.time())),
                "csrf_token": csrf.group(1),
            },
        )
        assert signed.status_code == 303, signed.text
        home = client.get("/")
        assert home.status_code == 200
        assert "Dashboard" in home.text
        assert ui["username"] in home.text
