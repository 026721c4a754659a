"""A TAXII 2.1 client over httpx: discovery, collections, paged reads, add-and-poll, retries."""

from __future__ import annotations

import functools
import os
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx

from entente.clock import Clock, SystemClock
from entente.errors import TaxiiError
from entente.stix import Unreadable
from entente.taxii.client_records import (
    ApiRoot,
    Collection,
    Discovery,
    MalformedResource,
    ManifestRecord,
    Status,
    parse_api_root,
    parse_collection,
    parse_discovery,
    parse_manifest_record,
    parse_status,
)
from entente.taxii.client_session import TaxiiSession
from entente.taxii.envelopes import DATE_ADDED_LAST

__all__ = ["ObjectsPage", "TaxiiClient"]

_T = TypeVar("_T")

_MAX_POLL_DELAY_S = 60.0


def default_tls() -> ssl.SSLContext:
    """The verifying TLS context httpx would build, made once per trust store.

    Building one reads and parses the whole CA bundle (about 20 ms of CPU): a node that
    syncs each partner every second spent most of a "nothing new" sync on it. A context is
    safe to share between clients and threads once configured. ``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` are honoured as httpx honours them, read on each call; a trust store
    changed on disk is read again when the process restarts.
    """
    return _tls_for(os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)


@functools.cache
def _tls_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The arguments only key the cache: httpx reads the same two variables itself.
    return httpx.create_ssl_context(verify=True)


# Bounds on loops driven by the server: a collection of 100,000 pages is 10^8 objects at 1,000 a
# page; a status polled 10,000 times is a server that never finishes.
_MAX_PAGES = 100_000
_MAX_POLLS = 10_000


def _directory(url: str) -> str:
    # TAXII 2.1 §3.1: every endpoint URL ends in "/"; a missing one would resolve relative
    # segments against the parent instead.
    return url if url.endswith("/") else url + "/"


def _segment(value: str) -> str:
    """One path segment (a collection or object id) quoted so it cannot climb or split the path."""
    if not value:
        raise ValueError("an empty identifier cannot name a TAXII resource")
    return quote(value, safe="") + "/"


def _filters(
    added_after: str | None,
    types: Sequence[str],
    ids: Sequence[str],
    versions: Sequence[str],
) -> dict[str, str]:
    """The §3.4 query parameters: ``added_after`` and ``match[<field>]`` as comma-joined lists."""
    query: dict[str, str] = {}
    if added_after is not None:
        query["added_after"] = added_after
    for field, values in (("id", ids), ("type", types), ("version", versions)):
        if isinstance(values, str):
            raise TypeError(f"match[{field}] takes a sequence of strings, not one string")
        if values:
            query[f"match[{field}]"] = ",".join(values)
    return query


