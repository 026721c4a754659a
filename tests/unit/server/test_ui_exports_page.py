"""The exports page over the real app and a SQLite node: sizes, left-out counts, downloads."""

from __future__ import annotations

import re
import threading
import time

from tests.unit.server.conftest import Harness
from tests.unit.server.test_feed_routes import feed_indicator, ingest_objects
from tests.unit.server.ui_users import assert_page_rules, sign_in

from entente.bootstrap import exports
from entente.errors import InvalidInput
from entente.export import RENDERERS
from entente.server.ui.exports_page import FeedSummaries, FeedSummary, FigureBoard
from entente.server.ui.templates import Templates
from entente.sharing import Principal, Role
from entente.stix import Tlp

GREEN_ID = "indicator--e0000000-0000-4000-8000-000000000001"
AMBER_ID = "indicator--e0000000-0000-4000-8000-000000000002"
LISTED_ID = "indicator--e0000000-0000-4000-8000-000000000003"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
ROW = re.compile(
    r'<tr><th scope="row">([a-z-]+)</th>\s*<td>(\d+)</td>\s*<td>.*?\((\d+) bytes\)</td>'
)


def _stored(harness: Harness) -> Harness:
    ingest_objects(
        harness,
        feed_indicator(GREEN_ID, "[domain-name:value = 'green.example']", Tlp.GREEN),
        feed_indicator(AMBER_ID, "[domain-name:value = 'amber.example']", Tlp.AMBER),
        # google.com is on the MISP warninglists the node ships.
        feed_indicator(LISTED_ID, "[domain-name:value = 'google.com']", Tlp.GREEN),
    )
    return harness


def test_the_exports_page_needs_a_session(harness: Harness) -> None:
    answer = harness.client.get("/exports", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/login")
    assert harness.client.get("/exports/csv", follow_redirects=False).status_code == 303


def test_each_format_is_listed_with_its_entries_bytes_and_left_out_reasons(
    harness: Harness,
) -> None:
    _stored(harness)
    alice = sign_in(harness, "alice", org="Entente node", role="reader")
    page = alice.client.get("/exports")
    assert page.status_code == 200
    assert_page_rules(page.text)
    assert "default-src 'self'" in page.headers["content-security-policy"]
    rows = {fmt: (int(n), int(size)) for fmt, n, size in ROW.findall(page.text)}
    assert set(rows) == set(RENDERERS)
    service = exports(harness.node)
    for fmt, (entries, size) in rows.items():
        rendered = service.export(fmt, alice.principal)
        assert (entries, size) == (rendered.count, len(rendered.body)), fmt
    # Two domains go out; google.com is left out for its warninglist, in every format.
    assert rows["edl-domains"][0] == 2
    assert page.text.count("1 on a warninglist") == len(RENDERERS)
    # Addresses-only lists cannot express domains: said as such.
    edl = page.text.split('<th scope="row">edl-addresses</th>', 1)[1].split("</tr>", 1)[0]
    assert "3 not expressible in this format" not in edl  # google.com is counted once
    assert "2 not expressible in this format" in edl
    assert 'href="/exports/csv"' in page.text
    assert 'aria-current="page"' in page.text


def test_a_user_of_another_org_sees_the_counts_of_its_own_export(harness: Harness) -> None:
    _stored(harness)
    bob = sign_in(harness, "bob", org="Org B", role="analyst")
    page = bob.client.get("/exports")
    rows = {fmt: int(n) for fmt, n, _ in ROW.findall(page.text)}
    # Org B is in the community (it holds a token): GREEN reaches it, AMBER does not, and no
    # count says that something was withheld.
    assert rows["edl-domains"] == 1
    assert "withheld by the sharing policy" not in page.text
    assert AMBER_ID not in page.text and "amber.example" not in page.text


def test_a_download_is_the_users_own_export_with_its_name_and_media_type(
    harness: Harness,
) -> None:
    _stored(harness)
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    service = exports(harness.node)
    for fmt in RENDERERS:
        answer = alice.client.get(f"/exports/{fmt}")
        assert answer.status_code == 200, fmt
        rendered = service.export(fmt, alice.principal)
        assert answer.content == rendered.body, fmt
        assert answer.headers["content-type"] == rendered.media_type
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="{rendered.filename}"'
        )
        assert "no-store" in answer.headers["cache-control"]
    domains = alice.client.get("/exports/edl-domains").text.split()
    assert domains == ["amber.example", "green.example"]
    bob = sign_in(harness, "bob", org="Org B", role="reader")
    assert bob.client.get("/exports/edl-domains").text.split() == ["green.example"]


