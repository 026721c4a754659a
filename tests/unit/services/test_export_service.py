"""Exports over a real store: the policy per principal, warninglists, scores, entity tags."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from entente.bootstrap import Node, federation, graph, open_node
from entente.clock import FixedClock
from entente.config import Settings
from entente.errors import InvalidInput, ObjectNotFound
from entente.export import RENDERERS, ExportItem, ItemKind, LeftOut, LeftOutReason
from entente.ingest import Candidate
from entente.scoring import (
    ScoringConfig,
    Warninglist,
    WarninglistSet,
    default_warninglists,
    load_warninglists,
)
from entente.services import IngestService, node_context, org_identity_id
from entente.services.export import ExportService, export_principal, matches_etag
from entente.sharing import Agreement, Principal, Role
from entente.stix import Tlp, marking_id_for
from entente.store import Provenance, SourceKind

NODE, PARTNER = "US CERT", "IL CERT"
NODE_ORG, PARTNER_ORG = org_identity_id(NODE), org_identity_id(PARTNER)
# 2026-11-26T00:00:00Z; the indicators are valid from six days before.
NOW_US = 1_795_651_200_000_000
TEST_LISTS = Path(__file__).parents[2] / "data" / "warninglists" / "lists"

# The five values every export must leave out, whatever the format.
ACCEPTANCE = {
    "indicator--e0000000-0000-4000-8000-000000000001": ("[ipv4-addr:value = '8.8.8.8']", "8.8.8.8"),
    "indicator--e0000000-0000-4000-8000-000000000002": ("[ipv4-addr:value = '1.1.1.1']", "1.1.1.1"),
    "indicator--e0000000-0000-4000-8000-000000000003": (
        "[domain-name:value = 'google.com']",
        "google.com",
    ),
    "indicator--e0000000-0000-4000-8000-000000000004": (
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "10.0.0.0/8",
    ),
    "indicator--e0000000-0000-4000-8000-000000000005": (
        "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        "d41d8cd98f00b204e9800998ecf8427e",
    ),
}
GOOD = "indicator--a0000000-0000-4000-8000-000000000001"
LOW = "indicator--a0000000-0000-4000-8000-000000000002"
AMBER = "indicator--a0000000-0000-4000-8000-000000000003"
RED = "indicator--a0000000-0000-4000-8000-000000000004"
SIGMA = "indicator--a0000000-0000-4000-8000-000000000005"
REVOKED = "indicator--a0000000-0000-4000-8000-000000000006"
SIGHTING = "sighting--b0000000-0000-4000-8000-000000000001"
GREEN = marking_id_for(Tlp.GREEN)


def _indicator(indicator_id: str, pattern: str, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id,
        "created": "2026-11-20T00:00:00.000Z",
        "modified": "2026-11-20T00:00:00.000Z",
        "created_by_ref": NODE_ORG,
        "name": f"indicator {indicator_id[-2:]}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-20T00:00:00Z",
        "confidence": 90,
        "object_marking_refs": [GREEN],
    }
    obj.update(extra)
    return obj


OBJECTS: list[dict[str, Any]] = [
    *(_indicator(i, pattern) for i, (pattern, _) in ACCEPTANCE.items()),
    _indicator(
        GOOD,
        "[domain-name:value = 'evil.example'] OR [ipv4-addr:value = '185.220.101.7']",
        labels=["malicious-activity"],
    ),
    _indicator(LOW, "[domain-name:value = 'doubtful.example']", confidence=10),
    _indicator(
        AMBER,
        "[domain-name:value = 'amber-only.example']",
        object_marking_refs=[marking_id_for(Tlp.AMBER)],
    ),
    _indicator(
        RED,
        "[domain-name:value = 'red-only.example']",
        object_marking_refs=[marking_id_for(Tlp.RED)],
    ),
    _indicator(SIGMA, "title: something", pattern_type="sigma"),
    _indicator(REVOKED, "[domain-name:value = 'revoked.example']", revoked=True),
]


@cache
def _test_lists() -> tuple[Warninglist, ...]:
    return tuple(load_warninglists([TEST_LISTS]))


@cache
def _default_lists() -> tuple[Warninglist, ...]:
    return tuple(default_warninglists())


def _ingest(node: Node, objects: Sequence[dict[str, Any]]) -> None:
    service = IngestService(node.store, node.clock, principal="local:test")
    summary = service.ingest_candidates(
        [Candidate("bundle.json", f"objects[{i}]", o) for i, o in enumerate(objects)],
        Provenance(SourceKind.FILE, "bundle.json", "local:test"),
        source="bundle.json",
    )
    assert not summary.rejected, summary.rejected


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings(
        home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'node.db'}", org_name=NODE
    )
    with open_node(settings, FixedClock(NOW_US)) as opened:
        _ingest(opened, OBJECTS)
        yield opened


def _service(
    node: Node,
    *,
    lists: Sequence[Warninglist] | None = None,
    allowed: Sequence[str] = (),
    agreements: Sequence[Agreement] = (),
    scoring: ScoringConfig | None = None,
    min_score: int = 1,
    referrers: Callable[[str], Sequence[str]] | None = None,
) -> ExportService:
    chosen = _test_lists() if lists is None else lists
    built = WarninglistSet(chosen, allowed)
    return ExportService(
        store=node.store,
        clock=node.clock,
        org_name=NODE,
        context=lambda: node_context(
            node_org=NODE_ORG,
            tokens=node.tokens,
            agreements=agreements,
            default_marking=Tlp.AMBER_STRICT,
            now_us=node.clock.now_us(),
        ),
        warninglists=lambda: built,
        scoring=scoring or ScoringConfig(),
        min_score=min_score,
        referrers=referrers,
    )


OPERATOR = export_principal(NODE)
PARTNER_NODE = Principal("tok_il", PARTNER_ORG, Role.PARTNER, is_individual=False)


def _values(items: Sequence[ExportItem]) -> set[str]:
    return {item.value for item in items}


def _by_reason(left_out: Sequence[LeftOut], reason: LeftOutReason) -> list[LeftOut]:
    return [entry for entry in left_out if entry.reason is reason]


@pytest.mark.parametrize("lists", [_test_lists, _default_lists], ids=["test-lists", "defaults"])
def test_the_acceptance_values_are_left_out_of_every_format_as_warninglisted(
    node: Node, lists: Callable[[], Sequence[Warninglist]]
) -> None:
    service = _service(node, lists=lists())
    items, _ = service.items_for(OPERATOR)
    assert _values(items) == {
        "evil.example",
        "185.220.101.7",
        "doubtful.example",
        "amber-only.example",
    }
    for fmt in RENDERERS:
        rendered = service.export(fmt, OPERATOR)
        listed = {
            (entry.indicator_id, entry.value): entry.detail
            for entry in _by_reason(rendered.left_out, LeftOutReason.WARNINGLIST)
        }
        for indicator_id, (_, value) in ACCEPTANCE.items():
            detail = listed[(indicator_id, value)]
            assert detail.startswith("on warninglist '"), (fmt, detail)
            assert value in detail
        body = rendered.body.decode()
        for value in ("8.8.8.8", "1.1.1.1", "google.com", "d41d8cd98f00b204e9800998ecf8427e"):
            assert value not in body, (fmt, value)
        assert "10.0.0.0" not in body and "8.0.0.0.10.rpz-ip" not in body, fmt


def test_an_allowed_value_is_exported(node: Node) -> None:
    service = _service(node, allowed=["8.8.8.8"])
    items, left_out = service.items_for(OPERATOR)
    assert "8.8.8.8" in _values(items)
    assert "8.8.8.8" not in {entry.value for entry in left_out}
    assert b"8.8.8.8" in service.export("edl-addresses", OPERATOR).body
    # Allowing one value does not allow its neighbours on the same list.
    assert "1.1.1.1" not in _values(items)


def test_a_partner_never_learns_of_what_its_agreement_withholds(node: Node) -> None:
    document = {
        "id": "us-il",
        "name": "US CERT and IL CERT",
        "parties": [NODE, PARTNER],
        "max_tlp": "green",
        "onward_sharing": "none",
        "sightings": "anonymised",
    }
    agreement, _ = federation(node).add_agreement(document)
    service = _service(node, agreements=[agreement])
    items, left_out = service.items_for(PARTNER_NODE)
    assert {"evil.example", "doubtful.example"} <= _values(items)
    assert AMBER not in {item.indicator_id for item in items}
    for fmt in RENDERERS:
        rendered = service.export(fmt, PARTNER_NODE)
        assert b"amber-only.example" not in rendered.body
        trace = repr(rendered.left_out)
        for hidden in (AMBER, "amber-only", RED, "red-only"):
            assert hidden not in trace, fmt
        assert not _by_reason(rendered.left_out, LeftOutReason.POLICY)
    # The node's own operators may read AMBER, and are told how many they may not read.
    items, left_out = service.items_for(OPERATOR)
    assert "amber-only.example" in _values(items)
    [policy] = _by_reason(left_out, LeftOutReason.POLICY)
    assert policy.indicator_id == "" and policy.value is None
    assert policy.detail.startswith("1 indicator(s)") and policy.detail.endswith("(1 TLP:RED)")
    assert RED not in repr(left_out)


def test_values_below_the_minimum_score_are_left_out_with_their_score(node: Node) -> None:
    service = _service(node, min_score=20)
    items, left_out = service.items_for(OPERATOR)
    assert "doubtful.example" not in _values(items)
    [low] = [entry for entry in left_out if entry.indicator_id == LOW]
    assert low.reason is LeftOutReason.SCORE
    assert (low.kind, low.value) == (ItemKind.DOMAIN, "doubtful.example")
    assert low.detail.endswith("is below the minimum 20")
    # The caller's minimum wins over the configured one.
    items, _ = service.items_for(OPERATOR, min_score=0)
    assert "doubtful.example" in _values(items)
    with pytest.raises(InvalidInput, match="0-100"):
        service.items_for(OPERATOR, min_score=101)


def test_a_warninglisted_value_is_reported_as_such_even_when_its_score_is_low(
    node: Node,
) -> None:
    items, left_out = _service(node, min_score=100).items_for(OPERATOR)
    assert items == ()
    reasons = {entry.value: entry.reason for entry in left_out if entry.value}
    assert reasons["8.8.8.8"] is LeftOutReason.WARNINGLIST
    assert reasons["evil.example"] is LeftOutReason.SCORE


def test_items_carry_the_score_of_their_kind_the_tlp_and_the_indicator(node: Node) -> None:
    rated = ScoringConfig(sources={"bundle.json": "A"})
    items, _ = _service(node, scoring=rated).items_for(OPERATOR)
    good = {item.value: item for item in items if item.indicator_id == GOOD}
    domain, address = good["evil.example"], good["185.220.101.7"]
    # Reliability A (weight 1) x confidence 90, six days old: a domain fades over 90 days
    # linearly (x 0.9333), an address over 30 days with speed 2 (x 0.5528).
    assert (domain.score, address.score) == (84, 50)
    assert domain.tlp == "green"
    assert domain.labels == ("malicious-activity",)
    assert domain.name == "indicator 01"
    assert domain.created_by_ref == NODE_ORG
    assert domain.modified == "2026-11-20T00:00:00.000Z"
    unrated, _ = _service(node).items_for(OPERATOR)
    assert {i.value: i.score for i in unrated}["evil.example"] == 42  # F weighs 0.5


def test_a_readable_sighting_raises_the_score_and_restarts_the_age(node: Node) -> None:
    before = {i.value: i.score for i in _service(node).items_for(OPERATOR)[0]}
    sighting = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": SIGHTING,
        "created": "2026-11-25T00:00:00.000Z",
        "modified": "2026-11-25T00:00:00.000Z",
        "sighting_of_ref": GOOD,
        "count": 3,
        "last_seen": "2026-11-25T00:00:00Z",
        "object_marking_refs": [GREEN],
    }
    _ingest(node, [sighting])
    after = {i.value: i.score for i in _service(node).items_for(OPERATOR)[0]}
    assert after["evil.example"] > before["evil.example"]
    assert after["doubtful.example"] == before["doubtful.example"]


def test_not_deployable_and_inactive_indicators(node: Node) -> None:
    _, left_out = _service(node).items_for(OPERATOR)
    [refused] = _by_reason(left_out, LeftOutReason.NOT_DEPLOYABLE)
    assert refused.indicator_id == SIGMA
    assert "sigma" in refused.detail
    assert REVOKED not in repr(left_out)


def test_the_renderers_own_left_outs_are_added_to_the_selections(node: Node) -> None:
    rendered = _service(node).export("yara", OPERATOR)
    unsupported = _by_reason(rendered.left_out, LeftOutReason.UNSUPPORTED)
    assert {entry.value for entry in unsupported} >= {"evil.example", "185.220.101.7"}
    assert _by_reason(rendered.left_out, LeftOutReason.WARNINGLIST)


def test_the_entity_tag_is_stable_for_the_same_data_and_changes_with_it(node: Node) -> None:
    service = _service(node)
    first = service.feed("suricata", OPERATOR)
    clock = node.clock
    assert isinstance(clock, FixedClock)
    clock.advance(1_000_000)  # a second later: another generation time, the same data
    again = service.feed("suricata", OPERATOR)
    assert first.etag == again.etag and first.etag.startswith('W/"')
    assert service.feed("zeek", OPERATOR).etag != first.etag
    unchanged = service.feed("suricata", OPERATOR, if_none_match=first.etag)
    assert unchanged.rendered is None and unchanged.etag == first.etag
    _ingest(
        node,
        [
            _indicator(
                LOW,
                "[domain-name:value = 'doubtful.example']",
                confidence=10,
                modified="2026-11-21T00:00:00.000Z",
            )
        ],
    )
    changed = service.feed("suricata", OPERATOR, if_none_match=first.etag)
    assert changed.rendered is not None and changed.etag != first.etag


def test_if_none_match_uses_the_weak_comparison() -> None:
    assert matches_etag('"abc"', 'W/"abc"')
    assert matches_etag('W/"x", W/"abc"', 'W/"abc"')
    assert matches_etag("*", 'W/"abc"')
    assert not matches_etag('"abd"', 'W/"abc"')
    assert not matches_etag(None, 'W/"abc"')


def test_an_unknown_format_is_an_input_error_naming_the_known_ones(node: Node) -> None:
    with pytest.raises(InvalidInput, match="suricata"):
        _service(node).export("pf", OPERATOR)


def test_explain_gives_every_step_of_an_indicators_score(node: Node) -> None:
    [version] = node.store.get_versions(GOOD, ("last",))
    explanation = _service(node).explain(version, OPERATOR)
    lines = explanation.lines()
    assert any(line.startswith("reliability: F") for line in lines)
    assert any(line.startswith("confidence: 90") for line in lines)
    assert lines[-1].startswith("score:")


def test_companion_files_come_with_the_formats_that_have_them(node: Node) -> None:
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    hashed = "indicator--a0000000-0000-4000-8000-000000000009"
    _ingest(node, [_indicator(hashed, f"[file:hashes.'SHA-256' = '{sha256}']")])
    service = _service(node)
    selection = service.select(OPERATOR)
    assert service.companions("suricata", selection) == {
        "entente-sha256.lst": f"{sha256}\n".encode()
    }
    assert service.companions("zeek", selection) == {}
    feed = service.companion_feed("suricata", "entente-sha256.lst", OPERATOR)
    assert feed.rendered is not None and feed.rendered.filename == "entente-sha256.lst"
    assert (
        service.companion_feed(
            "suricata", "entente-sha256.lst", OPERATOR, if_none_match=feed.etag
        ).rendered
        is None
    )
    with pytest.raises(ObjectNotFound):
        service.companion_feed("suricata", "entente-md5.lst", OPERATOR)


def test_a_partner_gets_the_agreements_redacted_copy(node: Node) -> None:
    document = {
        "id": "us-il",
        "name": "US CERT and IL CERT",
        "parties": [NODE, PARTNER],
        "max_tlp": "green",
        "onward_sharing": "none",
        "sightings": "anonymised",
        "redact": {"indicator": ["name", "created_by_ref"]},
    }
    agreement, _ = federation(node).add_agreement(document)
    items, _ = _service(node, agreements=[agreement]).items_for(PARTNER_NODE)
    [good] = [item for item in items if item.value == "evil.example"]
    assert (good.name, good.created_by_ref) == (None, None)
    body = _service(node, agreements=[agreement]).export("csv", PARTNER_NODE).body
    assert b"indicator 01" not in body and NODE_ORG.encode() not in body


def test_explain_finds_the_same_sightings_through_the_reverse_references(node: Node) -> None:
    # The fast path (the ids that reference the indicator, from the value index) against the
    # naive one (every sighting read): the same sightings, so the same explanation.
    def sighting(n: int, of: str, marking: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "sighting",
            "spec_version": "2.1",
            "id": f"sighting--b0000000-0000-4000-8000-0000000001{n:02d}",
            "created": f"2026-11-2{n}T00:00:00.000Z",
            "modified": f"2026-11-2{n}T00:00:00.000Z",
            "sighting_of_ref": of,
            "count": n,
            "last_seen": f"2026-11-2{n}T00:00:00Z",
            "object_marking_refs": [marking],
            **extra,
        }

    _ingest(
        node,
        [
            sighting(1, GOOD, GREEN),
            sighting(2, GOOD, GREEN, x_entente_false_positive=True),
            sighting(3, LOW, GREEN),
            sighting(4, GOOD, marking_id_for(Tlp.RED)),
        ],
    )
    fast = _service(node, referrers=lambda oid: graph(node).referrers(oid, bound=None)[0])
    for oid in (GOOD, LOW):
        [version] = node.store.get_versions(oid, ("last",))
        for reader in (OPERATOR, export_principal("Org B")):
            naive = _service(node).explain(version, reader)
            assert fast.explain(version, reader) == naive, (oid, reader)
    [good] = node.store.get_versions(GOOD, ("last",))
    assert _service(node).explain(good, OPERATOR).false_positive_sightings == 1
