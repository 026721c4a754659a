"""Fixtures for server tests: a node on SQLite, tokens of three orgs, a test client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from starlette.testclient import TestClient

from entente.bootstrap import Node, federation, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.server import create_app
from entente.services import DEFAULT_COLLECTIONS, create_token
from entente.stix import Tlp, marking_id_for

SECRET = b"0123456789abcdef0123456789abcdef"
ALL = str(DEFAULT_COLLECTIONS[0].id)
INDICATORS = str(DEFAULT_COLLECTIONS[1].id)
TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/api/"


def indicator(n: int, *, tlp: Tlp | None = None, creator: str | None = None) -> dict[str, Any]:
    """A valid STIX 2.1 indicator with a deterministic id."""
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '10.0.{n // 256}.{n % 256}']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    if tlp is not None:
        obj["object_marking_refs"] = [marking_id_for(tlp)]
    if creator is not None:
        obj["created_by_ref"] = creator
    return obj


@dataclass(frozen=True)
class Harness:
    """A running app over a node, and auth headers per named principal."""

    node: Node
    client: TestClient
    headers: dict[str, dict[str, str]]

    def get(self, path: str, who: str = "admin", **params: Any) -> Any:
        """GET ``path`` as ``who`` with TAXII Accept."""
        return self.client.get(path, params=params, headers={**self.headers[who], "Accept": TAXII})

    def post_objects(
        self, objects: list[dict[str, Any]], who: str = "admin", collection: str = ALL
    ) -> Any:
        """POST an envelope of ``objects`` to a collection."""
        return self.client.post(
            f"{ROOT}collections/{collection}/objects/",
            json={"objects": objects},
            headers={**self.headers[who], "Accept": TAXII, "Content-Type": TAXII},
        )


PRINCIPALS = {
    "admin": ("Entente node", "admin"),
    "analyst": ("Entente node", "analyst"),
    "reader_b": ("Org B", "reader"),
    "analyst_b": ("Org B", "analyst"),
    "partner_c": ("Org C", "partner"),
}


def _harness_of(node: Node) -> Iterator[Harness]:
    """Tokens for every principal of ``PRINCIPALS`` and a test client of ``node``'s app."""
    headers = {}
    for name, (org, role) in PRINCIPALS.items():
        _, secret = create_token(node.tokens, node.clock, org_name=org, role=role)
        headers[name] = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(node, secret=SECRET), raise_server_exceptions=False) as client:
        yield Harness(node, client, headers)


def _sqlite_harness(tmp_path: Path) -> Iterator[Harness]:
    """The harness over a SQLite node in ``tmp_path``."""
    settings = Settings(
        home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}", max_content_length=65536
    )
    with open_node(settings, FixedClock()) as node:
        yield from _harness_of(node)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """A node whose org is "Entente node", with principals of three orgs."""
    yield from _sqlite_harness(tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The database a ``backend_harness`` runs on."""
    return str(request.param)


@pytest.fixture
def backend_harness(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Harness]:
    """The ``harness`` node on ``backend``: SQLite, or a throw-away PostgreSQL schema."""
    if backend == "sqlite":
        yield from _sqlite_harness(tmp_path)
        return
    url, schema = request.getfixturevalue("postgres_schema")
    settings = Settings(home=tmp_path, database_url=url, max_content_length=65536)
    with open_node(settings, FixedClock(), schema=schema) as node:
        yield from _harness_of(node)


@contextmanager
def listening() -> Iterator[tuple[socket.socket, str]]:
    """A socket listening on 127.0.0.1 at a free port, and its base URL.

    For a node that must know its address before its app is built: discovery and redirects
    name the node's ``public_url``, never the Host header.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.fixture
def with_partner(harness: Harness) -> Harness:
    """The harness node with an agreement up to AMBER with Org C (``partner_c``'s org)."""
    federation(harness.node).add_agreement(
        {
            "id": "node-c",
            "name": "node and Org C",
            "parties": ["Entente node", "Org C"],
            "max_tlp": "amber",
            "onward_sharing": "none",
        }
    )
    return harness


@contextmanager
def serving(app: FastAPI, sock: socket.socket | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 at a free port (or on ``sock``, from
    ``listening``); yield its base URL, then stop it."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    sockets = {"sockets": [sock]} if sock is not None else {}
    thread = threading.Thread(target=server.run, kwargs=sockets, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive(), "uvicorn exited before it started"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
