"""Random objects x markings x agreements x topologies: every node ends with what the oracle says.

Each example builds 2-4 real nodes (own home, own SQLite store, own key, own org) served over
HTTP on 127.0.0.1 by uvicorn in a thread, wires them with the services an operator's commands
call (agreements on every party's node, partner tokens, signed partner cards), ingests objects
each org creates, and syncs round after round until a round adds nothing.

The expectation is computed apart from the implementation: a fixpoint over the naive policy
oracle (``oracle_outbound``, tests/unit/sharing/oracle.py) plus a model of what the receiving
node accepts (the agreement it files a version under, and the creator-signature rule of
``federation.inbound``). What a node holds of an object depends on which copy reached it first
(redacted or not, from which sender, under which agreement), and that depends on the order of
the sync runs, so the model tracks every copy that *may* reach a node: each node must hold
every object it certainly gets (``must``), nothing it cannot get (``may``), and of each object
a copy the model allows (same properties removed, same signer, same sender and agreement).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from tests.unit.sharing.oracle import LABEL_OF_TLP_NAME, ORDER, Sent, level_of, oracle_outbound

from entente.bootstrap import Node, federation, open_node
from entente.cli.local_nodes import free_port
from entente.config import Settings
from entente.federation import EXTENSION_ID
from entente.ingest import Candidate
from entente.server.app import create_app
from entente.services import create_token
from entente.services.ingest import IngestService
from entente.services.tokens import org_identity_id
from entente.sharing import Agreement, NodeContext, Principal, Role, VersionFacts, parse_agreement
from entente.stix import Tlp, deterministic_id, marking_id_for
from entente.store import ObjectQuery, Provenance, SourceKind, StoredVersion

pytestmark = pytest.mark.integration

ORGS = ("Org A", "Org B", "Org C", "Org D")
KINDS = ("indicator", "sighting", "incident")
# None: unmarked, which every node reads as its default, AMBER+STRICT (architecture §2).
MARKINGS: tuple[Tlp | None, ...] = (
    None,
    Tlp.CLEAR,
    Tlp.GREEN,
    Tlp.AMBER,
    Tlp.AMBER_STRICT,
    Tlp.RED,
)
MAX_TLPS = ("clear", "green", "amber", "amber+strict")
# Optional properties agreements may redact: one custom (STIX 2.1 §11.1), one common.
REDACTABLE = ("x_victim_name", "description")
# STIX 2.1 §5.7: what an anonymised sighting leaves out (sharing.policy).
SIGHTER_PROPERTIES = frozenset({"where_sighted_refs", "observed_data_refs", "created_by_ref"})
CREATED = "2026-11-01T00:00:00.000Z"
SECRET = b"topologies-cursor-secret-0123456789"
READY_S = 30.0
# federation.inbound's reasons for the two refusals a correct federation still makes: a copy
# whose creator is a known org but whose signer is not, and a different copy of a version
# already held (today also the creator-signed original of a redacted copy held here).
EXPLAINED_REJECTIONS = ("may not speak for",)
STOP_S = 30.0


# -- scenarios -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectSpec:
    """One object an org creates: its type, marking and which optional properties it has."""

    kind: str
    marking: int  # index into MARKINGS
    victim: bool
    described: bool


@dataclass(frozen=True)
class Scenario:
    """Nodes (one org each), agreements, who pulls from whom, and what each org creates."""

    orgs: tuple[str, ...]
    agreements: tuple[dict[str, Any], ...]
    # (reader, source) node indexes: the reader has the source as a partner and pulls from it.
    edges: frozenset[tuple[int, int]]
    objects: tuple[tuple[ObjectSpec, ...], ...]


def _bound_pairs(
    orgs: Sequence[str], agreements: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int]]:
    return [
        (r, s)
        for r in range(len(orgs))
        for s in range(len(orgs))
        if r != s and any(orgs[r] in a["parties"] and orgs[s] in a["parties"] for a in agreements)
    ]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """2-4 nodes, 1-3 agreements, a topology within what they bind, 1-4 objects per org."""
    n = draw(st.integers(2, 4))
    orgs = ORGS[:n]
    indexes = st.sampled_from(range(n))
    agreements: list[dict[str, Any]] = []
    for k in range(draw(st.integers(1, 3))):
        parties = sorted(draw(st.sets(indexes, min_size=2)))
        doc: dict[str, Any] = {
            "id": f"g{k}",
            "name": f"agreement {k}",
            "parties": [orgs[i] for i in parties],
            "max_tlp": draw(st.sampled_from(MAX_TLPS)),
        }
        onward = draw(st.sampled_from(("none", "coalition", "named")))
        if onward == "named":
            named = sorted(draw(st.sets(indexes, min_size=1)))
            doc["onward_sharing"] = {"named": [orgs[i] for i in named]}
        else:
            doc["onward_sharing"] = onward
        if draw(st.booleans()):
            doc["object_types"] = sorted(draw(st.sets(st.sampled_from(KINDS), min_size=1)))
        if draw(st.booleans()):
            key = draw(st.sampled_from(("*", *KINDS)))
            names = draw(st.sets(st.sampled_from(REDACTABLE), min_size=1))
            doc["redact"] = {key: sorted(names)}
        doc["sightings"] = draw(st.sampled_from(("named", "anonymised", "none")))
        agreements.append(doc)
    bound = _bound_pairs(orgs, agreements)
    edges = frozenset(pair for pair in bound if draw(st.booleans()))
    spec = st.builds(
        ObjectSpec,
        kind=st.sampled_from(KINDS),
        marking=st.integers(0, len(MARKINGS) - 1),
        victim=st.booleans(),
        described=st.booleans(),
    )
    objects = tuple(tuple(draw(st.lists(spec, min_size=1, max_size=4))) for _ in orgs)
    return Scenario(orgs, tuple(agreements), edges, objects)


def build_object(org: str, index: int, spec: ObjectSpec) -> dict[str, Any]:
    """The STIX object ``org`` creates for ``spec`` (ids derive from the org and the index)."""
    org_id = org_identity_id(org)
    obj: dict[str, Any] = {
        "type": spec.kind,
        "spec_version": "2.1",
        "id": deterministic_id(spec.kind, "topologies", org, str(index)),
        "created": CREATED,
        "modified": CREATED,
        "created_by_ref": org_id,
    }
    marking = MARKINGS[spec.marking]
    if marking is not None:
        obj["object_marking_refs"] = [marking_id_for(marking)]
    if spec.kind == "indicator":
        obj.update(
            name=f"{org} indicator {index}",
            pattern=f"[ipv4-addr:value = '198.51.100.{index + 1}']",
            pattern_type="stix",
            valid_from=CREATED,
        )
    elif spec.kind == "sighting":
        obj.update(
            sighting_of_ref=deterministic_id("indicator", "topologies", org, "sighted"),
            count=2,
            where_sighted_refs=[org_id],
        )
    else:
        obj["name"] = f"{org} incident {index}"
    if spec.victim:
        obj["x_victim_name"] = f"a victim known to {org}"
    if spec.described:
        obj["description"] = f"created by {org}"
    return obj


# -- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """The copy of an object a node holds: what was removed, who signed, who sent it, under what."""

    removed: frozenset[str]
    signer: str | None
    sender: str | None
    under: str | None


OWN = Copy(frozenset(), None, None, None)


@dataclass(frozen=True)
class Model:
    """The scenario as the model reads it."""

    org_ids: tuple[str, ...]
    agreements: tuple[Agreement, ...]
    edges: frozenset[tuple[int, int]]
    now_us: int

    def agreements_of(self, node: int) -> tuple[Agreement, ...]:
        """The agreements stored on ``node``: those naming its org."""
        return tuple(a for a in self.agreements if self.org_ids[node] in a.parties)

    def keys_of(self, node: int) -> set[str]:
        """The orgs whose keys ``node`` knows: its own and its partners' (sources)."""
        return {self.org_ids[node]} | {self.org_ids[s] for r, s in self.edges if r == node}

    def transfer(self, obj: Mapping[str, Any], held: Copy, source: int, reader: int) -> Copy | None:
        """The copy ``reader`` stores when it pulls ``obj`` (held as ``held``) from ``source``."""
        source_org, reader_org = self.org_ids[source], self.org_ids[reader]
        creator = obj.get("created_by_ref")
        facts = VersionFacts(
            id=obj["id"],
            type=obj["type"],
            created_by_ref=None if "created_by_ref" in held.removed else creator,
            marking_refs=tuple(obj.get("object_marking_refs", ())),
            received_from_org=held.sender,
            received_under=held.under,
        )
        ctx = NodeContext(
            node_org=source_org,
            community_orgs=frozenset(self.org_ids),
            agreements=self.agreements_of(source),
            now_us=self.now_us,
        )
        partner = Principal(
            id="tok_partner", org=reader_org, role=Role.PARTNER, is_individual=False
        )
        verdict = oracle_outbound(facts, partner, ctx)
        if not isinstance(verdict, Sent):
            return None
        # services.taxii._outbound: a copy that loses a property is signed by the sender and
        # names its original; an original the sender created goes out signed by it.
        drop = set(verdict.redact) | (SIGHTER_PROPERTIES if verdict.anonymise else set())
        hit = drop & (set(obj) - held.removed)
        removed, signer = held.removed, held.signer
        if hit:
            removed, signer = held.removed | hit, source_org
        elif creator == source_org and held.signer is None:
            signer = source_org
        # The receiver files it under the first agreement (by id) with the sender that allows
        # its type at its level (services.federation._inbound_agreement).
        level = level_of(facts, ctx)
        assert level is not None
        under = next(
            (
                a
                for a in sorted(self.agreements_of(reader), key=lambda a: a.id)
                if a.binds(reader_org, source_org)
                and ORDER.index(LABEL_OF_TLP_NAME[a.max_tlp.name]) >= ORDER.index(level)
                and (a.object_types is None or obj["type"] in a.object_types)
            ),
            None,
        )
        if under is None:
            return None
        # A creator whose key the receiver knows must be backed by the signature of an org it
        # knows (federation.inbound: a partner may not speak for another member).
        keys = self.keys_of(reader)
        shown_creator = None if "created_by_ref" in removed else creator
        if shown_creator in keys and (signer is None or signer not in keys):
            return None
        return Copy(frozenset(removed), signer, source_org, under.id)


