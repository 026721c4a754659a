"""Leak differential for the approval pages: the list, each request's page and its payload.

Approval requests of every TLP marking (and none: the node's default) from two orgs (the
node's and Org B), each with canaries in its summary, targets, requester and payload (JSON,
text or a tar download), and on each an approval of another marking with a canary comment and
approver, all arrive from a feed; each request concerns another request, of another marking.
For users of the node's org (admin, analyst, reader), of a community org and of an org
outside the community, the list (unfiltered and by each state) holds exactly the requests
the policy oracle (tests/unit/sharing/oracle.py) lets that user see; a request's page and
its payload download are a 200 for those and the same 404 as an absent request for every
other; and no page holds a canary or the id of a hidden request or approval anywhere (text,
attributes, links), a visible request's hidden approval and the hidden request it concerns
included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from tests.factories import AMBER, CLEAR, GREEN, RED, new_version
from tests.unit.server.ui_sessions import FEED, USERS, UiNode, ui_node
from tests.unit.sharing.oracle import feed_facts as facts
from tests.unit.sharing.oracle import oracle_view

from entente.approvals import (
    ActionType,
    Request,
    Verdict,
    render_approval,
    render_request,
    sign_approval,
)
from entente.federation import NodeKey, generate_key
from entente.services import node_org_id
from entente.sharing import NodeContext, Principal

AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
MARKINGS = [None, CLEAR, GREEN, AMBER, AMBER_STRICT, RED]
CREATORS = [node_org_id("CERT-X"), node_org_id("Org B")]
COMBOS = [(m, c) for m in MARKINGS for c in CREATORS]
N = len(COMBOS)
ASKED_US = 1_700_000_000_000_000
CANARY = re.compile(r"CANARY-[a-z]+-\d+")
MEDIA = ["application/json", "text/plain", "application/x-tar"]
ABSENT = "grouping--a0000000-0000-4000-8000-00000000ffff"


def _request_id(k: int) -> str:
    return f"grouping--a0000000-0000-4000-8000-{k:012d}"


def _approval_id(k: int) -> str:
    return f"opinion--a1000000-0000-4000-8000-{k:012d}"


def _marked(obj: dict[str, Any], combo: int) -> dict[str, Any]:
    mark, _creator = COMBOS[combo % N]
    if mark is not None:
        obj["object_marking_refs"] = [mark]
    else:
        obj.pop("object_marking_refs", None)
    return obj


def _payload(k: int) -> bytes:
    media = MEDIA[k % len(MEDIA)]
    if media == "application/json":
        return orjson.dumps({"Report": {"Note": f"CANARY-payload-{k}"}})
    if media == "text/plain":
        return f"Dear abuse desk,\nCANARY-payload-{k}\n".encode()
    return b"ustar\x00" + f"CANARY-payload-{k}".encode() + b"\xff\xfe"


def _request(k: int) -> Request:
    return Request(
        id=_request_id(k),
        action_type=list(ActionType)[k % len(ActionType)],
        payload=_payload(k),
        media_type=MEDIA[k % len(MEDIA)],
        summary=f"CANARY-summary-{k}",
        requester=f"user:CANARY-requester-{k}",
        requester_org=COMBOS[k][1],
        created_us=ASKED_US + k,
        targets=(f"CANARY-target-{k}",),
        # Another request, of another marking: named on the page only where it is visible.
        refs=(_request_id((k + 3) % N),),
    )


def build(node_key: NodeKey) -> list[dict[str, Any]]:
    """Each request and one approval of it, the approval of another marking and creator;
    the node org's signed with ``node_key`` (so they verify), Org B's with a key of its own
    that this node does not know (shown as not verified)."""
    keys = {CREATORS[0]: node_key, CREATORS[1]: generate_key()}
    objects = []
    for k in range(N):
        request = _request(k)
        objects.append(_marked(render_request(request), k))
        # Marked as the request k+5 is, by that request's org.
        org = COMBOS[(k + 5) % N][1]
        approval = sign_approval(
            keys[org],
            request,
            verdict=Verdict.APPROVE if k % 2 else Verdict.REJECT,
            approver=f"user:CANARY-approver-{k}",
            approver_org=org,
            approver_role="analyst",
            time_us=ASKED_US + 1000 + k,
            comment=f"CANARY-comment-{k}",
        )
        opinion = render_approval(approval, approval_id=_approval_id(k))
        objects.append(_marked(opinion, k + 5))
    return objects


# What the policy decides on (ids, markings, creators) is the same whatever key signs.
OBJECTS = build(generate_key())
BY_ID = {o["id"]: o for o in OBJECTS}


class View:
    """What the oracle lets one user see of the requests and their approvals."""

    def __init__(self, who: Principal, ctx: NodeContext) -> None:
        self.visible = {oid for oid, o in BY_ID.items() if oracle_view(facts(o), who, ctx) == set()}

    def requests(self) -> set[str]:
        return {_request_id(k) for k in range(N) if _request_id(k) in self.visible}

    def forbidden(self) -> set[str]:
        """Ids of hidden objects and the canaries of hidden requests and approvals."""
        out = {oid for oid in BY_ID if oid not in self.visible}
        for k in range(N):
            if _request_id(k) not in self.visible:
                parts = ("summary", "requester", "target", "payload")
                out |= {f"CANARY-{part}-{k}" for part in parts}
            if _approval_id(k) not in self.visible:
                out |= {f"CANARY-comment-{k}", f"CANARY-approver-{k}"}
        return out


def _leaks(html: str, forbidden: set[str]) -> set[str]:
    # A canary's number is a prefix of larger ones: match whole canaries only.
    ids = {oid for oid in forbidden if "--" in oid and oid in html}
    return ids | (set(CANARY.findall(html)) & forbidden)


def _listed(html: str) -> set[str]:
    return set(re.findall(r'href="/approvals/(grouping--[0-9a-f-]{36})"', html))


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    with ui_node(tmp_path_factory.mktemp("approval-leak")) as opened:
        with opened.node.store.transaction() as tx:
            stored = build(opened.node.key)
            tx.insert([(new_version(o, o["modified"]), FEED) for o in stored])
        yield opened


@pytest.mark.parametrize("who", list(USERS))
def test_the_list_holds_exactly_the_visible_requests(ui: UiNode, who: str) -> None:
    view = View(ui.principals[who], ui.context())
    answer = ui.get("/approvals", who)
    assert answer.status_code == 200, who
    assert _listed(answer.text) == view.requests(), who
    assert not _leaks(answer.text, view.forbidden()), who
    by_state: set[str] = set()
    for state in ("pending", "approved", "rejected"):
        filtered = ui.get("/approvals", who, state=state)
        assert filtered.status_code == 200, (who, state)
        assert not _leaks(filtered.text, view.forbidden()), (who, state)
        assert not by_state & _listed(filtered.text), (who, state)
        by_state |= _listed(filtered.text)
    assert by_state == view.requests(), who


@pytest.mark.parametrize("who", list(USERS))
def test_each_request_page_and_payload_shows_only_what_the_user_may_see(
    ui: UiNode, who: str
) -> None:
    view = View(ui.principals[who], ui.context())
    absent = ui.get(f"/approvals/{ABSENT}", who)
    absent_payload = ui.get(f"/approvals/{ABSENT}/payload", who)
    assert absent.status_code == absent_payload.status_code == 404
    for k in range(N):
        rid = _request_id(k)
        page = ui.get(f"/approvals/{rid}", who)
        payload = ui.get(f"/approvals/{rid}/payload", who)
        if rid not in view.visible:
            assert page.status_code == payload.status_code == 404, (who, k)
            assert page.text == absent.text, (who, k)
            assert payload.text == absent_payload.text, (who, k)
            continue
        assert page.status_code == 200, (who, k)
        html = page.text
        assert not _leaks(html, view.forbidden()), (who, k)
        assert f"CANARY-summary-{k}" in html and f"CANARY-target-{k}" in html
        # JSON and text are in the page; the tar only in its download.
        assert (f"CANARY-payload-{k}" in html) is (MEDIA[k % len(MEDIA)] != MEDIA[2]), (who, k)
        assert payload.status_code == 200, (who, k)
        assert payload.content == _payload(k), (who, k)
        concerned = _request_id((k + 3) % N)
        assert (f'href="/objects/{concerned}"' in html) is (concerned in view.visible), (who, k)
        assert ("1 object you may not see" in html) is (concerned not in view.visible), (who, k)
        shown = _approval_id(k) in view.visible
        assert (f"CANARY-comment-{k}" in html) is shown, (who, k)
        if not shown:
            assert "Nobody has decided on this request yet." in html, (who, k)


def test_the_users_differ_in_what_they_may_see(ui: UiNode) -> None:
    seen = {who: frozenset(View(ui.principals[who], ui.context()).requests()) for who in USERS}
    # The differential means something only if the users are shown different requests, and
    # some user sees a request whose approval is hidden from them.
    assert len(set(seen.values())) >= 3, seen
    assert all(seen.values()) and any(len(s) < N for s in seen.values())
    assert any(
        _request_id(k) in view.visible and _approval_id(k) not in view.visible
        for who in USERS
        for view in [View(ui.principals[who], ui.context())]
        for k in range(N)
    )
