"""The dashboard home page over the real app and a real SQLite node: charts, their numbers,
and the operations panels for the node's own staff only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import CLEAR, ident, new_version, stix
from tests.unit.server.ui_sessions import FEED, UiNode, ui_node

from entente.store import PartnerRecord, Provenance, SourceKind, SyncReport

PARTNER = Provenance(
    SourceKind.PARTNER,
    "node-b",
    "partner:node-b",
    None,
    "identity--00000000-0000-4000-8000-0000000000bb",
)
INDICATOR = ident(1, "indicator")


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    with ui_node(tmp_path) as opened:
        yield opened


def _row(html: str, table: str, header: str) -> list[str]:
    """The cells of the row headed ``header`` in the table with id ``table``."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    found = re.search(rf'<th scope="row">{re.escape(header)}</th>(.*?)</tr>', body, re.S)
    assert found is not None, (table, header)
    return re.findall(r"<td>(.*?)</td>", found.group(1), re.S)


def _store_activity(ui: UiNode) -> None:
    indicator = stix(
        "indicator",
        1,
        CLEAR,
        name="Bad <b>host</b>",
        pattern="[ipv4-addr:value = '10.0.0.1']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
    )
    sightings = [stix("sighting", n, CLEAR, sighting_of_ref=INDICATOR, count=n) for n in (2, 3)]
    incident = stix("incident", 4, CLEAR, name="Outage")
    partner_report = stix("malware", 5, CLEAR, name="Sent by B", is_family=False)
    with ui.node.store.transaction() as tx:
        tx.insert([(new_version(o), FEED) for o in (indicator, *sightings, incident)])
        tx.insert([(new_version(partner_report), PARTNER)])


def test_the_home_page_is_the_dashboard_with_each_chart_and_its_numbers(ui: UiNode) -> None:
    _store_activity(ui)
    page = ui.get("/", "analyst")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Dashboard</h1>" in html
    month = re.findall(r'<th scope="row">(\d{4}-\d{2})</th>', html)[-1]
    # One incident and two sightings this month, as a table beside the bar chart.
    assert _row(html, "activity-table", month) == ["1", "2"]
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 4
    # The top hit links to its object page, named (escaped) as the reader sees it.
    assert f'<a href="/objects/{INDICATOR}">Bad &lt;b&gt;host&lt;/b&gt;</a>' in html
    assert _row(
        html, "top-hits-table", f'<a href="/objects/{INDICATOR}">Bad &lt;b&gt;host&lt;/b&gt;</a>'
    ) == ["2", "5"]
    assert "<b>host" not in html
    assert _row(html, "partner-intel-table", "node-b")[-1] == "1"
    # Five objects stored here are TLP:CLEAR (the builtin marking-definitions are too).
    assert int(_row(html, "tlp-table", "TLP:CLEAR")[0]) >= 5
    # The page needs nothing the CSP forbids: no script, no inline style, no handler.
    assert "<script" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert 'class="username">analyst<' in html


def test_operations_are_shown_to_the_node_orgs_admins_and_analysts_only(ui: UiNode) -> None:
    now = ui.node.clock.now_us()
    ui.node.partners.add(
        PartnerRecord(
            name="node-b",
            org_id="identity--00000000-0000-4000-8000-0000000000bb",
            org_name="Org B",
            public_key="",
            api_root="http://127.0.0.1:9/taxii2/api/",
            token="secret-token-of-b",
            added_us=now,
        )
    )
    ui.node.partners.record_sync("node-b", at_us=now, received=7, error="timed out <again>")
    ui.node.sync_reports.add(
        SyncReport(
            report_id=None,
            partner="node-b",
            started_us=now,
            finished_us=now,
            added=7,
            duplicates=0,
            new_versions=0,
            rejected=1,
            error=None,
            rejections=({"id": "indicator--rejected-one", "reason": "bad pattern"},),
        )
    )
    for who in ("admin", "analyst"):
        html = ui.get("/", who).text
        assert 'id="sync-heading"' in html and 'id="rejections-heading"' in html
        assert "timed out &lt;again&gt;" in html
        assert "indicator--rejected-one" in html and "bad pattern" in html
        assert "secret-token-of-b" not in html
    for who in ("reader", "analyst_b", "reader_c"):
        html = ui.get("/", who).text
        assert 'id="sync-heading"' not in html and 'id="operations-note"' in html
        assert "timed out" not in html and "indicator--rejected-one" not in html


def test_the_dashboard_of_an_empty_node_says_so(ui: UiNode) -> None:
    html = ui.get("/", "reader_c").text
    assert "No sighted indicators that you may see." in html
    assert "No objects from partners that you may see in these months." in html
