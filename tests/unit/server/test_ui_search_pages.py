"""The search page over the real app and a SQLite node: query, paging, summaries, bulk look-up."""

from __future__ import annotations

import re

from tests.unit.server.conftest import Harness, indicator
from tests.unit.server.ui_users import assert_page_rules, sign_in

from entente.server.ui.search_pages import BULK_MAX_VALUES, PAGE_SIZE
from entente.stix import Tlp

LINK = re.compile(r'href="/objects/([a-z0-9-]+--[0-9a-f-]{36})"')
ROW = re.compile(r'<tr><th scope="row"><code>([^<]+)</code></th>\s*<td>(.*?)</td>')
NEXT = re.compile(r'href="(/search\?[^"]+)" rel="next"')


def _ids(html: str) -> list[str]:
    return LINK.findall(html)


def test_search_needs_a_session(harness: Harness) -> None:
    answer = harness.client.get("/search", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/login")


def test_an_empty_search_shows_the_form_with_labels_and_no_results(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    page = alice.client.get("/search")
    assert page.status_code == 200
    assert '<label for="q">' in page.text and '<label for="values">' in page.text
    assert "Results" not in page.text
    assert 'aria-current="page"' in page.text  # the nav marks the search page


def test_a_value_finds_its_indicator_and_links_to_its_page(harness: Harness) -> None:
    harness.post_objects([indicator(1, tlp=Tlp.GREEN), indicator(2, tlp=Tlp.GREEN)])
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    page = alice.client.get("/search", params={"q": "10.0.0.2"})
    assert page.status_code == 200
    assert _ids(page.text) == [indicator(2)["id"]]
    assert "seen in 1 source, 0 partners, 0 sightings" in page.text
    assert_page_rules(page.text)
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_results_are_paged_with_a_sealed_cursor_bound_to_the_query(harness: Harness) -> None:
    objects = [indicator(n, tlp=Tlp.GREEN) for n in range(PAGE_SIZE + 5)]
    for obj in objects:
        obj["name"] = "pagedword"
    harness.post_objects(objects)
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    first = alice.client.get("/search", params={"q": "pagedword"})
    found = NEXT.search(first.text)
    assert found is not None
    second = alice.client.get(found.group(1).replace("&amp;", "&"))
    listed = _ids(first.text) + _ids(second.text)
    assert listed == [o["id"] for o in objects]
    assert NEXT.search(second.text) is None
    # The cursor continues this query only.
    token = found.group(1).replace("&amp;", "&").partition("next=")[2]
    other = alice.client.get("/search", params={"q": "otherword", "next": token})
    assert other.status_code == 400
    assert 'class="error"' in other.text


def test_a_partner_string_is_escaped_in_the_results(harness: Harness) -> None:
    obj = indicator(3, tlp=Tlp.GREEN)
    obj["name"] = "<script>alert(1)</script> xssword"
    harness.post_objects([obj])
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    page = alice.client.get("/search", params={"q": "xssword"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; xssword" in page.text


def test_bulk_look_up_says_found_not_found_and_not_a_value(harness: Harness) -> None:
    harness.post_objects([indicator(4, tlp=Tlp.GREEN)])
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    answer = alice.client.post(
        "/search/bulk",
        data={"csrf_token": alice.csrf(), "values": "10.0.0.4\n\n10.9.9.9\nnot a value\n10.0.0.4"},
    )
    assert answer.status_code == 200
    rows = re.findall(
        r"<tr><th scope=\"row\"><code>([^<]+)</code></th>\s*<td>(.*?)</td>", answer.text
    )
    assert [(v, re.sub("<[^>]+>", "", s)) for v, s in rows] == [
        ("10.0.0.4", "found"),
        ("10.9.9.9", "not found"),
        ("not a value", "not a value"),
    ]
    assert _ids(answer.text) == [indicator(4)["id"]]
    assert_page_rules(answer.text)


def test_bulk_look_up_needs_the_csrf_token(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    answer = alice.client.post("/search/bulk", data={"csrf_token": "forged", "values": "10.0.0.1"})
    assert answer.status_code == 403


def test_bulk_look_up_takes_at_most_its_cap_of_values(harness: Harness) -> None:
    alice = sign_in(harness, "alice", org="Entente node", role="analyst")
    values = "\n".join(f"10.1.{n // 256}.{n % 256}" for n in range(BULK_MAX_VALUES + 1))
    answer = alice.client.post("/search/bulk", data={"csrf_token": alice.csrf(), "values": values})
    assert answer.status_code == 400
    assert f"At most {BULK_MAX_VALUES} values" in answer.text
    ok = "\n".join(values.splitlines()[:BULK_MAX_VALUES])
    answer = alice.client.post("/search/bulk", data={"csrf_token": alice.csrf(), "values": ok})
    assert answer.status_code == 200
    assert answer.text.count("not found") == BULK_MAX_VALUES
