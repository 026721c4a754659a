"""REST for abuse reports over the real app: draft from an indicator with recorded RDAP on
loopback, the exact document, approval, a send refused until approved (403 saying what is
missing), delivered to a local SMTP server once approved, a relay that fails (502, never
500), the abuse desk's answer, a re-check, and what other orgs may not see (404)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.abuse.local_rdap import LocalRdap
from tests.unit.abuse.local_smtp import LocalSmtp
from tests.unit.server.conftest import Harness, _harness_of
from tests.unit.services.test_abuse_service import RIPE_IP_INDICATOR, indicator

from entente.abuse import AbuseSettings
from entente.approvals import Verdict
from entente.bootstrap import approvals, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.services import node_org_id
from entente.sharing import Principal, Role
from entente.stix import Tlp

pytestmark = pytest.mark.integration

REPORTS = "/api/v1/abuse/reports"
ORG = node_org_id("Entente node")
CASE = "grouping--11111111-1111-4111-8111-111111111111"


@pytest.fixture(scope="module")
def rdap() -> Iterator[LocalRdap]:
    with LocalRdap() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[LocalSmtp]:
    with LocalSmtp() as server:
        yield server


def abuse_settings(rdap: LocalRdap, smtp_port: int) -> AbuseSettings:
    """The [abuse] of a test node: recorded RDAP and an SMTP server, both on loopback."""
    return AbuseSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_starttls=False,
        smtp_timeout=5.0,
        reporter_org="Acme CERT",
        reporter_email="cert@acme.example",
        reporter_domain="acme.example",
        rdap_bootstrap_url=rdap.bootstrap_url,
        rdap_timeout=5.0,
    )


def harness_with(tmp_path: Path, rdap: LocalRdap, smtp_port: int) -> Iterator[Harness]:
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        abuse=abuse_settings(rdap, smtp_port),
    )
    with open_node(settings, FixedClock()) as node:
        yield from _harness_of(node)


@pytest.fixture
def h(tmp_path: Path, rdap: LocalRdap, smtp: LocalSmtp) -> Iterator[Harness]:
    yield from harness_with(tmp_path, rdap, smtp.port)


def post(h: Harness, path: str, body: dict[str, Any] | None = None, who: str = "analyst") -> Any:
    return h.client.post(path, json=body if body is not None else {}, headers=h.headers[who])


def get(h: Harness, path: str, who: str = "analyst") -> Any:
    return h.client.get(path, headers=h.headers[who])


def drafted(h: Harness, tlp: Tlp = Tlp.AMBER) -> dict[str, Any]:
    ioc = indicator(RIPE_IP_INDICATOR, "[ipv4-addr:value = '130.59.31.80']", tlp)
    assert h.post_objects([ioc], "analyst").status_code == 202
    answer = post(h, REPORTS, {"indicator": RIPE_IP_INDICATOR})
    assert answer.status_code == 201, answer.text
    document: dict[str, Any] = answer.json()
    return document


def approve_twice(h: Harness, request_id: str) -> None:
    desk = approvals(h.node)
    for name in ("bob", "carol"):
        approver = Principal(f"user:{name}", ORG, Role.ADMIN, True)
        desk.approve(approver, request_id, Verdict.APPROVE, "checked")


def test_a_report_is_drafted_to_the_rdap_contact_and_shown_exactly(h: Harness) -> None:
    report = drafted(h)
    assert report["status"] == "draft"
    assert report["target"] == "130.59.31.80"
    assert "rdap.db.ripe.net" in report["contact"]["source"]
    assert report["approval"] == "not requested"
    assert [r["id"] for r in get(h, REPORTS).json()["reports"]] == [report["id"]]
    shown = get(h, f"{REPORTS}/{report['id']}").json()
    assert shown["sha256"] == report["sha256"]
    document = get(h, f"{REPORTS}/{report['id']}/document")
    assert document.status_code == 200
    assert hashlib.sha256(document.content).hexdigest() == report["sha256"]
    assert document.headers["x-content-sha256"] == report["sha256"]


def test_a_send_is_refused_until_two_others_approve_then_delivered(
    h: Harness, smtp: LocalSmtp
) -> None:
    report = drafted(h)
    rid = report["id"]
    refused = post(h, f"{REPORTS}/{rid}/send")
    assert refused.status_code == 403
    assert "request approval first" in refused.json()["description"]
    asked = post(h, f"{REPORTS}/{rid}/request-approval").json()
    assert asked["approval"] == "pending: 2 more approval(s)"
    pending = post(h, f"{REPORTS}/{rid}/send")
    assert pending.status_code == 403
    assert "2 more approval(s)" in pending.json()["description"]
    assert smtp.received == []
    approve_twice(h, asked["approval_request"])
    sent = post(h, f"{REPORTS}/{rid}/send")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    [received] = smtp.received
    assert received.rcpt_tos == (report["contact"]["email"],)
    marked = post(h, f"{REPORTS}/{rid}/mark", {"status": "acknowledged", "detail": "ticket 7"})
    assert marked.json()["status"] == "acknowledged"
    assert marked.json()["sla"]["state"] == "answered"
    rechecked = post(h, f"{REPORTS}/{rid}/recheck").json()
    assert (rechecked["target"], rechecked["resolves"]) == ("130.59.31.80", None)


def test_a_relay_that_fails_is_a_502_and_the_report_may_be_sent_again(
    tmp_path: Path, rdap: LocalRdap
) -> None:
    with LocalSmtp() as closed:
        port = closed.port
    for h in harness_with(tmp_path, rdap, port):
        report = drafted(h)
        asked = post(h, f"{REPORTS}/{report['id']}/request-approval").json()
        approve_twice(h, asked["approval_request"])
        failed = post(h, f"{REPORTS}/{report['id']}/send")
        assert failed.status_code == 502
        assert failed.json()["description"].startswith("not delivered:")
        assert get(h, f"{REPORTS}/{report['id']}").json()["status"] == "failed"


def test_other_orgs_see_nothing_and_readers_may_not_write(h: Harness) -> None:
    report = drafted(h, Tlp.AMBER_STRICT)
    rid = report["id"]
    assert get(h, REPORTS, "analyst_b").json()["reports"] == []
    assert get(h, f"{REPORTS}/{rid}", "analyst_b").status_code == 404
    assert get(h, f"{REPORTS}/{rid}/document", "analyst_b").status_code == 404
    assert post(h, f"{REPORTS}/{rid}/send", who="analyst_b").status_code == 404
    assert post(h, REPORTS, {"indicator": RIPE_IP_INDICATOR}, who="reader_b").status_code == 403
    # Another org's analyst cannot report on an indicator it may not see.
    hidden = post(h, REPORTS, {"indicator": RIPE_IP_INDICATOR}, who="analyst_b")
    assert hidden.status_code == 404


def test_bad_input_is_a_400_never_a_500(h: Harness) -> None:
    drafted(h)
    assert post(h, REPORTS, {}).status_code == 400
    assert post(h, REPORTS, {"indicator": 7}).status_code == 400
    assert post(h, REPORTS, {"indicator": "indicator--nope"}).status_code in (400, 404)
    assert post(h, REPORTS, {"indicator": RIPE_IP_INDICATOR, "case": "x"}).status_code == 400
    rid = get(h, REPORTS).json()["reports"][0]["id"]
    assert post(h, f"{REPORTS}/{rid}/mark", {"status": "sent"}).status_code == 400
    assert post(h, f"{REPORTS}/{rid}/mark", {"status": "resolved"}).status_code == 400
    text = h.client.post(
        REPORTS, content=b"{", headers={**h.headers["analyst"], "Content-Type": "text/plain"}
    )
    assert text.status_code == 415
    assert get(h, f"{REPORTS}/note--nope").status_code in (400, 404)
    listed = get(h, f"{REPORTS}?case={CASE}").json()["reports"]
    assert listed == []


def test_the_openapi_documents_every_abuse_route(h: Harness) -> None:
    paths = h.client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths[REPORTS]) == {"get", "post"}
    assert paths[REPORTS]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "required"
    ] == ["indicator"]
    send = paths[f"{REPORTS}/{{report_id}}/send"]["post"]["responses"]
    assert {"403", "502", "503"} <= set(send)
    for tail in ("", "/document"):
        assert "get" in paths[f"{REPORTS}/{{report_id}}{tail}"]
    for action in ("request-approval", "mark", "recheck"):
        assert "post" in paths[f"{REPORTS}/{{report_id}}/{action}"]
