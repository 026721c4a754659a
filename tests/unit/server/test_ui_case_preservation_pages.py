"""The legal hold and preservation page of a case over the real app and a real SQLite node:
hold and release with a reason, a request drafted from the case and approved by a second
person before it may be recorded as sent, its signed letter downloaded, its answer recorded;
CSRF, 400/403/404 pages, and nothing of a case shown to who may not see it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.server.ui_sessions import UiNode, ui_node

from entente.approvals import ActionType, Policy
from entente.bootstrap import cases, taxii
from entente.cases import CaseType
from entente.preservation import ELEMENTS, Contact, verify_letter
from entente.stix import Tlp, marking_id_for

NL = Contact("NL", "Team High Tech Crime", "24-7@example.nl", "+31 70 000 0000")
FORM = {
    "contact": "NL",
    "requesting_authority": "CERT-X",
    "offence": "Illegal access (Art. 2)",
    "facts": "Intrusions in November 2026.",
    "data_link": "The address served command and control.",
    "custodian": "Example Hosting B.V.",
    "necessity": "Logs are rotated after 30 days.",
    "mutual_assistance": "We will ask for mutual assistance.",
    "signatory": "J. Doe, Head of CERT-X",
}
INDICATOR: dict[str, Any] = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--00000000-0000-4000-8000-000000000001",
    "created": "2026-11-01T00:00:00.000Z",
    "modified": "2026-11-01T00:00:00.000Z",
    "pattern": "[ipv4-addr:value = '198.51.100.1']",
    "pattern_type": "stix",
    "valid_from": "2026-11-01T00:00:00Z",
    "object_marking_refs": [marking_id_for(Tlp.GREEN)],
}
ABSENT = "grouping--00000000-0000-4000-8000-0000000000ff"


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[UiNode]:
    policies = {ActionType.PRESERVATION_REQUEST: Policy(min_approvals=1)}
    with ui_node(tmp_path, preservation_contacts=(NL,), approvals=policies) as opened:
        yield opened


def a_case(ui: UiNode, tlp: Tlp = Tlp.AMBER_STRICT) -> str:
    analyst = ui.principals["analyst"]
    stored = taxii(ui.node).add([INDICATOR], analyst, collection=None, source="t", source_name="t")
    assert all(e.outcome == "added" for e in stored)
    service = cases(ui.node)
    made = service.create(analyst, name="Quiet Harbour", case_type=CaseType.INCIDENT, tlp=tlp)
    service.attach(analyst, made.case.id, [INDICATOR["id"]])
    return made.case.id


def page(ui: UiNode, case_id: str, who: str = "analyst") -> str:
    answer = ui.get(f"/cases/{case_id}/preservation", who)
    assert answer.status_code == 200
    text: str = answer.text
    return text


def test_a_hold_is_placed_and_released_with_a_reason(ui: UiNode) -> None:
    case_id = a_case(ui)
    assert "Not on hold" in page(ui, case_id)
    base = f"/cases/{case_id}/preservation"
    assert ui.post(f"{base}/hold", "analyst", reason=" ").status_code == 400
    placed = ui.post(f"{base}/hold", "analyst", reason="Order 2026/4711")
    assert placed.status_code == 303
    assert placed.headers["location"].endswith(f"{base}?done=hold")
    held = page(ui, case_id)
    assert "On hold" in held and "Order 2026/4711" in held
    assert "on hold: Order 2026/4711" in ui.get(f"/cases/{case_id}", "analyst").text
    assert ui.post(f"{base}/release", "analyst", reason="Lifted").status_code == 303
    assert "Not on hold" in page(ui, case_id) and "Lifted" in page(ui, case_id)


def test_a_request_is_approved_by_another_person_then_sent_and_answered(ui: UiNode) -> None:
    case_id = a_case(ui)
    base = f"/cases/{case_id}/preservation"
    form = page(ui, case_id)
    assert "Team High Tech Crime (NL), 24-7@example.nl" in form
    assert "198.51.100.1" in form  # the data to preserve, from the case
    drafted = ui.post(f"{base}/new", "analyst", **FORM)
    assert drafted.status_code == 303 and drafted.headers["location"].endswith(
        f"{base}?done=requested"
    )
    listed = page(ui, case_id)
    assert "pending approval" in listed
    assert "Record request 1 as sent" not in listed
    refused = ui.post(f"{base}/1/send", "analyst")
    assert refused.status_code == 403 and "pending" in refused.text
    (approval,) = set(re.findall(r'href="/approvals/(grouping--[0-9a-f-]{36})"', listed))
    own = ui.post(f"/approvals/{approval}/decision", "analyst", verdict="approve")
    assert own.status_code == 403  # four-eyes: not the requester
    assert ui.post(f"/approvals/{approval}/decision", "admin", verdict="approve").status_code == 303
    assert "Record request 1 as sent" in page(ui, case_id)
    sent = ui.post(f"{base}/1/send", "analyst")
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"{base}?done=sent")
    assert ui.post(f"{base}/1/send", "analyst").status_code == 400  # already sent
    pdf = ui.get(f"{base}/1/letter.pdf", "analyst")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    envelope = ui.get(f"{base}/1/letter.dsse.json", "analyst")
    assert verify_letter(pdf.content, envelope.content, ui.node.key.public_key).passed
    recorded = cases(ui.node).show(ui.principals["analyst"], case_id).shown.case.preservation
    assert recorded[0].pdf_sha256 == hashlib.sha256(pdf.content).hexdigest()
    assert ui.post(f"{base}/1/answer", "analyst", answer="maybe").status_code == 400
    answered = ui.post(f"{base}/1/answer", "analyst", answer="preserved", until="2027-03-01")
    assert answered.status_code == 303
    shown = page(ui, case_id)
    assert "preserved until 2027-03-01" in shown


def test_a_missing_element_is_named_and_nothing_is_asked(ui: UiNode) -> None:
    case_id = a_case(ui)
    base = f"/cases/{case_id}/preservation"
    missing = ui.post(f"{base}/new", "analyst", **{**FORM, "custodian": "", "necessity": ""})
    assert missing.status_code == 400
    assert "(d)" in missing.text and "(e)" in missing.text
    assert "None yet." in page(ui, case_id)
    for element in ELEMENTS:
        assert f"({element.letter})" in page(ui, case_id)


def test_a_reader_sees_no_forms_and_is_refused(ui: UiNode) -> None:
    case_id = a_case(ui, tlp=Tlp.GREEN)
    shown = page(ui, case_id, "reader")
    assert "Place a legal hold" not in shown and "Draft a preservation" not in shown
    refused = ui.post(f"/cases/{case_id}/preservation/hold", "reader", reason="r")
    assert refused.status_code == 403


def test_without_csrf_nothing_is_stored(ui: UiNode) -> None:
    case_id = a_case(ui)
    ui.client.cookies.set("entente_session", ui.tokens["analyst"])
    answer = ui.client.post(f"/cases/{case_id}/preservation/hold", data={"reason": "r"})
    assert answer.status_code == 403
    assert "Not on hold" in page(ui, case_id)


@pytest.mark.parametrize("who", ["analyst_b", "reader_c"])
def test_who_may_not_see_the_case_learns_nothing(ui: UiNode, who: str) -> None:
    case_id = a_case(ui)
    base = f"/cases/{case_id}/preservation"
    assert ui.post(f"{base}/new", "analyst", **FORM).status_code == 303
    for path in ("", "/1/letter.pdf", "/1/letter.dsse.json", "/x/letter.pdf"):
        hidden = ui.get(f"{base}{path}", who)
        absent = ui.get(f"/cases/{ABSENT}/preservation{path}", who)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.text == absent.text
    for path, form in (("/hold", {"reason": "r"}), ("/new", FORM), ("/1/send", {}),
                       ("/1/answer", {"answer": "refused", "note": "n"})):  # fmt: skip
        hidden = ui.post(f"{base}{path}", who, **form)
        assert hidden.status_code in {403, 404}
        assert case_id not in hidden.text and "Quiet Harbour" not in hidden.text
    assert "Not on hold" in page(ui, case_id)
