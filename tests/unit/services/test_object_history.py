"""An object's history through the policy: only the versions a reader may see, as shown to it,
and diffs between those only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.factories import AMBER, GREEN, RED, ident, new_version, stix

from entente.clock import FixedClock
from entente.errors import InvalidInput, ObjectNotFound
from entente.services.object_history import ObjectVersions
from entente.sharing import NodeContext, Principal, Role
from entente.stix import Change, ChangeKind
from entente.stix.markings import Tlp
from entente.store import Provenance, SourceKind
from entente.store.sql import SqlStore, open_store

NODE_ORG = "identity--00000000-0000-4000-8000-00000000000a"
PARTNER_ORG = "identity--00000000-0000-4000-8000-00000000000b"
FEED = Provenance(SourceKind.FEED, "feed A", "alice")
OPERATOR = Principal(id="alice", org=NODE_ORG, role=Role.ADMIN, is_individual=True)
# In the community, no agreement: it reads TLP:CLEAR and GREEN only.
GUEST = Principal(id="bob", org=PARTNER_ORG, role=Role.ANALYST, is_individual=True)
CONTEXT = NodeContext(
    node_org=NODE_ORG,
    community_orgs=frozenset({NODE_ORG, PARTNER_ORG}),
    default_marking=Tlp.AMBER_STRICT,
    now_us=1,
)
MAL = ident(1, "malware")
V1, V2, V3 = (f"2024-0{m}-01T00:00:00.000000000Z" for m in (1, 2, 3))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    yield opened
    opened.close()


def put(store: SqlStore, obj: dict[str, Any], version: str) -> None:
    with store.transaction() as tx:
        tx.insert([(new_version(obj, version), FEED)])


def malware(name: str, marking: str, **more: Any) -> dict[str, Any]:
    return stix("malware", 1, marking, name=name, is_family=True, **more)


def history_over(store: SqlStore) -> ObjectVersions:
    return ObjectVersions(store=store, context=lambda: CONTEXT)


def test_a_reader_gets_only_the_versions_it_may_see(store: SqlStore) -> None:
    put(store, malware("one", GREEN), V1)
    put(store, malware("two", AMBER), V2)
    put(store, malware("three", GREEN), V3)
    versions = history_over(store)
    assert [r.version.version for r in versions.history(OPERATOR, MAL).versions] == [V1, V2, V3]
    guest = versions.history(GUEST, MAL)
    assert [r.version.version for r in guest.versions] == [V1, V3]
    assert guest.latest.version.to_json()["name"] == "three"


def test_a_diff_between_versions_the_reader_may_see(store: SqlStore) -> None:
    put(store, malware("one", GREEN), V1)
    put(store, malware("two", GREEN, description="added"), V2)
    found = history_over(store).history(GUEST, MAL)
    assert found.diff(V1, V2) == (
        Change("name", ChangeKind.CHANGED, "one", "two"),
        Change("description", ChangeKind.ADDED, None, "added"),
    )
    assert found.diff(V2, V2) == ()


def test_a_hidden_version_and_an_absent_one_give_no_diff_alike(store: SqlStore) -> None:
    put(store, malware("one", GREEN), V1)
    put(store, malware("secret", AMBER), V2)
    found = history_over(store).history(GUEST, MAL)
    assert found.diff(V1, V2) is None
    assert found.diff(V1, V3) is None


def test_a_hidden_object_answers_as_an_absent_one(store: SqlStore) -> None:
    put(store, malware("secret", RED), V1)
    versions = history_over(store)
    with pytest.raises(ObjectNotFound) as hidden:
        versions.history(GUEST, MAL)
    with pytest.raises(ObjectNotFound) as absent:
        versions.history(GUEST, ident(9, "malware"))
    assert str(hidden.value).replace(MAL, "X") == str(absent.value).replace(
        ident(9, "malware"), "X"
    )
    with pytest.raises(InvalidInput):
        versions.history(GUEST, "not-an-id")


def test_a_granular_marking_the_reader_may_not_see_is_left_out_of_the_copy(
    store: SqlStore,
) -> None:
    obj = malware(
        "shown",
        GREEN,
        description="hidden words",
        granular_markings=[{"marking_ref": AMBER, "selectors": ["description"]}],
    )
    put(store, obj, V1)
    guest = history_over(store).history(GUEST, MAL).latest.version.to_json()
    assert guest["name"] == "shown"
    assert "description" not in guest
    own = history_over(store).history(OPERATOR, MAL).latest.version.to_json()
    assert own["description"] == "hidden words"
