"""The TAXII 2.1 client against httpx's MockTransport: paging, retries, errors, polling, auth."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from entente.clock import FixedClock
from entente.errors import TaxiiError, TaxiiUnavailable
from entente.taxii.client import TaxiiClient
from entente.taxii.media import TAXII_MEDIA_TYPE

BASE = "https://taxii.example/"
ROOT = "https://taxii.example/api1/"
OBJECTS_URL = "https://taxii.example/api1/collections/c1/objects/"
Handler = Callable[[httpx.Request], httpx.Response]


def _taxii(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": TAXII_MEDIA_TYPE, **(headers or {})},
    )


def _indicator(number: int) -> dict[str, Any]:
    return {"type": "indicator", "id": f"indicator--{number:08d}-0000-4000-8000-000000000000"}


class Recorder:
    """Sleeps that only record their delay and advance a fixed clock."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.clock.advance(round(seconds * 1_000_000))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def sleep(clock: FixedClock) -> Recorder:
    return Recorder(clock)


@pytest.fixture
def requests() -> list[httpx.Request]:
    return []


@pytest.fixture
def connect(
    requests: list[httpx.Request], sleep: Recorder, clock: FixedClock
) -> Iterator[Callable[..., TaxiiClient]]:
    """Build a client whose requests go to ``handler`` and are recorded."""
    opened: list[httpx.Client] = []

    def build(handler: Handler, **kwargs: Any) -> TaxiiClient:
        def recording(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return handler(request)

        http = httpx.Client(transport=httpx.MockTransport(recording))
        opened.append(http)
        return TaxiiClient(BASE, http=http, sleep=sleep, clock=clock, **kwargs)

    yield build
    for http in opened:
        http.close()


def test_iter_objects_follows_next_with_the_original_query(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    pages = {
        None: {"more": True, "next": "p2", "objects": [_indicator(1), _indicator(2)]},
        "p2": {"more": True, "next": "p3", "objects": [_indicator(3)]},
        "p3": {"more": False, "objects": [_indicator(4)]},
    }
    client = connect(lambda request: _taxii(pages[request.url.params.get("next")]))
    got = list(client.iter_objects(ROOT, "c1", types=["indicator"], limit=2))
    assert [obj["id"] for obj in got] == [_indicator(n)["id"] for n in range(1, 5)]
    assert [r.url.params.get("next") for r in requests] == [None, "p2", "p3"]
    assert all(r.url.params["match[type]"] == "indicator" for r in requests)
    assert all(r.url.params["limit"] == "2" for r in requests)
    assert all(r.headers["Accept"] == TAXII_MEDIA_TYPE for r in requests)
    assert str(requests[0].url).startswith(OBJECTS_URL)


def test_iter_objects_falls_back_to_added_after_from_the_date_added_last_header(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    pages = {
        "2026-01-01T00:00:00.000000Z": (
            {"more": True, "objects": [_indicator(1)]},
            "2026-01-02T00:00:00.000000Z",
        ),
        "2026-01-02T00:00:00.000000Z": (
            {"more": True, "objects": [_indicator(2)]},
            "2026-01-03T00:00:00.000000Z",
        ),
        "2026-01-03T00:00:00.000000Z": ({"objects": [_indicator(3)]}, "2026-01-04T00:00:00Z"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        body, last = pages[request.url.params["added_after"]]
        return _taxii(body, headers={"X-TAXII-Date-Added-Last": last})

    client = connect(handler)
    got = list(client.iter_objects(ROOT, "c1", added_after="2026-01-01T00:00:00.000000Z"))
    assert [obj["id"] for obj in got] == [_indicator(n)["id"] for n in (1, 2, 3)]
    assert [r.url.params["added_after"] for r in requests] == list(pages)


def test_a_server_that_repeats_the_same_page_is_an_error_not_a_loop(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    page = {"more": True, "next": "again", "objects": [_indicator(1)]}
    client = connect(lambda request: _taxii(page))
    with pytest.raises(TaxiiError, match="repeated"):
        list(client.iter_objects(ROOT, "c1"))
    assert len(requests) == 2


def test_more_without_next_or_date_header_is_an_error(
    connect: Callable[..., TaxiiClient],
) -> None:
    client = connect(lambda request: _taxii({"more": True, "objects": [_indicator(1)]}))
    with pytest.raises(TaxiiError, match="more=true"):
        list(client.iter_objects(ROOT, "c1"))


def test_an_expired_next_resumes_with_added_after(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "next" in request.url.params:
            return _taxii({"title": "'next' not valid", "http_status": "400"}, status=400)
        if "added_after" in request.url.params:
            return _taxii({"objects": [_indicator(2)]})
        return _taxii(
            {"more": True, "next": "gone", "objects": [_indicator(1)]},
            headers={"X-TAXII-Date-Added-Last": "2026-01-02T00:00:00.000000Z"},
        )

    client = connect(handler)
    assert [o["id"] for o in client.iter_objects(ROOT, "c1")] == [
        _indicator(1)["id"],
        _indicator(2)["id"],
    ]
    assert requests[-1].url.params["added_after"] == "2026-01-02T00:00:00.000000Z"


def test_429_with_retry_after_and_503_are_retried_with_the_right_delays(
    connect: Callable[..., TaxiiClient], sleep: Recorder
) -> None:
    answers = iter(
        [
            _taxii({"title": "slow down"}, status=429, headers={"Retry-After": "7"}),
            httpx.Response(503, text="busy"),
            httpx.Response(503, text="busy"),
            _taxii({"title": "Node", "api_roots": [ROOT]}),
        ]
    )
    client = connect(lambda request: next(answers), backoff=0.5)
    assert client.discovery().api_roots == (ROOT,)
    # Retry-After wins for the 429; then exponential backoff: 0.5 × 2^1, 0.5 × 2^2.
    assert sleep.delays == [7.0, 1.0, 2.0]


def test_retry_after_as_an_http_date_is_measured_against_the_clock(
    connect: Callable[..., TaxiiClient], sleep: Recorder, clock: FixedClock
) -> None:
    clock.current_us = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:50 GMT"}),
            _taxii({"title": "Node"}),
        ]
    )
    connect(lambda request: next(answers)).discovery()
    assert sleep.delays == [30.0]


def test_connect_and_read_timeouts_are_retried(
    connect: Callable[..., TaxiiClient], sleep: Recorder
) -> None:
    failures: list[Exception] = [
        httpx.ConnectTimeout("no route"),
        httpx.ReadTimeout("silence"),
        httpx.ConnectError("refused"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            raise failures.pop(0)
        return _taxii({"title": "Node"})

    assert connect(handler, backoff=1).discovery().title == "Node"
    assert sleep.delays == [1.0, 2.0, 4.0]


def test_gives_up_after_retries_with_taxii_unavailable(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request], sleep: Recorder
) -> None:
    client = connect(lambda request: _taxii({"title": "busy"}, status=503), retries=2)
    with pytest.raises(TaxiiUnavailable) as caught:
        client.discovery()
    assert caught.value.status == 503
    assert caught.value.title == "busy"
    assert len(requests) == 3
    assert len(sleep.delays) == 2


def test_timeouts_give_up_after_retries(connect: Callable[..., TaxiiClient]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("silence")

    with pytest.raises(TaxiiUnavailable) as caught:
        connect(handler, retries=1).discovery()
    assert caught.value.status is None


def test_a_taxii_error_body_is_carried_by_the_error(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    body = {"title": "Collection not found", "http_status": "404", "error_code": "nf"}
    client = connect(lambda request: _taxii(body, status=404))
    with pytest.raises(TaxiiError) as caught:
        client.collection(ROOT, "missing")
    error = caught.value
    assert not isinstance(error, TaxiiUnavailable)
    assert (error.status, error.body, error.title) == (404, body, "Collection not found")
    assert error.url == "https://taxii.example/api1/collections/missing/"
    assert len(requests) == 1  # a 404 is final


def test_an_html_error_body_does_not_crash_the_mapping(
    connect: Callable[..., TaxiiClient],
) -> None:
    html = "<!doctype html><title>500 Internal Server Error</title><h1>Oops</h1>"
    client = connect(lambda request: httpx.Response(500, text=html))
    with pytest.raises(TaxiiError) as caught:
        client.api_root(ROOT)
    assert caught.value.status == 500
    assert caught.value.body is None
    assert caught.value.title is None
    assert "500" in str(caught.value)


def test_a_malformed_success_body_is_a_taxii_error(connect: Callable[..., TaxiiClient]) -> None:
    with pytest.raises(TaxiiError, match="not JSON"):
        connect(lambda request: httpx.Response(200, text="<html/>")).discovery()
    with pytest.raises(TaxiiError, match="malformed"):
        connect(lambda request: _taxii({"description": "no title"})).discovery()


def test_add_objects_posts_an_envelope_and_polls_status_until_complete(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request], sleep: Recorder
) -> None:
    pending = {"id": "s1", "status": "pending", "total_count": 2, "pending_count": 2}
    polls = iter(
        [
            pending,
            {**pending, "pending_count": 1, "success_count": 1},
            {
                "id": "s1",
                "status": "complete",
                "total_count": 2,
                "success_count": 2,
                "successes": [
                    {"id": _indicator(1)["id"], "version": "2026-01-01T00:00:00.000Z"},
                    {"id": _indicator(2)["id"], "version": "2026-01-01T00:00:00.000Z"},
                ],
            },
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return _taxii(pending, status=202)
        assert request.url == "https://taxii.example/api1/status/s1/"
        return _taxii(next(polls))

    client = connect(handler, backoff=0.25)
    status = client.add_objects(ROOT, "c1", [_indicator(1), _indicator(2)], wait=30)
    assert status.is_complete
    assert status.success_count == 2
    assert [detail.id for detail in status.successes] == [_indicator(1)["id"], _indicator(2)["id"]]
    post = requests[0]
    assert post.headers["Content-Type"] == TAXII_MEDIA_TYPE
    assert post.headers["Accept"] == TAXII_MEDIA_TYPE
    assert json.loads(post.content) == {"objects": [_indicator(1), _indicator(2)]}
    assert sleep.delays == [0.25, 0.5, 1.0]


def test_add_objects_returns_the_pending_status_when_wait_runs_out(
    connect: Callable[..., TaxiiClient], sleep: Recorder
) -> None:
    pending = {"id": "s1", "status": "pending", "total_count": 1, "pending_count": 1}
    client = connect(
        lambda request: _taxii(pending, status=202 if request.method == "POST" else 200)
    )
    status = client.add_objects(ROOT, "c1", [_indicator(1)], wait=3)
    assert not status.is_complete
    assert sum(sleep.delays) == pytest.approx(3.0)
    assert sleep.delays == [0.5, 1.0, 1.5]


def test_basic_auth_header(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    connect(lambda request: _taxii({"title": "Node"}), auth=("alice", "s3cret")).discovery()
    expected = base64.b64encode(b"alice:s3cret").decode()
    assert requests[0].headers["Authorization"] == f"Basic {expected}"
    assert requests[0].url == "https://taxii.example/taxii2/"


def test_bearer_auth_header(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    connect(lambda request: _taxii({"title": "Node"}), auth="tok-123").discovery()
    assert requests[0].headers["Authorization"] == "Bearer tok-123"


def test_no_auth_sends_no_authorization(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    connect(lambda request: _taxii({"title": "Node"})).discovery()
    assert "Authorization" not in requests[0].headers


def test_context_manager_closes_only_the_client_it_created() -> None:
    given = httpx.Client(transport=httpx.MockTransport(lambda request: _taxii({})))
    with TaxiiClient(BASE, http=given):
        pass
    assert not given.is_closed
    given.close()

    with TaxiiClient(BASE) as client:
        own = client._http
    assert own.is_closed


def test_urls_are_joined_with_trailing_slashes_and_quoted_ids(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    client = connect(lambda request: _taxii({"versions": ["2026-01-01T00:00:00.000Z"]}))
    assert client.versions("/api1", "c 1", "indicator--x/../y") == ("2026-01-01T00:00:00.000Z",)
    assert str(requests[0].url).startswith(
        "https://taxii.example/api1/collections/c%201/objects/indicator--x%2F..%2Fy/versions/"
    )


def test_collections_manifest_get_and_delete(
    connect: Callable[..., TaxiiClient], requests: list[httpx.Request]
) -> None:
    collection = {"id": "c1", "title": "Shared", "can_read": True, "can_write": False}
    record = {
        "id": _indicator(1)["id"],
        "date_added": "2026-01-01T00:00:00.000000Z",
        "version": "2026-01-01T00:00:00.000Z",
        "media_type": "application/stix+json;version=2.1",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "DELETE":
            return httpx.Response(200)
        if path.endswith("/collections/"):
            return _taxii({"collections": [collection]})
        if path.endswith("/manifest/"):
            return _taxii({"objects": [record]})
        return _taxii({"objects": [_indicator(1)]})

    client = connect(handler)
    assert [c.id for c in client.collections(ROOT)] == ["c1"]
    assert client.collections(ROOT)[0].media_types == ()
    assert client.manifest(ROOT, "c1")[0].version == record["version"]
    assert client.get_object(ROOT, "c1", _indicator(1)["id"]) == (_indicator(1),)
    client.delete_object(ROOT, "c1", _indicator(1)["id"], versions=["all"])
    assert requests[-1].method == "DELETE"
    assert requests[-1].url.params["match[version]"] == "all"


def test_a_single_string_filter_is_refused(connect: Callable[..., TaxiiClient]) -> None:
    client = connect(lambda request: _taxii({}))
    with pytest.raises(TypeError):
        list(client.iter_objects(ROOT, "c1", types="indicator"))
