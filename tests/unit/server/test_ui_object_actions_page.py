"""The object page's "Who will receive this?" section, its score and its action forms, over the
real app and a SQLite node: who sees what, CSRF and role refusals, bad input, and writes that
land as REST writes do."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.unit.server.conftest import Harness, indicator
from tests.unit.server.ui_users import Browser, assert_page_rules, sign_in

from entente.bootstrap import federation
from entente.federation import card_document, generate_key, make_card
from entente.services.tokens import org_identity_id
from entente.stix import Tlp, marking_id_for, parse_timestamp

AGREEMENT = {
    "id": "node-c",
    "name": "node and Org C",
    "parties": ["Entente node", "Org C"],
    "max_tlp": "amber",
    "onward_sharing": "none",
    "redact": {"indicator": ["description"]},
}
RECIPIENTS = re.compile(r'<section id="recipients".*?</section>', re.S)
ACTIONS = re.compile(r'<section id="actions".*?</section>', re.S)


def federated(harness: Harness) -> None:
    """An agreement with Org C, and Org B registered as a partner with none."""
    service = federation(harness.node)
    service.add_agreement(AGREEMENT)
    key = generate_key()
    card = make_card(
        org_name="Org B",
        org_id=org_identity_id("Org B"),
        public_key=key.public_key,
        taxii_url="http://127.0.0.1:9/taxii2/",
        api_root="http://127.0.0.1:9/taxii2/api/",
    )
    service.add_partner(card_document(card, key), token="token-of-b")


def green_indicator(n: int = 1) -> dict[str, Any]:
    obj = indicator(n, tlp=Tlp.GREEN)
    obj["description"] = "DESCRIPTION-CANARY"
    obj["confidence"] = 60
    return obj


def analyst(harness: Harness) -> Browser:
    return sign_in(harness, "alice", org="Entente node", role="analyst")


def versions_of(harness: Harness, object_id: str) -> list[dict[str, Any]]:
    stored = harness.node.store.get_versions(object_id, ("all",))
    return [version.to_json() for version in stored]


def post(browser: Browser, object_id: str, action: str, **fields: str) -> Any:
    return browser.client.post(
        f"/objects/{object_id}/{action}", data={"csrf_token": browser.csrf(), **fields}
    )


def follow(browser: Browser, answer: Any) -> Any:
    """GET where a 303 leads (its Location names the node's public URL)."""
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["location"])
    return browser.client.get(f"{location.path}?{location.query}")


def test_operators_see_who_would_receive_it_allowed_and_denied(harness: Harness) -> None:
    federated(harness)
    obj = green_indicator()
    harness.post_objects([obj])
    page = analyst(harness).client.get(f"/objects/{obj['id']}")
    assert page.status_code == 200
    section = RECIPIENTS.search(page.text)
    assert section is not None
    rows = {
        re.sub(r"<.*", "", name).strip(): answer
        for name, answer in re.findall(
            r'<tr><th scope="row">(.*?)</th>\s*<td>(allowed|denied)</td>', section.group()
        )
    }
    assert rows == {"Org-B": "denied", org_identity_id("Org C"): "allowed"}
    assert "no agreement" in section.group()
    # Org C's copy is shown without what its agreement redacts.
    assert "under agreement node-c; without description" in section.group()
    assert "DESCRIPTION-CANARY" not in section.group()
    assert "&#34;pattern&#34;" in section.group()
    assert_page_rules(page.text)


def test_readers_and_other_orgs_get_no_recipients_and_no_version_forms(harness: Harness) -> None:
    federated(harness)
    obj = green_indicator()
    harness.post_objects([obj])
    reader = sign_in(harness, "rita", org="Entente node", role="reader")
    page = reader.client.get(f"/objects/{obj['id']}")
    assert page.status_code == 200
    assert 'id="recipients"' not in page.text and 'id="actions"' not in page.text
    assert "/revoke" not in page.text and 'method="post" action="/objects/' not in page.text
    other = sign_in(harness, "bob", org="Org B", role="analyst")
    seen = other.client.get(f"/objects/{obj['id']}")
    assert 'id="recipients"' not in seen.text
    actions = ACTIONS.search(seen.text)
    assert actions is not None
    # Org B may add what it thinks of it, but not versions of what Org A owns.
    assert "/revoke" not in actions.group() and "/version" not in actions.group()
    assert f"/objects/{obj['id']}/note" in actions.group()
    assert "only that org adds versions of it" in actions.group()


def test_refusals_are_403_pages_and_store_nothing(harness: Harness) -> None:
    obj = green_indicator()
    harness.post_objects([obj])
    reader = sign_in(harness, "rita", org="Entente node", role="reader")
    other = sign_in(harness, "bob", org="Org B", role="analyst")
    for browser, action in ((reader, "revoke"), (reader, "note"), (other, "revoke")):
        answer = post(browser, obj["id"], action, content="a note")
        assert answer.status_code == 403, (browser.principal.id, action)
        assert "Nothing was stored" in answer.text
    alice = analyst(harness)
    no_token = alice.client.post(f"/objects/{obj['id']}/revoke", data={})
    wrong = alice.client.post(f"/objects/{obj['id']}/revoke", data={"csrf_token": "x" * 43})
    assert no_token.status_code == wrong.status_code == 403
    assert "Form rejected" in no_token.text
    assert len(versions_of(harness, obj["id"])) == 1


