"""Leak differential of the search and object pages: users of several orgs and roles, objects
under every TLP, creator and granular marking, against the policy oracle.

Each object's name, description and first label carry canary strings; pairs of objects share
an address so that correlations link them. For each signed-in user, the search page (by
address and by words), the bulk look-up and every object page must show exactly the objects
and the canaries the oracle (tests/unit/sharing/oracle.py) lets that user see: nothing more
anywhere in the HTML, its attributes or its links, and an object it may not see gets the page
an absent one gets.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.unit.server.conftest import PRINCIPALS, Harness
from tests.unit.server.test_server_leak_differential import (
    AGREEMENT,
    CANARY,
    CREATORS,
    MARKINGS,
    NODE,
    build,
    canaries_of,
    facts_of,
)
from tests.unit.server.ui_users import Browser, sign_in
from tests.unit.sharing.oracle import oracle_view

from entente.bootstrap import federation
from entente.services import node_org_id
from entente.sharing import NodeContext
from entente.stix import Tlp

USERS = {
    "own_analyst": ("Entente node", "analyst"),
    "own_reader": ("Entente node", "reader"),
    "reader_b": ("Org B", "reader"),
    "analyst_b": ("Org B", "analyst"),
    "analyst_c": ("Org C", "analyst"),
}
SELECTORS = ["name", "description", "labels.[0]", "pattern"]
# Granular markings cycled over the objects: none, or one marking over one or two selectors.
GRANULARS: list[list[tuple[str, list[str]]]] = [
    [],
    *([(marking, [selector])] for marking, selector in zip(MARKINGS, itertools.cycle(SELECTORS))),
    [(MARKINGS[2], ["name", "description"])],
]
LINK = re.compile(r'href="/objects/([a-z0-9-]+--[0-9a-f-]{36})')
ABSENT = "indicator--0000dead-0000-4000-8000-000000000000"


def address(pair: int) -> str:
    return f"10.77.{pair // 256}.{pair % 256}"


def objects() -> list[dict[str, Any]]:
    """Indicators under every (TLP, creator) with granular markings cycled; two a pair."""
    made = []
    specs = list(itertools.product([None, *Tlp], CREATORS))
    for i, (tlp, creator) in enumerate(specs + specs):
        obj = build(70_000 + i, tlp, creator, GRANULARS[i % len(GRANULARS)])
        obj["pattern"] = f"[ipv4-addr:value = '{address(i // 2)}']"
        made.append(obj)
    return made


RECIPIENTS = re.compile(r'<section id="recipients".*?</section>', re.S)


def assert_object_page_sections(text: str, name: str, *, whole: bool) -> None:
    """The node's operations ("Who will receive this?") only for its own admins and analysts,
    with partners' copies only beside a version the user sees whole; no forms for readers."""
    section = RECIPIENTS.search(text)
    if name != "own_analyst":
        assert section is None and "Who will receive this?" not in text, name
    else:
        assert section is not None
        assert ("Not shown" in section.group()) is not whole, name
        if not whole:
            assert "<pre>" not in section.group(), name
    if USERS[name][1] == "reader":
        assert 'method="post" action="/objects/' not in text, name


def test_search_and_object_pages_show_what_the_oracle_allows_and_nothing_hidden(
    harness: Harness,
) -> None:
    federation(harness.node).add_agreement(AGREEMENT)
    posted = objects()
    status = harness.post_objects(posted).json()
    assert status["success_count"] == len(posted), status
    context = NodeContext(
        node_org=NODE,
        community_orgs=frozenset(node_org_id(org) for org, _ in PRINCIPALS.values()),
        agreements=tuple(federation(harness.node).agreements()),
        now_us=harness.node.clock.now_us(),
    )
    browsers: dict[str, Browser] = {
        name: sign_in(harness, name, org=org, role=role) for name, (org, role) in USERS.items()
    }
    ours = {obj["id"] for obj in posted}
    checked: list[str] = []
    for name, browser in browsers.items():
        shown: set[str] = set()
        allowed: set[str] = set()
        forbidden: set[str] = set()
        visible_canaries: dict[str, set[str]] = {}
        hidden_of: dict[str, Any] = {}
        for obj in posted:
            hidden = oracle_view(facts_of(obj), browser.principal, context)
            if hidden is None or "pattern" in hidden:
                # Not visible, or withheld: an indicator without its pattern is invalid.
                forbidden |= canaries_of(obj, set(SELECTORS))[1]
                continue
            shown.add(obj["id"])
            seen, unseen = canaries_of(obj, hidden)
            hidden_of[obj["id"]] = hidden
            visible_canaries[obj["id"]] = seen
            allowed |= seen
            forbidden |= unseen
        # Each user sees some of them and misses some (else the test tells nothing).
        assert shown and shown != ours, name

        def body(
            answer: Any,
            where: str,
            name: str = name,
            shown: set[str] = shown,
            forbidden: set[str] = forbidden,
        ) -> tuple[str, set[str]]:
            """The page's canaries (none forbidden) and the objects it links to (all shown)."""
            text: str = answer.text
            checked.append(where)
            found = set(CANARY.findall(text))
            assert not found & forbidden, (name, where, found & forbidden)
            linked = set(LINK.findall(text)) & ours
            assert linked <= shown, (name, where, linked - shown)
            return text, found

        absent = browser.client.get(f"/objects/{ABSENT}")
        assert absent.status_code == 404
        for index, obj in enumerate(posted):
            oid = obj["id"]
            page = browser.client.get(f"/objects/{oid}")
            text, found = body(page, f"object {oid}")
            if oid in shown:
                assert page.status_code == 200, (name, oid)
                assert visible_canaries[oid] <= found, (name, oid)
                assert_object_page_sections(text, name, whole=not hidden_of[oid])
            else:
                assert (page.status_code, text) == (404, absent.text), (name, oid)
            if index % 2 == 0:
                pair = {oid, posted[index + 1]["id"]}
                results = browser.client.get("/search", params={"q": address(index // 2)})
                body(results, f"search {address(index // 2)}")
                assert set(LINK.findall(results.text)) == pair & shown, (name, oid)
            by_words = browser.client.get("/search", params={"q": obj["name"].replace("-", " ")})
            body(by_words, f"search words {oid}")
            # A name hidden from the reader is never matched.
            assert (oid in LINK.findall(by_words.text)) is (obj["name"] in allowed), (name, oid)
        looked_up = browser.client.post(
            "/search/bulk",
            data={
                "csrf_token": browser.csrf(),
                "values": "\n".join(address(i) for i in range(len(posted) // 2)),
            },
        )
        assert looked_up.status_code == 200
        body(looked_up, "bulk")
        assert set(LINK.findall(looked_up.text)) == shown, name
    # For the record (pytest -s): how many pages were compared with the oracle, none leaking.
    print(f"UI leak differential: {len(posted)} objects, {len(browsers)} users, "
          f"{len(checked)} pages compared with the oracle, 0 leaks")  # fmt: skip
