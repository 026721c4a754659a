"""REST for legal holds and preservation requests of a case: a request is drafted and asked
for approval, recorded as sent only once approved, its signed letter downloaded and its answer
recorded; a caller who may not see the case learns nothing of it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from tests.unit.server.conftest import Harness, _harness_of, indicator

from entente.approvals import Verdict
from entente.bootstrap import approvals, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.preservation import ELEMENTS, Contact, verify_letter
from entente.services import node_org_id
from entente.sharing import Principal, Role
from entente.stix import Tlp

NL = Contact("NL", "Team High Tech Crime", "24-7@example.nl", "+31 70 000 0000")
CASES = "/api/v1/cases"
ORG = node_org_id("Entente node")
BODY = {
    "contact": "NL",
    "requesting_authority": "CERT-X",
    "offence": "Illegal access (Art. 2)",
    "facts": "Intrusions in November 2026.",
    "data_link": "The address served command and control.",
    "custodian": "Example Hosting B.V.",
    "necessity": "Logs are rotated after 30 days.",
    "signatory": "J. Doe, Head of CERT-X",
}


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """The REST harness over a node with one 24/7 point of contact configured."""
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        preservation_contacts=(NL,),
    )
    with open_node(settings, FixedClock()) as node:
        yield from _harness_of(node)


def post(h: Harness, path: str, body: Any, who: str = "analyst") -> Response:
    response: Response = h.client.post(path, json=body, headers=h.headers[who])
    return response


def get(h: Harness, path: str, who: str = "analyst") -> Response:
    response: Response = h.client.get(path, headers=h.headers[who])
    return response


def a_case(h: Harness, tlp: str = "TLP:AMBER+STRICT") -> str:
    """A case of the node's org (Org B may not see it) referencing a GREEN indicator."""
    ours = indicator(1, tlp=Tlp.GREEN)
    assert h.post_objects([ours], who="analyst").status_code == 202
    made = post(h, CASES, {"name": "Quiet Harbour", "case_type": "incident", "tlp": tlp})
    assert made.status_code == 201, made.text
    case_id: str = made.json()["id"]
    assert post(h, f"{CASES}/{case_id}/attach", {"objects": [ours["id"]]}).status_code == 200
    return case_id


def approve(h: Harness, approval_id: str, *names: str) -> None:
    """Named people of the node's org approve (API tokens never do)."""
    service = approvals(h.node)
    for name in names:
        who = Principal(f"user:{name}", ORG, Role.ANALYST, True)
        service.approve(who, approval_id, Verdict.APPROVE, "checked the six elements")


def test_hold_and_release_need_a_reason_and_show_on_the_case(harness: Harness) -> None:
    case_id = a_case(harness)
    assert post(harness, f"{CASES}/{case_id}/hold", {}).status_code == 400
    placed = post(harness, f"{CASES}/{case_id}/hold", {"reason": "Order 2026/4711"})
    assert placed.status_code == 200
    assert placed.json()["legal_hold"]["reason"] == "Order 2026/4711"
    released = post(harness, f"{CASES}/{case_id}/release", {"reason": "Order lifted"})
    assert released.status_code == 200
    assert released.json()["legal_hold"] is None
    assert released.json()["legal_holds"][0]["release_reason"] == "Order lifted"


