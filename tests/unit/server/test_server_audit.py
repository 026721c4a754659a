"""Reads through TAXII, REST and the web UI are recorded in the audit log (issue 14, item 3):
one entry per reader per request, listing what the policy released above TLP:CLEAR."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.unit.server.conftest import ALL, ROOT, SECRET, Harness, indicator
from tests.unit.server.ui_users import sign_in

from entente.audit import Entry
from entente.bootstrap import audit_log, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.server import create_app
from entente.services import node_org_id, org_identity_id
from entente.services.audit_recorder import AuditRecorder
from entente.stix import Tlp

CLEAR = indicator(1, tlp=Tlp.CLEAR)
AMBER = indicator(2, tlp=Tlp.AMBER)
GREEN = indicator(3, tlp=Tlp.GREEN)


@pytest.fixture
def stocked(harness: Harness) -> Harness:
    """The harness node holding one CLEAR, one AMBER and one GREEN indicator."""
    assert harness.post_objects([CLEAR, AMBER, GREEN]).status_code == 202
    return harness


def flushed(app: Any) -> None:
    """Append what the app's requests submitted (its recorder does so every 0.2 s)."""
    recorder: AuditRecorder = app.state.audit_recorder
    recorder.flush()


def entries(harness: Harness) -> list[Entry]:
    """The node's audit entries, oldest first, once every request's entries are appended."""
    flushed(harness.client.app)
    return list(reversed(audit_log(harness.node).who_saw(limit=1000)))


def reads(harness: Harness) -> list[Entry]:
    return [e for e in entries(harness) if e.action == "read"]


def test_a_taxii_page_is_one_entry_listing_what_was_released_above_clear(stocked: Harness) -> None:
    before = len(entries(stocked))
    page = stocked.get(f"{ROOT}collections/{ALL}/objects/", who="analyst")
    assert page.status_code == 200
    assert {o["id"] for o in page.json()["objects"]} >= {CLEAR["id"], AMBER["id"]}
    [entry] = entries(stocked)[before:]
    assert entry.channel == "taxii"
    assert set(entry.object_ids) == {AMBER["id"], GREEN["id"]}
    assert entry.tlp == "amber"
    assert entry.actor.org == node_org_id("Entente node")
    assert entry.actor.role == "analyst"
    assert entry.details["path"] == f"{ROOT}collections/{ALL}/objects/"
    assert entry.details["status"] == 200


def test_a_read_of_clear_content_only_is_not_recorded(stocked: Harness) -> None:
    before = len(entries(stocked))
    page = stocked.get(
        f"{ROOT}collections/{ALL}/objects/", who="reader_b", **{"match[id]": CLEAR["id"]}
    )
    assert [o["id"] for o in page.json()["objects"]] == [CLEAR["id"]]
    assert entries(stocked)[before:] == []


def test_another_org_is_recorded_with_only_what_it_was_shown(stocked: Harness) -> None:
    before = len(entries(stocked))
    stocked.get(f"{ROOT}collections/{ALL}/objects/", who="reader_b")
    [entry] = entries(stocked)[before:]
    # Org B is not in the community of the node and not an origin of the AMBER indicator.
    assert entry.actor.org == org_identity_id("Org B")
    assert AMBER["id"] not in entry.object_ids


def test_a_partner_node_reading_over_taxii_is_sync_serving(with_partner: Harness) -> None:
    harness = with_partner
    assert harness.post_objects([CLEAR, AMBER]).status_code == 202
    before = len(entries(harness))
    page = harness.get(f"{ROOT}collections/{ALL}/objects/", who="partner_c")
    assert AMBER["id"] in {o["id"] for o in page.json()["objects"]}
    [entry] = entries(harness)[before:]
    assert (entry.channel, entry.actor.role) == ("sync", "partner")
    assert entry.object_ids == (AMBER["id"],)
    assert len(entry.agreements) == 1


def test_a_rest_read_is_recorded(stocked: Harness) -> None:
    before = len(entries(stocked))
    answer = stocked.client.get(
        f"/api/v1/objects/{AMBER['id']}", headers=stocked.headers["analyst"]
    )
    assert answer.status_code == 200
    [entry] = entries(stocked)[before:]
    assert (entry.channel, entry.object_ids, entry.tlp) == ("rest", (AMBER["id"],), "amber")


def test_a_ui_object_page_is_recorded_and_a_clear_one_is_not(stocked: Harness) -> None:
    browser = sign_in(stocked, "alice", org="Entente node", role="analyst")
    before = len(reads(stocked))
    assert browser.client.get(f"/objects/{CLEAR['id']}").status_code == 200
    assert reads(stocked)[before:] == []
    assert browser.client.get(f"/objects/{AMBER['id']}").status_code == 200
    [entry] = reads(stocked)[before:]
    assert entry.channel == "ui"
    assert entry.actor.id == browser.principal.id
    assert AMBER["id"] in entry.object_ids


