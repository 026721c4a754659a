"""Hits of warninglisted terms: the split agrees with matching the terms apart, and the tally."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.matching.strategies import indicator_sets, log_batches

from entente.matching.engine import Engine
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
from entente.matching.reference import match_batch
from entente.matching.suppression import HitFilter, SuppressedTally, SuppressedValue

GOOGLE = Term(ValueKind.DOMAIN, TermOp.EQUALS, "google.com")
UNDER_GOOGLE = Term(ValueKind.DOMAIN, TermOp.SUBDOMAIN, "google.com")
EVIL = Term(ValueKind.DOMAIN, TermOp.EQUALS, "evil.example")
RESOLVER = Term(ValueKind.IP, TermOp.EQUALS, "8.8.8.8")
RESOLVERS = Term(ValueKind.IP, TermOp.IN_NETWORK, "8.8.8.0/24")
TRANCO = "Top 10K most-used sites from Tranco"


def _indicator(index: int, *terms: Term) -> CompiledIndicator:
    return CompiledIndicator(
        id=f"indicator--00000000-0000-4000-8000-{index:012d}",
        name=None,
        labels=(),
        score=None,
        terms=terms,
    )


def _batch(queries: list[str], answers: list[list[str]]) -> LogBatch:
    fields = (FieldSpec("query", ValueKind.DOMAIN), FieldSpec("answers", ValueKind.HOST, True))
    columns = [
        pa.array(range(1, len(queries) + 1), pa.int64()),
        pa.array([1.5] * len(queries), pa.float64()),
        pa.array(["zeek.dns"] * len(queries), pa.string()),
        pa.array([None] * len(queries), pa.string()),
        pa.array(queries, pa.string()),
        pa.array(answers, pa.list_(pa.string())),
    ]
    names = [*RECORD_COLUMNS, "query", "answers"]
    return LogBatch("dns.log", "zeek-tsv", fields, pa.RecordBatch.from_arrays(columns, names))


def _only(indicators: IndicatorSet, keep: object) -> IndicatorSet:
    """The indicators with the terms ``keep(term)`` says yes to (possibly none)."""
    assert callable(keep)
    return IndicatorSet(
        tuple(replace(i, terms=tuple(t for t in i.terms if keep(t))) for i in indicators.indicators)
    )


def _around(term: Term) -> list[Term]:
    """Terms that match some of what ``term`` matches: the block around an address or block,
    and the subdomains of a name's parent."""
    if term.kind is ValueKind.IP:
        network = ipaddress.ip_network(term.value)
        wider = network.supernet(new_prefix=max(0, network.prefixlen - 8))
        return [Term(ValueKind.IP, TermOp.IN_NETWORK, str(wider))]
    if term.kind is ValueKind.DOMAIN and "." in term.value:
        parent = term.value.split(".", 1)[1]
        return [Term(ValueKind.DOMAIN, TermOp.SUBDOMAIN, parent)]
    return []


def _keys(indicator: CompiledIndicator, batch: LogBatch) -> set[tuple[str, int, str, str, str]]:
    return {hit.key() for hit in match_batch(IndicatorSet((indicator,)), batch)}


def _naive_split(
    indicators: IndicatorSet, listed: set[Term], batch: LogBatch
) -> tuple[list[Hit], list[tuple[Hit, Term]]]:
    """The split by the reference matcher alone: match the unlisted terms, then the listed
    ones; a listed hit no unlisted term found is put on the first listed term, in the
    indicator's order, that finds it on its own."""
    ordinary = match_batch(_only(indicators, lambda t: t not in listed), batch)
    seen = {hit.key() for hit in ordinary}
    by_id = indicators.by_id()
    suppressed = []
    for hit in match_batch(_only(indicators, lambda t: t in listed), batch):
        if hit.key() in seen:
            continue
        indicator = by_id[hit.indicator_id]
        term = next(
            t
            for t in indicator.terms
            if t in listed and hit.key() in _keys(replace(indicator, terms=(t,)), batch)
        )
        suppressed.append((hit, term))
    return ordinary, suppressed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_split_agrees_with_matching_listed_and_unlisted_terms_apart(
    data: st.DataObject,
) -> None:
    drawn = data.draw(indicator_sets())
    pool = list(dict.fromkeys(t for i in drawn.indicators for t in i.terms))
    pool += [wider for term in pool for wider in _around(term) if wider not in pool]
    # One more indicator holds every term and one around it (shuffled): a value then meets a
    # listed and an unlisted term of one indicator often (drawn sets alone hardly ever do).
    every = _indicator(99, *data.draw(st.permutations(pool))) if pool else None
    indicators = IndicatorSet(drawn.indicators + ((every,) if every else ()))
    batch = data.draw(log_batches(indicators))
    listed = data.draw(st.sets(st.sampled_from(pool))) if pool else set()
    ordinary, suppressed = HitFilter(indicators, dict.fromkeys(listed, ("a list",))).split(
        Engine(indicators).match(batch)
    )
    expected_ordinary, expected_suppressed = _naive_split(indicators, listed, batch)
    assert ordinary == expected_ordinary
    assert sorted(suppressed) == sorted(expected_suppressed)


