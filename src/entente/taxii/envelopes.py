"""TAXII 2.1 resource bodies built from store pages: envelope, manifest, versions, status."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from entente.stix.timestamps import format_timestamp_us
from entente.store.records import Page, StoredVersion

__all__ = [
    "DATE_ADDED_FIRST",
    "DATE_ADDED_LAST",
    "ObjectOutcome",
    "Outcome",
    "build_envelope",
    "build_manifest",
    "build_status",
    "build_versions",
    "date_added_headers",
    "manifest_version",
    "render_envelope",
]

# §3.2 custom headers.
DATE_ADDED_FIRST = "X-TAXII-Date-Added-First"
DATE_ADDED_LAST = "X-TAXII-Date-Added-Last"


def _with_more(body: dict[str, Any], page: Page) -> dict[str, Any]:
    # §3.7 / §5.3.1 / §5.8.1: "more" is optional and its absence means false, so it is written
    # only when true; §2 "list": empty lists MUST NOT be sent, so empty pages give {}.
    if page.more:
        return {"more": True, **body}
    return body


def build_envelope(page: Page, *, next_token: str | None = None) -> dict[str, Any]:
    """The §3.7 ``envelope`` for ``page``: ``more``, ``next`` and the stored objects as JSON."""
    if next_token is not None and not page.more:
        raise ValueError("an envelope has 'next' only when 'more' is true (§3.7)")
    body: dict[str, Any] = {}
    if next_token is not None:
        body["next"] = next_token
    if page.items:
        body["objects"] = [item.to_json() for item in page.items]
    return _with_more(body, page)


def render_envelope(page: Page, *, next_token: str | None = None) -> bytes:
    """``build_envelope`` serialised, splicing each object's stored JSON bytes in unchanged.

    The fast path of the objects endpoints: decoding every stored object only to encode it
    again cost most of a page's time (bench/taxii.py). ``build_envelope`` is its readable
    twin; a property test asserts that both give the same JSON value.
    """
    head = build_envelope(Page(items=(), next_cursor=page.next_cursor), next_token=next_token)
    if not page.items:
        return orjson.dumps(head)
    prefix = orjson.dumps(head)[:-1]  # the members before "objects", without the closing "}"
    separator = b"," if head else b""
    objects = b",".join(item.raw_json for item in page.items)
    return prefix + separator + b'"objects":[' + objects + b"]}"


def manifest_version(item: StoredVersion) -> str:
    """The §5.3.1 ``version`` of one stored version: modified, else created, else date_added."""
    # §5.3.1: modified is the version; unversioned objects MUST use created; an object with
    # neither (an SCO) SHOULD get "a value ... consistent to the server": its date_added.
    if item.modified:
        return item.modified
    if item.created:
        return item.created
    return format_timestamp_us(item.date_added_us)


def _media_type(item: StoredVersion) -> str:
    return f"application/stix+json;version={item.spec_version}"


def build_manifest(page: Page) -> dict[str, Any]:
    """The §5.3.1 ``manifest``: ``more`` and one ``manifest-record`` per stored version.

    The manifest resource defines no ``next``; clients page with ``added_after`` set to the
    ``X-TAXII-Date-Added-Last`` header (§3.5), which is exact because date_added is unique.
    """
    body: dict[str, Any] = {}
    if page.items:
        body["objects"] = [
            {
                "id": item.id,
                # §2 timestamp: TAXII timestamps MUST have microsecond precision.
                "date_added": format_timestamp_us(item.date_added_us),
                "version": manifest_version(item),
                "media_type": _media_type(item),
            }
            for item in page.items
        ]
    return _with_more(body, page)


def build_versions(page: Page) -> dict[str, Any]:
    """The §5.8.1 ``versions`` resource: ``more`` and the version strings of one object."""
    body: dict[str, Any] = {}
    if page.items:
        body["versions"] = [manifest_version(item) for item in page.items]
    return _with_more(body, page)


def date_added_headers(page: Page) -> dict[str, str]:
    """§3.2 ``X-TAXII-Date-Added-First``/``-Last`` for ``page``; ``{}`` when it is empty."""
    # §3.2 requires them on every 200 of the four endpoints, but they name "the first object
    # of the response": an empty page has none, and inventing a value would mislead §3.5
    # clients that page with added_after = Last.
    if not page.items:
        return {}
    added = [item.date_added_us for item in page.items]  # ascending per §3.3
    return {
        DATE_ADDED_FIRST: format_timestamp_us(min(added)),
        DATE_ADDED_LAST: format_timestamp_us(max(added)),
    }


class Outcome(enum.StrEnum):
    """What happened to one object of an add-objects request (§5.5)."""

    ADDED = "added"
    DUPLICATE = "duplicate"  # an identical copy was already stored: a success (§5.5)
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class ObjectOutcome:
    """One object of a POSTed envelope: its id, version and what became of it (§4.3.1)."""

    id: str
    version: str
    outcome: Outcome
    message: str | None = None

    def detail(self) -> dict[str, str]:
        """This outcome as a §4.3.1 ``status-details`` value."""
        value = {"id": self.id, "version": self.version}
        message = self.message
        if message is None and self.outcome is Outcome.DUPLICATE:
            message = "an identical version is already stored"
        if message is not None:
            value["message"] = message
        return value


def build_status(
    status_id: str,
    outcomes: Sequence[ObjectOutcome],
    *,
    request_timestamp_us: int | None = None,
    include_details: bool = True,
) -> dict[str, Any]:
    """The §4.3.1 ``status`` resource for the objects of one add-objects request.

    §5.5: "If a client publishes an exact duplicate of an Object already present in the
    Collection, the server MUST not return an error for that Object", so ``DUPLICATE`` counts
    as a success. ``status`` is ``pending`` while any object is, else ``complete``.
    """
    successes = [o for o in outcomes if o.outcome in (Outcome.ADDED, Outcome.DUPLICATE)]
    failures = [o for o in outcomes if o.outcome is Outcome.FAILED]
    pendings = [o for o in outcomes if o.outcome is Outcome.PENDING]
    body: dict[str, Any] = {"id": status_id, "status": "pending" if pendings else "complete"}
    if request_timestamp_us is not None:
        body["request_timestamp"] = format_timestamp_us(request_timestamp_us)
    body["total_count"] = len(outcomes)
    for name, group in (("success", successes), ("failure", failures), ("pending", pendings)):
        body[f"{name}_count"] = len(group)
        # §2 list: an empty list MUST NOT stand in for an omitted optional property.
        if include_details and group:
            body[f"{name}es" if name == "success" else f"{name}s"] = [o.detail() for o in group]
    return body
