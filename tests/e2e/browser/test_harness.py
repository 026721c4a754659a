"""The harness's own checks fail when they should: each is provoked on a real node page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from tests.e2e.browser.harness import Authenticator, UiBrowser

from entente.accounts import PERIOD_S, time_step, totp_at

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# RFC 6238 Appendix B: the SHA-1 test key, as base32.
_RFC_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
_WAIT_MS = 5_000


def _forget(ui: UiBrowser) -> None:
    """Clear what was provoked on purpose, so the fixture's teardown checks the rest."""
    ui.csp_violations.clear()
    ui.console_errors.clear()
    ui.foreign_requests.clear()
    ui.axe_violations.clear()


def test_an_inline_style_is_reported_as_a_csp_violation(ui: UiBrowser) -> None:
    ui.goto("/login")
    # The node's CSP has style-src 'self': an inline style attribute is refused and reported.
    ui.page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    deadline = time.monotonic() + _WAIT_MS / 1000
    while not ui.csp_violations and time.monotonic() < deadline:
        ui.page.wait_for_timeout(50)
    assert any("style-src" in report for report in ui.csp_violations)
    assert any("CSP violation" in problem for problem in ui.problems())
    _forget(ui)


def test_a_request_beyond_the_node_is_blocked_and_reported(ui: UiBrowser) -> None:
    # The node's CSP already refuses other origins for subresources; a top-level navigation
    # is what CSP does not govern, so a second tab of the same context goes elsewhere.
    elsewhere = "http://127.0.0.2:9/elsewhere"
    tab = ui.context.new_page()
    try:
        with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
            tab.goto(elsewhere)
    finally:
        tab.close()
    assert ui.foreign_requests == [elsewhere]
    assert any("request outside the node" in problem for problem in ui.problems())
    _forget(ui)


def test_an_image_without_alt_text_is_a_blocking_axe_violation(ui: UiBrowser) -> None:
    ui.goto("/login")
    ui.page.evaluate(
        "() => { const img = document.createElement('img');"
        " img.src = '/static/entente.css'; document.querySelector('main').append(img); }"
    )
    ui.audit()
    assert "image-alt" in {v.rule for v in ui.axe_violations if v.impact == "critical"}
    assert any(problem.startswith("axe critical image-alt") for problem in ui.problems())
    _forget(ui)


def test_a_page_visited_without_an_audit_is_reported(ui: UiBrowser) -> None:
    ui.goto("/login")
    assert ui.problems() == []
    # The same URL again, without an audit: an earlier audit of that URL does not count.
    ui.page.goto(ui.url("/login"))
    assert any("never audited" in problem for problem in ui.problems())
    ui.audit()
    assert ui.problems() == []


def test_authenticator_gives_rfc_6238_codes_and_never_the_same_step_twice() -> None:
    authenticator = Authenticator(_RFC_KEY_BASE32)
    # RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 (8 digits).
    assert totp_at(authenticator.key, 59, digits=8) == "94287082"
    first = authenticator.code()
    first_step = authenticator.last_step
    second = authenticator.code()
    second_step = authenticator.last_step
    assert first_step is not None
    assert second_step is not None
    assert second_step > first_step
    assert first == totp_at(authenticator.key, first_step * PERIOD_S)
    assert second == totp_at(authenticator.key, second_step * PERIOD_S)
    current = time_step(int(time.time()))
    valid_now = {totp_at(authenticator.key, (current + d) * PERIOD_S) for d in (-1, 0, 1)}
    assert authenticator.wrong_code() not in valid_now


def test_a_canary_in_text_or_in_an_attribute_is_found(ui: UiBrowser) -> None:
    ui.goto("/login")
    ui.assert_hidden("no such canary 7f3a")
    with pytest.raises(AssertionError, match="Authenticator code"):
        ui.assert_hidden("Authenticator code")  # text
    with pytest.raises(AssertionError, match="one-time-code"):
        ui.assert_hidden("one-time-code")  # only in an autocomplete attribute
