"""The naive reference matcher: what a hit is, value kind by value kind."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any

import orjson
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.matching.strategies import indicator_sets, log_batches

from entente.matching.model import (
    RECORD_COLUMNS,
    CompiledIndicator,
    FieldSpec,
    Hit,
    IndicatorSet,
    LogBatch,
    Term,
    TermOp,
    ValueKind,
)
from entente.matching.reference import match_batch, term_matches
from entente.matching.values import log_values

IP, DOMAIN, HOST = ValueKind.IP, ValueKind.DOMAIN, ValueKind.HOST
EQ, NET, SUB = TermOp.EQUALS, TermOp.IN_NETWORK, TermOp.SUBDOMAIN
SOURCE = "logs/conn.log"


def _indicator(n: int, *terms: Term, **fields: Any) -> CompiledIndicator:
    values: dict[str, Any] = {
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "name": f"indicator {n}",
        "labels": (),
        "score": None,
        "terms": terms,
    }
    values.update(fields)
    return CompiledIndicator(**values)


def _batch(fields: tuple[FieldSpec, ...], *rows: dict[str, Any]) -> LogBatch:
    columns: list[pa.Array] = [
        pa.array([row.get("record", i + 1) for i, row in enumerate(rows)], pa.int64()),
        pa.array([row.get("ts") for row in rows], pa.float64()),
        pa.array([row.get("log", "zeek.conn") for row in rows], pa.string()),
        pa.array([row.get("context") for row in rows], pa.string()),
    ]
    for spec in fields:
        kind = pa.list_(pa.string()) if spec.many else pa.string()
        columns.append(pa.array([row.get(spec.name) for row in rows], kind))
    names = [*RECORD_COLUMNS, *(spec.name for spec in fields)]
    return LogBatch(SOURCE, "zeek-tsv", fields, pa.RecordBatch.from_arrays(columns, names=names))


def _matches(indicators: list[CompiledIndicator], spec: FieldSpec, *values: Any) -> list[str]:
    """The raw values of ``values`` (one record each) that hit any indicator."""
    batch = _batch((spec,), *({spec.name: value} for value in values))
    return [hit.value for hit in match_batch(IndicatorSet(tuple(indicators)), batch)]


def test_ip_terms_match_canonical_addresses_and_blocks_of_their_family() -> None:
    indicators = [
        _indicator(1, Term(IP, EQ, "198.51.100.7")),
        _indicator(2, Term(IP, NET, "10.0.0.0/8")),
        _indicator(3, Term(IP, NET, "2001:db8::/32")),
        _indicator(4, Term(IP, EQ, "2001:db8::1")),
    ]
    spec = FieldSpec("id.resp_h", IP)
    values = [
        "198.51.100.7",
        "::ffff:198.51.100.7",  # IPv4-mapped: seen as IPv4
        "198.51.100.70",
        "10.255.255.255",
        "11.0.0.0",
        "9.255.255.255",
        "2001:DB8:0:0:0:0:0:1",
        "2001:db9::",
        "::ffff:10.1.2.3",
        "010.1.2.3",  # leading zeros: not an address
        "198.51.100.7:80",  # an IP field holds bare addresses
    ]
    assert _matches(indicators, spec, *values) == [
        "198.51.100.7",
        "::ffff:198.51.100.7",
        "10.255.255.255",
        "2001:DB8:0:0:0:0:0:1",  # inside indicator 3's block ...
        "2001:DB8:0:0:0:0:0:1",  # ... and equal to indicator 4's address: two hits
        "::ffff:10.1.2.3",
    ]


def test_a_block_never_matches_the_other_family() -> None:
    indicators = [_indicator(1, Term(IP, NET, "::/0")), _indicator(2, Term(IP, NET, "0.0.0.0/0"))]
    batch = _batch((FieldSpec("ip", IP),), {"ip": "192.0.2.1"}, {"ip": "::ffff:192.0.2.1"})
    hits = match_batch(IndicatorSet(tuple(indicators)), batch)
    assert [(h.record, h.indicator_id[-1]) for h in hits] == [(1, "2"), (2, "2")]


def test_subdomain_terms_match_strict_subdomains_on_label_boundaries() -> None:
    indicators = [_indicator(1, Term(DOMAIN, SUB, "evil.co.uk"))]
    spec = FieldSpec("query", DOMAIN)
    values = [
        "a.evil.co.uk",
        "A.B.EVIL.CO.UK.",
        "evil.co.uk",  # the name itself is not a strict subdomain
        "notevil.co.uk",
        "a.notevil.co.uk",
        "evil.co.uk.attacker.example",
        "co.uk",
        "a.evil.co.uk..",  # not a name
    ]
    assert _matches(indicators, spec, *values) == ["a.evil.co.uk", "A.B.EVIL.CO.UK."]


def test_domain_equality_is_on_the_normal_form() -> None:
    indicators = [_indicator(1, Term(DOMAIN, EQ, "xn--mnchen-3ya.de"))]
    spec = FieldSpec("query", DOMAIN)
    values = ["MÜNCHEN.de.", "xn--mnchen-3ya.de", "www.münchen.de", "munchen.de"]
    assert _matches(indicators, spec, *values) == ["MÜNCHEN.de.", "xn--mnchen-3ya.de"]


def test_a_host_is_seen_as_an_address_or_a_name() -> None:
    indicators = [
        _indicator(1, Term(IP, EQ, "198.51.100.7")),
        _indicator(2, Term(DOMAIN, EQ, "evil.example")),
    ]
    batch = _batch(
        (FieldSpec("host", HOST),),
        {"host": "Evil.Example:8080"},
        {"host": "198.51.100.7"},
        {"host": "[::ffff:198.51.100.7]:443"},
        {"host": "evil.example.net"},
    )
    hits = match_batch(IndicatorSet(tuple(indicators)), batch)
    assert [(h.record, h.kind, h.matched, h.indicator_id[-1]) for h in hits] == [
        (1, "domain", "evil.example", "2"),
        (2, "ip", "198.51.100.7", "1"),
        (3, "ip", "198.51.100.7", "1"),
    ]


def test_list_elements_are_values_and_no_value_markers_are_skipped() -> None:
    indicators = [_indicator(1, Term(IP, EQ, "198.51.100.7"), Term(DOMAIN, SUB, "evil.example"))]
    spec = FieldSpec("answers", HOST, many=True)
    batch = _batch(
        (spec,),
        {"answers": ["198.51.100.7", "a.evil.example", "198.51.100.7", None, "-", "(empty)"]},
        {"answers": []},
        {"answers": None},
        {"answers": ["TXT 12 v=spf1 -all", "b.evil.example."]},
    )
    hits = match_batch(IndicatorSet(tuple(indicators)), batch)
    assert [(h.record, h.value) for h in hits] == [
        (1, "198.51.100.7"),  # twice in the list: one hit
        (1, "a.evil.example"),
        (4, "b.evil.example."),
    ]


def test_each_indicator_sharing_a_term_gets_its_hit_and_overlapping_terms_give_one() -> None:
    shared = Term(IP, EQ, "10.0.0.1")
    indicators = [
        _indicator(2, shared, Term(IP, NET, "10.0.0.0/8"), Term(IP, NET, "10.0.0.0/24")),
        _indicator(1, shared),
    ]
    batch = _batch((FieldSpec("a", IP), FieldSpec("b", IP)), {"a": "10.0.0.1", "b": "10.0.0.1"})
    hits = match_batch(IndicatorSet(tuple(indicators)), batch)
    assert [(h.field, h.indicator_id[-1]) for h in hits] == [
        ("a", "1"),
        ("a", "2"),
        ("b", "1"),
        ("b", "2"),
    ]


def test_a_hit_carries_the_record_the_value_and_the_indicator() -> None:
    indicator = _indicator(
        1, Term(ValueKind.URL, EQ, "http://evil.example/x"), labels=("c2",), score=70
    )
    context = {"uid": "CHhAvVGS1DHFjwGM9", "id.orig_h": "10.0.0.5"}
    batch = _batch(
        (FieldSpec("url", ValueKind.URL),),
        {
            "record": 12,
            "ts": 1_700_000_000.5,
            "log": "zeek.http",
            "context": orjson.dumps(context).decode(),
            "url": "HTTP://Evil.Example:80/x#top",
        },
    )
    assert match_batch(IndicatorSet((indicator,)), batch) == [
        Hit(
            source=SOURCE,
            record=12,
            field="url",
            value="HTTP://Evil.Example:80/x#top",
            indicator_id=indicator.id,
            ts=1_700_000_000.5,
            log="zeek.http",
            kind="url",
            matched="http://evil.example/x",
            indicator_name="indicator 1",
            labels=("c2",),
            score=70,
            context=context,
        )
    ]


def test_emails_digests_and_fingerprints_match_their_own_kind_only() -> None:
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    indicators = [
        _indicator(1, Term(ValueKind.EMAIL, EQ, "bob@evil.example")),
        _indicator(2, Term(ValueKind.MD5, EQ, md5)),
        _indicator(3, Term(ValueKind.JA3, EQ, md5)),
        _indicator(4, Term(ValueKind.JA4, EQ, "t13d1516h2_8daaf6152771_b0da82dd1658")),
    ]
    fields = (
        FieldSpec("mailfrom", ValueKind.EMAIL),
        FieldSpec("md5", ValueKind.MD5),
        FieldSpec("ja3s", ValueKind.JA3S),
        FieldSpec("ja3", ValueKind.JA3),
        FieldSpec("ja4", ValueKind.JA4),
    )
    batch = _batch(
        fields,
        {
            "mailfrom": "Bob <BOB@Evil.Example>",
            "md5": md5.upper(),
            "ja3s": md5,  # a JA3S field never matches a JA3 term
            "ja3": f" {md5} ",
            "ja4": "T13D1516H2_8DAAF6152771_B0DA82DD1658",
        },
    )
    hits = match_batch(IndicatorSet(tuple(indicators)), batch)
    assert [(h.field, h.indicator_id[-1]) for h in hits] == [
        ("ja3", "3"),
        ("ja4", "4"),
        ("mailfrom", "1"),
        ("md5", "2"),
    ]


def test_nothing_matches_an_empty_set_or_an_empty_batch() -> None:
    spec = FieldSpec("ip", IP)
    assert match_batch(IndicatorSet(()), _batch((spec,), {"ip": "10.0.0.1"})) == []
    indicators = IndicatorSet((_indicator(1, Term(IP, EQ, "10.0.0.1")),))
    assert match_batch(indicators, _batch((spec,))) == []


def test_term_matches_compares_kinds_first() -> None:
    term = Term(DOMAIN, EQ, "10.0.0.1")
    assert term_matches(term, DOMAIN, "10.0.0.1")
    assert not term_matches(term, IP, "10.0.0.1")
    assert not term_matches(Term(IP, NET, "10.0.0.0/8"), DOMAIN, "10.0.0.1")


# --- properties -----------------------------------------------------------------------------------


def _indexed_matcher(
    indicators: IndicatorSet, batch: LogBatch
) -> set[tuple[str, int, str, str, str]]:
    """The same semantics built the other way round: indexes by value, by block, by suffix."""
    equal: dict[tuple[ValueKind, str], set[str]] = defaultdict(set)
    blocks: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    suffixes: dict[str, set[str]] = defaultdict(set)
    for indicator in indicators.indicators:
        for term in indicator.terms:
            if term.op is EQ:
                equal[term.kind, term.value].add(indicator.id)
            elif term.op is NET:
                net = ipaddress.ip_network(term.value)
                blocks[net.version, net.prefixlen, int(net.network_address)].add(indicator.id)
            else:
                suffixes[term.value].add(indicator.id)
    keys: set[tuple[str, int, str, str, str]] = set()
    for row in batch.table.to_pylist():
        for spec in batch.fields:
            cell = row[spec.name]
            for element in (cell or []) if spec.many else [cell]:
                seen = log_values(spec.kind, element) if element is not None else None
                if seen is None:
                    continue
                kind, value = seen
                ids = set(equal.get((kind, value), set()))
                if kind is IP:
                    address = ipaddress.ip_address(value)
                    bits = address.max_prefixlen
                    for version, length, network in list(blocks):
                        if version != address.version:
                            continue
                        mask = ((1 << length) - 1) << (bits - length)
                        if int(address) & mask == network:
                            ids |= blocks[version, length, network]
                if kind is DOMAIN:
                    labels = value.split(".")
                    for i in range(1, len(labels)):
                        ids |= suffixes.get(".".join(labels[i:]), set())
                keys |= {(batch.source, row["record"], spec.name, element, i) for i in ids}
    return keys


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_the_reference_agrees_with_an_indexed_matcher(data: st.DataObject) -> None:
    indicators = data.draw(indicator_sets())
    batch = data.draw(log_batches(indicators))
    hits = match_batch(indicators, batch)
    keys = [hit.key() for hit in hits]
    assert keys == sorted(set(keys))
    assert set(keys) == _indexed_matcher(indicators, batch)
    by_id = indicators.by_id()
    for hit in hits:
        spec = next(spec for spec in batch.fields if spec.name == hit.field)
        assert log_values(spec.kind, hit.value) == (ValueKind(hit.kind), hit.matched)
        indicator = by_id[hit.indicator_id]
        assert any(term_matches(t, ValueKind(hit.kind), hit.matched) for t in indicator.terms)
        assert (hit.indicator_name, hit.labels, hit.score) == (
            indicator.name,
            indicator.labels,
            indicator.score,
        )


def test_generated_batches_hit_often_enough_to_test_a_matcher() -> None:
    outcomes: list[bool] = []

    @settings(max_examples=100, deadline=None, derandomize=True, database=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        indicators = data.draw(indicator_sets())
        outcomes.append(bool(match_batch(indicators, data.draw(log_batches(indicators)))))

    run()
    assert sum(outcomes) >= len(outcomes) * 2 // 5