class TaxiiClient:
    """A TAXII 2.1 client; use it as a context manager or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: tuple[str, str] | str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 30,
        retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
    ) -> None:
        self._base_url = _directory(base_url)
        self._clock = clock if clock is not None else SystemClock()
        self._backoff = backoff
        self._sleep = sleep
        self._owns_http = http is None
        self._http = (
            http if http is not None else httpx.Client(timeout=timeout, verify=default_tls())
        )
        self._session = TaxiiSession(
            self._http, auth=auth, retries=retries, backoff=backoff, sleep=sleep, clock=self._clock
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the httpx client this object created; one passed in stays open."""
        if self._owns_http:
            self._http.close()

    # -- §4 Server information -------------------------------------------------------------

    def discovery(self) -> Discovery:
        """GET the §4.1 discovery resource at ``<base_url>/taxii2/``."""
        url = self._base_url
        if not url.endswith("/taxii2/"):
            url += "taxii2/"
        return self._get_resource(url, parse_discovery)

    def api_root(self, api_root_url: str) -> ApiRoot:
        """GET the §4.2 API root information."""
        return self._get_resource(self._api_root_url(api_root_url), parse_api_root)

    def status(self, api_root_url: str, status_id: str) -> Status:
        """GET the §4.3 status resource ``status_id``."""
        url = self._api_root_url(api_root_url) + "status/" + _segment(status_id)
        return self._get_resource(url, parse_status)

    # -- §5 Collections ----------------------------------------------------------------------

    def collections(self, api_root_url: str) -> tuple[Collection, ...]:
        """GET the §5.1 collections of an API root (none when the server lists none)."""
        url = self._api_root_url(api_root_url) + "collections/"
        body = self._get_json(url)
        items = body.get("collections", [])  # §5.1.1: optional, absent when empty
        if not isinstance(items, list):
            raise TaxiiError("'collections' is not a list", status=200, url=url)
        return tuple(self._parsed(parse_collection, item, url) for item in items)

    def collection(self, api_root_url: str, collection_id: str) -> Collection:
        """GET the §5.2 collection ``collection_id``."""
        return self._get_resource(
            self._collection_url(api_root_url, collection_id), parse_collection
        )

    def manifest(
        self,
        api_root_url: str,
        collection_id: str,
        *,
        added_after: str | None = None,
        types: Sequence[str] = (),
        ids: Sequence[str] = (),
        versions: Sequence[str] = (),
        limit: int = 1000,
    ) -> tuple[ManifestRecord, ...]:
        """Every §5.3 manifest record that matches, fetched page by page (§3.5)."""
        url = self._collection_url(api_root_url, collection_id) + "manifest/"
        query = _filters(added_after, types, ids, versions)
        return tuple(
            self._parsed(parse_manifest_record, item, url)
            for item in self._paged(url, query, "objects", limit)
        )

    def iter_objects(
        self,
        api_root_url: str,
        collection_id: str,
        *,
        added_after: str | None = None,
        types: Sequence[str] = (),
        ids: Sequence[str] = (),
        versions: Sequence[str] = (),
        limit: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """The §5.4 objects that match, fetched lazily page by page (§3.5)."""
        url = self._collection_url(api_root_url, collection_id) + "objects/"
        query = _filters(added_after, types, ids, versions)
        for item in self._paged(url, query, "objects", limit):
            yield self._parsed(_stix_object, item, url)

    def object_pages(
        self,
        api_root_url: str,
        collection_id: str,
        *,
        added_after: str | None = None,
        limit: int = 1000,
    ) -> Iterator[ObjectsPage]:
        """The §5.4 objects page by page, each with the ``added_after`` to resume after it.

        A synchronising reader applies a page, records ``date_added_last`` and, after a crash,
        resumes from there (§3.4.2 added_after is strictly later, so nothing is read twice).
        """
        url = self._collection_url(api_root_url, collection_id) + "objects/"
        for page in self._pages(url, _filters(added_after, (), (), ()), "objects", limit):
            # One bad item is that item's problem: it is handed on as ``Unreadable`` with the
            # reason, so that a reader can refuse it alone and still resume after the page
            # (one partner object must not stop a sync forever).
            yield ObjectsPage(
                items=tuple(_stix_item(item) for item in page.items),
                date_added_last=page.date_added_last,
                more=page.more,
            )

    def add_objects(
        self,
        api_root_url: str,
        collection_id: str,
        objects: Sequence[Mapping[str, Any]],
        *,
        wait: float = 30,
    ) -> Status:
        """POST objects in an envelope (§5.5), then poll their status until complete or ``wait``.

        Returns the last status seen: one still ``pending`` when ``wait`` seconds ran out.
        """
        if not objects:
            # §2 list: an empty "objects" list must not be sent; there is nothing to add.
            raise ValueError("add_objects needs at least one object")
        url = self._collection_url(api_root_url, collection_id) + "objects/"
        response = self._session.request(
            "POST", url, body={"objects": [dict(obj) for obj in objects]}
        )
        status = self._parsed(parse_status, self._session.json_body(response, url), url)
        deadline_us = self._clock.now_us() + round(wait * 1_000_000)
        delay = self._backoff
        for _ in range(_MAX_POLLS):
            remaining = (deadline_us - self._clock.now_us()) / 1_000_000
            if status.is_complete or remaining <= 0:
                return status
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, _MAX_POLL_DELAY_S)
            # §4.3: the status resource of the request is polled by its id.
            status = self.status(api_root_url, status.id)
        return status

    def get_object(
        self,
        api_root_url: str,
        collection_id: str,
        object_id: str,
        *,
        versions: Sequence[str] = (),
        limit: int = 1000,
    ) -> tuple[dict[str, Any], ...]:
        """The §5.6 versions of one object that match ``versions`` (default: the latest)."""
        url = self._collection_url(api_root_url, collection_id) + "objects/" + _segment(object_id)
        query = _filters(None, (), (), versions)
        return tuple(
            self._parsed(_stix_object, item, url)
            for item in self._paged(url, query, "objects", limit)
        )

    def versions(
        self,
        api_root_url: str,
        collection_id: str,
        object_id: str,
        *,
        added_after: str | None = None,
        limit: int = 1000,
    ) -> tuple[str, ...]:
        """Every §5.8 version string of one object, fetched page by page (§3.5)."""
        url = (
            self._collection_url(api_root_url, collection_id)
            + "objects/"
            + _segment(object_id)
            + "versions/"
        )
        query = _filters(added_after, (), (), ())
        return tuple(_version(item, url) for item in self._paged(url, query, "versions", limit))

    def delete_object(
        self,
        api_root_url: str,
        collection_id: str,
        object_id: str,
        *,
        versions: Sequence[str] = (),
    ) -> None:
        """DELETE one object (§5.7): the versions matching ``versions``, by default all."""
        url = self._collection_url(api_root_url, collection_id) + "objects/" + _segment(object_id)
        self._session.request("DELETE", url, params=_filters(None, (), (), versions))

    # -- plumbing ----------------------------------------------------------------------------

    def _api_root_url(self, api_root_url: str) -> str:
        # §4.1.1: api_roots may be absolute or relative URLs; resolve against the base URL.
        return _directory(str(httpx.URL(self._base_url).join(api_root_url)))

    def _collection_url(self, api_root_url: str, collection_id: str) -> str:
        return self._api_root_url(api_root_url) + "collections/" + _segment(collection_id)

    def _get_json(self, url: str) -> dict[str, Any]:
        return self._session.json_body(self._session.request("GET", url), url)

    def _get_resource(self, url: str, parse: Callable[[Mapping[str, Any]], _T]) -> _T:
        return self._parsed(parse, self._get_json(url), url)

    @staticmethod
    def _parsed(parse: Callable[[Any], _T], value: Any, url: str) -> _T:
        if not isinstance(value, dict):
            raise TaxiiError(
                f"{url}: expected a JSON object, got {value!r:.80}", status=200, url=url
            )
        try:
            return parse(value)
        except MalformedResource as exc:
            raise TaxiiError(
                f"{url}: malformed TAXII resource: {exc}", status=200, url=url
            ) from exc

    def _paged(self, url: str, query: dict[str, str], key: str, limit: int) -> Iterator[Any]:
        """The ``key`` items of every page: §3.5 ``next`` when given, else ``added_after``."""
        for page in self._pages(url, query, key, limit):
            yield from page.items

    def _pages(
        self, url: str, query: dict[str, str], key: str, limit: int
    ) -> Iterator[ObjectsPage]:
        """Every page of ``key`` items: §3.5 ``next`` when given, else ``added_after``."""
        if limit < 1:
            raise ValueError("limit must be positive (§3.5)")
        cursor: dict[str, str] = {}
        previous: list[Any] | None = None
        last_added: str | None = query.get("added_after")
        for _ in range(_MAX_PAGES):
            params = {**query, "limit": str(limit), **cursor}
            try:
                response = self._session.request("GET", url, params=params)
            except TaxiiError as exc:
                # A server may forget a `next` token (medallion drops them after its session
                # timeout and answers 400); §3.5's added_after fallback resumes where we were.
                if "next" in cursor and exc.status == 400 and last_added is not None:
                    cursor = {"added_after": last_added}
                    continue
                raise
            body = self._session.json_body(response, url)
            items = body.get(key, [])  # §3.7: "objects" is absent from an empty envelope
            if not isinstance(items, list):
                raise TaxiiError(f"{url}: {key!r} is not a list", status=200, url=url)
            if previous is not None and items and items == previous:
                raise TaxiiError(f"{url}: the server repeated the same page", status=200, url=url)
            if items:
                last_added = response.headers.get(DATE_ADDED_LAST, last_added)
            # §3.7: "more" absent means false.
            more = body.get("more") is True
            yield ObjectsPage(items=tuple(items), date_added_last=last_added, more=more)
            if not more:
                return
            previous = items
            token = body.get("next")
            if isinstance(token, str) and token:
                # §3.5: the next page is asked for with `next` and the same original query.
                cursor = {"next": token}
            elif last_added is not None and last_added != cursor.get("added_after"):
                # §3.5: without `next`, added_after = X-TAXII-Date-Added-Last of this page.
                cursor = {"added_after": last_added}
            else:
                raise TaxiiError(
                    f"{url}: more=true without a usable next or {DATE_ADDED_LAST}",
                    status=200,
                    url=url,
                )
        raise TaxiiError(f"{url}: more than {_MAX_PAGES} pages", status=200, url=url)