def test_an_unknown_format_or_file_is_a_404_page(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    for path in ("/exports/pf", "/exports/suricata/entente-md5.lst", "/exports/pf/x.lst"):
        answer = alice.client.get(path)
        assert answer.status_code == 404, path
        assert "No such export" in answer.text


def test_a_companion_file_is_listed_and_downloaded_beside_its_format(harness: Harness) -> None:
    ingest_objects(
        harness,
        feed_indicator(
            "indicator--e0000000-0000-4000-8000-000000000008",
            f"[file:hashes.'SHA-256' = '{SHA256}']",
            Tlp.GREEN,
        ),
    )
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    page = alice.client.get("/exports")
    assert 'href="/exports/suricata/entente-sha256.lst"' in page.text
    listed = alice.client.get("/exports/suricata/entente-sha256.lst")
    assert listed.status_code == 200
    assert listed.text == f"{SHA256}\n"
    assert listed.headers["content-type"] == "text/plain; charset=utf-8"
    assert 'filename="entente-sha256.lst"' in listed.headers["content-disposition"]


def test_summaries_are_rendered_once_per_selection_and_again_when_the_data_changes(
    harness: Harness,
) -> None:
    _stored(harness)
    service = exports(harness.node)
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    summaries = FeedSummaries(service, size=len(RENDERERS))
    first = summaries.summaries(service.select(alice.principal), "Entente node")
    again = summaries.summaries(service.select(alice.principal), "Entente node")
    assert all(a is b for a, b in zip(first, again, strict=True))
    ingest_objects(
        harness,
        feed_indicator(LISTED_ID.replace("3", "4"), "[ipv4-addr:value = '45.1.2.3']", Tlp.GREEN),
    )
    changed = summaries.summaries(service.select(alice.principal), "Entente node")
    by_format = {s.format: s for s in changed}
    assert by_format["edl-addresses"].entries == 1
    assert all(a is not b for a, b in zip(first, changed, strict=True))


ALICE = Principal("user:alice", "identity--a", Role.ANALYST, is_individual=True)
BOB = Principal("user:bob", "identity--b", Role.ANALYST, is_individual=True)


def _summary(fmt: str) -> FeedSummary:
    return FeedSummary(fmt, f"{fmt}.txt", "text/plain", 1, 10, (), ())


class _Work:
    """A selection that takes as long as the test says: ``release`` lets the next one end."""

    def __init__(self) -> None:
        self.asked: list[Principal] = []
        self.release = threading.Event()
        self.fail: str | None = None

    def __call__(self, principal: Principal) -> list[FeedSummary]:
        self.asked.append(principal)
        assert self.release.wait(10)
        if self.fail is not None:
            raise InvalidInput(self.fail)
        return [_summary(principal.id)]


def test_a_slow_selection_answers_at_once_then_shows_its_figures_when_ready() -> None:
    work = _Work()
    board = FigureBoard(work, wait_s=0.05)
    figures, started = board.view(ALICE)
    assert figures is None and started is not None
    # A second view while it runs starts nothing more.
    assert board.view(ALICE) == (None, started)
    work.release.set()
    deadline = time.monotonic() + 10
    while figures is None and time.monotonic() < deadline:
        figures, started = board.view(ALICE)
    assert figures is not None and started is None
    assert [f.format for f in figures.feeds] == ["user:alice"]
    assert work.asked == [ALICE]


def test_figures_are_kept_while_fresh_then_worked_out_again_beside_the_old_ones() -> None:
    work = _Work()
    work.release.set()
    clock = [1000.0]
    board = FigureBoard(work, wait_s=5, fresh_s=60, now=lambda: clock[0])
    first, _ = board.view(ALICE)
    assert first is not None and first.made_at == 1000.0
    clock[0] += 59
    assert board.view(ALICE) == (first, None) and len(work.asked) == 1
    clock[0] += 2
    work.release.clear()
    shown, started = board.view(ALICE)
    # Stale: the old figures are shown while new ones are worked out.
    assert shown == first and started == 1061.0 and len(work.asked) == 2
    work.release.set()


def test_each_user_has_figures_of_its_own_and_a_failure_is_reported() -> None:
    work = _Work()
    work.release.set()
    board = FigureBoard(work, wait_s=5)
    alice, _ = board.view(ALICE)
    bob, _ = board.view(BOB)
    assert alice is not None and bob is not None
    assert [f.format for f in alice.feeds] == ["user:alice"]
    assert [f.format for f in bob.feeds] == ["user:bob"]
    work.fail = "the store is unreachable"
    failed = FigureBoard(work, wait_s=5)
    figures, _ = failed.view(ALICE)
    assert figures is not None and figures.feeds == ()
    assert figures.error == "the store is unreachable"


def test_the_page_while_figures_are_worked_out_lists_the_downloads_and_reloads() -> None:
    html = Templates().render(
        "exports.html",
        {
            "node_name": "node",
            "nav": (),
            "path": "/exports",
            "user": None,
            "principal": None,
            "csrf_token": None,
            "feeds": None,
            "figures_error": None,
            "made_at": None,
            "started_at": "2026-12-05 21:00:00 UTC",
            "formats": ("csv", "stix"),
            "size_text": str,
            "min_score": 0,
        },
    )
    assert '<meta http-equiv="refresh" content="10">' in html
    assert "being worked out (since 2026-12-05 21:00:00 UTC)" in html
    for fmt in ("csv", "stix"):
        assert f'<a href="/exports/{fmt}" download>' in html
