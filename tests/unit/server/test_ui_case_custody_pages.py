"""A case's custody log and evidence export pages over the real app and a SQLite node: the
events recorded, the chain's verdict, who may see them, an export stamped by a real OpenSSL
TSA on loopback that ``verify_package`` passes, and every mistake a 4xx page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.unit.evidence.local_tsa import LocalTsa
from tests.unit.evidence.validated import verified
from tests.unit.server.ui_sessions import UiNode, ui_node
from tests.unit.server.ui_users import assert_page_rules

from entente.bootstrap import audit_log, federation
from entente.evidence import layout
from entente.evidence.tarball import read_tar
from entente.server.ui.case_custody_pages import ENTRIES_PER_PAGE
from entente.services import node_org_id
from entente.services.cases import custody_draft

POLICE = "National Police"
CASE_ID = re.compile(r"/cases/(grouping--[0-9a-f-]{36})\?done=created$")
HIDDEN = "indicator--dead0000-0000-4000-8000-000000000001"
AGREEMENT = {
    "id": "cert-x-police",
    "name": "CERT-X to the National Police, evidence",
    "parties": ["CERT-X", POLICE],
    "max_tlp": "amber",
    "onward_sharing": "none",
}


@pytest.fixture(scope="module")
def tsa() -> Iterator[LocalTsa]:
    with LocalTsa() as running:
        yield running


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory, tsa: LocalTsa) -> Iterator[UiNode]:
    home = tmp_path_factory.mktemp("custody")
    chain = home / "tsa-chain.pem"
    chain.write_bytes(tsa.chain_pem)
    with ui_node(home, tsa_url=tsa.url, tsa_chain_file=chain) as opened:
        federation(opened.node).add_agreement(AGREEMENT)
        yield opened


def _open(ui: UiNode, name: str = "Grid outage", who: str = "analyst") -> str:
    answer = ui.post("/cases", who, case_type="incident", name=name, tlp="green")
    assert answer.status_code == 303, answer.text
    found = CASE_ID.search(answer.headers["location"])
    assert found is not None
    return found.group(1)


def _events(html: str) -> list[str]:
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<span class="kind">([a-z-]+)</span>', table)


def _export(ui: UiNode, case_id: str, **form: str) -> Any:
    fields = {"recipient_org": node_org_id(POLICE), "recipient_name": POLICE, **form}
    return ui.post(f"/cases/{case_id}/evidence/package", "analyst", **fields)


def test_the_custody_page_shows_the_events_recorded_and_the_verdict(ui: UiNode) -> None:
    case_id = _open(ui)
    assert ui.get(f"/cases/{case_id}", "analyst").status_code == 200  # "viewed", channel ui
    case_page = ui.get(f"/cases/{case_id}", "admin").text
    assert f'href="/cases/{case_id}/custody"' in case_page
    assert f'href="/cases/{case_id}/evidence"' in case_page
    answer = ui.get(f"/cases/{case_id}/custody", "analyst")
    assert answer.status_code == 200
    assert_page_rules(answer.text)
    html = answer.text
    assert _events(html) == ["viewed", "viewed"]
    assert "<td>ui</td>" in html and "analyst (analyst)" in html and "admin (admin)" in html
    assert f'<a href="/objects/{case_id}">' in html
    assert "Verified:</strong> 2 entries and 2 checkpoints" in html
    assert "Through entry</dt><dd>2</dd>" in html
    # Reading the custody log is not a custody event: the log is as it was.
    again = ui.get(f"/cases/{case_id}/custody", "analyst").text
    assert _events(again) == ["viewed", "viewed"]


def test_ids_the_reader_may_not_see_are_withheld_and_long_logs_are_paged(ui: UiNode) -> None:
    case_id = _open(ui, "Long log")
    analyst = ui.principals["analyst"]
    audit_log(ui.node).record_custody(
        case_id, [custody_draft(analyst, "acquired", "cli", [case_id, HIDDEN])]
    )
    audit_log(ui.node).record_custody(
        case_id,
        [custody_draft(analyst, "transferred", "cli") for _ in range(ENTRIES_PER_PAGE)],
    )
    first = ui.get(f"/cases/{case_id}/custody", "analyst").text
    assert HIDDEN not in first
    assert "1 object withheld" in first
    assert f"page 1 of 2 ({ENTRIES_PER_PAGE + 1} entries)" in first
    assert "Next page" in first
    second = ui.get(f"/cases/{case_id}/custody", "analyst", page="2").text
    assert _events(second) == ["transferred"]
    assert ui.get(f"/cases/{case_id}/custody", "analyst", page="0").status_code == 400


@pytest.mark.parametrize("who", ["reader", "analyst_b", "reader_c"])
def test_only_the_node_operators_see_custody_and_evidence(ui: UiNode, who: str) -> None:
    case_id = _open(ui, "Not for everyone")
    absent = "grouping--00000000-0000-4000-8000-00000000beef"
    refusals = [
        ui.get(f"/cases/{cid}/{page}", who)
        for cid in (case_id, absent)
        for page in ("custody", "evidence")
    ]
    assert {r.status_code for r in refusals} == {403}
    assert len({r.text for r in refusals}) == 1  # the same page whatever the case
    assert case_id not in refusals[0].text
    assert f'href="/cases/{case_id}/custody"' not in ui.get(f"/cases/{case_id}", who).text
    before = len(audit_log(ui.node).custody_entries(case_id))
    posted = ui.post(
        f"/cases/{case_id}/evidence/package",
        who,
        recipient_org=node_org_id(POLICE),
        recipient_name=POLICE,
    )
    assert posted.status_code == 403
    assert len(audit_log(ui.node).custody_entries(case_id)) == before


def test_an_operator_gets_404_for_an_absent_case(ui: UiNode) -> None:
    absent = "grouping--00000000-0000-4000-8000-00000000beef"
    for path in (f"/cases/{absent}/custody", f"/cases/{absent}/evidence", "/cases/x/custody"):
        answer = ui.get(path, "admin")
        assert answer.status_code == 404, path
        assert "There is no case with this id that you may see." in answer.text


def test_an_export_is_a_verified_package_and_appears_in_the_custody_log(
    ui: UiNode, tsa: LocalTsa
) -> None:
    case_id = _open(ui, "To the police")
    form = ui.get(f"/cases/{case_id}/evidence", "analyst")
    assert form.status_code == 200
    assert_page_rules(form.text)
    assert f'<option value="{node_org_id(POLICE)}">{AGREEMENT["name"]}' in form.text
    assert "This case has not been exported." in form.text
    answer = _export(ui, case_id)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-tar"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{case_id}-evidence-')
    # The one test here that runs the real CASE validator (the recipient's check).
    report = verified(answer.content)
    assert report.passed, report.failures
    assert POLICE in read_tar(answer.content)[layout.REPORT_MD].decode()
    custody = ui.get(f"/cases/{case_id}/custody", "analyst").text
    assert _events(custody)[-1] == "exported"
    assert "cert-x-police" in custody and node_org_id(POLICE) in custody
    listed = ui.get(f"/cases/{case_id}/evidence", "admin").text
    assert "This case has not been exported." not in listed
    assert "exported via ui" in listed and node_org_id(POLICE) in listed


def test_bad_export_forms_are_400_pages_that_record_nothing(ui: UiNode) -> None:
    case_id = _open(ui, "Bad forms")
    before = audit_log(ui.node).custody_entries(case_id)
    no_agreement = _export(ui, case_id, recipient_org=node_org_id("Org C"))
    assert no_agreement.status_code == 400
    assert "choose a recipient org that this node has an agreement with" in no_agreement.text
    assert_page_rules(no_agreement.text)
    nameless = _export(ui, case_id, recipient_name="  ")
    assert nameless.status_code == 400 and "name the recipient" in nameless.text
    assert _export(ui, case_id, recipient_name="x" * 201).status_code == 400
    no_csrf = ui.client.post(
        f"/cases/{case_id}/evidence/package",
        data={"recipient_org": node_org_id(POLICE), "recipient_name": POLICE},
    )
    assert no_csrf.status_code == 403
    assert audit_log(ui.node).custody_entries(case_id) == before


def test_without_a_tsa_the_export_is_a_409_naming_the_settings(tmp_path: Path) -> None:
    with ui_node(tmp_path, who=("analyst",)) as bare:
        federation(bare.node).add_agreement(AGREEMENT)
        case_id = _open(bare)
        before = audit_log(bare.node).custody_entries(case_id)
        answer = _export(bare, case_id)
        assert answer.status_code == 409
        assert "tsa_url" in answer.text and "tsa_chain_file" in answer.text
        assert_page_rules(answer.text)
        # The service refuses before it records anything: the log is as it was.
        assert audit_log(bare.node).custody_entries(case_id) == before
        assert "This case has not been exported." in answer.text


def test_a_tsa_that_does_not_answer_is_a_409_and_the_log_says_export_failed(
    tmp_path: Path, tsa: LocalTsa
) -> None:
    chain = tmp_path / "chain.pem"
    chain.write_bytes(tsa.chain_pem)
    # A loopback port nothing listens on (port 9 is discard, never served in tests).
    with ui_node(
        tmp_path, who=("analyst",), tsa_url="http://127.0.0.1:9/", tsa_chain_file=chain
    ) as down:
        federation(down.node).add_agreement(AGREEMENT)
        case_id = _open(down)
        answer = _export(down, case_id)
        assert answer.status_code == 409, answer.text
        assert "time-stamping authority http://127.0.0.1:9/" in answer.text
        events = [e.action for e in audit_log(down.node).custody_entries(case_id)]
        assert events[-2:] == ["exported", "export-failed"]
        assert "failed: " in answer.text  # the past exports list the failure


def _tamper(node: UiNode, case_id: str, seq: int, body_sql: str) -> None:
    """Change one stored custody entry behind the node's back, as an attacker with the
    database would."""
    engine = create_engine(node.node.settings.database_url)
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE audit_entries SET body = {body_sql} WHERE chain = :chain AND seq = :seq"),
            {"chain": f"case:{case_id}", "seq": seq},
        )
    engine.dispose()


def test_a_changed_entry_shows_the_chain_broken_at_it(tmp_path: Path) -> None:
    with ui_node(tmp_path, who=("analyst",)) as node:
        case_id = _open(node)
        for _ in range(3):
            node.get(f"/cases/{case_id}", "analyst")
        _tamper(node, case_id, 2, "CAST(replace(CAST(body AS TEXT), 'viewed', 'VIEWED') AS BLOB)")
        html = node.get(f"/cases/{case_id}/custody", "analyst").text
        assert "Broken at entry 2:" in html and "Verified" not in html
        assert 'class="custody-failed"' in html
        assert "VIEWED" in html  # the changed entry is shown as stored
        _tamper(node, case_id, 3, "CAST('not an entry' AS BLOB)")
        answer = node.get(f"/cases/{case_id}/custody", "analyst")
        assert answer.status_code == 200
        assert "Broken at entry 2:" in answer.text
        assert "can no longer be read as entries" in answer.text
