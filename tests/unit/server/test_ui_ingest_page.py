"""The ingest page over the real app and a SQLite node: roles, CSRF, sizes, refusals, the
warninglist review of free text, and a confirmation that stores what the search then finds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient
from tests.unit.server.conftest import SECRET, Harness
from tests.unit.server.ui_users import Browser, assert_page_rules, sign_in

from entente.bootstrap import open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.ingest import OwnAddresses
from entente.server import create_app
from entente.server.ui.ingest_page import MAX_UPLOAD_BYTES, ROWS_SHOWN

ZEEK = Path(__file__).parents[2] / "data" / "logs" / "zeek" / "zeekparse-tsv" / "simple_http.log"
DEMO = Path(__file__).parents[3] / "src" / "entente" / "demo_data"
ADDRESS = "185.220.101.47"
REPORT = f"The implant beacons to {ADDRESS} and checks connectivity with google.com.\n"
DRAFT = re.compile(r'name="draft" value="([^"]+)"')
BUNDLE_ID = "indicator--c0ffee00-0000-4000-8000-000000000001"


def _analyst(harness: Harness, name: str = "alice") -> Browser:
    return sign_in(harness, name, org="Entente node", role="analyst")


def _preview(browser: Browser, *, text: str = "", file: tuple[str, bytes] | None = None) -> Any:
    files = {"file": file} if file is not None else {"file": ("", b"")}
    return browser.client.post(
        "/ingest/preview",
        data={"csrf_token": browser.csrf(), "text": text, "source_name": ""},
        files=files,
    )


def _confirm(browser: Browser, preview: Any) -> Any:
    draft = DRAFT.search(preview.text)
    assert draft is not None, preview.text
    return browser.client.post(
        "/ingest/confirm", data={"csrf_token": browser.csrf(), "draft": draft.group(1)}
    )


def _found(browser: Browser, value: str) -> bool:
    page = browser.client.get("/search", params={"q": value})
    return "/objects/indicator--" in page.text


def test_the_ingest_page_needs_a_session(harness: Harness) -> None:
    answer = harness.client.get("/ingest", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/login")


def test_an_analyst_gets_the_form_with_labelled_fields(harness: Harness) -> None:
    page = _analyst(harness).client.get("/ingest")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert '<label for="file">' in page.text and '<label for="text">' in page.text
    assert_page_rules(page.text)
    assert 'aria-current="page"' in page.text


def test_readers_and_users_of_other_orgs_get_no_form_and_may_not_post(harness: Harness) -> None:
    for name, org, role in (("rita", "Entente node", "reader"), ("bob", "Org B", "analyst")):
        browser = sign_in(harness, name, org=org, role=role)
        page = browser.client.get("/ingest")
        assert page.status_code == 200
        assert '<form method="post" action="/ingest' not in page.text
        assert "Only the admins and analysts" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        answer = browser.client.post(
            "/ingest/preview",
            data={"csrf_token": token.group(1), "text": REPORT},
            files={"file": ("", b"")},
        )
        assert answer.status_code == 403, name
        confirm = browser.client.post(
            "/ingest/confirm", data={"csrf_token": token.group(1), "draft": "x"}
        )
        assert confirm.status_code == 403, name
    assert not _found(_analyst(harness), ADDRESS)


def test_a_post_without_the_csrf_token_is_refused(harness: Harness) -> None:
    alice = _analyst(harness)
    answer = alice.client.post("/ingest/preview", data={"text": REPORT}, files={"file": ("", b"")})
    assert answer.status_code == 403
    assert "Form rejected" in answer.text
    confirm = alice.client.post("/ingest/confirm", data={"draft": "x"})
    assert confirm.status_code == 403


def test_the_preview_shows_the_warninglist_hit_and_stores_nothing(harness: Harness) -> None:
    alice = _analyst(harness)
    preview = _preview(alice, text=REPORT)
    assert preview.status_code == 200, preview.text
    assert_page_rules(preview.text)
    rows = re.findall(
        r"<tr[^>]*><td>\d+</td><td>([^<]+)</td><td><code>([^<]+)</code></td><td>([^<]+)</td>",
        preview.text,
    )
    decisions = {value: decision for _, value, decision in rows}
    assert decisions[ADDRESS] == "kept"
    # google.com is on the MISP warninglists the node ships (the Tranco / Alexa top lists).
    assert decisions["google.com"].startswith("left out: warninglist ")
    assert "would add 2" in preview.text  # the source identity and one indicator
    assert "leave out 1 values" in preview.text
    assert not _found(alice, ADDRESS)


def test_confirming_stores_the_reviewed_values_and_search_finds_them(harness: Harness) -> None:
    alice = _analyst(harness)
    stored = _confirm(alice, _preview(alice, text=REPORT))
    assert stored.status_code == 200, stored.text
    assert "2 added" in stored.text and "1 values left out" in stored.text
    assert f'href="/search?q={ADDRESS}"' in stored.text
    assert_page_rules(stored.text)
    assert _found(alice, ADDRESS)
    assert not _found(alice, "google.com")
    # Confirming the same draft again stores nothing new.
    again = _confirm(alice, _preview(alice, text=REPORT))
    assert "0 added" in again.text


def test_a_draft_opens_only_in_its_own_session_and_unaltered(harness: Harness) -> None:
    alice = _analyst(harness)
    preview = _preview(alice, text=REPORT)
    draft = DRAFT.search(preview.text)
    assert draft is not None
    altered = draft.group(1)[:-6] + (
        "AAAAAA" if not draft.group(1).endswith("AAAAAA") else "BBBBBB"
    )
    for token in (altered, "not-a-draft", ""):
        answer = alice.client.post(
            "/ingest/confirm", data={"csrf_token": alice.csrf(), "draft": token}
        )
        assert answer.status_code == 400
        assert "Preview it again" in answer.text
    carol = _analyst(harness, "carol")
    stolen = carol.client.post(
        "/ingest/confirm", data={"csrf_token": carol.csrf(), "draft": draft.group(1)}
    )
    assert stolen.status_code == 400
    assert not _found(alice, ADDRESS)


def test_a_log_file_is_refused_with_the_clis_message(harness: Harness) -> None:
    alice = _analyst(harness)
    answer = _preview(alice, file=("http.log", ZEEK.read_bytes()))
    assert answer.status_code == 415
    assert "http.log: this is a Zeek log; use entente match" in answer.text
    assert 'name="draft"' not in answer.text


def test_bad_files_get_a_clear_4xx(harness: Harness) -> None:
    alice = _analyst(harness)
    cases = [
        ("empty.txt", b"   \n", 400, "empty file, nothing to ingest"),
        ("blob.bin", b"\x00\x01\x02binary", 415, "binary content"),
        ("event.json", b"not json at all", 400, "named .json but not JSON"),
        ("broken.json", b'{"type": "bundle", "objects": [', 200, "reject 1"),
    ]
    for name, content, status, said in cases:
        answer = _preview(alice, file=(name, content))
        assert answer.status_code == status, (name, answer.text)
        assert said in answer.text, name
    nothing = _preview(alice)
    assert nothing.status_code == 400
    assert "Choose a file or paste some text" in nothing.text


def test_a_document_over_the_limit_is_413_with_a_clear_message(harness: Harness) -> None:
    alice = _analyst(harness)
    big = b"185.220.101.1\n" * (MAX_UPLOAD_BYTES // 14 + 10)
    answer = _preview(alice, file=("big.txt", big))
    assert answer.status_code == 413
    assert "larger than 2 MiB" in answer.text
    assert not _found(alice, "185.220.101.1")


def test_a_stix_bundle_and_a_misp_event_take_the_clis_paths(harness: Harness) -> None:
    alice = _analyst(harness)
    bundle = {
        "type": "bundle",
        "id": "bundle--c0ffee00-0000-4000-8000-000000000001",
        "objects": [
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": BUNDLE_ID,
                "created": "2023-11-13T22:00:00.000Z",
                "modified": "2023-11-13T22:00:00.000Z",
                "name": "bundled beacon",
                "pattern": "[domain-name:value = 'beacon.c2-bundle.net']",
                "pattern_type": "stix",
                "valid_from": "2023-11-13T22:00:00Z",
            }
        ],
    }
    preview = _preview(alice, file=("report.json", orjson.dumps(bundle)))
    assert preview.status_code == 200, preview.text
    assert "reads as STIX 2.1" in preview.text and "would add 1" in preview.text
    stored = _confirm(alice, preview)
    assert "1 added" in stored.text
    assert alice.client.get(f"/objects/{BUNDLE_ID}").status_code == 200
    event = (DEMO / "misp-event-galaxy.json").read_bytes()
    misp = _preview(alice, file=("event.json", event))
    assert misp.status_code == 200, misp.text
    assert "reads as MISP event" in misp.text
    stored = _confirm(alice, misp)
    added = re.search(r"(\d+) added", stored.text)
    assert added is not None and int(added.group(1)) > 0


@pytest.fixture
def own_harness(tmp_path: Path) -> Iterator[Harness]:
    """A node whose settings name its org's own network and mail domain."""
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'node.db'}",
        own_addresses=OwnAddresses.parse(["192.0.2.0/24"], ["cert-x.example"]),
    )
    with (
        open_node(settings, FixedClock()) as node,
        TestClient(create_app(node, secret=SECRET), raise_server_exceptions=False) as client,
    ):
        yield Harness(node, client, {})


