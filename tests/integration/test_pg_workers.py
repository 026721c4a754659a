"""Two stateless ``entente serve`` workers on one PostgreSQL database (issue 16;
docs/deploy-postgresql.md): what one writes the other reads, a ``next`` cursor from one
pages on at the other, and adds through both at once give each version a unique,
strictly increasing ``date_added`` with nothing lost.

Each worker is a real process with its own home, as on separate hosts; the homes share what
the deployment guide says they must: ``entente.toml`` (the database URL, the org),
``node.key`` and ``cursor.key``.
"""

from __future__ import annotations

import itertools
import random
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from entente.cli.local_nodes import LocalNode, free_port
from entente.cli.serve import load_cursor_secret
from entente.services.taxii import collection_uuid
from entente.services.tokens import org_identity_id

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ORG = "Workers CERT"
TAXII = "application/taxii+json;version=2.1"
COLLECTION = collection_uuid("All objects")
SHARED_FILES = ("entente.toml", "node.key", "cursor.key")
ENVELOPES_PER_WORKER = 6
PER_ENVELOPE = 40


@pytest.fixture
def workers(postgres_schema: tuple[str, str], tmp_path: Path) -> Iterator[list[LocalNode]]:
    """Two served workers of one node on one PostgreSQL schema; stopped afterwards."""
    url, schema = postgres_schema
    # The schema through libpq's options, as an operator would put it in the URL.
    database_url = f"{url}?options={quote(f'-csearch_path={schema}')}"
    first = LocalNode(org=ORG, home=tmp_path / "worker-a", port=free_port())
    second = LocalNode(org=ORG, home=tmp_path / "worker-b", port=free_port())
    first.home.mkdir(mode=0o700)
    (first.home / "entente.toml").write_text(f'database_url = "{database_url}"\n')
    first.init()
    load_cursor_secret(first.home)
    second.home.mkdir(mode=0o700)
    for name in SHARED_FILES:
        shutil.copy2(first.home / name, second.home / name)
    try:
        first.start()
        second.start()
        yield [first, second]
    finally:
        first.stop()
        second.stop()


def _client(worker: LocalNode, token: str) -> httpx.Client:
    headers = {"Accept": TAXII, "Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=worker.base_url, headers=headers, timeout=60)


def _objects_url() -> str:
    return f"/taxii2/api/collections/{COLLECTION}/objects/"


def _manifest_url() -> str:
    return f"/taxii2/api/collections/{COLLECTION}/manifest/"


def _indicator(rng: random.Random, n: int) -> dict[str, Any]:
    stamp = "2026-11-01T00:00:00.000Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "created_by_ref": org_identity_id(ORG),
        "created": stamp,
        "modified": stamp,
        "name": f"worker test indicator {n}",
        "pattern": f"[ipv4-addr:value = '10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}']",
        "pattern_type": "stix",
        "valid_from": stamp,
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    }


def _post(http: httpx.Client, objects: list[dict[str, Any]]) -> None:
    response = http.post(
        _objects_url(),
        content=orjson.dumps({"objects": objects}),
        headers={"Content-Type": TAXII},
    )
    assert response.status_code == 202, response.text
    status = response.json()
    assert status["status"] == "complete" and status["success_count"] == len(objects), status


def _walk(clients: list[httpx.Client], url: str, limit: int) -> list[dict[str, Any]]:
    """Every page of ``url``, each request to the next client in turn (bounded). Envelopes
    go on with ``next``; manifests, which have none, with ``added_after`` set to the page's
    X-TAXII-Date-Added-Last (TAXII 2.1 §3.5, exact as date_added is unique)."""
    items: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": str(limit)}
    for page in range(10_000):
        response = clients[page % len(clients)].get(url, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body.get("objects", ()))
        if not body.get("more"):
            return items
        if "next" in body:
            params = {"limit": str(limit), "next": body["next"]}
        else:
            params = {
                "limit": str(limit),
                "added_after": response.headers["X-TAXII-Date-Added-Last"],
            }
    raise AssertionError("paging did not end")


def test_what_one_worker_adds_the_other_serves_and_pages_across_both(
    workers: list[LocalNode],
) -> None:
    first, second = workers
    token = first.cli_json("token", "create", "--org", ORG, "--role", "admin")["secret"]
    rng = random.Random(16)
    posted = [_indicator(rng, n) for n in range(120)]
    with _client(first, token) as a, _client(second, token) as b:
        _post(a, posted)
        one = posted[7]
        got = b.get(_objects_url() + one["id"] + "/")
        assert got.status_code == 200, got.text
        assert [o["id"] for o in got.json()["objects"]] == [one["id"]]
        # A cursor sealed by one worker is opened by the other (the shared cursor.key).
        seen = _walk([a, b], _objects_url(), limit=25)
    ids = [o["id"] for o in seen if o["type"] == "indicator"]
    assert ids == [o["id"] for o in posted]


def test_adds_through_both_workers_at_once_get_unique_increasing_date_added(
    workers: list[LocalNode],
) -> None:
    first, second = workers
    token = first.cli_json("token", "create", "--org", ORG, "--role", "admin")["secret"]
    rng = random.Random(17)
    batches = [
        [_indicator(rng, e * PER_ENVELOPE + n) for n in range(PER_ENVELOPE)]
        for e in range(2 * ENVELOPES_PER_WORKER)
    ]
    with _client(first, token) as a, _client(second, token) as b:
        with ThreadPoolExecutor(max_workers=4) as pool:
            done = [
                pool.submit(_post, (a, b)[index % 2], batch) for index, batch in enumerate(batches)
            ]
            for future in done:
                future.result()
        manifest = _walk([b, a], _manifest_url(), limit=100)
    posted = {o["id"] for batch in batches for o in batch}
    listed = [entry for entry in manifest if entry["id"] in posted]
    # Nothing lost, nothing twice.
    assert sorted(entry["id"] for entry in listed) == sorted(posted)
    # TAXII 2.1 §3.2: date_added unique and, in the manifest's order, strictly increasing
    # (RFC 3339 timestamps of one format compare as text).
    stamps = [entry["date_added"] for entry in manifest]
    assert all(earlier < later for earlier, later in itertools.pairwise(stamps))
