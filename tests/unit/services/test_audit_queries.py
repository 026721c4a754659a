""" "Who saw this?" for the node's staff over a real SQLite node: who may ask, what an answer
withholds, paging, and the query noted as an action of its asker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import AMBER, RED, ident, new_version, stix

from entente.audit import Actor, EntryDraft
from entente.bootstrap import Node, audit_log, audit_queries, federation, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound, PermissionDenied
from entente.services import node_context, org_identity_id
from entente.services.audit_queries import QUERY_ACTION, WITHHELD_ID, AuditQueries, parse_org
from entente.services.audit_reads import ReadNotes, noting
from entente.sharing import NodeContext, Principal, Role
from entente.store import Provenance, SourceKind

NODE = "CERT-X"
NODE_ORG = org_identity_id(NODE)
ORG_B = org_identity_id("Org B")
FEED = Provenance(SourceKind.FEED, "feed A", "operator")
SEEN = ident(1, "indicator")
HIDDEN = ident(2, "indicator")
ABSENT = ident(99, "indicator")


def person(org: str, role: Role) -> Principal:
    return Principal(id=f"user:{org}:{role}", org=org, role=role, is_individual=True)


ADMIN = person(NODE_ORG, Role.ADMIN)
ANALYST = person(NODE_ORG, Role.ANALYST)
READER_B = Actor("user:b", ORG_B, "reader")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'node.db'}", org_name=NODE
    )
    with open_node(settings, FixedClock()) as opened:
        with opened.store.transaction() as tx:
            tx.insert(
                [
                    (new_version(stix("indicator", 1, AMBER)), FEED),
                    (new_version(stix("indicator", 2, RED)), FEED),
                ]
            )
        yield opened


def read(actor: Actor, *ids: str, **details: str) -> EntryDraft:
    return EntryDraft(actor, "read", "rest", ids, "TLP:RED", ("agreement-1",), details)


def service(node: Node, scan_bound: int | None = None) -> AuditQueries:
    """The node's audit queries (as the server makes them), or with another scan bound."""
    if scan_bound is None:
        return audit_queries(node)

    def context() -> NodeContext:
        return node_context(
            node_org=NODE_ORG,
            tokens=node.tokens,
            agreements=federation(node).agreements(),
            default_marking=node.settings.default_marking,
            now_us=node.clock.now_us(),
        )

    return AuditQueries(
        log=audit_log(node), store=node.store, context=context, scan_bound=scan_bound
    )


@pytest.mark.parametrize(
    "asker",
    [
        None,
        person(NODE_ORG, Role.READER),
        person(NODE_ORG, Role.PARTNER),
        person(ORG_B, Role.ANALYST),
        person(ORG_B, Role.ADMIN),
    ],
)
def test_only_the_node_orgs_admins_and_analysts_may_ask(
    node: Node, asker: Principal | None
) -> None:
    audit_log(node).record([read(READER_B, SEEN)])
    queries = service(node)
    with pytest.raises(PermissionDenied):
        queries.who_saw(asker)
    with pytest.raises(PermissionDenied):
        # Refused before the object is looked at: no 404-or-not to tell.
        queries.who_saw(asker, object_id=HIDDEN)
    for staff in (ADMIN, ANALYST):
        assert [e.object_ids for e in queries.who_saw(staff).entries] == [(SEEN,)]


def test_an_object_the_asker_may_not_see_is_as_absent_as_one_that_is_not(node: Node) -> None:
    audit_log(node).record([read(READER_B, HIDDEN)])
    queries = service(node)
    with pytest.raises(ObjectNotFound) as hidden:
        queries.who_saw(ADMIN, object_id=HIDDEN)
    with pytest.raises(ObjectNotFound) as absent:
        queries.who_saw(ADMIN, object_id=ABSENT)
    assert str(hidden.value) == str(absent.value)
    assert HIDDEN not in str(hidden.value)


def test_an_entry_lists_only_what_the_asker_may_see_and_counts_the_rest(node: Node) -> None:
    audit_log(node).record(
        [
            read(READER_B, SEEN, HIDDEN, ABSENT, path=f"/objects/{HIDDEN}"),
            read(READER_B, HIDDEN),
            read(READER_B, SEEN, path=f"/objects/{SEEN}"),
        ]
    )
    page = service(node).who_saw(ANALYST)
    whole, partial = page.entries
    assert (whole.seq, whole.object_ids, whole.withheld) == (3, (SEEN,), 0)
    assert (whole.tlp, whole.agreements, whole.details["path"]) == (
        "TLP:RED",
        ("agreement-1",),
        f"/objects/{SEEN}",
    )
    assert whole.hash is not None
    assert (partial.seq, partial.object_ids, partial.withheld) == (1, (SEEN,), 2)
    # What would say something of the hidden objects is left out.
    assert (partial.tlp, partial.agreements, partial.hash) == (None, (), None)
    assert partial.details["path"] == f"/objects/{WITHHELD_ID}"
    assert page.next_before is None