def test_a_one_term_listed_indicator_is_suppressed_and_others_pass() -> None:
    indicators = IndicatorSet((_indicator(1, GOOGLE), _indicator(2, EVIL)))
    batch = _batch(["google.com", "evil.example", "www.google.com"], [[], [], []])
    ordinary, suppressed = HitFilter(indicators, {GOOGLE: (TRANCO,)}).split(
        match_batch(indicators, batch)
    )
    assert [(h.record, h.indicator_id) for h in ordinary] == [(2, indicators.indicators[1].id)]
    assert [(h.record, t) for h, t in suppressed] == [(1, GOOGLE)]


def test_an_unlisted_term_of_the_same_indicator_keeps_its_hits_ordinary() -> None:
    # 8.8.8.8 is listed, the /24 around it is not: the /24 still reports 8.8.8.8.
    mixed = IndicatorSet((_indicator(1, RESOLVER, RESOLVERS, GOOGLE),))
    batch = _batch(["google.com", "x.example"], [["8.8.8.8"], ["8.8.8.9"]])
    listed = {RESOLVER: ("public DNS",), GOOGLE: (TRANCO,)}
    ordinary, suppressed = HitFilter(mixed, listed).split(match_batch(mixed, batch))
    assert [(h.record, h.value) for h in ordinary] == [(1, "8.8.8.8"), (2, "8.8.8.9")]
    assert [(h.record, h.value, t) for h, t in suppressed] == [(1, "google.com", GOOGLE)]


def test_a_hit_is_put_on_the_first_listed_term_that_matches_it() -> None:
    indicators = IndicatorSet((_indicator(1, UNDER_GOOGLE, GOOGLE),))
    batch = _batch(["google.com", "docs.google.com"], [[], []])
    listed = {GOOGLE: (TRANCO,), UNDER_GOOGLE: (TRANCO,)}
    _, suppressed = HitFilter(indicators, listed).split(match_batch(indicators, batch))
    assert [(h.value, t) for h, t in suppressed] == [
        ("google.com", GOOGLE),
        ("docs.google.com", UNDER_GOOGLE),
    ]


def test_without_listed_terms_every_hit_is_ordinary() -> None:
    indicators = IndicatorSet((_indicator(1, GOOGLE),))
    hits = match_batch(indicators, _batch(["google.com"], [[]]))
    hit_filter = HitFilter(indicators, {})
    assert not hit_filter
    assert hit_filter.split(hits) == (hits, [])


def test_the_tally_counts_per_value_with_its_lists_and_indicators() -> None:
    indicators = IndicatorSet(
        (_indicator(1, GOOGLE), _indicator(2, GOOGLE, UNDER_GOOGLE), _indicator(3, RESOLVER))
    )
    batch = _batch(["google.com", "google.com", "a.google.com"], [["8.8.8.8"], [], []])
    listed = {GOOGLE: (TRANCO,), UNDER_GOOGLE: (TRANCO,), RESOLVER: ("public DNS",)}
    _, suppressed = HitFilter(indicators, listed).split(match_batch(indicators, batch))
    tally = SuppressedTally(listed)
    assert tally.add(suppressed) == len(suppressed) == 6
    ids = [i.id for i in indicators.indicators]
    # Ranked by hits; google.com (equals) and google.com (subdomain) are one value.
    assert tally.values() == (
        SuppressedValue("domain", "google.com", (TRANCO,), (ids[0], ids[1]), 5),
        SuppressedValue("ip", "8.8.8.8", ("public DNS",), (ids[2],), 1),
    )
    assert tally.hits == 6
