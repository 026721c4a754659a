"""Concurrent ingest and reads (issue 11 §5, §6): while a real ``entente ingest`` process loads
a large bundle into the node's SQLite store (one transaction, holding the write lock from its
first insert to its commit), a client keeps reading from the served node: every GET answers,
none fails. Latency is the benchmark's business (``bench/taxii.py``), not this test's."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from itertools import cycle
from pathlib import Path

import httpx
import orjson
import pytest
from tests.unit.server.conftest import ALL, SECRET, TAXII, indicator, serving

from entente.bootstrap import open_node
from entente.config import load_settings
from entente.server import create_app
from entente.services import create_token
from entente.stix import Tlp

pytestmark = pytest.mark.integration

BUNDLE_OBJECTS = 40_000
# Far below SQLite's 30 s busy timeout: a GET that waited for the ingest's lock would fail
# here (an ingest of this size holds it for several seconds on a loaded machine).
ANSWER_S = 10.0
INGEST_S = 600.0
SEEDED = indicator(1)["id"]
COLLECTION = f"/taxii2/api/collections/{ALL}"
READS = (
    (f"{COLLECTION}/objects/?limit=100", TAXII),
    (f"{COLLECTION}/objects/{SEEDED}/", TAXII),
    (f"{COLLECTION}/manifest/?limit=100", TAXII),
    ("/api/v1/objects?limit=100", "application/json"),
    (f"/api/v1/objects/{SEEDED}", "application/json"),
)


def _entente() -> list[str]:
    script = Path(sys.executable).parent / "entente"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from entente.cli.main import app; app()"]


def _write_bundle(path: Path, first: int, count: int) -> None:
    with path.open("wb") as out:
        out.write(b'{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",')
        out.write(b' "objects": [')
        for n in range(first, first + count):
            out.write((b"," if n > first else b"") + orjson.dumps(indicator(n, tlp=Tlp.GREEN)))
        out.write(b"]}")


class Reader(threading.Thread):
    """GETs in a loop until stopped: how many answered, and every failure."""

    def __init__(self, base: str, secret: str) -> None:
        super().__init__(name="reader", daemon=True)
        self.base = base
        self.secret = secret
        self.stopping = threading.Event()
        self.answered = 0
        self.errors: list[str] = []

    def run(self) -> None:
        auth = {"Authorization": f"Bearer {self.secret}"}
        with httpx.Client(base_url=self.base, timeout=ANSWER_S) as http:
            for path, accept in cycle(READS):
                if self.stopping.is_set():
                    return
                try:
                    response = http.get(path, headers={**auth, "Accept": accept})
                except httpx.HTTPError as exc:
                    self.errors.append(f"{path}: {type(exc).__name__} {exc}")
                    continue
                self.answered += 1
                if response.status_code != 200:
                    self.errors.append(f"{path}: {response.status_code} {response.text[:200]}")


def test_reads_answer_while_a_cli_ingest_holds_the_write_lock(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bundle = tmp_path / "large.json"
    _write_bundle(bundle, first=2, count=BUNDLE_OBJECTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTENTE_")}
    env["ENTENTE_HOME"] = str(home)
    with open_node(load_settings({"ENTENTE_HOME": str(home)})) as node:
        token, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
        _write_bundle(tmp_path / "seed.json", first=1, count=1)
        seeded = subprocess.run(
            [*_entente(), "ingest", str(tmp_path / "seed.json"), "--json"],
            env=env,
            capture_output=True,
            timeout=INGEST_S,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr
        with serving(create_app(node, secret=SECRET)) as base:
            reader = Reader(base, secret)
            reader.start()
            try:
                ingest = subprocess.run(
                    [*_entente(), "ingest", str(bundle), "--json"],
                    env=env,
                    capture_output=True,
                    timeout=INGEST_S,
                    check=False,
                )
                during = reader.answered + len(reader.errors)
            finally:
                reader.stopping.set()
                reader.join(ANSWER_S * 2)
            assert not reader.is_alive()
        assert ingest.returncode == 0, ingest.stderr
        assert orjson.loads(ingest.stdout)["added"] == BUNDLE_OBJECTS
        assert reader.errors == []
        assert during >= len(READS)  # the reads went on throughout the ingest
        assert node.store.stats().by_type["indicator"] == BUNDLE_OBJECTS + 1
        # The server's last flush, on stopping, recorded the token's use.
        stored = node.tokens.get_by_id(token.token_id)
        assert stored is not None and stored.last_used_us is not None
