"""Signing in and out in a real browser: password + TOTP, one error for every failure, sessions
that end, and pages with no CSP violation, no request beyond the node and no serious axe finding.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from tests.e2e.browser.conftest import ALICE, ANALYST_ORG, BOB, CAROL, PARTNER_ORG
from tests.e2e.browser.harness import UiBrowser, UiNode, session_cookie, text_of

from entente.server.ui.auth import SESSION_COOKIE
from entente.services.users import LOGIN_FAILED

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_home_without_a_session_redirects_to_sign_in(ui: UiBrowser) -> None:
    ui.goto("/")
    assert ui.path == "/login"
    assert ui.page.get_by_role("heading", level=1).inner_text() == "Sign in"
    assert ui.page.get_by_role("button", name="Sign out").count() == 0


def test_sign_in_with_password_and_code_shows_the_users_name_and_org(
    ui: UiBrowser, ui_node: UiNode
) -> None:
    alice = ui_node.users[ALICE]
    ui.sign_in(alice)
    assert ui.path == "/"
    # Signed in, the home page is the dashboard.
    assert ui.page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    assert ui.page.get_by_role("heading", name="Incidents and sightings per month").count() == 1
    who = ui.page.locator(".who")
    assert text_of(who.locator(".username")) == ALICE
    assert text_of(who.locator(".role")) == "analyst"
    # The org's markup is shown as text: no <b> element was made from it.
    assert text_of(who.locator(".org")) == ANALYST_ORG
    assert who.locator(".org b").count() == 0
    assert ui.page.get_by_role("navigation", name="Main").get_by_role("link").count() >= 1


def test_wrong_code_shows_the_same_error_as_a_wrong_password(
    ui: UiBrowser, ui_node: UiNode
) -> None:
    bob = ui_node.users[BOB]
    ui.sign_in(bob, code=bob.authenticator.wrong_code())
    assert ui.path == "/login"
    after_wrong_code = text_of(ui.page.get_by_role("alert"))
    ui.sign_in(bob, password=bob.password + " but wrong")
    assert ui.path == "/login"
    after_wrong_password = text_of(ui.page.get_by_role("alert"))
    assert after_wrong_code == after_wrong_password == LOGIN_FAILED
    assert SESSION_COOKIE not in {cookie["name"] for cookie in ui.context.cookies()}
    # Two failures are below the lock-out (5): the right password and code still sign in.
    ui.sign_in(bob)
    assert ui.path == "/"
    assert text_of(ui.page.locator(".who .username")) == BOB


def test_sign_out_returns_to_sign_in_and_the_old_session_cookie_no_longer_works(
    ui: UiBrowser, ui_node: UiNode, browser: Browser, axe_script: str
) -> None:
    ui.sign_in(ui_node.users[ALICE])
    assert ui.path == "/"
    old = session_cookie(ui.context, SESSION_COOKIE)
    assert old["httpOnly"] is True
    assert old["sameSite"] == "Strict"
    # A second browser given a copy of the cookie (as a thief would have it) is signed in
    # while the session lasts...
    thief_context = browser.new_context(base_url=ui_node.base_url)
    try:
        thief = UiBrowser.open(thief_context, ui_node.base_url, axe_script)
        copied = {"name": SESSION_COOKIE, "value": old["value"], "url": ui.url("/")}
        thief_context.add_cookies([copied])  # type: ignore[list-item]
        thief.goto("/")
        assert thief.path == "/"
        assert text_of(thief.page.locator(".who .username")) == ALICE
        ui.sign_out()
        assert ui.path == "/login"
        assert SESSION_COOKIE not in {cookie["name"] for cookie in ui.context.cookies()}
        # ...and no longer once its owner signed out: the server ended it (ADR 0009).
        thief.goto("/")
        assert thief.path == "/login"
        assert thief.page.get_by_role("button", name="Sign out").count() == 0
        ui.context.add_cookies([copied])  # type: ignore[list-item]
        ui.goto("/")
        assert ui.path == "/login"
        thief.assert_clean()
    finally:
        thief_context.close()


def test_pages_load_with_no_csp_violation_and_no_request_beyond_the_node(
    ui: UiBrowser, ui_node: UiNode
) -> None:
    ui.goto("/login")
    ui.sign_in(ui_node.users[CAROL])
    assert text_of(ui.page.locator(".who .org")) == PARTNER_ORG
    ui.sign_out()
    # The recorders saw the pages and their stylesheet: an empty list below means none, not
    # that nothing was watched.
    assert ui.url("/static/entente.css") in ui.node_requests
    assert ui.audited == [ui.url("/login"), ui.url("/"), ui.url("/login")]
    assert ui.csp_violations == []
    assert ui.foreign_requests == []
    assert ui.console_errors == []
    ui.assert_clean()


def test_two_users_in_two_browsers_each_see_only_themselves(
    ui: UiBrowser, ui_node: UiNode, browser: Browser, axe_script: str
) -> None:
    alice, carol = ui_node.users[ALICE], ui_node.users[CAROL]
    other_context = browser.new_context(base_url=ui_node.base_url)
    try:
        other = UiBrowser.open(other_context, ui_node.base_url, axe_script)
        ui.sign_in(alice)
        other.sign_in(carol)
        ui.goto("/")
        mine, theirs = ui.page.content(), other.page.content()
        assert text_of(ui.page.locator(".who .username")) == ALICE
        assert text_of(other.page.locator(".who .username")) == CAROL
        # Neither page holds the other's name or org anywhere (text, attributes, markup).
        ui.assert_hidden(CAROL, "Power Utility", "Grid")
        other.assert_hidden(alice.username, "CERT-X", "Lead")
        assert ALICE in mine
        assert "CERT-X" in mine
        assert CAROL in theirs
        other.assert_clean()
    finally:
        other_context.close()
