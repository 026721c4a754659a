"""The edge renderers' shared order: groups by kind and op, values sorted, one item per
(indicator, kind, op, value) chosen the same whatever the input order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from entente.export._ordering import epoch_seconds, ordered_groups, ordered_unique, unsupported
from entente.export.model import ExportItem, ItemKind, ItemOp, LeftOutReason

_A, _B = "indicator--a", "indicator--b"


def _item(
    value: str,
    indicator_id: str = _A,
    kind: ItemKind = ItemKind.DOMAIN,
    op: ItemOp = ItemOp.EQUALS,
    score: int = 50,
) -> ExportItem:
    return ExportItem(indicator_id, kind, op, value, score)


def test_groups_come_in_kind_and_op_order_with_values_sorted() -> None:
    items = [
        _item("b.example"),
        _item("a.example", op=ItemOp.SUBDOMAIN),
        _item("10.0.0.0/8", kind=ItemKind.IP, op=ItemOp.IN_NETWORK),
        _item("192.0.2.1", kind=ItemKind.IP),
        _item("a.example"),
    ]
    groups = [(kind, op, [i.value for i in group]) for kind, op, group in ordered_groups(items)]
    assert groups == [
        (ItemKind.DOMAIN, ItemOp.EQUALS, ["a.example", "b.example"]),
        (ItemKind.DOMAIN, ItemOp.SUBDOMAIN, ["a.example"]),
        (ItemKind.IP, ItemOp.EQUALS, ["192.0.2.1"]),
        (ItemKind.IP, ItemOp.IN_NETWORK, ["10.0.0.0/8"]),
    ]


def test_one_value_of_several_indicators_is_ordered_by_indicator() -> None:
    items = [_item("x.example", _B), _item("a.example", _B), _item("x.example", _A)]
    assert [(i.value, i.indicator_id) for i in ordered_unique(items)] == [
        ("a.example", _B),
        ("x.example", _A),
        ("x.example", _B),
    ]


def test_a_repeated_item_is_kept_once_and_the_higher_score_wins() -> None:
    items = [_item("x.example", score=10), _item("x.example", score=90), _item("x.example")]
    assert [i.score for i in ordered_unique(items)] == [90]
    assert [i.score for i in ordered_unique(list(reversed(items)))] == [90]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.sampled_from([_A, _B, "indicator--c"]),
            st.sampled_from([ItemKind.DOMAIN, ItemKind.IP, ItemKind.URL]),
            st.sampled_from([ItemOp.EQUALS, ItemOp.SUBDOMAIN]),
            st.integers(0, 100),
        ),
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_the_order_is_that_of_kind_op_value_indicator_whatever_the_input_order(
    rows: list[tuple[str, str, ItemKind, ItemOp, int]], rnd: random.Random
) -> None:
    items = [_item(v, i, k, o, s) for v, i, k, o, s in rows]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    got = ordered_unique(shuffled)
    assert got == ordered_unique(items)
    keys = [(i.kind, i.op, i.value, i.indicator_id) for i in got]
    assert keys == sorted(set(keys))
    best: dict[tuple[ItemKind, ItemOp, str, str], int] = {}
    for i in items:
        key = (i.kind, i.op, i.value, i.indicator_id)
        best[key] = max(best.get(key, -1), i.score)
    assert [i.score for i in got] == [best[k] for k in keys]


def test_unsupported_records_the_item_and_why() -> None:
    out = unsupported(_item("x.example"), "no way")
    assert (out.indicator_id, out.reason, out.detail) == (_A, LeftOutReason.UNSUPPORTED, "no way")
    assert (out.kind, out.value) == (ItemKind.DOMAIN, "x.example")


def test_epoch_seconds_reads_stix_timestamps() -> None:
    assert epoch_seconds("1970-01-01T00:00:00Z") == 0
    assert epoch_seconds("2026-01-02T03:04:05.678Z") == 1767323045
    assert epoch_seconds("2026-01-02T03:04:05.123456789Z") == 1767323045
    assert epoch_seconds("2026-01-02 03:04:05Z") is None
    assert epoch_seconds("2026-13-02T03:04:05Z") is None
    assert epoch_seconds("2026-01-02T03:04:05+01:00") is None
