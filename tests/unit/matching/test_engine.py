"""The columnar engine agrees with the naive reference matcher, and its parts do their jobs."""

from __future__ import annotations

import ipaddress

import numpy as np
import orjson
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.matching.strategies import indicator_sets, log_batches

from entente.matching.engine import Engine, _bytes_of, _HashSet, _parse_ipv4
from entente.matching.model import (
    RECORD_COLUMNS,
    CompiledIndicator,
    FieldSpec,
    IndicatorSet,
    LogBatch,
    Term,
    TermOp,
    ValueKind,
)
from entente.matching.reference import match_batch


def _indicator(index: int, *terms: Term) -> CompiledIndicator:
    return CompiledIndicator(
        id=f"indicator--00000000-0000-4000-8000-{index:012d}",
        name=f"ioc {index}",
        labels=("c2",),
        score=50,
        terms=terms,
    )


def _batch(fields: tuple[FieldSpec, ...], rows: list[dict[str, object]]) -> LogBatch:
    columns = [
        pa.array([i + 1 for i in range(len(rows))], pa.int64()),
        pa.array([1.5] * len(rows), pa.float64()),
        pa.array(["zeek.dns"] * len(rows), pa.string()),
        pa.array([orjson.dumps({"uid": f"C{i}"}).decode() for i in range(len(rows))]),
    ]
    for spec in fields:
        kind = pa.list_(pa.string()) if spec.many else pa.string()
        columns.append(pa.array([row.get(spec.name) for row in rows], kind))
    names = [*RECORD_COLUMNS, *(spec.name for spec in fields)]
    return LogBatch("dns.log", "zeek-json", fields, pa.RecordBatch.from_arrays(columns, names))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engine_and_reference_agree_on_generated_batches(data: st.DataObject) -> None:
    indicators = data.draw(indicator_sets())
    batch = data.draw(log_batches(indicators))
    expected = match_batch(indicators, batch)
    found = Engine(indicators).match(batch)
    assert [h.key() for h in found] == [h.key() for h in expected]
    assert found == expected
    assert [h.context for h in found] == [h.context for h in expected]


def test_overlapping_blocks_each_report_their_indicator() -> None:
    indicators = IndicatorSet(
        (
            _indicator(1, Term(ValueKind.IP, TermOp.IN_NETWORK, "10.0.0.0/8")),
            _indicator(2, Term(ValueKind.IP, TermOp.IN_NETWORK, "10.1.0.0/16")),
            _indicator(3, Term(ValueKind.IP, TermOp.EQUALS, "10.1.2.3")),
            _indicator(4, Term(ValueKind.IP, TermOp.IN_NETWORK, "2001:db8::/32")),
        )
    )
    fields = (FieldSpec("id.resp_h", ValueKind.IP),)
    rows: list[dict[str, object]] = [
        {"id.resp_h": "10.1.2.3"},
        {"id.resp_h": "10.200.0.1"},
        {"id.resp_h": "11.0.0.0"},
        {"id.resp_h": "2001:DB8::1"},
        {"id.resp_h": "::ffff:10.1.9.9"},
    ]
    hits = Engine(indicators).match(_batch(fields, rows))
    got = {(h.record, h.indicator_id[-1]) for h in hits}
    assert got == {(1, "1"), (1, "2"), (1, "3"), (2, "1"), (4, "4"), (5, "1"), (5, "2")}


def test_subdomain_terms_match_strict_subdomains_only() -> None:
    indicators = IndicatorSet(
        (
            _indicator(1, Term(ValueKind.DOMAIN, TermOp.SUBDOMAIN, "evil.co.uk")),
            _indicator(2, Term(ValueKind.DOMAIN, TermOp.EQUALS, "evil.co.uk")),
        )
    )
    fields = (FieldSpec("query", ValueKind.DOMAIN), FieldSpec("answers", ValueKind.HOST, True))
    rows: list[dict[str, object]] = [
        {"query": "a.b.EVIL.co.uk."},
        {"query": "evil.co.uk"},
        {"query": "notevil.co.uk"},
        {"query": "co.uk", "answers": ["x.evil.co.uk:443", "1.2.3.4"]},
    ]
    hits = Engine(indicators).match(_batch(fields, rows))
    assert [(h.record, h.field, h.value, h.indicator_id[-1]) for h in hits] == [
        (1, "query", "a.b.EVIL.co.uk.", "1"),
        (2, "query", "evil.co.uk", "2"),
        (4, "answers", "x.evil.co.uk:443", "1"),
    ]
    assert hits[0].matched == "a.b.evil.co.uk"
    assert hits[0].context == {"uid": "C0"}


def test_parse_ipv4_accepts_exactly_strict_dotted_quads() -> None:
    texts = ["1.2.3.4", "255.255.255.255", "0.0.0.0", "01.2.3.4", "1.2.3", "256.1.1.1", "::1"]
    texts += [" 1.2.3.4", "1.2.3.4.5", "a.b.c.d", "1..2.3", ""]
    ints, valid = _parse_ipv4(_bytes_of(pa.array(texts), lower=False))
    assert valid.tolist() == [True, True, True] + [False] * 9
    assert ints[:3].tolist() == [int(ipaddress.ip_address(t)) for t in texts[:3]]


def test_hash_set_finds_members_and_nothing_else() -> None:
    rng = np.random.default_rng(7)
    members = rng.integers(0, 2**64 - 1, 50_000, dtype=np.uint64, endpoint=True)
    others = rng.integers(0, 2**64 - 1, 50_000, dtype=np.uint64, endpoint=True)
    others = others[~np.isin(others, members)]
    table = _HashSet(np.concatenate((members, members[:100])))
    assert table.contains(members).all()
    assert not table.contains(others).any()
    # Hashes that share a home slot (same top bits) are all found.
    crowded = (np.arange(64, dtype=np.uint64) << np.uint64(8)) | np.uint64(0xAB << 56)
    assert _HashSet(crowded).contains(crowded).all()


def test_an_empty_indicator_set_matches_nothing() -> None:
    fields = (FieldSpec("query", ValueKind.DOMAIN),)
    assert Engine(IndicatorSet(())).match(_batch(fields, [{"query": "evil.com"}])) == []
