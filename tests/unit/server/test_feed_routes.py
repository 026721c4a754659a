"""``GET /feeds/{format}``: token auth, the caller's visibility, entity tags, content types."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.server.conftest import Harness

from entente.export import RENDERERS
from entente.ingest import Candidate
from entente.services import IngestService
from entente.stix import Tlp, marking_id_for
from entente.store import Provenance, SourceKind

GREEN_ID = "indicator--f0000000-0000-4000-8000-000000000001"
AMBER_ID = "indicator--f0000000-0000-4000-8000-000000000002"
LISTED_ID = "indicator--f0000000-0000-4000-8000-000000000003"


def feed_indicator(indicator_id: str, pattern: str, tlp: Tlp) -> dict[str, Any]:
    # The harness clock stands at 2023-11-14T22:13:20Z: a day after valid_from.
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id,
        "created": "2023-11-13T22:00:00.000Z",
        "modified": "2023-11-13T22:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2023-11-13T22:00:00Z",
        "confidence": 90,
        "object_marking_refs": [marking_id_for(tlp)],
    }


def ingest_objects(harness: Harness, *objects: dict[str, Any]) -> None:
    node = harness.node
    service = IngestService(node.store, node.clock, principal="local:test")
    summary = service.ingest_candidates(
        [Candidate("test", f"[{i}]", o) for i, o in enumerate(objects)],
        Provenance(SourceKind.FILE, "test", "local:test"),
        source="test",
    )
    assert not summary.rejected


@pytest.fixture
def feeds(harness: Harness) -> Harness:
    """The harness node holding a GREEN, an AMBER and a warninglisted indicator."""
    ingest_objects(
        harness,
        feed_indicator(GREEN_ID, "[domain-name:value = 'green.example']", Tlp.GREEN),
        feed_indicator(AMBER_ID, "[domain-name:value = 'amber.example']", Tlp.AMBER),
        feed_indicator(LISTED_ID, "[domain-name:value = 'google.com']", Tlp.GREEN),
    )
    return harness


def _get(harness: Harness, path: str, who: str | None = "admin", **headers: str) -> Any:
    auth = harness.headers[who] if who is not None else {}
    return harness.client.get(path, headers={**auth, **headers})


def test_a_feed_needs_a_token(feeds: Harness) -> None:
    response = _get(feeds, "/feeds/edl-domains", who=None)
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]
    wrong = feeds.client.get("/feeds/edl-domains", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_an_unknown_format_is_404(feeds: Harness) -> None:
    response = _get(feeds, "/feeds/pf")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_the_feed_holds_what_the_caller_may_read_minus_warninglisted_values(
    feeds: Harness,
) -> None:
    response = _get(feeds, "/feeds/edl-domains")
    assert response.status_code == 200
    assert response.text == "amber.example\ngreen.example\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Entente-Left-Out"] == "1"  # google.com
    assert response.headers["Content-Disposition"] == ('attachment; filename="entente-domains.txt"')
    assert response.headers["Cache-Control"] == "private, no-cache"
    # A reader of another org reads GREEN only, and hears nothing of what it may not read.
    other = _get(feeds, "/feeds/edl-domains", who="reader_b")
    assert other.text == "green.example\n"
    assert other.headers["X-Entente-Left-Out"] == "1"
    # A partner node without an agreement reads nothing at all.
    partner = _get(feeds, "/feeds/csv", who="partner_c")
    assert partner.status_code == 200
    assert b"example" not in partner.content
    assert partner.headers["X-Entente-Left-Out"] == "0"


def test_if_none_match_with_the_tag_is_304_until_the_data_changes(feeds: Harness) -> None:
    first = _get(feeds, "/feeds/rpz")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = _get(feeds, "/feeds/rpz", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert _get(feeds, "/feeds/rpz", **{"If-None-Match": "*"}).status_code == 304
    assert _get(feeds, "/feeds/rpz", **{"If-None-Match": '"other"'}).status_code == 200
    # Each caller has its own tag: another org reads other data.
    assert _get(feeds, "/feeds/rpz", who="reader_b").headers["ETag"] != etag
    ingest_objects(
        feeds,
        feed_indicator(
            "indicator--f0000000-0000-4000-8000-000000000009",
            "[domain-name:value = 'new.example']",
            Tlp.GREEN,
        ),
    )
    changed = _get(feeds, "/feeds/rpz", **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert b"new.example" in changed.content


def test_min_score_is_a_query_parameter(feeds: Harness) -> None:
    assert _get(feeds, "/feeds/edl-domains?min_score=100").text == ""
    assert _get(feeds, "/feeds/edl-domains?min_score=101").status_code == 400


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_each_feed_has_its_formats_content_type(feeds: Harness, fmt: str) -> None:
    response = _get(feeds, f"/feeds/{fmt}")
    assert response.status_code == 200
    assert response.headers["content-type"] == RENDERERS[fmt].media_type
    assert RENDERERS[fmt].filename in response.headers["Content-Disposition"]


def test_a_formats_companion_files_are_served_beside_it(feeds: Harness) -> None:
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    ingest_objects(
        feeds,
        feed_indicator(
            "indicator--f0000000-0000-4000-8000-000000000008",
            f"[file:hashes.'SHA-256' = '{sha256}']",
            Tlp.GREEN,
        ),
    )
    rules = _get(feeds, "/feeds/suricata")
    assert b"filesha256:entente-sha256.lst" in rules.content
    listed = _get(feeds, "/feeds/suricata/entente-sha256.lst")
    assert listed.status_code == 200
    assert listed.text == f"{sha256}\n"
    assert listed.headers["content-type"] == "text/plain; charset=utf-8"
    assert listed.headers["ETag"] != rules.headers["ETag"]
    again = _get(
        feeds, "/feeds/suricata/entente-sha256.lst", **{"If-None-Match": listed.headers["ETag"]}
    )
    assert again.status_code == 304
    assert _get(feeds, "/feeds/suricata/entente-md5.lst").status_code == 404
    assert _get(feeds, "/feeds/zeek/entente-sha256.lst").status_code == 404
    assert _get(feeds, "/feeds/suricata/entente-sha256.lst", who=None).status_code == 401
