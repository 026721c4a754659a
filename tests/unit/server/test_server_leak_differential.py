"""Leak differential: every read surface, every principal, granular markings, against the oracle.

Objects get random object markings, creators (third-party content included) and granular
markings over properties whose values carry unique canary strings. For each principal (the
node's own admin and analyst, a reader and an analyst of another org, a partner node under an
agreement) every read surface is asked: TAXII objects, one object, manifest and versions,
the REST search, detail and stats, and the export feeds. What comes back must hold exactly
the objects the policy oracle (tests/unit/sharing/oracle.py) lets that principal see, and no
canary whose content the oracle hides from it, anywhere in the body.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.server.conftest import ALL, PRINCIPALS, ROOT, Harness, indicator
from tests.unit.server.test_server_policy import principals_of
from tests.unit.sharing.oracle import oracle_view

from entente.bootstrap import federation
from entente.services import node_org_id
from entente.sharing import NodeContext, VersionFacts
from entente.stix import Tlp, granular_markings_of, marking_id_for

NODE = node_org_id("Entente node")
CREATORS = [None, NODE, node_org_id("Org B"), node_org_id("Org C")]
UNKNOWN = "marking-definition--bbbbbbbb-0000-4000-8000-000000000001"
MARKINGS = [marking_id_for(t) for t in Tlp] + [UNKNOWN]
SELECTORS = ["name", "description", "labels.[0]", "pattern"]
FEEDS = ("csv", "stix", "zeek", "edl-addresses")
AGREEMENT = {
    "id": "node-c",
    "name": "node and Org C",
    "parties": ["Entente node", "Org C"],
    "max_tlp": "amber",
    "onward_sharing": "none",
}
CANARY = re.compile(r"CANARY-\d+-[a-z]+")
_numbers = itertools.count(50_000)

granulars = st.lists(
    st.tuples(
        st.sampled_from(MARKINGS), st.lists(st.sampled_from(SELECTORS), min_size=1, max_size=2)
    ),
    max_size=2,
)
specs = st.lists(
    st.tuples(st.sampled_from([None, *Tlp]), st.sampled_from(CREATORS), granulars),
    min_size=1,
    max_size=5,
)


def build(n: int, tlp: Tlp | None, creator: str | None, granular: Any) -> dict[str, Any]:
    """Indicator ``n`` whose name, description and first label carry canaries."""
    obj = indicator(n, tlp=tlp, creator=creator)
    # Valid from a day before the harness clock, so the feeds export it.
    obj["valid_from"] = "2023-11-13T00:00:00Z"
    obj["name"] = f"CANARY-{n}-name"
    obj["description"] = f"CANARY-{n}-description"
    obj["labels"] = [f"CANARY-{n}-label", "public"]
    if granular:
        obj["granular_markings"] = [
            {"marking_ref": ref, "selectors": sorted(set(selectors))} for ref, selectors in granular
        ]
    return obj


def facts_of(obj: dict[str, Any]) -> VersionFacts:
    """What the policy knows of ``obj`` once this node's admin stored it."""
    creator = obj.get("created_by_ref")
    return VersionFacts(
        id=obj["id"],
        type=obj["type"],
        created_by_ref=creator,
        marking_refs=tuple(obj.get("object_marking_refs", ())),
        granular=granular_markings_of(obj),
        third_party=creator not in (None, NODE),
    )


def canaries_of(obj: dict[str, Any], hidden: set[str]) -> tuple[set[str], set[str]]:
    """(canaries shown, canaries hidden) of ``obj`` for a reader who may not see ``hidden``."""
    by_selector = {
        "name": obj["name"],
        "description": obj["description"],
        "labels.[0]": obj["labels"][0],
    }
    shown = {c for s, c in by_selector.items() if s not in hidden}
    return shown, set(by_selector.values()) - shown


def canaries_in(text: str, forbidden: set[str], where: str) -> set[str]:
    """The canaries in ``text``; none of them may be ``forbidden``."""
    found = set(CANARY.findall(text))
    assert not found & forbidden, (where, found & forbidden)
    return found


