"""Every read path of the server returns exactly what the sharing policy allows."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.server.conftest import ALL, PRINCIPALS, ROOT, Harness, indicator

from entente.services import node_org_id, principal_of
from entente.sharing import NodeContext, VersionFacts, decide, is_allowed
from entente.stix import Tlp

ORGS = ("Entente node", "Org B", "Org C")
_counter = itertools.count(1000)

specs = st.lists(
    st.tuples(st.sampled_from([None, *Tlp]), st.sampled_from([None, *ORGS])),
    min_size=1,
    max_size=6,
)


# PostgreSQL examples cost a schema round trip each; a modest count keeps the run short.
MAX_EXAMPLES = {"sqlite": 25, "postgresql": 15}


def test_objects_object_manifest_and_rest_search_return_what_decide_allows(
    backend: str, backend_harness: Harness
) -> None:
    """Objects, object, manifest and REST search list exactly what ``decide`` allows."""
    harness = backend_harness

    @settings(
        max_examples=MAX_EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(specs=specs)
    def check(specs: list[tuple[Tlp | None, str | None]]) -> None:
        objects = [
            indicator(next(_counter), tlp=tlp, creator=None if org is None else node_org_id(org))
            for tlp, org in specs
        ]
        assert harness.post_objects(objects).json()["success_count"] == len(objects)
        ours = {o["id"] for o in objects}
        ctx = NodeContext(
            node_org=node_org_id("Entente node"),
            community_orgs=frozenset(node_org_id(org) for org in ORGS),
        )
        tokens = {t.token_id: t for t in harness.node.tokens.list()}
        for name in PRINCIPALS:
            secret = harness.headers[name]["Authorization"].split("_")[2]
            principal = principal_of(tokens[f"tok_{secret}"])
            expected = {
                o["id"]
                for o in objects
                if is_allowed(
                    decide(
                        VersionFacts(
                            id=o["id"],
                            type=o["type"],
                            created_by_ref=o.get("created_by_ref"),
                            marking_refs=tuple(o.get("object_marking_refs", ())),
                        ),
                        principal,
                        ctx,
                    )
                )
            }
            base = f"{ROOT}collections/{ALL}/"
            listed = harness.get(f"{base}objects/", who=name, limit="1000").json()
            assert {o["id"] for o in listed.get("objects", [])} & ours == expected
            manifest = harness.get(f"{base}manifest/", who=name, limit="1000").json()
            assert {m["id"] for m in manifest.get("objects", [])} & ours == expected
            one_by_one = {
                oid
                for oid in ours
                if harness.get(f"{base}objects/{oid}/", who=name).status_code == 200
            }
            assert one_by_one == expected
            rest = harness.client.get(
                "/api/v1/objects", params={"limit": "1000"}, headers=harness.headers[name]
            ).json()
            assert {o["id"] for o in rest["objects"]} & ours == expected

    check()
