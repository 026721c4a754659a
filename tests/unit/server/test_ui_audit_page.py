"""The "Who saw this?" page over the real app and a real SQLite node: the reads of object
pages answered by object, org and time, paged, for the node org's admins and analysts only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from tests.factories import GREEN, ident, new_version, stix
from tests.unit.server.ui_sessions import FEED, USERS, UiNode, ui_node
from tests.unit.server.ui_users import assert_page_rules

from entente.server.ui.audit_page import PAGE_SIZE
from entente.services.audit_recorder import AuditRecorder

STAFF = ("admin", "analyst")
OTHERS = tuple(who for who in USERS if who not in STAFF)
SEEN = ident(1, "indicator")


@pytest.fixture
def ui(tmp_path: Any) -> Iterator[UiNode]:
    with ui_node(tmp_path) as opened:
        indicator = stix(
            "indicator",
            1,
            GREEN,
            name="seen",
            pattern="[ipv4-addr:value = '198.51.100.1']",
            pattern_type="stix",
            valid_from="2024-01-01T00:00:00Z",
        )
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(indicator), FEED)])
        yield opened


def flush(ui: UiNode) -> None:
    app: Any = ui.client.app
    recorder: AuditRecorder = app.state.audit_recorder
    recorder.flush()


def test_staff_see_who_read_an_object_and_the_page_keeps_the_rules(ui: UiNode) -> None:
    assert ui.get(f"/objects/{SEEN}", "analyst_b").status_code == 200
    flush(ui)
    for who in STAFF:
        answer = ui.get("/audit", who, object=SEEN)
        assert answer.status_code == 200, who
        html = answer.text
        assert_page_rules(html)
        assert "<h1>Who saw this?</h1>" in html
        assert f'value="{SEEN}"' in html
        # The recorder's own thread may have appended a staff read of this page by now, so
        # analyst_b's read is one of the rows, not necessarily the first.
        rows = re.findall(r"<tr><th scope=\"row\">\d+</th>.*?</tr>", html, re.S)
        assert any("analyst_b" in row and f'href="/objects/{SEEN}"' in row for row in rows), rows
        assert 'href="/audit"' in ui.get("/", who).text


@pytest.mark.parametrize("who", OTHERS)
def test_others_are_refused_and_not_linked(ui: UiNode, who: str) -> None:
    answer = ui.get("/audit", who)
    assert answer.status_code == 403
    assert "admins and analysts" in answer.text
    assert 'href="/audit"' not in ui.get("/", who).text


def test_an_empty_field_is_no_filter_and_a_bad_one_a_400_with_the_form(ui: UiNode) -> None:
    assert ui.get("/audit", "admin", object="", org=" ", since="").status_code == 200
    answer = ui.get("/audit", "admin", since="yesterday")
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text and "RFC 3339" in answer.text
    assert 'value="yesterday"' in answer.text
    assert_page_rules(answer.text)
    assert ui.get("/audit", "admin", object="nope").status_code == 400
    assert ui.get("/audit", "admin", next="forged").status_code == 400


def test_an_unknown_object_is_a_404(ui: UiNode) -> None:
    answer = ui.get("/audit", "admin", object=ident(99, "indicator"))
    assert answer.status_code == 404
    assert ident(99, "indicator") not in answer.text


def test_older_entries_are_on_the_next_page(ui: UiNode) -> None:
    for _ in range(PAGE_SIZE + 1):
        ui.get(f"/objects/{SEEN}", "analyst_b")
    flush(ui)
    first = ui.get("/audit", "analyst", org="Org B").text
    assert first.count('<th scope="row">') == PAGE_SIZE
    found = re.search(r'href="(/audit\?[^"]+)" rel="next"', first)
    assert found is not None
    query = dict(parse_qsl(urlsplit(unescape(found[1])).query))
    assert query["org"] == "Org B"
    second = ui.get("/audit", "analyst", **query).text
    assert second.count('<th scope="row">') == 1
    assert 'rel="next"' not in second