@dataclass(frozen=True)
class Expected:
    """Per (node, object id): every copy that may reach the node, and whether one surely does."""

    may: dict[tuple[int, str], set[Copy]]
    must: set[tuple[int, str]]


def expected_holdings(model: Model, objects: Mapping[str, tuple[int, dict[str, Any]]]) -> Expected:
    """Fixpoints over the oracle: the copies that may reach each node, and what surely does."""
    may: dict[tuple[int, str], set[Copy]] = {
        (creator, oid): {OWN} for oid, (creator, _) in objects.items()
    }
    for _ in range(10_000):
        grown = False
        for reader, source in sorted(model.edges):
            for oid, (creator, obj) in objects.items():
                if reader == creator:
                    continue  # the creator holds its own version: anything back is a duplicate
                for held in list(may.get((source, oid), ())):
                    arrived = model.transfer(obj, held, source, reader)
                    if arrived is not None and arrived not in may.setdefault((reader, oid), set()):
                        may[(reader, oid)].add(arrived)
                        grown = True
        if not grown:
            break
    else:
        raise AssertionError("the model's fixpoint did not converge")
    # A node surely holds an object when some source surely holds it and every copy that
    # source may hold goes through to it.
    must = {(creator, oid) for oid, (creator, _) in objects.items()}
    for _ in range(10_000):
        grown = False
        for reader, source in sorted(model.edges):
            for oid, (_, obj) in objects.items():
                if (reader, oid) in must or (source, oid) not in must:
                    continue
                if all(model.transfer(obj, held, source, reader) for held in may[(source, oid)]):
                    must.add((reader, oid))
                    grown = True
        if not grown:
            break
    return Expected({k: v for k, v in may.items() if v}, must)