@dataclass(frozen=True, slots=True)
class ObjectsPage:
    """One page of a paged TAXII response, with where the next page starts.

    ``date_added_last`` is the page's X-TAXII-Date-Added-Last (§3.6.1), or the ``added_after``
    the read started from when the page is empty: a reader that has applied the page may
    resume from it with ``added_after`` and miss nothing. ``object_pages`` items are STIX
    objects, or ``Unreadable`` for those that are not.
    """

    items: tuple[Any, ...]
    date_added_last: str | None
    more: bool


def _stix_object(value: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(value.get("id"), str) or not isinstance(value.get("type"), str):
        raise MalformedResource("a STIX object needs string 'type' and 'id'")
    return dict(value)


def _stix_item(value: Any) -> dict[str, Any] | Unreadable:
    """An item of an objects page: a STIX object, or ``Unreadable`` saying why it is not."""
    if isinstance(value, Unreadable):
        return value
    if not isinstance(value, dict):
        return Unreadable(f"not a JSON object but {type(value).__name__}")
    try:
        return _stix_object(value)
    except MalformedResource as exc:
        return Unreadable(str(exc))


def _version(value: Any, url: str) -> str:
    if not isinstance(value, str):
        raise TaxiiError(f"{url}: a version must be a timestamp string", status=200, url=url)
    return value
