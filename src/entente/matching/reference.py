"""The naive matcher: the readable specification every faster matcher must agree with.

It compares every value of every record with every term of every indicator in plain loops, so
that what a hit *is* can be read in twenty lines. It is slow on purpose; ``engine`` is the fast
twin, and a property test asserts that both give the same hits (conventions §10).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from entente.matching.model import (
    Hit,
    IndicatorSet,
    LogBatch,
    Term,
    TermOp,
    ValueKind,
    context_of,
)
from entente.matching.values import NO_VALUE, log_values

__all__ = ["match_batch", "term_matches"]


def term_matches(term: Term, kind: ValueKind, value: str) -> bool:
    """Whether a log value, seen as ``kind`` with normal form ``value``, matches ``term``."""
    if term.kind is not kind:
        return False
    if term.op is TermOp.EQUALS:
        return value == term.value
    if term.op is TermOp.IN_NETWORK:
        # An address of the other family is never inside the block (ipaddress says False).
        return ipaddress.ip_address(value) in ipaddress.ip_network(term.value)
    # SUBDOMAIN: a strict subdomain, label-aligned ("a.evil.com", not "notevil.com").
    return value.endswith("." + term.value)


def _elements(cell: Any, many: bool) -> list[str]:
    """The values in one cell: each element of a list, or the string itself."""
    items = (cell or []) if many else [cell]
    return [item for item in items if item is not None and item not in NO_VALUE]


def match_batch(indicators: IndicatorSet, batch: LogBatch) -> list[Hit]:
    """Every (record, field, value, indicator) match in ``batch``, one hit each, by ``key()``."""
    hits: dict[tuple[str, int, str, str, str], Hit] = {}
    for row in batch.table.to_pylist():
        context = context_of(row["context"])
        for spec in batch.fields:
            for element in _elements(row[spec.name], spec.many):
                seen = log_values(spec.kind, element)
                if seen is None:
                    continue
                kind, value = seen
                for indicator in indicators.indicators:
                    for term in indicator.terms:
                        if not term_matches(term, kind, value):
                            continue
                        hit = Hit(
                            source=batch.source,
                            record=row["record"],
                            field=spec.name,
                            value=element,
                            indicator_id=indicator.id,
                            ts=row["ts"],
                            log=row["log"],
                            kind=kind.value,
                            matched=value,
                            indicator_name=indicator.name,
                            labels=indicator.labels,
                            score=indicator.score,
                            context=context,
                        )
                        hits.setdefault(hit.key(), hit)
    return [hits[key] for key in sorted(hits)]