# -- real nodes --------------------------------------------------------------------------------


@contextmanager
def serving(node: Node, port: int) -> Iterator[str]:
    """Serve ``node`` with uvicorn on 127.0.0.1:``port`` in a thread; yield its base URL."""
    config = uvicorn.Config(
        create_app(node, secret=SECRET),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + READY_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"uvicorn on port {port} exited before it started")
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn on port {port} not started in {READY_S} s")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STOP_S)
        assert not thread.is_alive(), f"uvicorn on port {port} did not stop"


def _held_versions(node: Node) -> list[StoredVersion]:
    return list(node.store.iter_all(ObjectQuery(versions=("all",), limit=1000)))


def _copy_of(version: StoredVersion, original: Mapping[str, Any]) -> Copy:
    """What the stored version is, as a ``Copy`` of ``original``."""
    raw = version.to_json()
    for name, value in raw.items():
        if name != "extensions":
            assert original.get(name) == value, f"{version.id}: {name} changed on the way"
    signature = raw.get("extensions", {}).get(EXTENSION_ID)
    provenance = version.provenance
    received = provenance.source_kind is SourceKind.PARTNER
    return Copy(
        removed=frozenset(set(original) - set(raw)),
        signer=None if signature is None else signature["signer"],
        sender=provenance.principal if received else None,
        under=provenance.agreement if received else None,
    )


