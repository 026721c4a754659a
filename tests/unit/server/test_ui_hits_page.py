"""The "Hits and hunts" pages over the real app and a real SQLite node: runs that real
``entente match`` and ``entente hunt`` runs recorded, what each found through the policy, and
the node org's admins and analysts as the only readers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import CLEAR, ident, new_version, stix
from tests.unit.server.ui_sessions import FEED, USERS, UiNode, ui_node
from tests.unit.server.ui_users import assert_page_rules

from entente.bootstrap import matching
from entente.services.hits import PAGE_SIZE
from entente.store import MatchRunRecord

LOGS = Path(__file__).parents[2] / "data" / "logs" / "zeek" / "zeek-json"
SAMPLES = [str(LOGS / "notice.json.gz"), str(LOGS / "x509.json.gz")]
# Not a TLP marking nor one the node knows: every reader is refused (fails closed).
UNKNOWN_MARKING = "marking-definition--c0000000-0000-4000-8000-000000000001"
STAFF = ("admin", "analyst")
OTHERS = tuple(who for who in USERS if who not in STAFF)


def _indicator(n: int, name: str, pattern: str, marking: str = CLEAR) -> dict[str, object]:
    return stix(
        "indicator",
        n,
        marking,
        name=name,
        pattern=pattern,
        pattern_type="stix",
        valid_from="2018-01-01T00:00:00Z",
    )


INDICATORS = [
    _indicator(1, "Cert host <A>", "[ipv4-addr:value = '10.47.3.200']"),
    _indicator(2, "Dev host", "[domain-name:value = 'localhost.localdomain']"),
    _indicator(3, "Scanner", "[ipv4-addr:value = '10.164.94.120']"),
]


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    with ui_node(tmp_path) as opened:
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(o), FEED) for o in INDICATORS])
        yield opened


def _rows(html: str, table: str) -> dict[str, list[str]]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return {
        header: re.findall(r"<td>(.*?)</td>", cells, re.S)
        for header, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S)
    }


def test_a_real_match_over_sample_logs_is_listed_and_shows_what_it_found(ui: UiNode) -> None:
    report = matching(ui.node).match(SAMPLES, principal="local:test", sightings=True)
    assert report.hits == 1 and report.suppressed_hits == 36 and len(report.sightings) == 1
    for who in STAFF:
        listing = ui.get("/hits", who)
        assert listing.status_code == 200
        assert_page_rules(listing.text)
        runs = _rows(listing.text, "runs-table")
        assert runs == {
            '<a href="/hits/1">Run 1</a>': [
                "match",
                "2023-11-14 22:13:20 UTC",
                "2023-11-14 22:13:20 UTC",
                "2",
                "555",
                "1",
                "36",
                "1",
            ]
        }
        page = ui.get("/hits/1", who)
        assert page.status_code == 200
        html = page.text
        assert_page_rules(html)
        assert "<h1>Match run 1</h1>" in html
        assert _rows(html, "indicators-table") == {
            f'<a href="/objects/{ident(2, "indicator")}">Dev host</a>': ["1"]
        }
        # Each warninglisted value with the list that names it (RFC 1918 addresses).
        assert _rows(html, "suppressed-table") == {
            "<code>10.164.94.120</code>": ["ip", "List of RFC 1918 CIDR blocks", "35"],
            "<code>10.47.3.200</code>": ["ip", "List of RFC 1918 CIDR blocks", "1"],
        }
        [sighting] = report.sightings
        assert f'<a href="/objects/{sighting}">{sighting}</a>' in html
        assert ui.get(f"/objects/{sighting}", who).status_code == 200


def test_a_hunt_is_recorded_with_how_it_treated_the_archive(ui: UiNode) -> None:
    service = matching(ui.node)
    service.match(SAMPLES, principal="local:test")
    hunted = service.hunt(SAMPLES, principal="local:test", sightings=False)
    assert hunted.new_files == 2
    listing = ui.get("/hits", "analyst").text
    assert list(_rows(listing, "runs-table")) == [
        '<a href="/hits/2">Run 2</a>',
        '<a href="/hits/1">Run 1</a>',
    ]
    html = ui.get("/hits/2", "analyst").text
    assert "<h1>Hunt run 2</h1>" in html
    summary = _rows(html, "summary-table")
    assert summary["New or rewritten files"] == ["2"]
    assert summary["Unchanged files"] == ["0"]
    assert "No sightings that you may see." in html


def test_only_the_node_orgs_admins_and_analysts_see_the_pages_or_their_nav_item(
    ui: UiNode,
) -> None:
    matching(ui.node).match(SAMPLES, principal="local:test", sightings=True)
    for who in STAFF:
        assert '<a href="/hits">Hits and hunts</a>' in ui.get("/", who).text
    for who in OTHERS:
        assert "/hits" not in ui.get("/", who).text
        for path in ("/hits", "/hits/1", "/hits/99"):
            page = ui.get(path, who)
            assert page.status_code == 403, (who, path)
            assert "admins and analysts of this node&#39;s own org" in page.text
            assert "Dev host" not in page.text and "10.47.3.200" not in page.text


def test_a_run_leaves_out_what_the_reader_may_not_see(ui: UiNode) -> None:
    hidden = _indicator(
        7, "CANARY-hidden-indicator", "[ipv4-addr:value = '198.51.100.77']", UNKNOWN_MARKING
    )
    hidden_sighting = stix(
        "sighting", 8, UNKNOWN_MARKING, sighting_of_ref=ident(7, "indicator"), count=3
    )
    with ui.node.store.transaction() as tx:
        tx.insert([(new_version(o), FEED) for o in (hidden, hidden_sighting)])
    # A run from before the indicator was hidden (an agreement withdrawn, a new marking):
    # the log still names it, the page does not.
    ui.node.match_runs.add(
        MatchRunRecord(
            None,
            "match",
            1,
            2,
            {
                "hits": 5,
                "by_indicator": [
                    {"id": ident(7, "indicator"), "hits": 3},
                    {"id": ident(2, "indicator"), "hits": 2},
                ],
                "suppressed": [
                    {
                        "kind": "ip",
                        "value": "198.51.100.77",
                        "lists": ["CANARY list"],
                        "indicator_ids": [ident(7, "indicator")],
                        "hits": 9,
                    }
                ],
                "sightings": [
                    ident(8, "sighting"),
                    "sighting--00000000-0000-4000-8000-0000000000ff",
                ],
            },
        )
    )
    for who in STAFF:
        html = ui.get("/hits/1", who).text
        assert _rows(html, "indicators-table") == {
            f'<a href="/objects/{ident(2, "indicator")}">Dev host</a>': ["2"]
        }
        for secret in (
            "CANARY",
            ident(7, "indicator"),
            ident(8, "sighting"),
            "198.51.100.77",
            "0000000000ff",
        ):
            assert secret not in html, (who, secret)
        assert "No suppressed hits that you may see." in html
        assert "No sightings that you may see." in html


def test_runs_are_paged_newest_first_and_a_bad_page_or_run_is_a_clear_4xx(ui: UiNode) -> None:
    for n in range(PAGE_SIZE + 2):
        ui.node.match_runs.add(MatchRunRecord(None, "match", n, n + 1, {"hits": n}))
    first = ui.get("/hits", "analyst").text
    runs = re.findall(r'<a href="/hits/(\d+)">', first)
    assert runs == [str(n) for n in range(PAGE_SIZE + 2, 2, -1)]
    assert '<a href="/hits?page=2" rel="next">' in first
    second = ui.get("/hits", "analyst", page=2).text
    assert re.findall(r'<a href="/hits/(\d+)">', second) == ["2", "1"]
    assert '<a href="/hits?page=1" rel="prev">' in second
    assert "No runs on this page." in ui.get("/hits", "analyst", page=5).text
    for page in ("0", "-1", "x", "99999999999"):
        answer = ui.get("/hits", "analyst", page=page)
        assert answer.status_code == 400, page
        assert "whole number" in answer.text
    for run in ("0", "abc", "99", str(2**64)):
        assert ui.get(f"/hits/{run}", "analyst").status_code == 404, run


def test_the_pages_of_a_node_without_runs_say_so(ui: UiNode) -> None:
    assert "No matching runs yet." in ui.get("/hits", "admin").text
