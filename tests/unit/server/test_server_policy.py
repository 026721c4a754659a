"""Every read path of the server returns exactly what the sharing policy allows.

The expectations come from the policy oracle (tests/unit/sharing/oracle.py), the table-driven
twin of ``entente.sharing.decide``.
"""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.server.conftest import ALL, PRINCIPALS, ROOT, Harness, indicator
from tests.unit.server.test_server_status_results import (
    ADDED,
    CORRECTED,
    DUPLICATE,
    HIDDEN,
    NEW_VERSION,
)
from tests.unit.sharing.oracle import oracle_allows

from entente.services import node_org_id, principal_of
from entente.sharing import NodeContext, Principal, VersionFacts
from entente.stix import Tlp
from entente.stix.timestamps import parse_timestamp

ORGS = ("Entente node", "Org B", "Org C")
CTX = NodeContext(
    node_org=node_org_id("Entente node"),
    community_orgs=frozenset(node_org_id(org) for org in ORGS),
)
WRITERS = ("admin", "analyst", "analyst_b")
_counter = itertools.count(1000)

specs = st.lists(
    st.tuples(st.sampled_from([None, *Tlp]), st.sampled_from([None, *ORGS])),
    min_size=1,
    max_size=6,
)


# PostgreSQL examples cost a schema round trip each; a modest count keeps the run short.
MAX_EXAMPLES = {"sqlite": 25, "postgresql": 15}
# An example of the versions and status test posts up to five envelopes: fewer of them.
MAX_HISTORY_EXAMPLES = {"sqlite": 12, "postgresql": 8}


def facts_of(obj: dict[str, Any]) -> VersionFacts:
    """What the policy knows of a posted object once it is stored."""
    return VersionFacts(
        id=obj["id"],
        type=obj["type"],
        created_by_ref=obj.get("created_by_ref"),
        marking_refs=tuple(obj.get("object_marking_refs", ())),
    )


def allowed(obj: dict[str, Any], principal: Principal) -> bool:
    """Whether the oracle lets ``principal`` read the stored version ``obj``."""
    return oracle_allows(facts_of(obj), principal, CTX)


def principals_of(harness: Harness) -> dict[str, Principal]:
    """The principal each name of ``PRINCIPALS`` stands for on ``harness``."""
    tokens = {t.token_id: t for t in harness.node.tokens.list()}
    found = {}
    for name in PRINCIPALS:
        secret = harness.headers[name]["Authorization"].split("_")[2]
        found[name] = principal_of(tokens[f"tok_{secret}"])
    return found


def test_objects_object_manifest_and_rest_search_return_what_the_policy_allows(
    backend: str, backend_harness: Harness
) -> None:
    """Objects, object, manifest and REST search list exactly what the oracle allows."""
    harness = backend_harness
    principals = principals_of(harness)

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
        for name, principal in principals.items():
            expected = {o["id"] for o in objects if allowed(o, principal)}
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


tlps = st.sampled_from([None, *Tlp])
# Objects, each with its creator and the marking of each of its versions, oldest first.
histories = st.lists(
    st.tuples(st.sampled_from([None, *ORGS]), st.lists(tlps, min_size=1, max_size=3)),
    min_size=1,
    max_size=4,
)
# Afterwards two writers re-post, for each object and in a drawn order: a stored version, a
# new version, a clash with a stored version (same modified, other content), a version by
# another creator and one with another created. A version by another creator fails (STIX 2.1
# §3.6); the clash and the other created are the creator's corrections when the poster may
# speak for the creator (entente.stix.versioning), and fail otherwise.
ACTIONS = ("same", "next", "clash", "foreign", "recreated")
FAILING = frozenset({"clash", "foreign", "recreated"})
replays = st.lists(
    st.tuples(st.permutations(ACTIONS), st.integers(0, 2), tlps), min_size=4, max_size=4
)
# The writer of each of the three rounds of versions, then of the two re-posts.
posters = st.lists(st.sampled_from(WRITERS), min_size=5, max_size=5)


def version_of(n: int, org: str | None, tlp: Tlp | None, day: int) -> dict[str, Any]:
    """Indicator ``n`` of creator ``org``, marked ``tlp`` and modified on January ``day``."""
    obj = indicator(n, tlp=tlp, creator=None if org is None else node_org_id(org))
    obj["modified"] = f"2024-01-{day:02d}T00:00:00.000Z"
    return obj