def test_revoking_stores_a_revoked_version_shown_as_revoked(harness: Harness) -> None:
    obj = green_indicator()
    harness.post_objects([obj])
    alice = analyst(harness)
    answer = post(alice, obj["id"], "revoke")
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"/objects/{obj['id']}?done=revoke")
    stored = versions_of(harness, obj["id"])
    assert len(stored) == 2 and stored[-1]["revoked"] is True
    assert stored[-1]["created"] == obj["created"]
    assert (
        parse_timestamp(stored[-1]["modified"], "m").key > parse_timestamp(obj["modified"], "m").key
    )
    page = follow(alice, answer)
    assert "Revoked: a revoked version of this object was stored." in page.text
    assert "<strong>Revoked:</strong>" in page.text
    assert "score: 0 (the indicator is revoked)" in page.text
    # No second revocation, and no more versions.
    assert "/revoke" not in page.text and f"/objects/{obj['id']}/version" not in page.text
    again = post(alice, obj["id"], "revoke")
    assert again.status_code == 400 and "revoked already" in again.text
    # Stored through the REST write path: the user's provenance.
    rest = harness.node.store.get_versions(obj["id"], ("last",))[-1]
    assert (rest.provenance.source_name, rest.provenance.principal) == ("ui", alice.principal.id)


def test_a_new_version_carries_the_changes_and_is_visible(harness: Harness) -> None:
    obj = green_indicator()
    obj["labels"] = ["old"]
    harness.post_objects([obj])
    alice = analyst(harness)
    page = alice.client.get(f"/objects/{obj['id']}")
    assert 'id="edit-confidence" name="confidence" inputmode="numeric" value="60"' in page.text
    assert '<option value="green" selected>' in page.text
    answer = post(
        alice,
        obj["id"],
        "version",
        confidence="85",
        labels="phishing, c2 , phishing",
        valid_until="2030-01-01T00:00:00Z",
        tlp="amber",
    )
    assert answer.status_code == 303, answer.text
    latest = versions_of(harness, obj["id"])[-1]
    assert latest["confidence"] == 85
    assert latest["labels"] == ["phishing", "c2"]
    assert latest["valid_until"] == "2030-01-01T00:00:00Z"
    assert latest["object_marking_refs"] == [marking_id_for(Tlp.AMBER)]
    shown = follow(alice, answer)
    assert "A new version of this object was stored." in shown.text
    assert "TLP:AMBER" in shown.text and "2030-01-01T00:00:00Z" in shown.text
    # Search finds it by its new label (the index was kept by the store's write).
    found = alice.client.get("/search", params={"q": "phishing"})
    assert f'href="/objects/{obj["id"]}"' in found.text
    # An empty field removes the property.
    post(alice, obj["id"], "version", confidence="", labels="", valid_until="", tlp="amber")
    assert not {"confidence", "labels", "valid_until"} & set(versions_of(harness, obj["id"])[-1])


def test_bad_input_is_a_400_page_with_the_reason_and_stores_nothing(harness: Harness) -> None:
    obj = green_indicator()
    harness.post_objects([obj])
    alice = analyst(harness)
    cases = [
        ("version", {"confidence": "high", "tlp": "green"}, "confidence: a whole number"),
        ("version", {"confidence": "101", "tlp": "green"}, "confidence: a whole number"),
        ("version", {"valid_until": "tomorrow", "tlp": "green"}, "valid_until: a STIX timestamp"),
        ("version", {"tlp": "red"}, "tlp: one of clear, green, amber, amber+strict"),
        ("version", {"valid_until": "2020-01-01T00:00:00Z", "tlp": "green"}, "valid_until"),
        ("opinion", {"opinion": "meh"}, "opinion: one of strongly-disagree"),
        ("note", {"content": "  "}, "content: required"),
    ]
    for action, fields, reason in cases:
        answer = post(alice, obj["id"], action, **fields)
        assert answer.status_code == 400, (action, fields, answer.text)
        assert reason in answer.text, (action, fields)
        assert "Nothing was stored" in answer.text
    assert len(versions_of(harness, obj["id"])) == 1
    unknown = post(alice, obj["id"], "delete")
    assert unknown.status_code == 404


def test_false_positive_note_and_opinion_are_stored_by_the_users_org(harness: Harness) -> None:
    obj = green_indicator()
    harness.post_objects([obj])
    alice = analyst(harness)
    page = alice.client.get(f"/objects/{obj['id']}")
    assert "sightings: 0 true (+0), 0 false positive (-0)" in page.text
    assert post(alice, obj["id"], "false-positive").status_code == 303
    assert (
        post(alice, obj["id"], "note", abstract="Why", content="Seen in <b>tests</b>").status_code
        == 303
    )
    assert (
        post(alice, obj["id"], "opinion", opinion="disagree", explanation="noisy").status_code
        == 303
    )
    org = alice.principal.org
    page = alice.client.get(f"/objects/{obj['id']}")
    assert "1 false positive (-" in page.text
    links = re.findall(r'href="/objects/((?:sighting|note|opinion)--[0-9a-f-]{36})"', page.text)
    kinds = {link.partition("--")[0] for link in links}
    assert kinds == {"sighting", "note", "opinion"}
    made = {
        kind: versions_of(harness, next(i for i in links if i.startswith(kind)))[-1]
        for kind in kinds
    }
    sighting, note, opinion = made["sighting"], made["note"], made["opinion"]
    assert sighting["x_entente_false_positive"] is True
    assert (sighting["created_by_ref"], sighting["where_sighted_refs"], sighting["count"]) == (
        org,
        [org],
        1,
    )
    assert (note["authors"], note["object_refs"], note["content"]) == (
        ["alice"],
        [obj["id"]],
        "Seen in <b>tests</b>",
    )
    assert (opinion["opinion"], opinion["created_by_ref"]) == ("disagree", org)
    # What is said about it is marked as it is.
    assert {tuple(o["object_marking_refs"]) for o in made.values()} == {
        (marking_id_for(Tlp.GREEN),)
    }
