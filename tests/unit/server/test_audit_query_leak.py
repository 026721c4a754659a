"""Leak differential for "who saw this?" (``GET /api/v1/audit`` and the ``/audit`` page).

Indicators of every TLP marking (none: the node's default; an unknown marking) from two
creators (the node's org and Org B), each with a unique id and a canary name, are read over
HTTP by users of the node's org and of two other orgs (their object pages) and by API tokens
of several orgs and roles (a TAXII page each), so the audit log records what the policy
released to each. TLP:RED is released to nobody here (no one is a named recipient), so entries
are also appended as the log would hold them from a named recipient's reads and an admin
action whose request path names a RED object: entries that mix objects the askers may and may
not see. Then every asker queries the log, unfiltered, by org and by each object: only the
node org's admins and analysts get an answer (403 for everyone else); an object the asker may
not see is the same 404 as an absent one; each entry lists exactly the objects of the stored
entry that the policy oracle (tests/unit/sharing/oracle.py) lets the asker see and counts the
rest; an entry about hidden objects only is left out; and no hidden id or canary appears
anywhere in the JSON or the HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from tests.factories import AMBER, CLEAR, GREEN, RED, new_version
from tests.unit.server.conftest import ALL, ROOT, TAXII
from tests.unit.server.ui_sessions import FEED, USERS, UiNode, ui_node
from tests.unit.sharing.oracle import feed_facts as facts
from tests.unit.sharing.oracle import oracle_view

from entente.audit import Actor, Entry, EntryDraft
from entente.bootstrap import audit_log
from entente.services import create_token, node_org_id
from entente.services.audit_recorder import AuditRecorder
from entente.services.taxii import principal_of
from entente.sharing import Principal, Role

AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
UNKNOWN = "marking-definition--bbbbbbbb-0000-4000-8000-000000000001"
MARKINGS = [None, CLEAR, GREEN, AMBER, AMBER_STRICT, RED, UNKNOWN]
CREATORS = [node_org_id("CERT-X"), node_org_id("Org B")]
COMBOS = [(m, c) for m in MARKINGS for c in CREATORS]
N = len(COMBOS)
CANARY = re.compile(r"CANARY-indicator-\d+")
STIX_ID = re.compile(r"[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ABSENT = "indicator--a0000000-0000-4000-8000-00000000ffff"
# A deleted (never stored) object an entry names: hidden from every asker, as any unknown id.
GONE = "indicator--a0000000-0000-4000-8000-00000000eeee"
# API tokens: the node org's staff and others, each reading a TAXII page and asking the API.
TOKENS = {
    "t_admin": ("CERT-X", "admin"),
    "t_analyst": ("CERT-X", "analyst"),
    "t_reader": ("CERT-X", "reader"),
    "t_admin_b": ("Org B", "admin"),
    "t_reader_b": ("Org B", "reader"),
    "t_partner_b": ("Org B", "partner"),
    "t_analyst_c": ("Org C", "analyst"),
}
ALLOWED = {"admin", "analyst", "t_admin", "t_analyst"}
ORGS = ["CERT-X", "Org B", "Org C"]


def _id(k: int) -> str:
    return f"indicator--a0000000-0000-4000-8000-{k:012d}"


def _indicator(k: int) -> dict[str, Any]:
    mark, creator = COMBOS[k]
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": _id(k),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": f"CANARY-indicator-{k}",
        "pattern": f"[ipv4-addr:value = '10.9.0.{k}']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "created_by_ref": creator,
    }
    if mark is not None:
        obj["object_marking_refs"] = [mark]
    return obj


OBJECTS = [_indicator(k) for k in range(N)]


class Log:
    """The node, its users and tokens, and the audit log the reads made."""

    def __init__(self, ui: UiNode, secrets: dict[str, str], principals: dict[str, Principal]):
        self.ui = ui
        self.secrets = secrets
        self.principals = {**ui.principals, **principals}

    def rest(self, who: str, **params: Any) -> Any:
        self.ui.client.cookies.clear()
        headers = {"Authorization": f"Bearer {self.secrets[who]}"}
        return self.ui.client.get("/api/v1/audit", params=params, headers=headers)

    def flushed(self) -> dict[int, Entry]:
        """Every stored entry by number, once every request's entries are appended."""
        app: Any = self.ui.client.app
        recorder: AuditRecorder = app.state.audit_recorder
        recorder.flush()
        return {e.seq: e for e in audit_log(self.ui.node).who_saw(limit=100_000)}

    def visible(self, who: str) -> set[str]:
        """The ids the oracle lets ``who`` see."""
        ctx = self.ui.context()
        principal = self.principals[who]
        return {o["id"] for o in OBJECTS if oracle_view(facts(o), principal, ctx) is not None}