def instant(timestamp: str) -> str:
    """The canonical instant of a STIX timestamp, whatever its precision."""
    return parse_timestamp(timestamp, "version").key


NODE = node_org_id("Entente node")
ROLES = {name: (node_org_id(org), role) for name, (org, role) in PRINCIPALS.items()}


def stored_ok(
    obj: dict[str, Any], poster: str, held: list[dict[str, Any]], owner: str | None
) -> bool:
    """Whether ``obj`` posted by ``poster`` is stored, beside the versions ``held`` of its id.

    A naive model of the ownership rules (provenance bound to the poster) and of STIX 2.1
    §3.6: ``owner`` is the org the object belongs to when it names no creator.
    """
    org, role = ROLES[poster]
    node_admin = role == "admin" and org == NODE
    creator = obj.get("created_by_ref")
    if creator not in (None, org) and not (node_admin and creator != NODE):
        return False
    if not held:
        return True
    same = [v for v in held if instant(v["modified"]) == instant(obj["modified"])]
    if same and same[0] == obj:
        return True  # an exact duplicate succeeds, whoever sends it
    if creator != held[0].get("created_by_ref"):
        return False
    # Whoever may add versions speaks for the creator: a clash or another created is its
    # correction.
    return (creator or owner) == org or node_admin


def correction_kind(obj: dict[str, Any], held: list[dict[str, Any]]) -> str | None:
    """Which §3.6 rule storing ``obj`` beside ``held`` breaks, if any (a naive model)."""
    if not held:
        return None
    same = [v for v in held if instant(v["modified"]) == instant(obj["modified"])]
    if same:
        return None if same[0] == obj else "content"
    key = instant(obj["modified"])
    before = sorted(
        (v for v in held if instant(v["modified"]) < key), key=lambda v: instant(v["modified"])
    )
    reference = before[-1] if before else min(held, key=lambda v: instant(v["modified"]))
    return "created" if instant(obj["created"]) != instant(reference["created"]) else None


def expected_message(
    obj: dict[str, Any],
    principal: Principal,
    stored: list[dict[str, Any]],
    earlier: list[dict[str, Any]],
    kind: str | None = None,
) -> str:
    """The §4.3.1 message of a stored ``obj``, from what ``principal`` may read only.

    That is the versions of its id stored before that ``principal`` may read, and the ones
    ``earlier`` in the same envelope (the poster's own); hidden ones count as absent.
    """
    if not allowed(obj, principal):
        return HIDDEN
    readable = [v for v in stored if allowed(v, principal)] + earlier
    same_id = [v for v in readable if v["id"] == obj["id"]]
    key_seen = any(instant(v["modified"]) == instant(obj["modified"]) for v in same_id)
    if kind is not None and (key_seen or (same_id and kind != "content")):
        return f"{CORRECTED} ({kind})"
    if any(v["modified"] == obj["modified"] for v in same_id):
        return DUPLICATE
    return NEW_VERSION if same_id else ADDED


