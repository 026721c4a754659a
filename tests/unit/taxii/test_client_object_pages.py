"""``TaxiiClient.object_pages`` against our own server in-process: pages and where to resume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from entente.bootstrap import open_node
from entente.config import Settings
from entente.server import create_app
from entente.services import DEFAULT_COLLECTIONS, create_token
from entente.stix import Tlp, marking_id_for
from entente.taxii.client import ObjectsPage, TaxiiClient

SECRET = b"0123456789abcdef0123456789abcdef"
ROOT = "/taxii2/api/"
INDICATORS = str(DEFAULT_COLLECTIONS[1].id)
BEFORE_ANYTHING = "2000-01-01T00:00:00.000000Z"


def _indicator(n: int) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '10.0.0.{n}']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "object_marking_refs": [marking_id_for(Tlp.GREEN)],
    }


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TaxiiClient]:
    """A client of a node served in-process (Starlette's TestClient is an httpx.Client)."""
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings) as node:
        _, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
        with (
            TestClient(create_app(node, secret=SECRET)) as http,
            TaxiiClient("http://testserver/taxii2/", auth=secret, http=http, retries=0) as taxii,
        ):
            yield taxii


@pytest.fixture
def added(client: TaxiiClient) -> list[str]:
    """The ids of 25 indicators added to the Indicators collection, in the order added."""
    objects = [_indicator(n) for n in range(25)]
    for start in range(0, 25, 5):  # five requests: date_added spans several commits
        status = client.add_objects(ROOT, INDICATORS, objects[start : start + 5], wait=0)
        assert status.success_count == 5
    return [o["id"] for o in objects]


def _ids(pages: list[ObjectsPage]) -> list[str]:
    return [item["id"] for page in pages for item in page.items]


def test_pages_carry_their_items_more_and_date_added_last(
    client: TaxiiClient, added: list[str]
) -> None:
    pages = list(client.object_pages(ROOT, INDICATORS, limit=10))
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [p.more for p in pages] == [True, True, False]
    assert _ids(pages) == added
    manifest = client.manifest(ROOT, INDICATORS)
    # Each page's date_added_last is the date_added of its last object (TAXII 2.1 §3.6.1).
    assert [p.date_added_last for p in pages] == [
        manifest[9].date_added,
        manifest[19].date_added,
        manifest[24].date_added,
    ]


def test_resuming_from_a_page_date_added_last_returns_exactly_the_rest(
    client: TaxiiClient, added: list[str]
) -> None:
    pages = list(client.object_pages(ROOT, INDICATORS, limit=7))
    assert _ids(pages) == added
    for index, page in enumerate(pages):
        resumed = list(
            client.object_pages(ROOT, INDICATORS, added_after=page.date_added_last, limit=7)
        )
        assert _ids(resumed) == _ids(pages[index + 1 :]), f"resumed after page {index}"


def test_resuming_after_the_last_page_gives_one_empty_page_at_the_same_point(
    client: TaxiiClient, added: list[str]
) -> None:
    *_, last = client.object_pages(ROOT, INDICATORS, limit=100)
    assert last.date_added_last is not None
    [page] = client.object_pages(ROOT, INDICATORS, added_after=last.date_added_last)
    assert page == ObjectsPage(items=(), date_added_last=last.date_added_last, more=False)


def test_an_empty_collection_is_one_empty_page_at_the_given_added_after(
    client: TaxiiClient,
) -> None:
    [page] = client.object_pages(ROOT, INDICATORS, added_after=BEFORE_ANYTHING)
    assert page == ObjectsPage(items=(), date_added_last=BEFORE_ANYTHING, more=False)


def test_an_empty_collection_read_from_the_start_has_no_date_added_last(
    client: TaxiiClient,
) -> None:
    [page] = client.object_pages(ROOT, INDICATORS)
    assert page == ObjectsPage(items=(), date_added_last=None, more=False)


def test_a_limit_below_one_is_refused(client: TaxiiClient) -> None:
    with pytest.raises(ValueError, match="limit"):
        next(client.object_pages(ROOT, INDICATORS, limit=0))
