"""Leak differential for the abuse-report pages and REST routes: the lists, each report.

Abuse reports (STIX notes with the abuse-report extension) of every TLP marking (and none:
the node's default) from two orgs (the node's and Org B), each with canaries in its document,
its contact and its approval request, all arrive from a feed. For users of the node's org
(admin, analyst, reader), of a community org and of an org outside the community, ``/abuse``
lists exactly the reports the policy oracle (tests/unit/sharing/oracle.py) lets that user
see; a report's page is a 200 for those and the same 404 as an absent report for every other;
and no page holds a canary or the id of a hidden report anywhere. The same for API tokens of
those orgs over ``/api/v1/abuse/reports`` (the list, each report and its document).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.factories import AMBER, CLEAR, GREEN, RED, new_version
from tests.unit.server.ui_sessions import FEED, USERS, UiNode, ui_node
from tests.unit.sharing.oracle import feed_facts as facts
from tests.unit.sharing.oracle import oracle_view

from entente.abuse import AbuseContact, ReportFormat, new_report, parse_target, render_report
from entente.services import create_token, node_org_id, principal_of
from entente.sharing import NodeContext, Principal

AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
MARKINGS = [None, CLEAR, GREEN, AMBER, AMBER_STRICT, RED]
CREATORS = [node_org_id("CERT-X"), node_org_id("Org B")]
COMBOS = [(m, c) for m in MARKINGS for c in CREATORS]
N = len(COMBOS)
AT_US = 1_700_000_000_000_000
CANARY = re.compile(r"CANARY-[a-z]+-\d+")
ABSENT = "note--b0000000-0000-4000-8000-00000000ffff"


def _report_id(k: int) -> str:
    return f"note--b0000000-0000-4000-8000-{k:012d}"


def _report(k: int) -> dict[str, Any]:
    mark, creator = COMBOS[k]
    report = new_report(
        report_id=_report_id(k),
        indicator_id=f"indicator--b1000000-0000-4000-8000-{k:012d}",
        case_id=None,
        target=parse_target(f"192.0.2.{k + 1}"),
        report_format=ReportFormat.XARF,
        contact=AbuseContact(
            email=f"CANARY-contact-{k}@example.net",
            name=None,
            handle=None,
            roles=("abuse",),
            source="https://rdap.example.net/ip/192.0.2.0",
            reason="abuse role",
            provider=f"CANARY-provider-{k}",
        ),
        document=f'{{"note": "CANARY-document-{k}"}}',
        at_us=AT_US + k,
        by=f"user:CANARY-author-{k}",
    )
    obj = render_report(
        report, created_by_ref=creator, marking_refs=(mark,) if mark is not None else ()
    )
    if mark is None:
        obj.pop("object_marking_refs", None)
    return obj


OBJECTS = [_report(k) for k in range(N)]


def visible(who: Principal, ctx: NodeContext) -> set[str]:
    return {o["id"] for o in OBJECTS if oracle_view(facts(o), who, ctx) == set()}


def forbidden(shown: set[str]) -> set[str]:
    out: set[str] = set()
    for k in range(N):
        if _report_id(k) not in shown:
            out.add(_report_id(k))
            out |= {f"CANARY-{p}-{k}" for p in ("contact", "provider", "document", "author")}
    return out


def _leaks(html: str, hidden: set[str]) -> set[str]:
    # A canary's number is a prefix of larger ones: match whole canaries only.
    ids = {oid for oid in hidden if "--" in oid and oid in html}
    return ids | (set(CANARY.findall(html)) & hidden)


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    with ui_node(tmp_path_factory.mktemp("abuse-leak")) as opened:
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(o, o["modified"]), FEED) for o in OBJECTS])
        yield opened


@pytest.mark.parametrize("who", list(USERS))
def test_the_list_and_each_page_show_exactly_the_visible_reports(ui: UiNode, who: str) -> None:
    shown = visible(ui.principals[who], ui.context())
    hidden = forbidden(shown)
    listed = ui.get("/abuse", who)
    assert listed.status_code == 200, who
    assert set(re.findall(r'href="/abuse/(note--[0-9a-f-]{36})"', listed.text)) == shown, who
    assert not _leaks(listed.text, hidden), who
    absent = ui.get(f"/abuse/{ABSENT}", who)
    assert absent.status_code == 404
    for k in range(N):
        page = ui.get(f"/abuse/{_report_id(k)}", who)
        if _report_id(k) not in shown:
            assert page.status_code == 404, (who, k)
            assert page.text == absent.text, (who, k)
            continue
        assert page.status_code == 200, (who, k)
        assert f"CANARY-document-{k}" in page.text, (who, k)
        assert not _leaks(page.text, hidden), (who, k)


def test_the_users_differ_in_what_they_may_see(ui: UiNode) -> None:
    seen = {who: frozenset(visible(ui.principals[who], ui.context())) for who in USERS}
    # The differential means something only if the users are shown different reports.
    assert len(set(seen.values())) >= 3, seen
    assert all(seen.values()) and any(len(s) < N for s in seen.values())


TOKENS = {
    "node-analyst": ("CERT-X", "analyst"),
    "node-reader": ("CERT-X", "reader"),
    "community": ("Org B", "analyst"),
    "outsider": ("Org C", "reader"),
}


@pytest.mark.parametrize("who", list(TOKENS))
def test_the_rest_routes_show_exactly_the_visible_reports(ui: UiNode, who: str) -> None:
    org, role = TOKENS[who]
    token, secret = create_token(ui.node.tokens, ui.node.clock, org_name=org, role=role)
    shown = visible(principal_of(token), ui.context())
    hidden = forbidden(shown)
    headers = {"Authorization": f"Bearer {secret}"}
    ui.client.cookies.clear()
    listed = ui.client.get("/api/v1/abuse/reports", headers=headers)
    assert listed.status_code == 200, who
    assert {r["id"] for r in listed.json()["reports"]} == shown, who
    assert not _leaks(listed.text, hidden), who
    absent = ui.client.get(f"/api/v1/abuse/reports/{ABSENT}", headers=headers)
    assert absent.status_code == 404
    for k in range(N):
        for tail in ("", "/document"):
            answer = ui.client.get(f"/api/v1/abuse/reports/{_report_id(k)}{tail}", headers=headers)
            if _report_id(k) not in shown:
                assert answer.status_code == 404, (who, k)
                assert answer.content == absent.content, (who, k)
                continue
            assert answer.status_code == 200, (who, k)
            assert not _leaks(answer.text, hidden), (who, k)
    # Every org sees some (the TLP:CLEAR ones), none all: the comparison means something.
    assert shown and len(shown) < N, who