def test_a_request_is_sent_only_once_approved_and_its_letter_verifies(harness: Harness) -> None:
    case_id = a_case(harness)
    base = f"{CASES}/{case_id}/preservation"
    made = post(harness, base, BODY)
    assert made.status_code == 201, made.text
    drafted = made.json()
    assert drafted["number"] == 1 and drafted["state"] == "pending approval"
    assert [e["heading"] for e in drafted["elements"]][:1] and drafted["sent"] is None
    assert "10.0.0.1" in str(drafted["elements"])
    # Unapproved: refused, and nothing is recorded on the case.
    refused = post(harness, f"{base}/1/send", {})
    assert refused.status_code == 403
    assert "pending" in refused.json()["description"]
    assert get(harness, f"{CASES}/{case_id}").json()["preservation_requests"] == []
    approve(harness, drafted["approval_request"], "bob")
    assert post(harness, f"{base}/1/send", {}).status_code == 403  # one of two
    approve(harness, drafted["approval_request"], "carol")
    sent = post(harness, f"{base}/1/send", {})
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "sent"
    assert post(harness, f"{base}/1/send", {}).status_code == 409
    pdf = get(harness, f"{base}/1/letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    digest = hashlib.sha256(pdf.content).hexdigest()
    assert digest == sent.json()["pdf_sha256"] == pdf.headers["x-content-sha256"]
    case = get(harness, f"{CASES}/{case_id}").json()
    assert case["preservation_requests"][0]["pdf_sha256"] == digest
    envelope = get(harness, f"{base}/1/letter.dsse.json")
    assert envelope.status_code == 200
    assert verify_letter(pdf.content, envelope.content, harness.node.key.public_key).passed
    answered = post(
        harness,
        f"{base}/1/answer",
        {"answer": "preserved", "preserved_until": "2027-03-01T00:00:00Z", "note": "ref 99"},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "preserved"
    assert answered.json()["preserved_until"].startswith("2027-03-01")


def test_the_letter_names_the_six_elements(harness: Harness) -> None:
    case_id = a_case(harness)
    drafted = post(harness, f"{CASES}/{case_id}/preservation", BODY).json()
    headings = " ".join(e["heading"] for e in drafted["elements"])
    for element in ELEMENTS:
        assert f"({element.letter})" in headings


def test_bad_input_is_a_400_naming_what_is_missing(harness: Harness) -> None:
    case_id = a_case(harness)
    base = f"{CASES}/{case_id}/preservation"
    missing = post(harness, base, {**BODY, "custodian": "", "necessity": " "})
    assert missing.status_code == 400
    assert "(d)" in missing.json()["description"] and "(e)" in missing.json()["description"]
    assert post(harness, base, {**BODY, "contact": "ZZ"}).status_code == 400
    assert post(harness, base, {**BODY, "offence": 3}).status_code == 400
    assert post(harness, base, [1]).status_code == 400
    assert get(harness, f"{base}").json() == {"requests": []}
    assert post(harness, f"{base}/0/send", {}).status_code in {400, 422}
    assert get(harness, f"{base}/7/letter.pdf").status_code == 404
    sent = post(harness, base, BODY).json()
    answer = post(harness, f"{base}/{sent['number']}/answer", {"answer": "preserved"})
    assert answer.status_code == 400  # not sent yet
    assert post(harness, f"{base}/1/answer", {"answer": "maybe"}).status_code == 400


def test_a_reader_may_not_write_and_is_refused_before_its_body(harness: Harness) -> None:
    case_id = a_case(harness, tlp="TLP:GREEN")
    for path in ("hold", "release", "preservation"):
        refused = harness.client.post(
            f"{CASES}/{case_id}/{path}", content=b"not json", headers=harness.headers["reader_b"]
        )
        assert refused.status_code == 403


def test_who_may_not_see_the_case_learns_nothing(harness: Harness) -> None:
    case_id = a_case(harness)
    base = f"{CASES}/{case_id}/preservation"
    drafted = post(harness, base, BODY).json()
    approve(harness, drafted["approval_request"], "bob", "carol")
    assert post(harness, f"{base}/1/send", {}).status_code == 200
    absent = "grouping--99999999-9999-4999-8999-999999999999"
    for who in ("analyst_b", "partner_c"):
        for path in ("preservation", "preservation/1", "preservation/1/letter.pdf",
                     "preservation/1/letter.dsse.json"):  # fmt: skip
            hidden = get(harness, f"{CASES}/{case_id}/{path}", who=who)
            missing = get(harness, f"{CASES}/{absent}/{path}", who=who)
            assert hidden.status_code == missing.status_code == 404
            assert case_id not in hidden.text and "Quiet" not in hidden.text
        refusal = {"answer": "refused", "note": "n"}
        for path, body in (("hold", {"reason": "r"}), ("preservation", BODY),
                           ("preservation/1/answer", refusal)):  # fmt: skip
            hidden = post(harness, f"{CASES}/{case_id}/{path}", body, who=who)
            assert hidden.status_code in {403, 404}
            assert case_id not in hidden.text and "Quiet" not in hidden.text
    case = get(harness, f"{CASES}/{case_id}").json()
    assert case["legal_hold"] is None and case["preservation_requests"][0]["answer"] is None


def test_the_openapi_documents_the_routes(harness: Harness) -> None:
    paths = get(harness, "/api/v1/openapi.json", who="admin").json()["paths"]
    base = "/api/v1/cases/{case_id}"
    for path in ("/hold", "/release", "/preservation", "/preservation/{number}/send",
                 "/preservation/{number}/letter.pdf", "/preservation/{number}/answer"):  # fmt: skip
        assert base + path in paths


def test_a_partner_who_sees_the_case_may_not_ask_for_its_request(harness: Harness) -> None:
    case_id = a_case(harness, tlp="TLP:GREEN")
    assert get(harness, f"{CASES}/{case_id}", who="analyst_b").status_code == 200
    refused = post(harness, f"{CASES}/{case_id}/preservation", BODY, who="analyst_b")
    assert refused.status_code == 403
    assert get(harness, f"{CASES}/{case_id}/preservation").json() == {"requests": []}
