"""The §4.3.1 status-details of an add-objects request: added, new version, duplicate, hidden."""

from __future__ import annotations

from typing import Any

from tests.unit.server.conftest import INDICATORS, ROOT, Harness, indicator

from entente.services import node_org_id
from entente.stix import Tlp, marking_id_for

ADDED = "added"
NEW_VERSION = "new version"
DUPLICATE = "duplicate: this version was already stored"
CORRECTED = "corrected by its creator; what it replaces stays in history"
# A version the poster may not read: stored, whether it was new or not (the status says no more).
HIDDEN = "stored; the sharing policy does not let you read this version"

ORG_B = node_org_id("Org B")
ORG_C = node_org_id("Org C")


def later(obj: dict[str, Any], day: int, **changes: Any) -> dict[str, Any]:
    """A copy of ``obj`` modified on January ``day``, with ``changes`` applied."""
    return {**obj, "modified": f"2024-01-{day:02d}T00:00:00.000Z", **changes}


def messages(status: dict[str, Any], group: str = "successes") -> list[str]:
    """The ``message`` of each status-details of ``group``, in order."""
    return [detail["message"] for detail in status.get(group, [])]


def test_a_repost_of_the_same_envelope_lists_every_object_as_a_duplicate(
    harness: Harness,
) -> None:
    objects = [indicator(n, tlp=Tlp.GREEN) for n in range(1, 4)]
    first = harness.post_objects(objects).json()
    assert messages(first) == [ADDED] * 3
    second = harness.post_objects(objects).json()
    assert second["status"] == "complete"
    assert (second["total_count"], second["success_count"]) == (3, 3)
    assert (second["failure_count"], second["pending_count"]) == (0, 0)
    assert "failures" not in second
    assert [(d["id"], d["version"]) for d in second["successes"]] == [
        (o["id"], o["modified"]) for o in objects
    ]
    assert messages(second) == [DUPLICATE] * 3
    assert harness.get(f"{ROOT}status/{second['id']}/").json() == second


def test_a_later_version_is_a_new_version_and_an_envelope_repeat_a_duplicate(
    harness: Harness,
) -> None:
    v1 = indicator(1, tlp=Tlp.GREEN)
    harness.post_objects([v1])
    status = harness.post_objects([later(v1, 2)]).json()
    assert messages(status) == [NEW_VERSION]
    fresh = indicator(2, tlp=Tlp.GREEN)
    status = harness.post_objects([fresh, later(fresh, 3), fresh]).json()
    assert status["success_count"] == 3
    assert messages(status) == [ADDED, NEW_VERSION, DUPLICATE]


def test_a_mixed_envelope_reports_each_object_on_its_own(harness: Harness) -> None:
    stored = indicator(1, tlp=Tlp.CLEAR)
    harness.post_objects([stored])
    broken = indicator(2)
    del broken["pattern"]
    status = harness.post_objects(
        [stored, indicator(3, tlp=Tlp.CLEAR), later(stored, 5), broken]
    ).json()
    assert (status["success_count"], status["failure_count"]) == (3, 1)
    assert messages(status) == [DUPLICATE, ADDED, NEW_VERSION]
    assert [d["id"] for d in status["failures"]] == [broken["id"]]
    assert "pattern" in status["failures"][0]["message"]


def test_a_duplicate_of_a_version_the_poster_may_not_read_is_not_called_a_duplicate(
    harness: Harness,
) -> None:
    # TLP:RED of Org B, stored by this node's admin (third-party content): a token of Org B
    # is not a named individual, so it may not read it.
    secret = indicator(1, tlp=Tlp.RED, creator=ORG_B)
    harness.post_objects([secret])
    again = harness.post_objects([secret], who="analyst_b").json()
    never_stored = indicator(2, tlp=Tlp.RED, creator=ORG_B)
    fresh = harness.post_objects([never_stored], who="analyst_b").json()
    # Both read the same: the status does not tell Org B that the first was already there.
    assert messages(again) == messages(fresh) == [HIDDEN]
    assert again["success_count"] == fresh["success_count"] == 1