def test_admin_actions_are_shown_to_admins_only(node: Node) -> None:
    admin = Actor(ADMIN.id, NODE_ORG, "admin")
    audit_log(node).record([EntryDraft(admin, "admin.users.add", "ui", details={"username": "z"})])
    assert [e.action for e in service(node).who_saw(ADMIN).entries] == ["admin.users.add"]
    assert service(node).who_saw(ANALYST).entries == ()


def test_filters_by_object_org_and_time(node: Node) -> None:
    log = audit_log(node)
    log.record([read(READER_B, SEEN)])
    assert isinstance(node.clock, FixedClock)
    node.clock.advance(1_000_000)
    log.record([read(Actor("user:a", NODE_ORG, "analyst"), SEEN), read(READER_B, ident(3, "x"))])
    queries = service(node)
    assert [e.seq for e in queries.who_saw(ADMIN, object_id=SEEN).entries] == [2, 1]
    assert [e.seq for e in queries.who_saw(ADMIN, org=ORG_B).entries] == [1]
    since = node.clock.now_us()
    assert [e.seq for e in queries.who_saw(ADMIN, object_id=SEEN, since_us=since).entries] == [2]


def test_pages_continue_before_the_last_entry_shown(node: Node) -> None:
    audit_log(node).record([read(READER_B, SEEN) for _ in range(5)])
    queries = service(node)
    first = queries.who_saw(ANALYST, limit=2)
    assert [e.seq for e in first.entries] == [5, 4] and first.next_before == 4
    second = queries.who_saw(ANALYST, limit=2, before_seq=first.next_before)
    assert [e.seq for e in second.entries] == [3, 2] and second.next_before == 2
    last = queries.who_saw(ANALYST, limit=2, before_seq=second.next_before)
    assert [e.seq for e in last.entries] == [1] and last.next_before is None


def test_a_page_ends_at_the_scan_bound_among_hidden_entries(node: Node) -> None:
    audit_log(node).record([read(READER_B, SEEN), *(read(READER_B, HIDDEN) for _ in range(6))])
    queries = service(node, scan_bound=4)
    page = queries.who_saw(ANALYST, limit=10)
    assert page.entries == () and page.next_before == 4
    rest = queries.who_saw(ANALYST, limit=10, before_seq=page.next_before)
    assert [e.seq for e in rest.entries] == [1] and rest.next_before is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "'limit'"),
        ({"limit": 1001}, "'limit'"),
        ({"object_id": "not an id"}, "not a STIX id"),
        ({"org": "indicator--00000000-0000-4000-8000-000000000001"}, "identity id"),
        ({"before_seq": 0}, "first entry"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    node: Node, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        service(node).who_saw(ADMIN, **kwargs)  # type: ignore[arg-type]  # each its own type


def test_an_org_is_named_by_its_identity_id_or_its_name() -> None:
    assert parse_org("Org B") == ORG_B == parse_org(f" {ORG_B} ")
    with pytest.raises(InvalidInput):
        parse_org("  ")


def test_the_query_is_noted_as_its_askers_action_and_releases_nothing(node: Node) -> None:
    audit_log(node).record([read(READER_B, SEEN)])
    notes = ReadNotes("rest", {"path": "/api/v1/audit"})
    with noting(notes):
        service(node).who_saw(ANALYST, object_id=SEEN, org=ORG_B)
    [action] = notes.drafts()
    assert (action.action, action.actor.id, action.object_ids) == (
        QUERY_ACTION,
        ANALYST.id,
        (SEEN,),
    )
    assert action.details["org"] == ORG_B


def test_the_chain_is_verified_when_asked(node: Node) -> None:
    audit_log(node).record([read(READER_B, SEEN)])
    assert service(node).who_saw(ADMIN).verdict is None
    verdict = service(node).who_saw(ADMIN, verify=True).verdict
    assert verdict is not None and verdict.ok and verdict.entries_checked == 1
