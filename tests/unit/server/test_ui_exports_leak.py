"""Leak differential of the exports page and its downloads, against the policy oracle.

Indicators under every TLP (and an unknown marking), from every creator, with granular
markings cycled over their name, description, first label and pattern, each carrying canary
strings, are stored on a real node. For signed-in users of the node's org, of a community org
(Org B) and of an org with an agreement (Org C), each downloaded feed must hold exactly the
indicators the oracle (tests/unit/sharing/oracle.py) lets that user see whole enough to deploy
(its pattern visible; TLP:RED and unknown markings never reach a renderer, export model),
and no canary the oracle hides, in any format; the page itself names no indicator.
"""

from __future__ import annotations

import csv
import io
import itertools

from tests.unit.server.conftest import PRINCIPALS, Harness
from tests.unit.server.test_server_leak_differential import (
    AGREEMENT,
    CANARY,
    CREATORS,
    NODE,
    build,
    canaries_of,
    facts_of,
)
from tests.unit.server.test_ui_pages_leak_differential import GRANULARS, SELECTORS, USERS
from tests.unit.server.ui_users import sign_in
from tests.unit.sharing.oracle import level_of, oracle_view

from entente.bootstrap import federation
from entente.export import RENDERERS
from entente.services import node_org_id
from entente.sharing import NodeContext
from entente.stix import Tlp


def test_every_download_holds_exactly_what_the_oracle_lets_the_user_deploy(
    harness: Harness,
) -> None:
    federation(harness.node).add_agreement(AGREEMENT)
    posted = []
    specs = list(itertools.product([None, *Tlp], CREATORS))
    for i, (tlp, creator) in enumerate(specs + specs):
        obj = build(80_000 + i, tlp, creator, GRANULARS[i % len(GRANULARS)])
        # A name no warninglist holds, so that the value is exported when it may be.
        obj["pattern"] = f"[domain-name:value = 'c2-{i}.canary-feed.net']"
        posted.append(obj)
    status = harness.post_objects(posted).json()
    assert status["success_count"] == len(posted), status
    context = NodeContext(
        node_org=NODE,
        community_orgs=frozenset(node_org_id(org) for org, _ in PRINCIPALS.values()),
        agreements=tuple(federation(harness.node).agreements()),
        now_us=harness.node.clock.now_us(),
    )
    sizes: set[int] = set()
    for name, (org, role) in USERS.items():
        browser = sign_in(harness, name, org=org, role=role)
        deployable: set[str] = set()
        forbidden: set[str] = set()
        for obj in posted:
            hidden = oracle_view(facts_of(obj), browser.principal, context)
            if hidden is None or "pattern" in hidden:
                forbidden |= canaries_of(obj, set(SELECTORS))[1]
                forbidden.add(obj["id"])
                continue
            forbidden |= canaries_of(obj, hidden)[1]
            if level_of(facts_of(obj), context) in (None, "red"):
                forbidden.add(obj["id"])
            else:
                deployable.add(obj["id"])
        page = browser.client.get("/exports")
        assert page.status_code == 200
        assert not set(CANARY.findall(page.text)), name
        assert not any(obj["id"] in page.text for obj in posted), name
        for fmt in RENDERERS:
            body = browser.client.get(f"/exports/{fmt}").text
            leaked = {mark for mark in forbidden if mark in body}
            assert not leaked, (name, fmt, sorted(leaked))
        rows = csv.DictReader(io.StringIO(browser.client.get("/exports/csv").text))
        exported = {row["indicator_id"] for row in rows}
        assert exported == deployable, (name, sorted(exported ^ deployable))
        sizes.add(len(deployable))
    # The users' exports differ (else the differential tells nothing).
    assert len(sizes) > 1