def _leaks(text: str, visible: set[str]) -> set[str]:
    hidden = {o["id"] for o in OBJECTS if o["id"] not in visible} | {GONE}
    names = {f"CANARY-indicator-{k}" for k in range(N) if _id(k) not in visible}
    return {i for i in hidden if i in text} | (set(CANARY.findall(text)) & names)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    with ui_node(tmp_path_factory.mktemp("audit-leak")) as ui:
        node = ui.node
        with node.store.transaction() as tx:
            tx.insert([(new_version(o, o["modified"]), FEED) for o in OBJECTS])
        secrets: dict[str, str] = {}
        principals: dict[str, Principal] = {}
        for name, (org, role) in TOKENS.items():
            token, secret = create_token(node.tokens, node.clock, org_name=org, role=role)
            secrets[name], principals[name] = secret, principal_of(token)
        # Reads over HTTP: each user's object pages, each token's TAXII page.
        for who in USERS:
            for obj in OBJECTS:
                ui.get(f"/objects/{obj['id']}", who)
        ui.client.cookies.clear()
        for secret in secrets.values():
            headers = {"Authorization": f"Bearer {secret}", "Accept": TAXII}
            assert ui.client.get(f"{ROOT}collections/{ALL}/objects/", headers=headers).is_success
        # What a named recipient of TLP:RED reading with others, and an admin action whose
        # path names a RED object, leave in the log (no one here is a named recipient).
        reds = [o["id"] for o in OBJECTS if o.get("object_marking_refs") == [RED]]
        greens = [o["id"] for o in OBJECTS if o.get("object_marking_refs") == [GREEN]]
        recipient = Actor("user:red-recipient", node_org_id("Org B"), "analyst")
        admin = Actor("user:admin", node_org_id("CERT-X"), "admin")
        audit_log(node).record(
            [
                EntryDraft(recipient, "read", "ui", (*reds, *greens, GONE), "TLP:RED", ("a-1",)),
                EntryDraft(recipient, "read", "rest", (reds[0], GONE), "TLP:RED"),
                EntryDraft(
                    admin, "admin.objects.revoke", "ui", details={"path": f"/objects/{reds[1]}"}
                ),
                EntryDraft(admin, "admin.users.add", "ui", details={"username": "zoe"}),
            ]
        )
        yield Log(ui, secrets, principals)


def test_the_log_mixes_what_the_askers_may_and_may_not_see(log: Log) -> None:
    stored = log.flushed()
    named = {i for e in stored.values() for i in e.object_ids}
    staff = log.visible("admin")
    # The differential means something only if entries name hidden and visible objects.
    assert named - staff and named & staff
    assert any(set(e.object_ids) - staff and set(e.object_ids) & staff for e in stored.values())
    assert log.visible("t_admin") == staff == log.visible("analyst")


def _pages(log: Log, who: str, **params: Any) -> list[dict[str, Any]]:
    """Every entry of the answers, following ``next`` (each answer checked for leaks)."""
    entries: list[dict[str, Any]] = []
    visible = log.visible(who)
    cursor: str | None = None
    for _ in range(100):
        answer = log.rest(who, limit=7, **params, **({} if cursor is None else {"next": cursor}))
        assert answer.status_code == 200, (who, params, answer.text)
        assert not _leaks(answer.text, visible), (who, params)
        document = answer.json()
        entries += document["entries"]
        cursor = document["next"]
        if cursor is None:
            return entries
    raise AssertionError("the pages never ended")


def _check_entries(
    log: Log, who: str, got: list[dict[str, Any]], before: dict[int, Entry], after: dict[int, Entry]
) -> None:
    """Each entry shown is its stored entry less what ``who`` may not see; every stored entry
    (from before the query) naming something visible is shown; none is about hidden ones."""
    visible = log.visible(who)
    admin = log.principals[who].role is Role.ADMIN
    for item in got:
        entry = after[item["seq"]]
        shown = [i for i in entry.object_ids if i in visible]
        assert item["objects"] == shown, (who, item)
        assert item["objects_withheld"] == len(entry.object_ids) - len(shown), (who, item)
        if entry.object_ids:
            assert shown, (who, item)
        else:
            assert admin, (who, item)
        whole = not item["objects_withheld"] and all(
            set(STIX_ID.findall(str(v))) <= visible for v in entry.details.values()
        )
        assert (item["hash"] == entry.hash) if whole else item["hash"] is None, (who, item)
    seqs = [item["seq"] for item in got]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)


def _due(entries: dict[int, Entry], visible: set[str], *, admin: bool) -> set[int]:
    """The numbers of the stored entries an asker must be shown."""
    return {
        s
        for s, e in entries.items()
        if set(e.object_ids) & visible or (admin and not e.object_ids and not e.objects_omitted)
    }