def test_the_nodes_own_network_and_domain_are_left_out_as_such(own_harness: Harness) -> None:
    alice = _analyst(own_harness)
    text = f"Seen from 192.0.2.10 and mail.cert-x.example talking to {ADDRESS}.\n"
    preview = _preview(alice, text=text)
    assert preview.status_code == 200, preview.text
    assert "left out: own network 192.0.2.0/24" in preview.text
    assert "left out: own domain cert-x.example" in preview.text
    stored = _confirm(alice, preview)
    assert "2 values left out" in stored.text
    assert _found(alice, ADDRESS)
    assert not _found(alice, "192.0.2.10")


def test_a_pasted_list_is_reviewed_as_prose_is(harness: Harness) -> None:
    alice = _analyst(harness)
    preview = _preview(alice, text=f"{ADDRESS}\ngoogle.com\n")
    assert preview.status_code == 200, preview.text
    assert "left out: warninglist " in preview.text
    stored = _confirm(alice, preview)
    assert "1 values left out" in stored.text
    assert _found(alice, ADDRESS) and not _found(alice, "google.com")


def test_a_chosen_tlp_level_marks_what_is_built_and_only_known_levels_are_taken(
    harness: Harness,
) -> None:
    alice = _analyst(harness)
    token = alice.csrf()
    preview = alice.client.post(
        "/ingest/preview",
        data={"csrf_token": token, "text": REPORT, "marking": "green"},
        files={"file": ("", b"")},
    )
    assert preview.status_code == 200, preview.text
    assert '<option value="green" selected>' in preview.text
    _confirm(alice, preview)
    # GREEN reaches Org B (it holds a token: the community); the default AMBER+STRICT would not.
    bob = sign_in(harness, "bob", org="Org B", role="reader")
    assert _found(bob, ADDRESS)
    wrong = alice.client.post(
        "/ingest/preview",
        data={"csrf_token": token, "text": REPORT, "marking": "purple"},
        files={"file": ("", b"")},
    )
    assert wrong.status_code == 400
    assert "Choose a TLP level" in wrong.text
    bundle = (
        b'{"type": "bundle", "id": "bundle--c0ffee00-0000-4000-8000-000000000002", "objects": []}'
    )
    stix = alice.client.post(
        "/ingest/preview",
        data={"csrf_token": token, "text": "", "marking": "green"},
        files={"file": ("b.json", bundle)},
    )
    assert stix.status_code == 400
    assert "STIX objects keep the markings their creator gave them" in stix.text


def test_without_a_level_the_built_indicator_reads_as_the_nodes_default(harness: Harness) -> None:
    alice = _analyst(harness)
    _confirm(alice, _preview(alice, text=REPORT))
    bob = sign_in(harness, "bob", org="Org B", role="reader")
    assert not _found(bob, ADDRESS)


def test_a_long_list_shows_its_first_values_and_counts_them_all(harness: Harness) -> None:
    alice = _analyst(harness)
    values = "\n".join(f"c2-{n}.canary-list.net" for n in range(ROWS_SHOWN + 20))
    preview = _preview(alice, text=values + "\n")
    assert preview.status_code == 200
    assert preview.text.count("<tr><td>") == ROWS_SHOWN
    assert f"The first {ROWS_SHOWN} of {ROWS_SHOWN + 20} values are listed." in preview.text
    assert f"would add {ROWS_SHOWN + 21}" in preview.text  # and the source identity
