"""The "Partners and agreements" pages over the real app and a real SQLite node: each
partner's sync state, what flowed each way and why not, paging, and the node org's admins and
analysts as the only readers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.server.ui_sessions import USERS, UiNode, ui_node
from tests.unit.server.ui_users import assert_page_rules

from entente.bootstrap import federation
from entente.services import org_identity_id
from entente.services.partner_overview import PAGE_SIZE
from entente.store import Checkpoint, PartnerRecord, SyncReport

STAFF = ("admin", "analyst")
OTHERS = tuple(who for who in USERS if who not in STAFF)
ORG_B = org_identity_id("Org B")

WITH_B = {
    "id": "with-b",
    "name": "CERT-X and Org B",
    "parties": ["CERT-X", "Org B"],
    "max_tlp": "amber",
    "object_types": ["indicator", "sighting"],
    "onward_sharing": {"named": ["Org C"]},
    "redact": {"indicator": ["description"], "*": ["labels"]},
    "sightings": "anonymised",
    "valid_from": "2020-01-01T00:00:00Z",
    "valid_until": "2030-01-01T00:00:00Z",
}
WITH_C_EXPIRED = {
    "id": "with-c",
    "name": "CERT-X and Org C, <expired>",
    "parties": ["CERT-X", "Org C"],
    "max_tlp": "green",
    "onward_sharing": "none",
    "valid_until": "2021-01-01T00:00:00Z",
}


def _partner(ui: UiNode, name: str, org_name: str, org_id: str) -> None:
    ui.node.partners.add(
        PartnerRecord(
            name=name,
            org_id=org_id,
            org_name=org_name,
            public_key="",
            api_root=f"http://127.0.0.1:9/{name}/taxii2/api/",
            token=f"secret-token-of-{name}",
            added_us=ui.node.clock.now_us(),
        )
    )


def _report(ui: UiNode, partner: str, n: int, **changes: object) -> None:
    now = ui.node.clock.now_us()
    fields: dict[str, object] = {
        "report_id": None,
        "partner": partner,
        "started_us": now + n,
        "finished_us": now + n,
        "added": n,
        "duplicates": 1,
        "new_versions": 0,
        "rejected": 0,
        "error": None,
        "rejections": (),
    }
    fields.update(changes)
    ui.node.sync_reports.add(SyncReport(**fields))  # type: ignore[arg-type]  # test builder


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    with ui_node(tmp_path) as opened:
        service = federation(opened.node)
        service.add_agreement(WITH_B)
        service.add_agreement(WITH_C_EXPIRED)
        _partner(opened, "node-b", "Org B", ORG_B)
        _report(opened, "node-b", 3)
        _report(
            opened,
            "node-b",
            5,
            rejected=3,
            rejections=(
                {"id": "indicator--rejected-1", "reason": "invalid pattern <x>"},
                {"id": "indicator--rejected-2", "reason": "invalid pattern <x>"},
                {"id": "malware--rejected-3", "reason": "TLP:RED is never shared"},
            ),
        )
        _report(opened, "node-b", 7, added=0, error="partner unreachable <timeout>")
        opened.node.partners.record_sync(
            "node-b", at_us=opened.node.clock.now_us(), received=8, error="partner unreachable"
        )
        opened.node.checkpoints.save(
            Checkpoint("node-b", "collection-1", "2023-11-14T22:13:20.000Z", None, 5)
        )
        yield opened


def _table(html: str, table: str) -> list[tuple[str, list[str]]]:
    """Each row of the table with id ``table``: its header and its cells."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [
        (header.strip(), re.findall(r"<td>(.*?)</td>", cells, re.S))
        for header, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S)
    ]


def _rows(html: str, table: str) -> dict[str, list[str]]:
    return dict(_table(html, table))


def test_the_partners_page_shows_each_partners_state_and_every_agreement(ui: UiNode) -> None:
    for who in STAFF:
        page = ui.get("/partners", who)
        assert page.status_code == 200
        html = page.text
        assert_page_rules(html)
        assert "<h1>Partners and agreements</h1>" in html
        [cells] = _rows(html, "partners-table").values()
        assert cells[:6] == [
            "Org B",
            "failing",
            "2023-11-14 22:13:20 UTC",
            '<span class="error-text">partner unreachable</span>',
            "8",
            cells[5],
        ]
        # The sparkline of objects added per run (oldest first), and its numbers as text.
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in cells[5]
        assert "Objects added per sync run from node-b" in cells[5]
        assert '<span class="runs">3, 5, 0</span>' in cells[5]
        assert cells[6:] == ["3", "1"]
        assert '<a href="/partners/node-b">node-b</a>' in html
        agreements = _rows(html, "agreements-table")
        b = agreements['CERT-X and Org B <span class="object-id">(with-b)</span>']
        assert b[1:5] == [
            "yes",
            "TLP:AMBER",
            "indicator, sighting",
            f"named: {org_identity_id('Org C')}",
        ]
        assert "<li>every type: labels</li>" in b[5] and "<li>indicator: description</li>" in b[5]
        assert b[6:] == [
            "anonymised",
            "withhold",
            "2020-01-01 00:00:00 UTC",
            "2030-01-01 00:00:00 UTC",
        ]
        assert "node-b" in b[0]
        c = agreements['CERT-X and Org C, &lt;expired&gt; <span class="object-id">(with-c)</span>']
        assert c[1] == "no"
        assert "secret-token-of" not in html