def test_the_recorded_chain_verifies(stocked: Harness) -> None:
    for who in ("admin", "analyst", "reader_b"):
        stocked.get(f"{ROOT}collections/{ALL}/objects/", who=who)
    flushed(stocked.client.app)
    log = audit_log(stocked.node)
    assert log.checkpoint() is not None
    verdict = log.verify()
    assert verdict.ok
    assert verdict.entries_checked == len(entries(stocked)) >= 3
    assert verdict.signed_through == verdict.last_seq


@pytest.fixture
def unaudited(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A node whose settings turn the audit log off (the benchmark's baseline)."""
    from entente.services import create_token

    settings = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'node.db'}")
    with open_node(replace(settings, audit_log=False), FixedClock()) as node:
        _, secret = create_token(node.tokens, node.clock, org_name="Entente node", role="admin")
        headers = {"Authorization": f"Bearer {secret}"}
        with TestClient(create_app(node, secret=SECRET)) as client:
            yield client, headers
        assert audit_log(node).chains() == []


def test_with_the_audit_log_off_nothing_is_recorded(
    unaudited: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = unaudited
    taxii = "application/taxii+json;version=2.1"
    posted = client.post(
        f"{ROOT}collections/{ALL}/objects/",
        json={"objects": [AMBER]},
        headers={**headers, "Accept": taxii, "Content-Type": taxii},
    )
    assert posted.status_code == 202
    page = client.get(f"{ROOT}collections/{ALL}/objects/", headers={**headers, "Accept": taxii})
    assert AMBER["id"] in {o["id"] for o in page.json()["objects"]}


def test_admin_actions_are_recorded_without_secrets_and_refusals_are_not(
    tmp_path: Path,
) -> None:
    import re

    from tests.unit.server.ui_sessions import ui_node

    with ui_node(tmp_path) as ui:
        page = ui.get("/", "admin")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        token = csrf.group(1)
        done = ui.client.post(
            "/admin/users/add",
            data={
                "csrf_token": token,
                "username": "bob",
                "org": "Entente node",
                "role": "reader",
                "password": "a long enough password",
            },
        )
        assert done.status_code == 200, done.text
        refused = ui.client.post(
            "/admin/tokens/create", data={"csrf_token": token, "org": "", "role": "reader"}
        )
        assert refused.status_code == 400
        allowed = ui.client.post(
            "/admin/warninglists/allow", data={"csrf_token": token, "value": "8.8.8.8"}
        )
        assert allowed.status_code == 200
        flushed(ui.client.app)
        actions = [e for e in audit_log(ui.node).who_saw(limit=100) if e.action != "read"]
        assert [e.action for e in actions] == [
            "admin.warninglists.allow",
            "admin.users.add",
        ]
        allow, add = actions
        assert allow.details["value"] == "8.8.8.8" and allow.channel == "ui"
        assert add.details["username"] == "bob"
        assert add.actor.role == "admin"
        assert all("password" not in e.body.decode() for e in actions)


def test_each_path_has_its_channel() -> None:
    from entente.server.audit import channel_of

    assert channel_of("/taxii2/api/collections/x/objects/") == "taxii"
    assert channel_of("/api/v1/objects/indicator--1") == "rest"
    assert channel_of("/feeds/edl-domains") == "export"
    assert channel_of("/exports/csv") == "export"
    assert channel_of("/objects/indicator--1") == "ui"


def test_a_feed_read_is_recorded_as_an_export(stocked: Harness) -> None:
    before = len(entries(stocked))
    answer = stocked.client.get("/feeds/csv", headers=stocked.headers["analyst"])
    assert answer.status_code == 200
    [entry] = entries(stocked)[before:]
    assert entry.channel == "export"
    assert AMBER["id"] in entry.object_ids and CLEAR["id"] not in entry.object_ids


def test_reads_are_recorded_and_verify_on_each_backend(backend_harness: Harness) -> None:
    harness = backend_harness
    assert harness.post_objects([CLEAR, AMBER]).status_code == 202
    for who in ("analyst", "admin"):
        page = harness.get(f"{ROOT}collections/{ALL}/objects/", who=who)
        assert page.status_code == 200
    reads_done = reads(harness)
    assert [e.actor.role for e in reads_done] == ["analyst", "admin"]
    assert all(e.object_ids == (AMBER["id"],) for e in reads_done)
    found = audit_log(harness.node).who_saw(object_id=AMBER["id"])
    assert len(found) == 2
    assert audit_log(harness.node).verify().ok
