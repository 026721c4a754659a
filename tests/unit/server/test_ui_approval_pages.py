"""The approval pages over the real app and a real SQLite node: the list ("waiting for you"
first, filtered by state), one request with exactly what will be sent and every decision, the
payload download, and the decision form (four-eyes, CSRF, 303, 400/403/404 pages)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.server.ui_sessions import NODE_ORG_NAME, UiNode, ui_node

from entente.approvals import ActionType, Verdict
from entente.bootstrap import approvals, audit_log
from entente.errors import InvalidInput
from entente.server.ui.approval_pages import render_payload
from entente.services import node_org_id
from entente.sharing import Principal, Role
from entente.stix import Tlp

CASE = "grouping--11111111-1111-4111-8111-111111111111"
ORG = node_org_id(NODE_ORG_NAME)
XARF = b'{"Version":"4","Report":{"Category":"fraud","Source":{"IP":"198.51.100.7"}}}'
MAIL = b"To: abuse@example.net\r\nSubject: Phishing on 198.51.100.7\r\n\r\nPlease act.\r\n"
TAR = b"ustar\x00\x00\xff\xfe binary package"
ABSENT = "grouping--00000000-0000-4000-8000-0000000000ff"


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    with ui_node(tmp_path) as opened:
        yield opened


def ask(
    ui: UiNode,
    payload: bytes = XARF,
    media_type: str = "application/json",
    *,
    who: str = "analyst",
    summary: str = "X-ARF fraud report on 198.51.100.7",
    tlp: Tlp = Tlp.AMBER,
) -> str:
    return (
        approvals(ui.node)
        .request(
            ui.principals[who],
            ActionType.ABUSE_REPORT,
            payload,
            summary=summary,
            targets=["abuse@example.net"],
            refs=[CASE],
            media_type=media_type,
            tlp=tlp,
        )
        .id
    )


def test_the_page_shows_exactly_what_will_be_sent_and_where_it_stands(ui: UiNode) -> None:
    rid = ask(ui)
    answer = ui.get(f"/approvals/{rid}", "admin")
    assert answer.status_code == 200
    html = answer.text
    assert hashlib.sha256(XARF).hexdigest() in html
    # Pretty-printed JSON, escaped by the template.
    pretty = json.dumps(json.loads(XARF), indent=2).replace('"', "&#34;")
    assert pretty in html
    assert "abuse@example.net" in html and "user:analyst" in html
    assert "pending" in html and "missing 2 more approval(s)" in html
    assert 'action="/approvals/' + rid + '/decision"' in html
    assert "Nobody has decided on this request yet." in html


def test_approve_signs_records_and_redirects_with_a_fixed_message(ui: UiNode) -> None:
    rid = ask(ui)
    answer = ui.post(f"/approvals/{rid}/decision", "admin", verdict="approve", comment="checked")
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"/approvals/{rid}?done=approve")
    html = ui.get(f"/approvals/{rid}", "admin", done="approve").text
    assert "Your approval was signed by this node and recorded." in html
    row = re.search(r"<tr><th scope=\"row\">user:admin.*?</tr>", html, re.S)
    assert row is not None
    assert "verified" in row.group(0) and "checked" in row.group(0) and ">yes<" in row.group(0)
    assert "missing 1 more approval(s)" in html
    # Decided: no longer waiting for the admin, and the form says a new decision replaces it.
    listed = ui.get("/approvals", "admin").text
    assert "No request is waiting for your decision." in listed
    status = approvals(ui.node).status(ui.principals["admin"], rid)
    assert [a.approver for a in status.decision.counted] == ["user:admin"]


def test_the_requester_is_shown_why_they_do_not_decide_and_a_post_is_refused(ui: UiNode) -> None:
    rid = ask(ui)
    html = ui.get(f"/approvals/{rid}", "analyst").text
    assert "does not approve their own request (four-eyes)" in html
    assert f'action="/approvals/{rid}/decision"' not in html
    before = ui.node.store.stats().versions
    refused = ui.post(f"/approvals/{rid}/decision", "analyst", verdict="approve")
    assert refused.status_code == 403
    assert "four-eyes" in refused.text
    assert ui.node.store.stats().versions == before


def test_readers_and_other_orgs_see_the_reason_and_cannot_decide(ui: UiNode) -> None:
    rid = ask(ui, tlp=Tlp.GREEN)
    reader = ui.get(f"/approvals/{rid}", "reader").text
    assert "only admins and analysts approve outbound actions" in reader
    partner = ui.get(f"/approvals/{rid}", "analyst_b").text
    assert "approvals are made on the approver&#39;s own node" in partner
    for who in ("reader", "analyst_b"):
        assert ui.post(f"/approvals/{rid}/decision", who, verdict="approve").status_code == 403


def test_two_approvals_approve_and_a_rejection_rejects(ui: UiNode) -> None:
    # Requested by someone else of the node's org: the admin and the analyst both approve.
    zed = Principal("user:zed", ORG, Role.ANALYST, True)
    service = approvals(ui.node)
    rid = service.request(
        zed, ActionType.ADVISORY, b"# Advisory\n", summary="Publish", targets=["public"],
        refs=[CASE], media_type="text/markdown",
    ).id  # fmt: skip
    assert ui.post(f"/approvals/{rid}/decision", "admin", verdict="approve").status_code == 303
    assert ui.post(f"/approvals/{rid}/decision", "analyst", verdict="approve").status_code == 303
    assert 'id="approval-state">approved<' in ui.get(f"/approvals/{rid}", "reader").text
    assert rid in ui.get("/approvals", "reader", state="approved").text
    assert rid not in ui.get("/approvals", "reader", state="pending").text
    assert ui.post(f"/approvals/{rid}/decision", "analyst", verdict="reject").status_code == 303
    assert 'id="approval-state">rejected<' in ui.get(f"/approvals/{rid}", "reader").text
    assert rid in ui.get("/approvals", "reader", state="rejected").text


def test_waiting_for_you_comes_first(ui: UiNode) -> None:
    mine = ask(ui, summary="Asked by the analyst")
    theirs = ask(ui, who="admin", summary="Asked by the admin")
    html = ui.get("/approvals", "analyst").text
    waiting, _, others = html.partition('id="others-heading"')
    assert theirs in waiting and mine not in waiting
    assert mine in others and theirs not in others


def test_text_is_preformatted_with_hidden_characters_made_visible(ui: UiNode) -> None:
    sneaky = MAIL + "Pay to \u202eLIVE\u202c now\x07\r\n".encode()
    rid = ask(ui, sneaky, "message/rfc822")
    html = ui.get(f"/approvals/{rid}", "admin").text
    assert "Subject: Phishing on 198.51.100.7\nPlease" not in html  # CRLF kept as lines
    assert "Subject: Phishing on 198.51.100.7\n\nPlease act." in html
    assert "&lt;U+202E&gt;LIVE&lt;U+202C&gt;" in html and "&lt;U+0007&gt;" in html
    assert "3 control or bidirectional characters" in html
    assert "\u202e" not in html


def test_other_media_types_are_a_download_of_the_exact_bytes(ui: UiNode) -> None:
    rid = ask(ui, TAR, "application/x-tar")
    html = ui.get(f"/approvals/{rid}", "admin").text
    assert 'id="payload"' not in html
    assert hashlib.sha256(TAR).hexdigest() in html
    download = ui.get(f"/approvals/{rid}/payload", "admin")
    assert download.status_code == 200
    assert download.content == TAR
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == f'attachment; filename="{rid}-payload.tar"'
    assert download.headers["x-content-sha256"] == hashlib.sha256(TAR).hexdigest()
    assert download.headers["x-entente-media-type"] == "application/x-tar"
    assert "content-security-policy" in download.headers


def test_json_with_a_duplicate_key_is_shown_as_it_is() -> None:
    shown = render_payload(b'{"to": "a@example.net", "to": "b@example.net"}', "application/json")
    assert shown.kind == "text"
    assert shown.text == '{"to": "a@example.net", "to": "b@example.net"}'
    assert render_payload(b"\xff\xfe", "text/plain").kind == "download"
    assert render_payload(b'{"a": 1}', "application/xarf+json; charset=utf-8").kind == "json"


def test_absent_hidden_and_malformed_ids_are_one_404(ui: UiNode) -> None:
    rid = ask(ui)  # TLP:AMBER: Org C's reader has no token here, so it is not theirs
    absent = ui.get(f"/approvals/{ABSENT}", "reader_c")
    assert absent.status_code == 404
    for path in (f"/approvals/{rid}", f"/approvals/{rid}/payload", "/approvals/indicator--x"):
        hidden = ui.get(path, "reader_c")
        assert hidden.status_code == 404, path
        assert hidden.text == absent.text, path
    assert ui.post(f"/approvals/{ABSENT}/decision", "admin", verdict="approve").status_code == 404
    assert ui.post("/approvals/nonsense/decision", "admin", verdict="approve").status_code == 404


def test_bad_forms_and_filters_are_400_and_a_missing_csrf_token_403(ui: UiNode) -> None:
    rid = ask(ui)
    before = ui.node.store.stats().versions
    assert ui.post(f"/approvals/{rid}/decision", "admin", verdict="maybe").status_code == 400
    long = ui.post(f"/approvals/{rid}/decision", "admin", verdict="approve", comment="x" * 2001)
    assert long.status_code == 400
    ui.client.cookies.set("entente_session", ui.tokens["admin"])
    forged = ui.client.post(f"/approvals/{rid}/decision", data={"verdict": "approve"})
    assert forged.status_code == 403
    assert ui.node.store.stats().versions == before
    assert ui.get("/approvals", "admin", state="maybe").status_code == 400


def test_the_nav_links_the_page_for_the_node_orgs_admins_and_analysts(ui: UiNode) -> None:
    link = '<a href="/approvals">Approvals</a>'
    linked_for = {"admin": True, "analyst": True, "reader": False, "analyst_b": False}
    for who, linked in linked_for.items():
        assert (link in ui.get("/", who).text) is linked, who


def test_a_decision_is_audited_on_channel_ui(ui: UiNode) -> None:
    rid = ask(ui)
    ui.post(f"/approvals/{rid}/decision", "admin", verdict="reject", comment="wrong host")
    shown = approvals(ui.node).status(ui.principals["admin"], rid)
    assert [a.verdict for a in shown.approvals] == [Verdict.REJECT]
    seen = audit_log(ui.node).who_saw(object_id=rid)
    entries = [e for e in seen if e.action == "approval.reject"]
    assert [(e.actor.id, e.channel) for e in entries] == [("user:admin", "ui")]


def test_a_media_type_that_is_no_header_value_is_refused_and_nothing_stored(ui: UiNode) -> None:
    before = ui.get("/approvals", "admin").text.count('href="/approvals/grouping--')
    with pytest.raises(InvalidInput, match="is not type/subtype"):
        ask(ui, TAR, "application/x-tar\r\nSet-Cookie: a=b")
    assert ui.get("/approvals", "admin").text.count('href="/approvals/grouping--') == before