def run_scenario(scenario: Scenario) -> None:
    """Build the nodes, sync until quiet, and compare every node's holdings with the model."""
    n = len(scenario.orgs)
    org_ids = tuple(org_identity_id(org) for org in scenario.orgs)
    objects: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, org in enumerate(scenario.orgs):
        for index, spec in enumerate(scenario.objects[i]):
            obj = build_object(org, index, spec)
            objects[obj["id"]] = (i, obj)
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="entente-topo-")))
        nodes: list[Node] = []
        for i, org in enumerate(scenario.orgs):
            home = root / f"node{i}"
            url = f"sqlite:///{home / 'entente.db'}"
            nodes.append(stack.enter_context(open_node(Settings(home, url, org_name=org))))
        services = [federation(node) for node in nodes]
        for doc in scenario.agreements:
            for i, org in enumerate(scenario.orgs):
                if org in doc["parties"]:
                    services[i].add_agreement(doc)
        for i, node in enumerate(nodes):
            own = [obj for creator, obj in objects.values() if creator == i]
            candidates = [Candidate("test", f"objects[{k}]", obj) for k, obj in enumerate(own)]
            summary = IngestService(node.store, node.clock, "test").ingest_candidates(
                candidates, Provenance(SourceKind.FILE, "test", "test"), source="test"
            )
            assert summary.rejected == [] and summary.added == len(own)
        baseline = [{v.id for v in _held_versions(node)} for node in nodes]
        urls = [stack.enter_context(serving(node, free_port())) for node in nodes]
        for reader, source in sorted(scenario.edges):
            _, secret = create_token(
                nodes[source].tokens,
                nodes[source].clock,
                org_name=scenario.orgs[reader],
                role="partner",
            )
            base = urls[source]
            card = services[source].card(f"{base}/taxii2/", f"{base}/taxii2/api/")
            services[reader].add_partner(card, token=secret)
        rounds: list[list[dict[str, Any]]] = []
        for _ in range(n + 2):
            outcomes = [o.to_json() for service in services for o in service.sync()]
            rounds.append(outcomes)
            for outcome in outcomes:
                assert outcome["error"] is None, outcome
            if not any(o["added"] or o["new_versions"] for o in outcomes):
                break
        else:
            pytest.fail(f"sync did not settle in {n + 2} rounds: {rounds}")
        held = [_held_versions(node) for node in nodes]

    # What the receivers refuse: only copies the model drops for an unbacked creator, and a
    # second copy of a version already held. Anything else (the sender "broke its agreement",
    # an unknown marking, a bad signature) means the outbound and inbound rules disagree.
    for outcomes in rounds:
        for outcome in outcomes:
            for rejection in outcome["rejected"]:
                assert any(reason in rejection["reason"] for reason in EXPLAINED_REJECTIONS), (
                    f"{outcome['partner']}: {rejection}"
                )

    model = Model(
        org_ids=org_ids,
        agreements=tuple(
            parse_agreement(doc, org_id=org_identity_id) for doc in scenario.agreements
        ),
        edges=scenario.edges,
        now_us=time.time_ns() // 1000,
    )
    expected = expected_holdings(model, objects)
    for i in range(n):
        by_id: dict[str, list[StoredVersion]] = {}
        for version in held[i]:
            by_id.setdefault(version.id, []).append(version)
        strays = by_id.keys() - objects.keys() - baseline[i]
        assert not strays, f"node {i} holds objects nobody created: {strays}"
        got = {oid for oid in by_id if oid in objects}
        must = {oid for oid in objects if (i, oid) in expected.must}
        may = {oid for oid in objects if (i, oid) in expected.may}
        where = f"node {i} ({scenario.orgs[i]})"
        assert must <= got, f"{where} lacks {sorted(must - got)}; rounds: {rounds}"
        assert got <= may, f"{where} holds {sorted(got - may)} the policy never lets reach it"
        for oid in got:
            versions = by_id[oid]
            assert len(versions) == 1, f"{where} holds {len(versions)} versions of {oid}"
            copy = _copy_of(versions[0], objects[oid][1])
            allowed = expected.may[(i, oid)]
            assert copy in allowed, f"{where} holds {oid} as {copy}, the model allows {allowed}"