def test_every_read_surface_shows_what_the_oracle_allows_and_no_hidden_content(
    harness: Harness,
) -> None:
    federation(harness.node).add_agreement(AGREEMENT)
    principals = principals_of(harness)
    posted: list[dict[str, Any]] = []

    def ctx() -> NodeContext:
        return NodeContext(
            node_org=NODE,
            community_orgs=frozenset(node_org_id(org) for org, _ in PRINCIPALS.values()),
            agreements=tuple(federation(harness.node).agreements()),
            now_us=harness.node.clock.now_us(),
        )

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(specs=specs)
    def check(specs: list[tuple[Tlp | None, str | None, Any]]) -> None:
        objects = [build(next(_numbers), *spec) for spec in specs]
        status = harness.post_objects(objects).json()
        assert status["success_count"] == len(objects), status
        posted.extend(objects)
        context = ctx()
        base = f"{ROOT}collections/{ALL}/"
        for name, principal in principals.items():
            shown_ids: set[str] = set()
            allowed: set[str] = set()
            forbidden: set[str] = set()
            for obj in posted:
                hidden = oracle_view(facts_of(obj), principal, context)
                if hidden is None or "pattern" in hidden:
                    # Not visible, or withheld: an indicator without its pattern is invalid.
                    forbidden |= canaries_of(obj, set(SELECTORS))[1]
                    continue
                shown_ids.add(obj["id"])
                seen, unseen = canaries_of(obj, hidden)
                allowed |= seen
                forbidden |= unseen

            def check_body(
                text: str, surface: str, name: str = name, forbidden: set[str] = forbidden
            ) -> set[str]:
                return canaries_in(text, forbidden, f"{name}: {surface}")

            ours = {o["id"] for o in posted}
            listed = harness.get(
                f"{base}objects/", who=name, limit="1000", **{"match[type]": "indicator"}
            )
            found = check_body(listed.text, "objects")
            assert {o["id"] for o in listed.json().get("objects", [])} & ours == shown_ids
            assert found == allowed, (name, "objects")
            manifest = harness.get(f"{base}manifest/", who=name, limit="1000").json()
            assert {m["id"] for m in manifest.get("objects", [])} & ours == shown_ids
            for obj in objects:
                one = harness.get(f"{base}objects/{obj['id']}/", who=name)
                check_body(one.text, "object")
                assert (one.status_code == 200) is (obj["id"] in shown_ids), (name, obj)
                versions = harness.get(f"{base}objects/{obj['id']}/versions/", who=name)
                assert (versions.status_code == 200) is (obj["id"] in shown_ids)
                detail = harness.client.get(
                    f"/api/v1/objects/{obj['id']}", headers=harness.headers[name]
                )
                check_body(detail.text, "rest detail")
                assert (detail.status_code == 200) is (obj["id"] in shown_ids)
            rest = harness.client.get(
                "/api/v1/objects",
                params={"type": "indicator", "limit": "1000"},
                headers=harness.headers[name],
            )
            check_body(rest.text, "rest search")
            assert {o["id"] for o in rest.json()["objects"]} & ours == shown_ids
            # Search and correlation (issue 12): what they list, and what their words match.
            searched = harness.client.get(
                "/api/v1/search",
                params={"type": "indicator", "limit": "1000"},
                headers=harness.headers[name],
            )
            check_body(searched.text, "search")
            assert {o["object"]["id"] for o in searched.json()["objects"]} & ours == shown_ids
            for obj in objects:
                canary = obj["name"]
                by_words = harness.client.get(
                    "/api/v1/search",
                    params={"text": canary.replace("-", " "), "limit": "1000"},
                    headers=harness.headers[name],
                )
                check_body(by_words.text, "search by words")
                hits = {o["object"]["id"] for o in by_words.json()["objects"]}
                # A name hidden from the reader (the object, or a granular marking on the
                # name) is never matched: a hit would tell what the hidden text holds.
                assert (obj["id"] in hits) is (canary in allowed), (name, obj["id"])
                related = harness.client.get(
                    f"/api/v1/objects/{obj['id']}/correlations", headers=harness.headers[name]
                )
                check_body(related.text, "correlations")
                assert (related.status_code == 200) is (obj["id"] in shown_ids), (name, obj)
            stats = harness.client.get("/api/v1/stats", headers=harness.headers[name]).json()
            assert stats["by_type"].get("indicator", 0) == len(shown_ids)
            for fmt in FEEDS:
                feed = harness.client.get(f"/feeds/{fmt}", headers=harness.headers[name])
                assert feed.status_code == 200, (name, fmt, feed.text)
                check_body(feed.text, f"feed {fmt}")

    check()
