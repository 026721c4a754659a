"""The Server-Timing header: on web UI responses, with the app's own time; not on the API."""

from __future__ import annotations

import re

from tests.unit.server.conftest import Harness
from tests.unit.server.ui_users import sign_in

_VALUE = re.compile(r"^app;dur=(\d+\.\d)$")


def test_a_signed_in_page_says_how_long_the_app_took(harness: Harness) -> None:
    browser = sign_in(harness, "alice", org="Acme", role="analyst")
    page = browser.client.get("/search", params={"q": "198.51.100.7"})
    assert page.status_code == 200
    found = _VALUE.match(page.headers["server-timing"])
    assert found is not None, page.headers["server-timing"]
    assert float(found.group(1)) >= 0


def test_the_login_page_and_a_ui_error_carry_one_timing_each(harness: Harness) -> None:
    for path in ("/login", "/no-such-page"):
        answer = harness.client.get(path, follow_redirects=False)
        assert len(answer.headers.get_list("server-timing")) == 1, path
        assert _VALUE.match(answer.headers["server-timing"]), path


def test_taxii_and_rest_responses_carry_no_server_timing(harness: Harness) -> None:
    for path in ("/taxii2/", "/api/v1/objects"):
        answer = harness.get(path)
        assert answer.status_code == 200, (path, answer.text)
        assert "server-timing" not in answer.headers, path
