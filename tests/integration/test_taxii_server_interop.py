"""Interop: the OASIS taxii2-client (v21) against ``entente serve``'s app on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages
from tests.unit.server.conftest import SECRET, indicator, listening, serving

from entente.bootstrap import open_node
from entente.config import Settings
from entente.server import create_app
from entente.services import DEFAULT_COLLECTIONS, create_token
from entente.stix import Tlp

pytestmark = pytest.mark.integration


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(base_url, admin secret)`` of a node served by uvicorn on 127.0.0.1, a free port."""
    with listening() as (sock, url):
        # Discovery names the public URL: taxii2-client follows it to the API root.
        settings = Settings(
            home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}", public_url=url
        )
        with open_node(settings) as node:
            _, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
            with serving(create_app(node, secret=SECRET), sock) as base:
                yield base, secret


def test_taxii2client_discovers_adds_pages_and_deletes(served: tuple[str, str]) -> None:
    base, secret = served
    server = Server(f"{base}/taxii2/", user="admin", password=secret)
    assert server.default is not None
    api_root: ApiRoot = server.api_roots[0]
    assert api_root.max_content_length > 0
    titles = {c.title: c for c in api_root.collections}
    assert set(titles) == {"All objects", "Indicators"}
    collection: Collection = titles["All objects"]
    assert collection.id == str(DEFAULT_COLLECTIONS[0].id)

    objects = [indicator(n, tlp=Tlp.GREEN) for n in range(25)]
    status = collection.add_objects({"objects": objects})
    assert status.status == "complete"
    assert status.success_count == 25

    seen = [
        o["id"]
        for page in as_pages(collection.get_objects, per_request=10, type="indicator")
        for o in page.get("objects", [])
    ]
    assert sorted(seen) == sorted(o["id"] for o in objects)

    manifest = collection.get_manifest(type="indicator")
    assert len(manifest["objects"]) == 25
    target = objects[0]["id"]
    assert collection.object_versions(target)["versions"] == ["2024-01-01T00:00:00.000000000Z"]
    assert collection.get_object(target)["objects"][0]["id"] == target

    collection.delete_object(target)
    remaining = collection.get_manifest(type="indicator")
    assert len(remaining["objects"]) == 24