def test_versions_and_status_show_only_what_the_policy_allows(
    backend: str, backend_harness: Harness
) -> None:
    """Versions lists what the oracle allows; a status is its poster's and quotes nothing hidden.

    Objects get versions of different markings from several writers; then two writers re-post.
    Each status is checked against the oracle (its messages depend on readable versions only,
    its failures quote no hidden version); every principal then reads each status and each
    object's versions, and what it may not read is the 404 of what does not exist.
    """
    harness = backend_harness
    principals = principals_of(harness)
    base = f"{ROOT}collections/{ALL}/objects/"

    owners: dict[str, str] = {}  # object id -> org of the poster of its first version

    def post(
        objects: list[dict[str, Any]], who: str, stored: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """POST ``objects`` as ``who``; check the status against the model ``stored``."""
        principal = principals[who]
        fails: set[int] = set()
        kinds: dict[int, str | None] = {}
        model = list(stored)
        for index, obj in enumerate(objects):
            held = [v for v in model if v["id"] == obj["id"]]
            if stored_ok(obj, who, held, owners.get(obj["id"])):
                if not held:
                    owners[obj["id"]] = ROLES[who][0]
                kinds[index] = correction_kind(obj, held)
                if obj not in held:
                    # A correction of content takes the place of what it corrects.
                    model = [
                        v
                        for v in model
                        if v["id"] != obj["id"]
                        or instant(v["modified"]) != instant(obj["modified"])
                    ]
                    model.append(obj)
            else:
                fails.add(index)
        status: dict[str, Any] = harness.post_objects(objects, who=who).json()
        successes = [o for i, o in enumerate(objects) if i not in fails]
        failures = [objects[i] for i in sorted(fails)]
        assert (status["total_count"], status["pending_count"]) == (len(objects), 0)
        assert (status["success_count"], status["failure_count"]) == (
            len(successes),
            len(failures),
        )
        # A status names only what its poster sent.
        for group, sent in (("successes", successes), ("failures", failures)):
            details = status.get(group, [])
            assert [(d["id"], d["version"]) for d in details] == [
                (o["id"], o["modified"]) for o in sent
            ]
        success_kinds = [kinds[i] for i in range(len(objects)) if i not in fails]
        for index, (obj, detail) in enumerate(
            zip(successes, status.get("successes", []), strict=True)
        ):
            expected = expected_message(
                obj, principal, stored, successes[:index], success_kinds[index]
            )
            assert detail["message"] == expected
        for obj, detail in zip(failures, status.get("failures", []), strict=True):
            sent_text = orjson.dumps(obj).decode()
            for hidden in stored:
                if hidden["id"] != obj["id"] or allowed(hidden, principal):
                    continue
                quoted = [
                    hidden["created"],
                    hidden.get("created_by_ref"),
                    *hidden.get("object_marking_refs", ()),
                ]
                for value in quoted:
                    # What it sent and its own org's id are known to the poster.
                    known = value is None or value in sent_text or value == ROLES[who][0]
                    assert known or value not in detail["message"]
        stored[:] = model
        return status

    @settings(
        max_examples=MAX_HISTORY_EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(histories=histories, replays=replays, posters=posters)
    def check(
        histories: list[tuple[str | None, list[Tlp | None]]],
        replays: list[tuple[list[str], int, Tlp | None]],
        posters: list[str],
    ) -> None:
        numbers = [next(_counter) for _ in histories]
        stored: list[dict[str, Any]] = []
        statuses: list[tuple[str, dict[str, Any]]] = []
        for day in range(3):
            envelope = [
                version_of(n, org, marks[day], day + 1)
                for n, (org, marks) in zip(numbers, histories, strict=True)
                if day < len(marks)
            ]
            if envelope:
                statuses.append((posters[day], post(envelope, posters[day], stored)))
        replay: list[dict[str, Any]] = []
        for n, (org, marks), (actions, pick, tlp) in zip(numbers, histories, replays, strict=False):
            versions = [version_of(n, org, t, day + 1) for day, t in enumerate(marks)]
            picked = versions[pick % len(versions)]
            other = next(o for o in ORGS[::-1] if o != org)
            attempts = {
                "same": picked,
                "next": version_of(n, org, tlp, 20),
                "clash": {**picked, "pattern": "[url:value = 'x']"},
                "foreign": version_of(n, other, tlp, 21),
                "recreated": {**version_of(n, org, tlp, 22), "created": "2023-12-31T00:00:00Z"},
            }
            for action in actions:
                replay.append(attempts[action])
        for poster in posters[3:]:
            statuses.append((poster, post(replay, poster, stored)))

        missing_object = indicator(next(_counter))["id"]
        missing_status = "00000000-0000-4000-8000-000000000000"
        for name, principal in principals.items():
            not_found = harness.get(f"{base}{missing_object}/versions/", who=name)
            assert not_found.status_code == 404
            for n in numbers:
                oid = indicator(n)["id"]
                expected = {
                    instant(v["modified"])
                    for v in stored
                    if v["id"] == oid and allowed(v, principal)
                }
                response = harness.get(f"{base}{oid}/versions/", who=name)
                if expected:
                    assert response.status_code == 200
                    assert {instant(v) for v in response.json()["versions"]} == expected
                else:
                    assert response.status_code == 404
                    assert response.headers == not_found.headers
                    assert response.text.replace(oid, missing_object) == not_found.text
            no_status = harness.get(f"{ROOT}status/{missing_status}/", who=name)
            assert no_status.status_code == 404
            for poster, status in statuses:
                response = harness.get(f"{ROOT}status/{status['id']}/", who=name)
                if name == poster:
                    assert response.status_code == 200
                    assert response.json() == status
                else:
                    assert response.status_code == 404
                    assert response.headers == no_status.headers
                    assert response.text.replace(status["id"], missing_status) == no_status.text

    check()
