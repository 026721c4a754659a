"""Interop: the OASIS stix2 TAXIICollectionSource/Sink read and write through our server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stix2
from stix2 import Filter, TAXIICollectionSink, TAXIICollectionSource
from taxii2client.v21 import Collection
from tests.unit.server.conftest import SECRET, serving

from entente.bootstrap import open_node
from entente.config import Settings
from entente.server import create_app
from entente.services import DEFAULT_COLLECTIONS, create_token

pytestmark = pytest.mark.integration

ALL = str(DEFAULT_COLLECTIONS[0].id)
T0 = "2024-03-01T00:00:00.000Z"
T1 = "2024-04-01T00:00:00.000Z"


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    """The "All objects" collection of a uvicorn-served node, read with Basic auth as admin."""
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(settings) as node:
        _, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
        with serving(create_app(node, secret=SECRET)) as base:
            url = f"{base}/taxii2/api/collections/{ALL}/"
            yield Collection(url, user="admin", password=secret)


def stix_objects() -> tuple[Any, Any, Any]:
    """An indicator, a malware and the relationship between them, with fixed timestamps."""
    indicator = stix2.Indicator(
        id="indicator--a740531e-63ff-4e49-a9e1-a0a3eed0e3e7",
        created=T0,
        modified=T0,
        name="Bad IP",
        pattern="[ipv4-addr:value = '198.51.100.7']",
        pattern_type="stix",
        valid_from=T0,
        object_marking_refs=[stix2.TLP_GREEN],
    )
    malware = stix2.Malware(
        id="malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
        created=T0,
        modified=T0,
        name="Poison Ivy",
        is_family=True,
        object_marking_refs=[stix2.TLP_GREEN],
    )
    relationship = stix2.Relationship(
        id="relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463",
        created=T0,
        modified=T0,
        relationship_type="indicates",
        source_ref=indicator.id,
        target_ref=malware.id,
        object_marking_refs=[stix2.TLP_GREEN],
    )
    return indicator, malware, relationship


def test_sink_adds_objects_that_source_gets_by_id(collection: Collection) -> None:
    """Objects pushed with the sink come back, equal, from ``source.get``."""
    indicator, malware, relationship = stix_objects()
    TAXIICollectionSink(collection).add([indicator, malware, relationship])
    source = TAXIICollectionSource(collection)
    for original in (indicator, malware, relationship):
        fetched = source.get(original.id)
        assert fetched is not None
        assert fetched.id == original.id
        assert fetched.type == original.type
        assert fetched.modified == original.modified
    assert source.get("indicator--00000000-0000-4000-8000-000000000000") is None


def test_source_query_filters_by_type_remotely_and_by_modified_locally(
    collection: Collection,
) -> None:
    """``match[type]`` is sent to the server; a ``modified`` filter narrows the answer."""
    indicator, malware, relationship = stix_objects()
    sink = TAXIICollectionSink(collection)
    sink.add([indicator, malware, relationship])
    newer = indicator.new_version(modified=T1, name="Bad IP, confirmed")
    sink.add(newer)
    source = TAXIICollectionSource(collection)

    indicators = source.query([Filter("type", "=", "indicator")])
    # The server answers the latest version only when no match[version] is sent (§3.4.1).
    assert [(o.id, o.name) for o in indicators] == [(indicator.id, "Bad IP, confirmed")]
    both = source.query([Filter("type", "=", ["malware", "relationship"])])
    assert {o.id for o in both} == {malware.id, relationship.id}
    recent = source.query([Filter("modified", ">", "2024-03-15T00:00:00.000Z")])
    assert [o.id for o in recent] == [indicator.id]
    assert source.query([Filter("type", "=", "campaign")]) == []


def test_source_all_versions_returns_every_version_with_match_version_all(
    collection: Collection,
) -> None:
    """``all_versions`` sends ``match[id]`` and ``match[version]=all`` and gets both versions."""
    indicator, _, _ = stix_objects()
    sink = TAXIICollectionSink(collection)
    sink.add(indicator)
    sink.add(indicator.new_version(modified=T1, name="Bad IP, confirmed"))
    source = TAXIICollectionSource(collection)

    versions = source.all_versions(indicator.id)
    assert sorted(str(v.modified) for v in versions) == [
        "2024-03-01 00:00:00+00:00",
        "2024-04-01 00:00:00+00:00",
    ]
    assert source.get(indicator.id).name == "Bad IP, confirmed"
    raw = collection.get_objects(id=indicator.id, version="all")
    assert len(raw["objects"]) == 2


def test_source_pages_with_a_small_items_per_page(collection: Collection) -> None:
    """A source asking 2 per page follows ``more``/``next`` to the end."""
    indicator, malware, relationship = stix_objects()
    TAXIICollectionSink(collection).add([indicator, malware, relationship])
    source = TAXIICollectionSource(collection, items_per_page=2)
    # The node's built-in marking definitions are objects of the collection too.
    everything = source.query()
    assert len(everything) > 6
    assert {o.id for o in everything if o.type != "marking-definition"} == {
        indicator.id,
        malware.id,
        relationship.id,
    }
