"""Our TaxiiClient against our own server, served by uvicorn on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.unit.server.conftest import SECRET, indicator, listening, serving

from entente.bootstrap import open_node
from entente.config import Settings
from entente.errors import TaxiiError
from entente.server import create_app
from entente.services import DEFAULT_COLLECTIONS, create_token, node_org_id
from entente.stix import Tlp
from entente.taxii.client import TaxiiClient

pytestmark = pytest.mark.integration

ALL = str(DEFAULT_COLLECTIONS[0].id)
INDICATORS = str(DEFAULT_COLLECTIONS[1].id)
TOKENS = {
    "admin": ("Entente node", "admin"),
    "analyst_b": ("Org B", "analyst"),
    "reader_b": ("Org B", "reader"),
    "reader_c": ("Org C", "reader"),
}


@dataclass(frozen=True)
class Served:
    """A served node: its base URL, its API root URL and a token secret per principal."""

    base: str
    root: str
    secrets: dict[str, str]

    def client(self, who: str = "admin", http: httpx.Client | None = None) -> TaxiiClient:
        """A TaxiiClient authenticated as ``who`` (Bearer), without retries."""
        return TaxiiClient(self.base, auth=self.secrets[who], http=http, retries=0)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A node served by uvicorn on 127.0.0.1 with tokens of three orgs."""
    with listening() as (sock, url):
        settings = Settings(
            home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}", public_url=url
        )
        with open_node(settings) as node:
            secrets = {
                name: create_token(node.tokens, node.clock, org_name=org, role=role)[1]
                for name, (org, role) in TOKENS.items()
            }
            with serving(create_app(node, secret=SECRET), sock) as base:
                yield Served(base, f"{base}/taxii2/api/", secrets)


def test_discovery_and_collections_describe_the_api_root(served: Served) -> None:
    """Discovery names the API root; the root and its two collections are listed."""
    with served.client() as client:
        discovery = client.discovery()
        assert discovery.api_roots == (served.root,)
        assert discovery.default == served.root
        root = client.api_root(discovery.api_roots[0])
        assert root.versions == ("application/taxii+json;version=2.1",)
        assert root.max_content_length > 0
        collections = {c.id: c for c in client.collections(served.root)}
        assert set(collections) == {ALL, INDICATORS}
        assert collections[ALL].can_read and collections[ALL].can_write
        assert client.collection(served.root, INDICATORS).title == "Indicators"
    with served.client("reader_b") as reader:
        listed = reader.collection(served.root, ALL)
        assert listed.can_read and not listed.can_write


def test_add_objects_completes_and_iter_objects_pages_with_next(served: Served) -> None:
    """25 objects are added in one complete status, then read 10 at a time through ``next``."""
    objects = [indicator(n, tlp=Tlp.GREEN) for n in range(25)]
    requests: list[httpx.Request] = []
    http = httpx.Client(timeout=10, event_hooks={"request": [requests.append]})
    with http, served.client(http=http) as client:
        status = client.add_objects(served.root, INDICATORS, objects)
        assert status.status == "complete"
        assert (status.total_count, status.success_count, status.failure_count) == (25, 25, 0)
        assert client.status(served.root, status.id).is_complete

        requests.clear()
        seen = [o["id"] for o in client.iter_objects(served.root, INDICATORS, limit=10)]
    assert seen == [o["id"] for o in objects]
    pages = [r.url.params for r in requests]
    assert [p.get("limit") for p in pages] == ["10", "10", "10"]
    assert "next" not in pages[0]
    assert all(p.get("next") for p in pages[1:])


def test_manifest_versions_get_and_delete_object(served: Served) -> None:
    """Manifest, versions and get_object see both versions; delete removes one, then all."""
    first = indicator(1, tlp=Tlp.GREEN)
    second = {**first, "modified": "2024-02-01T00:00:00.000Z", "name": "revised"}
    other = indicator(2, tlp=Tlp.GREEN)
    with served.client() as client:
        assert client.add_objects(served.root, ALL, [first, second, other]).success_count == 3

        manifest = client.manifest(served.root, ALL, types=("indicator",), versions=("all",))
        assert sorted((m.id, m.version) for m in manifest) == [
            (first["id"], "2024-01-01T00:00:00.000000000Z"),
            (first["id"], "2024-02-01T00:00:00.000000000Z"),
            (other["id"], "2024-01-01T00:00:00.000000000Z"),
        ]
        assert client.versions(served.root, ALL, first["id"]) == (
            "2024-01-01T00:00:00.000000000Z",
            "2024-02-01T00:00:00.000000000Z",
        )
        latest = client.get_object(served.root, ALL, first["id"])
        assert [o["name"] for o in latest] == ["revised"]
        every = client.get_object(served.root, ALL, first["id"], versions=("all",))
        assert len(every) == 2

        client.delete_object(served.root, ALL, first["id"], versions=("2024-02-01T00:00:00.000Z",))
        assert client.versions(served.root, ALL, first["id"]) == ("2024-01-01T00:00:00.000000000Z",)
        client.delete_object(served.root, ALL, first["id"])
        with pytest.raises(TaxiiError) as gone:
            client.get_object(served.root, ALL, first["id"])
        assert gone.value.status == 404
        assert [o["id"] for o in client.iter_objects(served.root, INDICATORS)] == [other["id"]]


def test_amber_strict_object_is_hidden_from_a_reader_of_another_org(served: Served) -> None:
    """An Org B AMBER+STRICT object is seen by Org B and the node org, never by Org C."""
    secret = indicator(7, tlp=Tlp.AMBER_STRICT, creator=node_org_id("Org B"))
    with served.client("analyst_b") as writer:
        assert writer.add_objects(served.root, ALL, [secret]).success_count == 1
        assert [o["id"] for o in writer.get_object(served.root, ALL, secret["id"])] == [
            secret["id"]
        ]
    for who in ("reader_b", "admin"):
        with served.client(who) as client:
            assert [o["id"] for o in client.iter_objects(served.root, INDICATORS)] == [secret["id"]]
    with served.client("reader_c") as outsider:
        assert list(outsider.iter_objects(served.root, INDICATORS)) == []
        assert outsider.manifest(served.root, INDICATORS) == ()
        with pytest.raises(TaxiiError) as hidden:
            outsider.get_object(served.root, ALL, secret["id"])
        assert hidden.value.status == 404
        with pytest.raises(TaxiiError) as no_versions:
            outsider.versions(served.root, ALL, secret["id"])
        assert no_versions.value.status == 404