def test_a_partners_page_shows_what_flowed_from_it_why_not_and_what_it_may_receive(
    ui: UiNode,
) -> None:
    for who in STAFF:
        page = ui.get("/partners/node-b", who)
        assert page.status_code == 200
        html = page.text
        assert_page_rules(html)
        assert "<h1>Partner node-b</h1>" in html
        reports = [cells for _, cells in _table(html, "reports-table")]
        assert [r[0] for r in reports] == ["0", "5", "3"]  # newest first
        assert (
            reports[0][-1] == '<span class="error-text">partner unreachable &lt;timeout&gt;</span>'
        )
        assert "partner unreachable &lt;timeout&gt;" in html.split('id="errors-list"', 1)[1]
        assert _rows(html, "reasons-table") == {
            "invalid pattern &lt;x&gt;": ["2"],
            "TLP:RED is never shared": ["1"],
        }
        assert _rows(html, "checkpoints-table") == {
            "collection-1": ["2023-11-14T22:13:20.000Z", "1970-01-01 00:00:00 UTC"]
        }
        outbound = html.split('id="outbound-heading"', 1)[1]
        assert "(with-b)" in outbound and "(with-c)" not in outbound
        assert "secret-token-of" not in html and "<x>" not in html and "<timeout>" not in html


def test_a_partner_without_agreements_or_runs_says_so(ui: UiNode) -> None:
    _partner(ui, "node-d", "Org D", org_identity_id("Org D"))
    html = ui.get("/partners/node-d", "admin").text
    assert "No sync runs." in html and "No rejections in the recent sync runs." in html
    assert "No agreement binds this node's org and Org D: nothing flows to it." in html
    assert "never synced" in ui.get("/partners", "admin").text


def test_only_the_node_orgs_admins_and_analysts_see_the_pages_or_their_nav_item(
    ui: UiNode,
) -> None:
    for who in STAFF:
        assert '<a href="/partners">Partners</a>' in ui.get("/", who).text
    for who in OTHERS:
        assert 'href="/partners"' not in ui.get("/", who).text
        for path in ("/partners", "/partners/node-b", "/partners/nobody"):
            page = ui.get(path, who)
            assert page.status_code == 403, (who, path)
            assert "admins and analysts of this node&#39;s own org" in page.text
            assert "node-b" not in page.text and "Org B" not in page.text.split("<main", 1)[1]


def test_partners_and_sync_runs_are_paged_and_bad_input_is_a_clear_4xx(ui: UiNode) -> None:
    for n in range(PAGE_SIZE):
        _partner(ui, f"node-p{n:02d}", f"Org P{n:02d}", org_identity_id(f"Org P{n:02d}"))
    first = ui.get("/partners", "analyst").text
    assert len(_rows(first, "partners-table")) == PAGE_SIZE
    assert '<a href="/partners?page=2" rel="next">' in first
    second = ui.get("/partners", "analyst", page=2).text
    assert [re.sub(r"<[^>]+>", "", h) for h in _rows(second, "partners-table")] == ["node-p19"]
    for n in range(PAGE_SIZE):
        _report(ui, "node-b", 100 + n)
    runs = ui.get("/partners/node-b", "analyst").text
    assert len(_table(runs, "reports-table")) == PAGE_SIZE
    assert '<a href="/partners/node-b?page=2" rel="next">Older runs</a>' in runs
    older = ui.get("/partners/node-b", "analyst", page=2).text
    assert [cells[0] for _, cells in _table(older, "reports-table")] == ["0", "5", "3"]
    assert 'rel="next"' not in older.split('id="reports-table"', 1)[1]
    assert ui.get("/partners/nobody", "analyst").status_code == 404
    for page in ("0", "x", "1000000"):
        assert ui.get("/partners", "analyst", page=page).status_code == 400
        assert ui.get("/partners/node-b", "analyst", page=page).status_code == 400
