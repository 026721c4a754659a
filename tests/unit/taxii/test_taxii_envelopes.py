"""TAXII 2.1 resource bodies: envelope §3.7, manifest §5.3.1, versions §5.8.1, status §4.3.1."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.store.records import Page, Provenance, SourceKind, StoredVersion
from entente.taxii.envelopes import (
    DATE_ADDED_FIRST,
    DATE_ADDED_LAST,
    ObjectOutcome,
    Outcome,
    build_envelope,
    build_manifest,
    build_status,
    build_versions,
    date_added_headers,
    render_envelope,
)

IND = "indicator--29aba82c-5393-42a8-9edb-6a2cb1df070b"
IP = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"


def _stored(
    object_id: str,
    date_added_us: int,
    *,
    created: str | None = "2016-11-03T12:30:59.000Z",
    modified: str | None = "2016-11-03T12:30:59.000Z",
    spec_version: str = "2.1",
) -> StoredVersion:
    return StoredVersion(
        id=object_id,
        type=object_id.split("--", maxsplit=1)[0],
        spec_version=spec_version,
        version="",
        created=created,
        modified=modified,
        created_by_ref=None,
        revoked=False,
        marking_refs=(),
        raw_json=b'{"id": "%s", "type": "x"}' % object_id.encode(),
        date_added_us=date_added_us,
        provenance=Provenance(SourceKind.FEED, "feed", "system"),
    )


T1 = 1_478_228_645_123_456  # 2016-11-04T03:04:05.123456Z
ITEMS = (_stored(IND, T1), _stored(IP, T1 + 1, created=None, modified=None, spec_version="2.0"))


def test_taxii_envelopes_empty_page_is_an_empty_object() -> None:
    empty = Page((), None)
    assert build_envelope(empty) == {}
    assert build_manifest(empty) == {}
    assert build_versions(empty) == {}
    assert date_added_headers(empty) == {}


def test_taxii_envelopes_envelope_carries_more_next_and_stored_objects() -> None:
    page = Page(ITEMS, T1 + 1)
    assert build_envelope(page, next_token="tok") == {
        "more": True,
        "next": "tok",
        "objects": [{"id": IND, "type": "x"}, {"id": IP, "type": "x"}],
    }


def test_taxii_envelopes_last_page_omits_more_and_next() -> None:
    assert build_envelope(Page(ITEMS[:1], None)) == {"objects": [{"id": IND, "type": "x"}]}


def test_taxii_envelopes_next_without_more_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="more"):
        build_envelope(Page(ITEMS, None), next_token="tok")


def test_taxii_envelopes_manifest_records_use_microsecond_date_added() -> None:
    assert build_manifest(Page(ITEMS, None)) == {
        "objects": [
            {
                "id": IND,
                "date_added": "2016-11-04T03:04:05.123456Z",
                "version": "2016-11-03T12:30:59.000Z",
                "media_type": "application/stix+json;version=2.1",
            },
            {
                "id": IP,
                "date_added": "2016-11-04T03:04:05.123457Z",
                # an SCO has neither modified nor created: its date_added is the version
                "version": "2016-11-04T03:04:05.123457Z",
                "media_type": "application/stix+json;version=2.0",
            },
        ]
    }
    assert build_manifest(Page(ITEMS, 5))["more"] is True


def test_taxii_envelopes_versions_prefer_modified_then_created() -> None:
    unversioned = _stored(IND, T1, created="2016-01-01T00:00:00Z", modified=None)
    versioned = _stored(IND, T1 + 5, modified="2017-01-01T00:00:00.5Z")
    assert build_versions(Page((unversioned, versioned), 9)) == {
        "more": True,
        "versions": ["2016-01-01T00:00:00Z", "2017-01-01T00:00:00.5Z"],
    }


def test_taxii_envelopes_date_added_headers_name_first_and_last() -> None:
    assert date_added_headers(Page(ITEMS, None)) == {
        DATE_ADDED_FIRST: "2016-11-04T03:04:05.123456Z",
        DATE_ADDED_LAST: "2016-11-04T03:04:05.123457Z",
    }
    assert DATE_ADDED_FIRST == "X-TAXII-Date-Added-First"
    assert DATE_ADDED_LAST == "X-TAXII-Date-Added-Last"


def test_taxii_envelopes_status_counts_an_identical_repost_as_success() -> None:
    outcomes = [
        ObjectOutcome(IND, "2016-11-03T12:30:59.000Z", Outcome.ADDED),
        ObjectOutcome(IP, "v", Outcome.DUPLICATE),
        ObjectOutcome("malware--x", "v", Outcome.FAILED, "bad pattern"),
    ]
    status = build_status("2d086da7-4bdc-4f91-900e-d77486753710", outcomes, request_timestamp_us=T1)
    assert status == {
        "id": "2d086da7-4bdc-4f91-900e-d77486753710",
        "status": "complete",
        "request_timestamp": "2016-11-04T03:04:05.123456Z",
        "total_count": 3,
        "success_count": 2,
        "successes": [
            {"id": IND, "version": "2016-11-03T12:30:59.000Z"},
            {"id": IP, "version": "v", "message": "an identical version is already stored"},
        ],
        "failure_count": 1,
        "failures": [{"id": "malware--x", "version": "v", "message": "bad pattern"}],
        "pending_count": 0,
    }


def test_taxii_envelopes_status_is_pending_while_anything_is() -> None:
    outcomes = [ObjectOutcome(IND, "v", Outcome.PENDING)]
    status = build_status("s", outcomes, include_details=False)
    assert status == {
        "id": "s",
        "status": "pending",
        "total_count": 1,
        "success_count": 0,
        "failure_count": 0,
        "pending_count": 1,
    }
    assert build_status("s", outcomes)["pendings"] == [{"id": IND, "version": "v"}]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@given(
    st.lists(st.dictionaries(st.text(max_size=6), _json_values, max_size=4), max_size=5),
    st.booleans(),
    st.booleans(),
)
def test_taxii_envelopes_rendered_bytes_equal_the_built_envelope(
    objects: list[dict[str, object]], more: bool, with_token: bool
) -> None:
    # The fast path splices stored bytes; its twin decodes and rebuilds. Same JSON value.
    items = tuple(
        replace(_stored(IND, T1 + n), raw_json=orjson.dumps(obj)) for n, obj in enumerate(objects)
    )
    page = Page(items=items, next_cursor=T1 if more else None)
    token = "tok" if more and with_token else None
    rendered = orjson.loads(render_envelope(page, next_token=token))
    assert rendered == build_envelope(page, next_token=token)
