"""One partner's poison never halts sync: bad objects are refused alone, the sync goes on.

Two real partner nodes are served on loopback. Org B's store holds, between valid objects,
an object nested 300 levels deep (JSON decoders read it; serialisers refuse it past ~254) and
one nested 2,000 levels deep (deeper than the JSON decoder allows): a compromised or broken
partner serves exactly what its store holds. Org C is healthy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.unit.server.conftest import SECRET, serving
from tests.unit.services.test_federation_service import _connect

from entente.bootstrap import Node, open_node
from entente.bootstrap import federation as federation_of
from entente.clock import FixedClock
from entente.config import Settings
from entente.server import create_app
from entente.services import create_token
from entente.services.federation import FederationService
from entente.stix import Tlp, marking_id_for
from entente.store import NewVersion, ObjectQuery, Provenance, SourceKind

ORG_A, ORG_B, ORG_C = "Org A", "Org B", "Org C"


def indicator(n: int, org: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "object_marking_refs": [marking_id_for(Tlp.GREEN)],
        **extra,
    }


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth - 1):
        value = {"x_deeper": value}
    return value


def store_raw(node: Node, objects: list[tuple[dict[str, Any], bytes]]) -> None:
    """Write objects straight into ``node``'s store, as a broken or hostile node holds them."""
    with node.store.transaction() as txn:
        txn.insert(
            [
                (
                    NewVersion(
                        id=obj["id"],
                        type=obj["type"],
                        spec_version="2.1",
                        version=f"2026-11-01T00:00:00.{i:09d}Z",
                        created=None,
                        modified=None,
                        created_by_ref=None,
                        revoked=False,
                        marking_refs=tuple(obj["object_marking_refs"]),
                        raw_json=raw,
                    ),
                    Provenance(SourceKind.FILE, "raw", "local:test"),
                )
                for i, (obj, raw) in enumerate(objects)
            ]
        )


def deep_raw(obj: dict[str, Any], depth: int) -> bytes:
    """``obj`` serialised with a property ``depth`` levels deep (written by hand: serialisers
    refuse such depths)."""
    head = orjson.dumps(obj)[:-1]
    return head + b',"x_deep":' + b'{"x":' * depth + b"1" + b"}" * depth + b"}"


@pytest.fixture(params=[(300, 2000), (300,)], ids=["deep-and-deeper", "deep"])
def federation(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[FederationService, Node, dict[str, str]]]:
    """Org A with partners B (poisoned) and C (healthy), both served on loopback."""
    depths: tuple[int, ...] = request.param
    with ExitStack() as stack:
        nodes = {}
        for org in (ORG_A, ORG_B, ORG_C):
            settings = Settings(
                home=tmp_path / org, database_url=f"sqlite:///{tmp_path / org}.db", org_name=org
            )
            nodes[org] = stack.enter_context(open_node(settings, FixedClock()))
        a = nodes[ORG_A]
        service = FederationService(
            store=a.store,
            partners=a.partners,
            agreements=a.agreements,
            checkpoints=a.checkpoints,
            reports=a.sync_reports,
            clock=a.clock,
            org_name=ORG_A,
            key=a.key,
            default_marking=a.settings.default_marking,
            connect=_connect,
        )
        names = {}
        for org in (ORG_B, ORG_C):
            agreement = {
                "id": f"a-{org[-1].lower()}",
                "name": f"A and {org}",
                "parties": [ORG_A, org],
                "max_tlp": "amber",
                "onward_sharing": "none",
            }
            node = nodes[org]
            federation_of(node).add_agreement(agreement)
            _, token = create_token(node.tokens, node.clock, org_name=ORG_A, role="partner")
            base = stack.enter_context(serving(create_app(node, secret=SECRET)))
            card = federation_of(node).card(f"{base}/taxii2/", f"{base}/taxii2/api/")
            names[org] = service.add_partner(card, token=token).name
            service.add_agreement(agreement)
        b_first, b_last = indicator(1, ORG_B), indicator(4, ORG_B)
        poisons = [
            (poison, deep_raw(poison, depth))
            for poison, depth in zip(
                (indicator(2, ORG_B), indicator(3, ORG_B)), depths, strict=False
            )
        ]
        store_raw(
            nodes[ORG_B],
            [(b_first, orjson.dumps(b_first)), *poisons, (b_last, orjson.dumps(b_last))],
        )
        store_raw(nodes[ORG_C], [(indicator(5, ORG_C), orjson.dumps(indicator(5, ORG_C)))])
        yield service, a, names


def test_a_poisoned_partner_page_keeps_its_valid_objects_and_every_partner_syncs(
    federation: tuple[FederationService, Node, dict[str, str]],
) -> None:
    service, a, names = federation
    outcomes = {o.partner: o for o in service.sync()}
    assert set(outcomes) == {names[ORG_B], names[ORG_C]}
    poisoned, healthy = outcomes[names[ORG_B]], outcomes[names[ORG_C]]
    assert poisoned.error is None and healthy.error is None
    held = {v.id for v in a.store.iter_all(ObjectQuery(types=("indicator",), limit=1000))}
    assert held == {indicator(n, ORG_A)["id"] for n in (1, 4, 5)}
    assert poisoned.added == 2
    reasons = [r["reason"] for r in poisoned.rejected]
    assert reasons and len(reasons) == len(poisoned.rejected)
    assert all("nested deeper than 64 levels" in reason for reason in reasons), reasons
    # The report says so, and the checkpoint moved past the page: a second run adds nothing
    # and reads nothing again.
    report = service.reports(names[ORG_B], 1)[0]
    assert report.rejected == len(reasons) and report.error is None
    again = {o.partner: o for o in service.sync()}[names[ORG_B]]
    assert (again.added, again.rejected, again.error) == (0, [], None)
    assert service.checkpoints(names[ORG_B])
