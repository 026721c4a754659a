"""The abuse-report pages over the real app, recorded RDAP and an SMTP server on loopback: a
report drafted from the case page, shown exactly as it will be sent with its SHA-256 and its
approval, a send refused with its reason until two others approve, delivered once they have,
the abuse desk's answer, a re-check, and the 403/404/400 pages that change nothing."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.abuse.local_rdap import LocalRdap
from tests.unit.abuse.local_smtp import LocalSmtp
from tests.unit.server.test_abuse_routes import abuse_settings
from tests.unit.server.ui_sessions import NODE_ORG_NAME, UiNode, ui_node
from tests.unit.services.test_abuse_service import RIPE_IP_INDICATOR, indicator

from entente.approvals import Verdict
from entente.bootstrap import abuse, approvals, cases, taxii
from entente.cases import CaseType
from entente.services import node_org_id
from entente.sharing import Principal, Role
from entente.stix import Tlp

pytestmark = pytest.mark.integration

ORG = node_org_id(NODE_ORG_NAME)


@pytest.fixture(scope="module")
def rdap() -> Iterator[LocalRdap]:
    with LocalRdap() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[LocalSmtp]:
    with LocalSmtp() as server:
        yield server


@pytest.fixture
def ui(tmp_path: Path, rdap: LocalRdap, smtp: LocalSmtp) -> Iterator[UiNode]:
    with ui_node(tmp_path, abuse=abuse_settings(rdap, smtp.port)) as opened:
        yield opened


def case_with_indicator(ui: UiNode, tlp: Tlp = Tlp.AMBER) -> str:
    analyst = ui.principals["analyst"]
    ioc = indicator(RIPE_IP_INDICATOR, "[ipv4-addr:value = '130.59.31.80']", tlp)
    entries = taxii(ui.node).add([ioc], analyst, collection=None, source="test", source_name="test")
    assert {e.outcome for e in entries} == {"added"}
    service = cases(ui.node)
    shown = service.create(analyst, name="C2 takedown", case_type=CaseType.INCIDENT, tlp=tlp)
    service.attach(analyst, shown.case.id, [RIPE_IP_INDICATOR])
    return shown.case.id


def draft(ui: UiNode, case_id: str) -> str:
    answer = ui.post("/abuse", "analyst", indicator_id=RIPE_IP_INDICATOR, case_id=case_id)
    assert answer.status_code == 303, answer.text
    location = str(answer.headers["location"])
    assert location.endswith("?done=drafted")
    return location.rpartition("/abuse/")[2].removesuffix("?done=drafted")


def test_the_case_page_drafts_a_report_shown_exactly_as_it_will_be_sent(ui: UiNode) -> None:
    case_id = case_with_indicator(ui)
    page = ui.get(f"/cases/{case_id}", "analyst").text
    assert 'action="/abuse"' in page and f'value="{RIPE_IP_INDICATOR}"' in page
    rid = draft(ui, case_id)
    report = abuse(ui.node).show(ui.principals["analyst"], rid)
    shown = ui.get(f"/abuse/{rid}", "analyst", done="drafted").text
    assert "The report was drafted and its approval requested." in shown
    assert report.sha256 == hashlib.sha256(report.document.encode()).hexdigest()
    assert report.sha256 in shown
    # The document on the page is exactly the one sent: the same text once unescaped.
    pre = re.search(
        r'<pre class="approval-payload" id="report-document" tabindex="0">(.*?)</pre>', shown, re.S
    )
    assert pre is not None and html.unescape(pre.group(1)) == report.document
    assert f'href="/approvals/{report.approval_request_id}"' in shown
    assert "pending: 2 more approval(s)" in shown
    assert "Sending is refused until the report is approved" in shown
    listed = ui.get("/abuse", "analyst").text
    assert f'href="/abuse/{rid}"' in listed and report.contact.email in listed
    assert f'href="/abuse/{rid}"' in ui.get(f"/cases/{case_id}", "analyst").text


def test_send_is_refused_until_approved_then_delivered_and_acknowledged(
    ui: UiNode, smtp: LocalSmtp
) -> None:
    rid = draft(ui, case_with_indicator(ui))
    before = ui.node.store.stats().versions
    refused = ui.post(f"/abuse/{rid}/send", "analyst")
    assert refused.status_code == 403
    assert "Nothing was sent" in refused.text and "2 more approval(s)" in refused.text
    assert smtp.received == [] and ui.node.store.stats().versions == before
    report = abuse(ui.node).show(ui.principals["analyst"], rid)
    assert report.approval_request_id is not None
    desk = approvals(ui.node)
    for approver in (ui.principals["admin"], Principal("user:zed", ORG, Role.ANALYST, True)):
        desk.approve(approver, report.approval_request_id, Verdict.APPROVE, "ok")
    assert "Sending is refused" not in ui.get(f"/abuse/{rid}", "analyst").text
    sent = ui.post(f"/abuse/{rid}/send", "analyst")
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"/abuse/{rid}?done=send")
    [received] = smtp.received
    assert received.rcpt_tos == (report.contact.email,)
    marked = ui.post(f"/abuse/{rid}/acknowledged", "analyst", detail="ticket 7")
    assert marked.status_code == 303
    page = ui.get(f"/abuse/{rid}", "analyst").text
    assert "acknowledged" in page and "ticket 7" in page
    rechecked = ui.post(f"/abuse/{rid}/recheck", "analyst")
    assert rechecked.status_code == 200
    assert "an address (nothing to resolve)" in rechecked.text


def test_others_get_the_same_404_and_readers_change_nothing(ui: UiNode) -> None:
    rid = draft(ui, case_with_indicator(ui, Tlp.AMBER_STRICT))
    absent = "note--00000000-0000-4000-8000-00000000ffff"
    hidden = ui.get(f"/abuse/{rid}", "analyst_b")
    assert hidden.status_code == 404
    assert hidden.text == ui.get(f"/abuse/{absent}", "analyst_b").text
    assert rid not in ui.get("/abuse", "analyst_b").text
    assert ui.post(f"/abuse/{rid}/send", "analyst_b").status_code == 404
    reader = ui.get(f"/abuse/{rid}", "reader").text
    assert f'action="/abuse/{rid}/send"' not in reader
    before = ui.node.store.stats().versions
    assert ui.post(f"/abuse/{rid}/request-approval", "reader").status_code == 403
    assert ui.post("/abuse", "reader", indicator_id=RIPE_IP_INDICATOR).status_code == 403
    assert ui.node.store.stats().versions == before


def test_bad_input_is_a_400_page_and_a_post_without_csrf_is_refused(ui: UiNode) -> None:
    rid = draft(ui, case_with_indicator(ui))
    assert ui.post("/abuse", "analyst", indicator_id="nope").status_code == 400
    assert (
        ui.post("/abuse", "analyst", indicator_id=RIPE_IP_INDICATOR, case_id="x").status_code == 400
    )
    assert ui.post(f"/abuse/{rid}/acknowledged", "analyst").status_code == 400  # not sent yet
    assert ui.post(f"/abuse/{rid}/nothing", "analyst").status_code == 404
    assert ui.post(f"/abuse/{rid}/send", "analyst", detail="x" * 2001).status_code == 400
    ui.client.cookies.clear()
    ui.client.cookies.set("entente_session", ui.tokens["analyst"])
    assert ui.client.post(f"/abuse/{rid}/send").status_code == 403