def test_a_new_version_over_versions_the_poster_may_not_read_reads_as_added(
    harness: Harness,
) -> None:
    # Org B's object, its first version TLP:RED (hidden from Org B's tokens).
    hidden = indicator(1, tlp=Tlp.RED, creator=ORG_B)
    harness.post_objects([hidden])
    green = later(hidden, 3, object_marking_refs=[marking_id_for(Tlp.GREEN)])
    # The first version Org B may read is "added", as if the hidden one were not there,
    # exactly as a new object would be.
    fresh = indicator(2, tlp=Tlp.GREEN, creator=ORG_B)
    assert messages(harness.post_objects([green], who="analyst_b").json()) == [ADDED]
    assert messages(harness.post_objects([fresh], who="analyst_b").json()) == [ADDED]
    # This node's admin adds versions of third-party objects and is told the truth.
    amber = later(hidden, 4, object_marking_refs=[marking_id_for(Tlp.AMBER)])
    assert messages(harness.post_objects([amber]).json()) == [NEW_VERSION]


def test_a_conflict_with_a_version_the_poster_may_not_read_does_not_quote_it(
    harness: Harness,
) -> None:
    # Org C's objects, stored by this node's admin: Org B may read the GREEN one only.
    hidden = indicator(1, tlp=Tlp.AMBER_STRICT, creator=ORG_C)
    visible = indicator(2, tlp=Tlp.GREEN, creator=ORG_C)
    harness.post_objects([hidden, visible])
    attempts = [
        # Org B as creator (another creator), another created, the same modified with
        # other content: each conflicts with what is stored, and says no more.
        later(hidden, 2, created_by_ref=ORG_B),
        later(hidden, 3, created="2023-06-01T00:00:00.000Z", created_by_ref=ORG_B),
        {**hidden, "created_by_ref": ORG_B, "pattern": "[ipv4-addr:value = '192.0.2.1']"},
        # No creator: the object still belongs to Org C.
        {k: v for k, v in later(hidden, 4).items() if k != "created_by_ref"},
    ]
    status = harness.post_objects(attempts, who="analyst_b").json()
    assert (status["success_count"], status["failure_count"]) == (0, 4)
    for detail in status["failures"]:
        assert ORG_C not in detail["message"]
        assert hidden["created"] not in detail["message"]
    # What Org B may read, it may be told about.
    quoted = harness.post_objects([later(visible, 2, created_by_ref=ORG_B)], who="analyst_b")
    assert ORG_C in messages(quoted.json(), "failures")[0]


def test_someone_elses_status_is_not_found_like_a_missing_one(harness: Harness) -> None:
    status = harness.post_objects([indicator(1, tlp=Tlp.CLEAR)]).json()
    missing = "00000000-0000-4000-8000-000000000000"
    for who in ("analyst", "reader_b", "analyst_b", "partner_c"):
        theirs = harness.get(f"{ROOT}status/{status['id']}/", who=who)
        nowhere = harness.get(f"{ROOT}status/{missing}/", who=who)
        assert theirs.status_code == nowhere.status_code == 404
        assert theirs.text.replace(status["id"], missing) == nowhere.text


def test_an_object_the_collection_does_not_hold_is_told_so(harness: Harness) -> None:
    malware = {
        "type": "malware",
        "spec_version": "2.1",
        "id": "malware--00000000-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "x",
        "is_family": False,
        "created_by_ref": ORG_C,
        "object_marking_refs": [marking_id_for(Tlp.AMBER_STRICT)],
    }
    harness.post_objects([malware])
    status = harness.post_objects([malware], who="analyst_b", collection=INDICATORS).json()
    assert messages(status, "failures") == ["this collection does not hold objects of this type"]
