"""The TAXII 2.1 client against a real medallion 3.0.0 server on loopback (memory backend)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import medallion
import pytest
from flask import Flask
from medallion.backends.memory_backend import MemoryBackend
from medallion.exceptions import BackendError, ProcessingError
from medallion.views import collections, discovery, manifest, objects
from werkzeug.serving import make_server

from entente.errors import TaxiiError
from entente.taxii.client import TaxiiClient
from entente.taxii.media import STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE

pytestmark = pytest.mark.integration

COLLECTION = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
USER, PASSWORD = "alice", "correct horse"
PAGE_SIZE = 2


@dataclass(frozen=True)
class Medallion:
    """A running medallion: its base URL and its one API root."""

    base_url: str
    api_root: str


def _data(base_url: str) -> dict[str, Any]:
    """A memory-backend data file: one API root with one read-write collection."""
    api_root = f"{base_url}api1/"
    return {
        "/discovery": {
            "title": "Entente test medallion",
            "description": "loopback only",
            "contact": "nobody@example.invalid",
            "default": api_root,
            "api_roots": [api_root],
        },
        "api1": {
            "information": {
                "title": "API root 1",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "Shared indicators",
                    "can_read": True,
                    "can_write": True,
                    "media_types": [STIX_MEDIA_TYPE],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }


def _app() -> Flask:
    """A fresh Flask app wired like ``medallion.load_app`` but without its global instance."""
    app = Flask("entente-test-medallion")
    app.users_backend = {USER: PASSWORD}  # type: ignore[attr-defined]  # medallion's app attrs
    app.taxii_config = {"max_page_size": PAGE_SIZE}  # type: ignore[attr-defined]
    for blueprint in (
        collections.collections_bp,
        discovery.discovery_bp,
        manifest.manifest_bp,
        objects.objects_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_error_handler(500, medallion.handle_error)
    app.register_error_handler(ProcessingError, medallion.handle_processing_error)
    app.register_error_handler(BackendError, medallion.handle_backend_error)
    return app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Medallion]:
    """medallion on 127.0.0.1 and a free port, served from a background thread."""
    app = _app()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{httpd.server_port}/"
    data_file = tmp_path / "medallion-data.json"
    data_file.write_text(json.dumps(_data(base_url)), encoding="utf-8")
    # check_interval: medallion's backend starts a self-rearming daemon Timer that expires
    # `next` sessions; an hour keeps it from firing during the test.
    app.medallion_backend = MemoryBackend(  # type: ignore[attr-defined]
        filename=str(data_file), session_timeout=60, check_interval=3600
    )
    thread = threading.Thread(target=httpd.serve_forever, name="medallion", daemon=True)
    thread.start()
    try:
        yield Medallion(base_url=base_url, api_root=f"{base_url}api1/")
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def _indicator(number: int, modified: str = "2026-01-01T00:00:00.000Z") -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{number:08d}-1111-4111-8111-111111111111",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": f"bad host {number}",
        "pattern": f"[domain-name:value = 'bad{number}.example']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def _client(server: Medallion) -> TaxiiClient:
    return TaxiiClient(server.base_url, auth=(USER, PASSWORD), timeout=10, retries=1)


def test_discovery_api_root_and_collections(server: Medallion) -> None:
    with _client(server) as client:
        found = client.discovery()
        assert found.api_roots == (server.api_root,)
        assert found.default == server.api_root
        root = client.api_root(found.api_roots[0])
        assert root.versions == (TAXII_MEDIA_TYPE,)
        listed = client.collections(server.api_root)
        assert [c.id for c in listed] == [COLLECTION]
        one = client.collection(server.api_root, COLLECTION)
        assert (one.can_read, one.can_write, one.media_types) == (True, True, (STIX_MEDIA_TYPE,))


def test_write_then_read_back_page_by_page_then_delete(server: Medallion) -> None:
    written = [_indicator(n) for n in range(1, 6)]
    with _client(server) as client:
        status = client.add_objects(server.api_root, COLLECTION, written, wait=5)
        assert status.is_complete
        assert (status.total_count, status.success_count, status.failure_count) == (5, 5, 0)
        assert client.status(server.api_root, status.id) == status

        # 5 objects at medallion's max_page_size of 2: three pages chained with `next`.
        read = list(client.iter_objects(server.api_root, COLLECTION, limit=PAGE_SIZE))
        assert sorted(obj["id"] for obj in read) == sorted(obj["id"] for obj in written)
        assert read[0] == next(o for o in written if o["id"] == read[0]["id"])
        typed = list(client.iter_objects(server.api_root, COLLECTION, types=["indicator"]))
        assert len(typed) == 5
        assert list(client.iter_objects(server.api_root, COLLECTION, types=["malware"])) == []

        records = client.manifest(server.api_root, COLLECTION, limit=PAGE_SIZE)
        assert sorted(r.id for r in records) == sorted(obj["id"] for obj in written)
        assert {r.version for r in records} == {"2026-01-01T00:00:00.000Z"}

        # A second version of one object.
        newer = _indicator(1, modified="2026-02-01T00:00:00.000Z")
        assert client.add_objects(server.api_root, COLLECTION, [newer]).success_count == 1
        target = newer["id"]
        assert client.versions(server.api_root, COLLECTION, target) == (
            "2026-02-01T00:00:00.000Z",
            "2026-01-01T00:00:00.000Z",
        )
        latest = client.get_object(server.api_root, COLLECTION, target)
        assert [obj["modified"] for obj in latest] == ["2026-02-01T00:00:00.000Z"]
        both = client.get_object(server.api_root, COLLECTION, target, versions=["all"])
        assert len(both) == 2

        # Re-adding an identical version: medallion reports it as a failure (§5.5 says it
        # MUST NOT be an error).
        again = client.add_objects(server.api_root, COLLECTION, [newer])
        assert (again.success_count, again.failure_count) == (0, 1)

        client.delete_object(server.api_root, COLLECTION, target, versions=["all"])
        with pytest.raises(TaxiiError) as gone:
            client.get_object(server.api_root, COLLECTION, target)
        assert gone.value.status == 404
        remaining = {r.id for r in client.manifest(server.api_root, COLLECTION)}
        assert target not in remaining
        assert len(remaining) == 4


def test_wrong_password_is_a_401_taxii_error(server: Medallion) -> None:
    wrong = TaxiiClient(server.base_url, auth=(USER, "wrong"), timeout=10, retries=0)
    with wrong as client, pytest.raises(TaxiiError) as caught:
        client.discovery()
    assert caught.value.status == 401
    assert caught.value.body is None  # Flask-HTTPAuth's plain-text "Unauthorized Access"


def test_unknown_collection_carries_medallions_error_body(server: Medallion) -> None:
    with _client(server) as client, pytest.raises(TaxiiError) as caught:
        client.collection(server.api_root, "no-such-collection")
    assert caught.value.status == 404
    assert caught.value.body is not None
    assert caught.value.body["http_status"] == "404"


def test_medallion_refuses_an_accept_header_that_is_not_taxii(server: Medallion) -> None:
    """Why the client always sends the full TAXII media type: medallion 406s the rest."""
    with httpx.Client(timeout=10, auth=(USER, PASSWORD)) as http:
        answer = http.get(server.base_url + "taxii2/", headers={"Accept": "application/json"})
    assert answer.status_code == 406