# A fixed, rich case: a chain and a triangle with redaction, anonymised sightings, onward
# sharing named and by coalition, and every marking.
_RICH = Scenario(
    orgs=ORGS[:3],
    agreements=(
        {
            "id": "g0",
            "name": "A and B",
            "parties": ["Org A", "Org B"],
            "max_tlp": "amber+strict",
            "onward_sharing": {"named": ["Org C"]},
            "redact": {"incident": ["x_victim_name"]},
            "sightings": "anonymised",
        },
        {
            "id": "g1",
            "name": "B and C",
            "parties": ["Org B", "Org C"],
            "max_tlp": "amber",
            "onward_sharing": "coalition",
            "sightings": "named",
        },
        {
            "id": "g2",
            "name": "A and C",
            "parties": ["Org A", "Org C"],
            "max_tlp": "green",
            "onward_sharing": "none",
            "redact": {"*": ["description"]},
            "sightings": "named",
        },
    ),
    edges=frozenset({(1, 0), (0, 1), (2, 1), (1, 2), (2, 0)}),
    objects=tuple(
        tuple(
            ObjectSpec(kind, marking, victim=True, described=True)
            for kind in KINDS
            for marking in range(len(MARKINGS))
        )
        for _ in range(3)
    ),
)


@settings(
    max_examples=8,
    deadline=None,
    # Shrinking re-runs whole federations: a failure is reported as found, bounded in time.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@example(_RICH)
@given(scenarios())
def test_every_node_holds_what_the_policy_oracle_lets_reach_it(scenario: Scenario) -> None:
    run_scenario(scenario)
