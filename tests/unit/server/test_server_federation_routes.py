"""REST federation status: partners, agreements and sync reports, for operators only."""

from __future__ import annotations

from tests.unit.server.conftest import Harness

from entente.bootstrap import federation
from entente.federation import card_document, generate_key, make_card
from entente.services.tokens import org_identity_id
from entente.store import SyncReport

AGREEMENT = {
    "id": "node-c",
    "name": "this node and Org C",
    "parties": ["Entente node", "Org C"],
    "max_tlp": "green",
    "onward_sharing": "none",
}


def _with_partner(harness: Harness) -> None:
    service = federation(harness.node)
    service.add_agreement(AGREEMENT)
    key = generate_key()
    card = make_card(
        org_name="Org C",
        org_id=org_identity_id("Org C"),
        public_key=key.public_key,
        taxii_url="http://127.0.0.1:9/taxii2/",
        api_root="http://127.0.0.1:9/taxii2/api/",
    )
    service.add_partner(card_document(card, key), token="secret-token-of-c")
    harness.node.sync_reports.add(
        SyncReport(
            report_id=None,
            partner="Org-C",
            started_us=1_000_000,
            finished_us=2_000_000,
            added=3,
            duplicates=1,
            new_versions=0,
            rejected=1,
            error=None,
            rejections=({"id": "indicator--x", "reason": "signature does not verify"},),
        )
    )


def test_operators_see_partners_without_their_tokens(harness: Harness) -> None:
    _with_partner(harness)
    for who in ("admin", "analyst"):
        response = harness.client.get("/api/v1/partners", headers=harness.headers[who])
        assert response.status_code == 200
        [partner] = response.json()["partners"]
        assert partner["name"] == "Org-C"
        assert partner["status"] == "never synced"
        assert "secret-token-of-c" not in response.text


def test_operators_see_agreements_and_sync_reports(harness: Harness) -> None:
    _with_partner(harness)
    agreements = harness.client.get("/api/v1/agreements", headers=harness.headers["admin"])
    assert [a["id"] for a in agreements.json()["agreements"]] == ["node-c"]
    reports = harness.client.get(
        "/api/v1/sync/reports", params={"partner": "Org-C"}, headers=harness.headers["analyst"]
    )
    [report] = reports.json()["reports"]
    assert (report["added"], report["rejected"]) == (3, 1)
    assert report["rejections"][0]["reason"] == "signature does not verify"


def test_partners_and_readers_get_403_as_taxii_json(harness: Harness) -> None:
    _with_partner(harness)
    for who in ("partner_c", "reader_b"):
        for path in ("/api/v1/partners", "/api/v1/agreements", "/api/v1/sync/reports"):
            response = harness.client.get(path, headers=harness.headers[who])
            assert response.status_code == 403
            assert "node-c" not in response.text
            assert "Org-C" not in response.text


def test_without_a_token_it_is_401(harness: Harness) -> None:
    assert harness.client.get("/api/v1/partners").status_code == 401
