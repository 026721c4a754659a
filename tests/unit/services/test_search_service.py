"""The search service: queries and filters through the sharing policy, paging past what a
reader may not see, exact labels, and correlation with its fan-out cap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from entente.clock import FixedClock
from entente.errors import InvalidInput, ObjectNotFound
from entente.services.search import (
    SearchRequest,
    SearchService,
    search_request,
)
from entente.sharing import NodeContext, Principal, Role
from entente.stix.markings import Tlp
from entente.store import NewVersion, Provenance, SourceKind
from entente.store.sql import SqlStore, open_store
from entente.store.sql_search import SqlSearchIndex

NODE_ORG = "identity--00000000-0000-4000-8000-00000000000a"
PARTNER_ORG = "identity--00000000-0000-4000-8000-00000000000b"
CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
FEED = Provenance(SourceKind.FEED, "feed A", "alice")
MISP = Provenance(SourceKind.FILE, "misp B", "alice")
STAMP = "2024-01-01T00:00:00.000000000Z"

OPERATOR = Principal(id="alice", org=NODE_ORG, role=Role.ADMIN, is_individual=True)
# In the community (it holds a token here), no agreement: it reads TLP:CLEAR and GREEN only.
GUEST = Principal(id="bob", org=PARTNER_ORG, role=Role.ANALYST, is_individual=True)


def ident(n: int, kind: str = "indicator") -> str:
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


def new(obj: dict[str, Any], modified: str = STAMP) -> NewVersion:
    return NewVersion(
        id=obj["id"],
        type=obj["type"],
        spec_version="2.1",
        version=modified if "value" not in obj else "",
        created=None if "value" in obj else modified,
        modified=None if "value" in obj else modified,
        created_by_ref=obj.get("created_by_ref"),
        revoked=False,
        marking_refs=tuple(obj.get("object_marking_refs", ())),
        raw_json=orjson.dumps(obj),
    )


def indicator(n: int, value: str, marking: str = CLEAR, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "id": ident(n),
        "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix",
        "object_marking_refs": [marking],
        **extra,
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    yield opened
    opened.close()


def service_over(store: SqlStore) -> SearchService:
    context = NodeContext(
        node_org=NODE_ORG,
        community_orgs=frozenset({NODE_ORG, PARTNER_ORG}),
        default_marking=Tlp.AMBER_STRICT,
        now_us=1,
    )
    return SearchService(store=store, index=SqlSearchIndex(store.engine), context=lambda: context)


def put(store: SqlStore, *objects: dict[str, Any], prov: Provenance = FEED) -> None:
    with store.transaction() as tx:
        tx.insert([(new(obj), prov) for obj in objects])


def numbers(items: Any) -> list[int]:
    return [int(v.id[-12:]) for v in items]


def every_page(
    service: SearchService, principal: Principal, request: SearchRequest, limit: int
) -> list[list[int]]:
    pages: list[list[int]] = []
    after: int | None = None
    for _ in range(50):  # bounded: the test has at most a few pages
        page = service.search(principal, request, after_us=after, limit=limit)
        pages.append(numbers(page.items))
        if page.next_cursor is None:
            return pages
        after = page.next_cursor
    raise AssertionError("paging did not end")


def test_pages_skip_what_the_reader_may_not_see_and_never_lose_a_row(store: SqlStore) -> None:
    # Ten indicators of 10.0.0.0/24, every other one TLP:AMBER (the guest may not see it).
    put(
        store,
        *(indicator(n, f"10.0.0.{n}", AMBER if n % 2 else CLEAR) for n in range(1, 11)),
    )
    service = service_over(store)
    request = SearchRequest(query="10.0.0.0/24")
    assert every_page(service, OPERATOR, request, 3) == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert every_page(service, GUEST, request, 2) == [[2, 4], [6, 8], [10]]
    # A page that is exactly full says so only when there is more to read.
    assert every_page(service, GUEST, request, 5) == [[2, 4, 6, 8, 10]]
    # An id the guest may not see is not found, the same as one that does not exist.
    assert numbers(service.search(GUEST, SearchRequest(query=ident(1))).items) == []
    assert numbers(service.search(OPERATOR, SearchRequest(query=ident(1))).items) == [1]


def test_a_label_filter_is_the_exact_label_not_its_words(store: SqlStore) -> None:
    put(
        store,
        indicator(1, "10.0.0.1", labels=["c2-node"]),
        indicator(2, "10.0.0.2", labels=["c2", "node"]),
        indicator(3, "10.0.0.3", description="a c2 node", labels=["other"]),
        # Labels are indexed first: a description far past the indexed length cannot hide them.
        indicator(4, "10.0.0.4", labels=["C2-Node"], description="filler " * 10_000),
    )
    service = service_over(store)
    assert numbers(service.search(OPERATOR, SearchRequest(labels=("c2-node",))).items) == [1, 4]
    assert numbers(service.search(OPERATOR, SearchRequest(labels=("node",))).items) == [2]
    assert numbers(service.search(OPERATOR, SearchRequest(text="c2 node")).items) == [1, 2, 3, 4]
    both = SearchRequest(labels=("c2", "node"))
    assert numbers(service.search(OPERATOR, both).items) == [2]


def test_filters_combine_with_a_query(store: SqlStore) -> None:
    creator = ident(9, "identity")
    put(store, indicator(1, "10.0.0.1", created_by_ref=creator), indicator(2, "10.0.0.2"))
    put(store, indicator(3, "10.0.0.3", created_by_ref=creator), prov=MISP)
    service = service_over(store)

    def find(**given: Any) -> list[int]:
        return numbers(service.search(OPERATOR, search_request(**given)).items)

    assert find(query="10.0.0.0/30") == [1, 2, 3]
    assert find(query="10.0.0.0/30", sources=["misp B"]) == [3]
    assert find(query="10.0.0.0/30", creators=[creator]) == [1, 3]
    assert find(query="10.0.0.0/30", types=["malware"]) == []
    assert find(value="10.0.0.2") == [2]
    assert find(types=["indicator"], markings=[CLEAR]) == [1, 2, 3]
    assert find(query="10.0.0.0/30", modified_after="2024-01-01") == [1, 2, 3]
    assert find(query="10.0.0.0/30", modified_after="2024-01-02") == []


def test_what_asks_for_nothing_valid_is_a_clear_error(store: SqlStore) -> None:
    service = service_over(store)
    with pytest.raises(InvalidInput, match="not an IP address, CIDR block"):
        service.search(OPERATOR, SearchRequest(value="not a value!"))
    with pytest.raises(InvalidInput, match="holds no word"):
        service.search(OPERATOR, SearchRequest(text="-- !!"))
    with pytest.raises(InvalidInput, match="not a STIX id"):
        service.search(OPERATOR, SearchRequest(ids=("indicator--nope",)))
    with pytest.raises(InvalidInput, match="limit must be at least 1"):
        service.search(OPERATOR, SearchRequest(query="10.0.0.1"), limit=0)
    with pytest.raises(InvalidInput, match="--added-after: 'yesterday' is not a date"):
        search_request(added_after="yesterday", spell=lambda n: "--" + n.replace("_", "-"))
    with pytest.raises(InvalidInput, match="fan-out cap"):
        service.correlate(OPERATOR, ident(1), cap=0)


def test_correlation_lists_other_holders_up_to_the_cap(store: SqlStore) -> None:
    put(store, *(indicator(n, "192.0.2.7") for n in range(1, 5)))
    put(store, indicator(5, "192.0.2.7", marking=AMBER), indicator(6, "198.51.100.1"))
    sighting = {
        "type": "sighting",
        "id": ident(7, "sighting"),
        "sighting_of_ref": ident(1),
        "object_marking_refs": [CLEAR],
    }
    put(store, sighting)
    service = service_over(store)
    report = service.correlate(GUEST, ident(1), cap=5)
    (value,) = report.values
    assert (value.kind, value.common) == ("ipv4", False)
    # Others that hold it, as the guest may see them: not itself, not the AMBER one.
    assert sorted(numbers(value.occurrences)) == [2, 3, 4]
    assert numbers(report.sightings) == [7]
    # An id typed as the query finds the object and what refers to it; the id filter does not.
    assert numbers(service.search(GUEST, SearchRequest(query=ident(1))).items) == [1, 7]
    assert numbers(service.search(GUEST, SearchRequest(ids=(ident(1),))).items) == [1]
    operator_view = service.correlate(OPERATOR, ident(1), cap=3)
    assert operator_view.values[0].common  # four others: more than the cap, not expanded
    assert operator_view.values[0].occurrences == ()
    assert service.correlate(OPERATOR, ident(6)).values[0].occurrences == ()
    # Hidden and absent read the same: the answer never tells that an object exists.
    with pytest.raises(ObjectNotFound) as hidden:
        service.correlate(GUEST, ident(5))
    with pytest.raises(ObjectNotFound) as absent:
        service.correlate(GUEST, ident(99))
    assert str(hidden.value).replace(ident(5), "X") == str(absent.value).replace(ident(99), "X")


def test_same_names_and_aliases_are_linked_never_merged(store: SqlStore) -> None:
    apt28: dict[str, Any] = {
        "type": "intrusion-set",
        "id": ident(1, "intrusion-set"),
        "name": "APT28",
        "aliases": ["Sofacy"],
        "object_marking_refs": [CLEAR],
    }
    sofacy: dict[str, Any] = {
        "type": "threat-actor",
        "id": ident(2, "threat-actor"),
        "name": "Sofacy Group",
        "aliases": ["sofacy"],
        "object_marking_refs": [CLEAR],
    }
    unrelated = {
        "type": "intrusion-set",
        "id": ident(3, "intrusion-set"),
        "name": "APT29",
        "object_marking_refs": [CLEAR],
    }
    put(store, apt28, sofacy, unrelated)
    service = service_over(store)
    report = service.correlate(GUEST, apt28["id"])
    assert [o.id for o in report.possibly_same] == [sofacy["id"]]
    # Both stay separate objects, each as stored.
    assert numbers(service.search(GUEST, SearchRequest(text="sofacy")).items) == [1, 2]
