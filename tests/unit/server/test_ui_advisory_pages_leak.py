"""Leak differential for the advisory pages: the list, each advisory's page and its PDF.

Indicators of every TLP marking (and none: the node's default) from two orgs (the node's and
Org B), each with a canary in its name and description, arrive from a feed; an advisory is
drafted from each by the first of the node's admin and analyst the policy oracle
(tests/unit/sharing/oracle.py) shows it to. For every user (the node org's admin, analyst
and reader, a community org's analyst, a reader outside the community) the list holds
exactly the advisories that user drafted or, for the node's admins and analysts, those whose
indicator the oracle shows them whole; each advisory's page and PDF are a 200 for those and
the same 404 as an absent advisory for every other; no page holds the canary of an indicator
the user may not see.
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

from entente.bootstrap import advisory_desk
from entente.services import node_org_id
from entente.services.advisories import AdvisoryRequest
from entente.sharing import NodeContext, Principal

AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
MARKINGS = [None, CLEAR, GREEN, AMBER, AMBER_STRICT, RED]
CREATORS = [node_org_id("CERT-X"), node_org_id("Org B")]
COMBOS = [(m, c) for m in MARKINGS for c in CREATORS]
N = len(COMBOS)
CANARY = re.compile(r"CANARY-[a-z]+-\d+")
ABSENT = "report--a0000000-0000-4000-8000-00000000ffff"
OPERATORS = ("admin", "analyst")


def indicator(k: int) -> dict[str, Any]:
    mark, creator = COMBOS[k]
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--a2000000-0000-4000-8000-{k:012d}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "created_by_ref": creator,
        "name": f"CANARY-name-{k}",
        "description": f"CANARY-description-{k}",
        "pattern": f"[ipv4-addr:value = '10.9.0.{k}']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    if mark is not None:
        obj["object_marking_refs"] = [mark]
    return obj


INDICATORS = [indicator(k) for k in range(N)]


def shown(k: int, who: Principal, ctx: NodeContext) -> bool:
    return oracle_view(facts(INDICATORS[k]), who, ctx) == set()


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UiNode, dict[int, str]]]:
    """The node, and each drafted advisory's id by the indicator it was drafted from; the
    author of each is in ``AUTHORS``."""
    with ui_node(tmp_path_factory.mktemp("advisory-leak")) as opened:
        with opened.node.store.transaction() as tx:
            tx.insert([(new_version(o, o["modified"]), FEED) for o in INDICATORS])
        desk = advisory_desk(opened.node)
        drafted: dict[int, str] = {}
        for k in range(N):
            author = next(
                (w for w in OPERATORS if shown(k, opened.principals[w], opened.context())), None
            )
            if author is None:
                continue
            asked = AdvisoryRequest(
                title=f"Advisory {k}", summary="Watch these.", object_ids=(INDICATORS[k]["id"],)
            )
            made = desk.draft(opened.principals[author], asked, "All objects", channel="ui")
            drafted[k] = made.report_id
            AUTHORS[k] = author
        yield opened, drafted


AUTHORS: dict[int, str] = {}


def expected(ui: UiNode, who: str, drafted: dict[int, str]) -> set[int]:
    principal, ctx = ui.principals[who], ui.context()
    return {
        k for k in drafted if AUTHORS[k] == who or (who in OPERATORS and shown(k, principal, ctx))
    }


def forbidden(ui: UiNode, who: str) -> set[str]:
    principal, ctx = ui.principals[who], ui.context()
    return {
        f"CANARY-{part}-{k}"
        for k in range(N)
        if not shown(k, principal, ctx)
        for part in ("name", "description")
    }


def _listed(html: str) -> set[str]:
    return set(re.findall(r'href="/advisories/(report--[0-9a-f-]{36})"', html))


@pytest.mark.parametrize("who", list(USERS))
def test_the_list_and_pages_show_exactly_what_the_policy_allows(
    ui: tuple[UiNode, dict[int, str]], who: str
) -> None:
    node, drafted = ui
    want = expected(node, who, drafted)
    hidden = forbidden(node, who)
    listing = node.get("/advisories", who)
    if who in OPERATORS:
        assert listing.status_code == 200, who
        assert _listed(listing.text) == {drafted[k] for k in want}, who
    else:
        assert listing.status_code == 403, who
    assert not set(CANARY.findall(listing.text)) & hidden, who
    absent = node.get(f"/advisories/{ABSENT}", who)
    absent_pdf = node.get(f"/advisories/{ABSENT}/advisory.pdf", who)
    assert absent.status_code == absent_pdf.status_code == 404
    for k, report_id in drafted.items():
        page = node.get(f"/advisories/{report_id}", who)
        pdf = node.get(f"/advisories/{report_id}/advisory.pdf", who)
        if k not in want:
            assert page.status_code == pdf.status_code == 404, (who, k)
            assert page.text == absent.text, (who, k)
            assert pdf.text == absent_pdf.text, (who, k)
            continue
        assert page.status_code == pdf.status_code == 200, (who, k)
        assert f"CANARY-name-{k}" in page.text, (who, k)
        assert pdf.content.startswith(b"%PDF-"), (who, k)
        assert not set(CANARY.findall(page.text)) & hidden, (who, k)


def test_the_users_differ_in_what_they_may_see(ui: tuple[UiNode, dict[int, str]]) -> None:
    node, drafted = ui
    seen = {who: frozenset(expected(node, who, drafted)) for who in USERS}
    # The differential means something only if the node's operators are shown advisories
    # (drafted from indicators of several markings and orgs) that the others are not.
    assert len(drafted) >= N // 2, drafted
    assert seen["admin"] and seen["analyst"], seen
    assert all(not seen[w] for w in USERS if w not in OPERATORS), seen