@pytest.mark.parametrize("who", sorted(TOKENS))
def test_the_rest_answer_names_exactly_the_objects_the_asker_may_see(log: Log, who: str) -> None:
    before = log.flushed()
    answer = log.rest(who)
    if who not in ALLOWED:
        assert answer.status_code == 403, (who, answer.text)
        assert not _leaks(answer.text, set())
        return
    got = _pages(log, who)
    after = log.flushed()
    visible = log.visible(who)
    _check_entries(log, who, got, before, after)
    admin = log.principals[who].role is Role.ADMIN
    seqs = {item["seq"] for item in got}
    assert _due(before, visible, admin=admin) <= seqs <= _due(after, visible, admin=admin)
    named = {i for item in got for i in item["objects"]}
    stored = {i for e in before.values() for i in e.object_ids}
    assert stored & visible <= named <= visible


@pytest.mark.parametrize("who", sorted(TOKENS))
def test_a_query_by_object_answers_only_for_a_visible_one(log: Log, who: str) -> None:
    before = log.flushed()
    if who not in ALLOWED:
        assert log.rest(who, object=OBJECTS[0]["id"]).status_code == 403
        return
    visible = log.visible(who)
    absent = log.rest(who, object=ABSENT)
    assert absent.status_code == 404
    for obj in [*OBJECTS, {"id": GONE}]:
        answer = log.rest(who, object=obj["id"])
        if obj["id"] not in visible:
            assert answer.status_code == 404, (who, obj["id"])
            assert answer.json() == absent.json(), (who, obj["id"])
            continue
        got = _pages(log, who, object=obj["id"])
        after = log.flushed()
        _check_entries(log, who, got, before, after)
        assert all(obj["id"] in item["objects"] for item in got)
        due = {s for s, e in before.items() if obj["id"] in e.object_ids}
        assert due <= {item["seq"] for item in got}, (who, obj["id"])


@pytest.mark.parametrize("who", sorted(ALLOWED & set(TOKENS)))
@pytest.mark.parametrize("org", ORGS)
def test_a_query_by_org_answers_that_orgs_entries_only(log: Log, who: str, org: str) -> None:
    before = log.flushed()
    got = _pages(log, who, org=org)
    after = log.flushed()
    _check_entries(log, who, got, before, after)
    assert all(item["actor"]["org"] == node_org_id(org) for item in got)
    visible = log.visible(who)
    admin = log.principals[who].role is Role.ADMIN
    mine = {s: e for s, e in before.items() if e.actor.org == node_org_id(org)}
    assert _due(mine, visible, admin=admin) <= {item["seq"] for item in got}


def _html_pages(log: Log, who: str, **params: Any) -> list[str]:
    pages = [log.ui.get("/audit", who, **params)]
    while (found := re.search(r'href="(/audit\?[^"]+)" rel="next"', pages[-1].text)) is not None:
        query = dict(parse_qsl(urlsplit(unescape(found[1])).query))
        pages.append(log.ui.get("/audit", who, **query))
        assert len(pages) < 100
    return [p.text for p in pages]


@pytest.mark.parametrize("who", list(USERS))
def test_the_page_shows_exactly_what_the_user_may_see(log: Log, who: str) -> None:
    before = log.flushed()
    if who not in ALLOWED:
        answer = log.ui.get("/audit", who)
        assert answer.status_code == 403, who
        assert not _leaks(answer.text, set())
        assert 'href="/audit"' not in log.ui.get("/", who).text
        return
    assert 'href="/audit"' in log.ui.get("/", who).text
    visible = log.visible(who)
    pages = _html_pages(log, who)
    for html in pages:
        assert not _leaks(html, visible), who
    linked = {
        i
        for html in pages
        for i in re.findall(r'href="/objects/([a-z0-9-]+--[0-9a-f-]{36})"', html)
    }
    stored = {i for e in before.values() for i in e.object_ids}
    assert stored & visible <= linked <= visible
    absent = log.ui.get("/audit", who, object=ABSENT)
    assert absent.status_code == 404
    for obj in [*OBJECTS, {"id": GONE}]:
        answer = log.ui.get("/audit", who, object=obj["id"])
        assert not _leaks(answer.text, visible), (who, obj["id"])
        if obj["id"] in visible:
            assert answer.status_code == 200, (who, obj["id"])
        else:
            assert answer.status_code == 404, (who, obj["id"])
            assert answer.text == absent.text, (who, obj["id"])
    for org in ORGS:
        for html in _html_pages(log, who, org=org):
            assert not _leaks(html, visible), (who, org)
