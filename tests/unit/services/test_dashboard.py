"""The dashboard service: its figures equal a naive recount through the policy oracle.

The twin (conventions §10) reads every latest version, asks the policy oracle
(``tests/unit/sharing/oracle.py``) whether the reader may see it whole, and counts; the
service sums counter cells it asked ``decide`` about. They must agree for random stores
(versions out of order, deletes, months apart) and every kind of reader.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.sharing.oracle import Sent, level_of, oracle_outbound, oracle_view

from entente.clock import FixedClock
from entente.services.dashboard import (
    ACTIVITY_TYPES,
    Dashboard,
    DashboardService,
    MonthlyFigure,
    PartnerHealth,
    RecentRejection,
    SeriesCounts,
    TlpShare,
    TopHit,
    is_counted,
    months_ending,
)
from entente.services.visibility import version_facts
from entente.sharing import (
    Agreement,
    NodeContext,
    OnwardSharing,
    Principal,
    Role,
    SightingsSharing,
    ThirdPartySharing,
)
from entente.stix import Tlp, marking_id_for
from entente.store import (
    CountCell,
    NewVersion,
    ObjectQuery,
    PartnerRecord,
    Provenance,
    SourceKind,
    SyncReport,
)
from entente.store.sql import SqlStore, open_store
from entente.store.sql_dashboard import SqlDashboardCounts
from entente.store.sql_federation import SqlPartnerStore, SqlSyncReportStore

NODE = "identity--00000000-0000-4000-8000-0000000000a0"
ORG_B = "identity--00000000-0000-4000-8000-0000000000b0"
ORG_C = "identity--00000000-0000-4000-8000-0000000000c0"
STATEMENT = "marking-definition--00000000-0000-4000-8000-00000000000e"
UNKNOWN = "marking-definition--00000000-0000-4000-8000-00000000000f"
DAY_US = 86_400_000_000

AGREEMENT = Agreement(
    id="agreement--node-b",
    name="node and B",
    parties=frozenset({NODE, ORG_B}),
    max_tlp=Tlp.AMBER,
    object_types=None,
    onward=OnwardSharing.NONE,
    onward_orgs=frozenset(),
    redact={},
    sightings=SightingsSharing.NAMED,
    valid_from_us=None,
    valid_until_us=None,
    third_party=ThirdPartySharing.SHARE,
)

READERS: list[Principal | None] = [
    None,
    Principal("tok_node", NODE, Role.ANALYST, is_individual=False),
    Principal("alice", NODE, Role.READER, is_individual=True),
    Principal("tok_b", ORG_B, Role.READER, is_individual=False),
    Principal("tok_c", ORG_C, Role.ANALYST, is_individual=False),
    Principal("node_b", ORG_B, Role.PARTNER, is_individual=False),
]

PROVENANCES = [
    Provenance(SourceKind.FILE, "bundle.json", "local:cli"),
    Provenance(SourceKind.USER, "taxii", "tok_b", None, ORG_B),
    Provenance(SourceKind.PARTNER, "cert-b", ORG_B, AGREEMENT.id, ORG_B),
    Provenance(SourceKind.PARTNER, "cert-b2", ORG_B, AGREEMENT.id, ORG_B),
    Provenance(SourceKind.MATCHING, "hunt", "local:hunt"),
]
MARKINGS: list[tuple[str, ...]] = [
    (),
    *[(marking_id_for(level),) for level in Tlp],
    (marking_id_for(Tlp.GREEN), marking_id_for(Tlp.AMBER)),
    (STATEMENT,),
    (UNKNOWN,),
]
# Objects 0-3 are indicators, 4-7 sightings (of indicators 0-3 or of one never held),
# 8-9 incidents and 10-11 reports.
TYPES = ("indicator",) * 4 + ("sighting",) * 4 + ("incident",) * 2 + ("report",) * 2


def context(now_us: int) -> NodeContext:
    return NodeContext(
        node_org=NODE,
        community_orgs=frozenset({NODE, ORG_B}),
        known_statement_markings=frozenset({STATEMENT}),
        agreements=(AGREEMENT,),
        now_us=now_us,
    )


def ident(kind: str, n: int) -> str:
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


def key(n: int) -> str:
    return f"2024-01-01T00:00:{n:02d}.000000000Z"


def stix(
    kind: str,
    n: int,
    version: int,
    *,
    markings: tuple[str, ...] = (),
    creator: str | None = None,
    secret: bool = False,
    target: int = 0,
    count: int | None = 1,
    of: str | None = None,
) -> NewVersion:
    """A version of object ``n`` of ``kind`` (a sighting of indicator ``target``, or of the
    object ``of``)."""
    oid = ident(kind, n)
    obj: dict[str, Any] = {
        "type": kind,
        "spec_version": "2.1",
        "id": oid,
        "created": key(0),
        "modified": key(version),
        "name": f"{kind} {n}",
        "description": "d",
    }
    # Valid STIX 2.1 (§4): what a reader is shown without its description must still be.
    if kind == "indicator":
        obj["pattern"] = "[ipv4-addr:value = '192.0.2.1']"
        obj["pattern_type"] = "stix"
        obj["valid_from"] = key(0)
    elif kind == "report":
        obj["published"] = key(0)
        obj["object_refs"] = [ident("indicator", 0)]
    elif kind == "sighting":
        del obj["name"]
        obj["sighting_of_ref"] = of or ident("indicator", target)
        if count is not None:
            obj["count"] = count
    if markings:
        obj["object_marking_refs"] = list(markings)
    if creator is not None:
        obj["created_by_ref"] = creator
    granular: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if secret:
        granular = ((marking_id_for(Tlp.RED), ("description",)),)
        obj["granular_markings"] = [
            {"marking_ref": marking_id_for(Tlp.RED), "selectors": ["description"]}
        ]
    return NewVersion(
        id=oid,
        type=kind,
        spec_version="2.1",
        version=key(version),
        created=key(0),
        modified=key(version),
        created_by_ref=creator,
        revoked=False,
        marking_refs=markings,
        raw_json=orjson.dumps(obj),
        granular_markings=granular,
    )


class Node:
    """A store with its counters, partners, reports and the dashboard over them."""

    def __init__(self, path: Path, clock: FixedClock, top_batch: int = 200) -> None:
        self.clock = clock
        self.store: SqlStore = open_store(f"sqlite:///{path}", clock)
        self.partners = SqlPartnerStore(self.store.engine)
        self.reports = SqlSyncReportStore(self.store.engine)
        self.service = DashboardService(
            store=self.store,
            counts=SqlDashboardCounts(self.store.engine),
            partners=self.partners,
            reports=self.reports,
            context=lambda: context(clock.now_us()),
            clock=clock,
            top_batch=top_batch,
        )

    def put(self, version: NewVersion, prov: Provenance = PROVENANCES[0]) -> None:
        with self.store.transaction() as tx:
            tx.insert([(version, prov)])


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    opened = Node(tmp_path / "node.db", FixedClock())
    try:
        yield opened
    finally:
        opened.store.close()


# --- The naive twin. ---


def _seen_whole(facts: Any, who: Principal | None, ctx: NodeContext) -> bool:
    if oracle_view(facts, who, ctx) != set():
        return False
    if who is not None and who.role is Role.PARTNER:
        sent = oracle_outbound(facts, who, ctx)
        return isinstance(sent, Sent) and not sent.redact and not sent.anonymise
    return True


def _month(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m")


def reference(
    node: Node, who: Principal | None, months: int, top: int
) -> tuple[MonthlyFigure, MonthlyFigure, tuple[TlpShare, ...], tuple[TopHit, ...]]:
    """The figures recounted from every latest version through the policy oracle."""
    ctx = context(node.clock.now_us())
    window = months_ending(node.clock.now_us(), months)
    latest = list(node.store.iter_all(ObjectQuery(versions=("last",), limit=1000)))
    by_type: dict[tuple[str, str], int] = {}
    by_source: dict[tuple[str, str], int] = {}
    by_level: dict[str, int] = {}
    hits: dict[str, list[int]] = {}
    for version in latest:
        facts = version_facts(version, NODE)
        if not _seen_whole(facts, who, ctx):
            continue
        obj = orjson.loads(version.raw_json)
        if version.type == "sighting" and obj["sighting_of_ref"].startswith("indicator--"):
            tally = hits.setdefault(obj["sighting_of_ref"], [0, 0])
            tally[0] += 1
            tally[1] += obj.get("count", 1)
        month = _month(version.date_added_us)
        if month not in window:
            continue
        by_type[(version.type, month)] = by_type.get((version.type, month), 0) + 1
        if version.provenance.source_kind is SourceKind.PARTNER:
            name = version.provenance.source_name
            by_source[(name, month)] = by_source.get((name, month), 0) + 1
        label = f"TLP:{level_of(facts, ctx)}".upper()
        by_level[label] = by_level.get(label, 0) + 1
    activity = MonthlyFigure(
        window,
        tuple(
            SeriesCounts(kind, tuple(by_type.get((kind, m), 0) for m in window))
            for kind in ACTIVITY_TYPES
        ),
    )
    totals: dict[str, int] = {}
    for (name, _), n in by_source.items():
        totals[name] = totals.get(name, 0) + n
    partner_intel = MonthlyFigure(
        window,
        tuple(
            SeriesCounts(name, tuple(by_source.get((name, m), 0) for m in window))
            for name in sorted(totals, key=lambda name: (-totals[name], name))
        ),
    )
    labels = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
    mix = tuple(TlpShare(label, by_level.get(label, 0)) for label in labels)
    held = {v.id: v for v in latest}
    shown: list[TopHit] = []
    for target, (count, total) in sorted(hits.items(), key=lambda kv: (-kv[1][1], kv[0])):
        indicator = held.get(target)
        if indicator is None or oracle_view(version_facts(indicator, NODE), who, ctx) is None:
            continue
        # Shown at all, whole or in part (oracle_view asks the partner rules of partners).
        name = orjson.loads(indicator.raw_json).get("name")
        shown.append(TopHit(target, name, count, total))
    return activity, partner_intel, mix, tuple(shown[:top])


def _put_of(objects: st.SearchStrategy[int]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.tuples(
        st.just("put"),
        objects,  # the object (its type is TYPES[n])
        st.integers(1, 5),  # version
        st.sampled_from(MARKINGS),
        st.sampled_from([None, NODE, ORG_B, ORG_C]),
        st.sampled_from(PROVENANCES),
        st.booleans(),  # a RED granular marking on its description
        st.sampled_from([0, 1, 2, 3, 99]),  # the indicator a sighting is of
        st.one_of(st.none(), st.integers(0, 50)),  # its count
    )


_operation = st.one_of(
    _put_of(st.integers(0, len(TYPES) - 1)),
    st.tuples(st.just("delete"), st.integers(0, len(TYPES) - 1), st.integers(1, 5)),
    st.tuples(st.just("advance"), st.integers(0, 70)),
)
# Indicators first and sightings of them next (so that there are hits to rank), then
# anything: more versions, deletes, months passing.
_operations = st.builds(
    lambda indicators, sightings, rest: indicators + sightings + rest,
    st.lists(_put_of(st.integers(0, 3)), min_size=1, max_size=4),
    st.lists(_put_of(st.integers(4, 7)), min_size=1, max_size=6),
    st.lists(_operation, max_size=20),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    operations=_operations,
    months=st.sampled_from([1, 2, 12, 24]),
    top=st.integers(1, 4),
    top_batch=st.integers(1, 3),
)
def test_figures_equal_a_naive_recount_through_the_policy_oracle(
    operations: list[tuple[Any, ...]], months: int, top: int, top_batch: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        # Small batches, so that the top-hits walk reads on and stops in every way.
        node = Node(Path(folder) / "node.db", FixedClock(), top_batch)
        try:
            for operation in operations:
                if operation[0] == "put":
                    _, n, version, markings, creator, prov, secret, target, count = operation
                    kind = TYPES[n]
                    item = stix(
                        kind,
                        n,
                        version,
                        markings=markings,
                        creator=creator,
                        secret=secret,
                        target=target,
                        count=count,
                    )
                    with node.store.transaction() as tx:
                        held = tx.versions_of([item.id]).get(item.id, [])
                        if any(v.version == item.version for v in held):
                            continue
                        tx.insert([(item, prov)])
                elif operation[0] == "delete":
                    _, n, version = operation
                    node.store.delete_versions(ident(TYPES[n], n), [key(version)])
                else:
                    node.clock.advance(operation[1] * DAY_US)
            for who in READERS:
                got = node.service.dashboard(who, months=months, top=top)
                expected = reference(node, who, months, top)
                assert (got.activity, got.partner_intel, got.tlp_mix, got.top_hits) == expected
        finally:
            node.store.close()


# --- Examples. ---

ANALYST = READERS[1]
READER_B = READERS[3]


def test_months_ending_crosses_the_year() -> None:
    january = int(datetime(2026, 1, 15, tzinfo=UTC).timestamp() * 1e6)
    assert months_ending(january, 3) == ("2025-11", "2025-12", "2026-01")
    assert months_ending(january, 1) == ("2026-01",)
    with pytest.raises(ValueError, match="at least one month"):
        months_ending(january, 0)


def test_a_reader_counts_only_the_objects_it_may_see_whole(node: Node) -> None:
    green, red = marking_id_for(Tlp.GREEN), marking_id_for(Tlp.RED)
    node.put(stix("incident", 1, 1, markings=(green,)))
    node.put(stix("incident", 2, 1, markings=(red,)))
    node.put(stix("incident", 3, 1, markings=(green,), secret=True))
    node.put(stix("incident", 4, 1))  # unmarked: the default AMBER+STRICT
    for who, expected in ((ANALYST, 2), (READER_B, 1), (None, 0)):
        figure = node.service.dashboard(who, months=1).activity
        assert figure.series[0] == SeriesCounts("incident", (expected,))
    mix = node.service.dashboard(ANALYST, months=1).tlp_mix
    assert [share.objects for share in mix] == [0, 1, 0, 1, 0]


def test_a_new_version_counts_once_in_its_own_month(node: Node) -> None:
    node.put(stix("sighting", 1, 1, target=9, count=3))
    node.clock.advance(40 * DAY_US)
    node.put(stix("sighting", 1, 2, target=9, count=5))
    figure = node.service.dashboard(ANALYST, months=3).activity
    assert figure.series[1].values[-2:] in ((0, 1), (1, 0))
    assert sum(figure.series[1].values) == 1


def test_top_hits_skip_indicators_the_reader_may_not_see(node: Node) -> None:
    green, amber = marking_id_for(Tlp.GREEN), marking_id_for(Tlp.AMBER)
    node.put(stix("indicator", 1, 1, markings=(amber,)))  # hidden from B
    node.put(stix("indicator", 2, 1, markings=(green,)))
    node.put(stix("sighting", 1, 1, markings=(green,), target=1, count=50))
    node.put(stix("sighting", 2, 1, markings=(green,), target=2, count=7))
    node.put(stix("sighting", 3, 1, markings=(green,), target=3, count=99))  # not held
    hits = node.service.dashboard(READER_B, top=1).top_hits
    assert hits == (TopHit(ident("indicator", 2), "indicator 2", 1, 7),)
    hits = node.service.dashboard(ANALYST, top=5).top_hits
    assert [h.indicator_id for h in hits] == [ident("indicator", 1), ident("indicator", 2)]


def test_intel_received_is_counted_per_partner_source(node: Node) -> None:
    green = marking_id_for(Tlp.GREEN)
    for n in range(3):
        node.put(stix("report", n, 1, markings=(green,)), PROVENANCES[2])
    node.put(stix("report", 9, 1, markings=(green,)), PROVENANCES[3])
    node.put(stix("report", 8, 1, markings=(green,)), PROVENANCES[0])  # a file: not a partner
    figure = node.service.dashboard(ANALYST, months=2).partner_intel
    assert figure.series == (SeriesCounts("cert-b", (0, 3)), SeriesCounts("cert-b2", (0, 1)))


def test_sync_health_and_rejections_are_for_the_node_orgs_admins_and_analysts(
    node: Node,
) -> None:
    node.partners.add(
        PartnerRecord("cert-b", ORG_B, "CERT B", "ed25519:AA", "https://127.0.0.1/", "t", 1)
    )
    node.partners.record_sync("cert-b", at_us=500, received=4, error="HTTP 503")
    for n, error in enumerate((None, "HTTP 503")):
        node.reports.add(
            SyncReport(
                report_id=None,
                partner="cert-b",
                started_us=100 * n,
                finished_us=100 * n + 10,
                added=4 - n,
                duplicates=0,
                new_versions=0,
                rejected=1,
                error=error,
                rejections=({"id": ident("indicator", n), "reason": f"reason {n}"},),
            )
        )
    shown = node.service.dashboard(ANALYST)
    assert shown.operations_shown
    assert shown.sync_health == (PartnerHealth("cert-b", "CERT B", 500, "HTTP 503", 4, (4, 3), 1),)
    assert shown.rejections == (
        RecentRejection("cert-b", 110, ident("indicator", 1), "reason 1"),
        RecentRejection("cert-b", 10, ident("indicator", 0), "reason 0"),
    )
    for who in (READER_B, READERS[2], None):
        hidden = node.service.dashboard(who)
        assert not hidden.operations_shown
        assert (hidden.sync_health, hidden.rejections) == ((), ())


def test_an_empty_node_has_an_empty_dashboard(node: Node) -> None:
    board = node.service.dashboard(ANALYST, months=24)
    assert isinstance(board, Dashboard)
    assert len(board.months) == 24
    assert all(sum(s.values) == 0 for s in board.activity.series)
    assert board.partner_intel.series == ()
    assert board.top_hits == ()
    assert all(share.objects == 0 for share in board.tlp_mix)


def test_a_cell_with_an_unknown_marking_counts_for_nobody() -> None:
    cell = CountCell(
        cell="c",
        type="report",
        created_by_ref=NODE,
        marking_refs=(UNKNOWN,),
        granular_markings=(),
        provenance=PROVENANCES[0],
    )
    ctx = context(1)
    assert not any(is_counted(cell, who, ctx) for who in READERS)
    clear = dataclasses.replace(cell, marking_refs=(marking_id_for(Tlp.CLEAR),))
    assert all(is_counted(clear, who, ctx) for who in READERS[:-1])


def test_the_top_hits_walk_reads_on_past_ties_and_hidden_sightings(tmp_path: Path) -> None:
    node = Node(tmp_path / "walk.db", FixedClock(), top_batch=1)
    try:
        green, amber = marking_id_for(Tlp.GREEN), marking_id_for(Tlp.AMBER)
        for n in range(4):
            node.put(stix("indicator", n, 1, markings=(green,)))
        # Indicator 0 has the most hits in all, but B sees only 1 of them.
        node.put(stix("sighting", 10, 1, markings=(amber,), target=0, count=90))
        node.put(stix("sighting", 11, 1, markings=(green,), target=0, count=1))
        # Indicators 3 and 2 tie: the smaller id ranks first.
        node.put(stix("sighting", 12, 1, markings=(green,), target=3, count=6))
        node.put(stix("sighting", 13, 1, markings=(green,), target=2, count=6))
        node.put(stix("sighting", 14, 1, markings=(green,), target=1, count=2))
        # Sightings of other objects (STIX 2.1 §5.7) are not indicators' hits.
        node.put(stix("sighting", 15, 1, markings=(green,), of=ident("malware", 1), count=50))
        hits = node.service.dashboard(READER_B, top=3).top_hits
        assert [(h.indicator_id, h.hits) for h in hits] == [
            (ident("indicator", 2), 6),
            (ident("indicator", 3), 6),
            (ident("indicator", 1), 2),
        ]
        assert node.service.dashboard(ANALYST, top=1).top_hits[0].hits == 91
    finally:
        node.store.close()
