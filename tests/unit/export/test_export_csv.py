"""CSV export: RFC 4180 that Python's csv module reads back to the same items, with no cell a
spreadsheet would run as a formula.

Golden file ``golden/indicators.csv``; regenerate with ``ENTENTE_REGENERATE_GOLDEN=1``.
"""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.export.conftest import check_golden
from tests.unit.export.edge_items import CONTEXT, ITEMS

from entente.export.csv import (
    COLUMNS,
    join_labels,
    render,
    split_labels,
    unneutralise,
)
from entente.export.model import ExportItem, ItemKind, ItemOp

_ID = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def rows(body: bytes) -> list[list[str]]:
    """The raw cells of a rendered CSV, header first."""
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def read_items(body: bytes) -> list[ExportItem]:
    """A rendered CSV back to items: the reader an analyst's script would write."""
    header, *records = rows(body)
    assert tuple(header) == COLUMNS
    items = []
    for record in records:
        cell = dict(zip(COLUMNS, [unneutralise(value) for value in record], strict=True))
        items.append(
            ExportItem(
                indicator_id=cell["indicator_id"],
                kind=ItemKind(cell["kind"]),
                op=ItemOp(cell["op"]),
                value=cell["value"],
                score=int(cell["score"]),
                name=cell["name"] or None,
                labels=split_labels(cell["labels"]),
                tlp=cell["tlp"] or None,
                created_by_ref=cell["created_by_ref"] or None,
                modified=cell["modified"] or None,
            )
        )
    return items


def test_golden() -> None:
    rendered = render(ITEMS, CONTEXT)
    check_golden("indicators.csv", rendered.body)
    assert rendered.media_type == "text/csv; charset=utf-8; header=present"
    assert rendered.count == len(ITEMS)
    assert rendered.left_out == ()


def test_the_header_and_rfc_4180_line_ends() -> None:
    body = render(ITEMS, CONTEXT).body
    assert body.startswith(
        b"indicator_id,kind,op,value,score,name,labels,tlp,created_by_ref,modified\r\n"
    )
    assert body.endswith(b"\r\n")
    assert read_items(body) == list(ITEMS)


def test_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    item = ExportItem(
        _ID,
        ItemKind.URL,
        ItemOp.EQUALS,
        '=HYPERLINK("http://evil.example","x")',
        50,
        name="+cmd|' /C calc'!A0",
        labels=("-2+3", "@SUM(A1)", "\tx", "'quoted"),
        tlp="green",
    )
    body = render([item], CONTEXT).body
    record = rows(body)[1]
    assert record[3] == '\'=HYPERLINK("http://evil.example","x")'
    assert record[5] == "'+cmd|' /C calc'!A0"
    assert record[6] == "'-2+3|@SUM(A1)|\tx|'quoted"
    assert read_items(body) == [item]


def test_labels_with_the_separator_split_back_the_same() -> None:
    labels = ("a|b", "c\\", "\\|", "plain")
    assert split_labels(join_labels(labels)) == labels
    assert join_labels(()) == ""
    assert split_labels("") == ()


_TEXT = st.text(
    st.characters(exclude_categories=["Cs"]) | st.sampled_from(list("=+-@'\t\r\n,\"|\\")),
    max_size=12,
)
_ITEMS = st.builds(
    ExportItem,
    indicator_id=_TEXT.filter(bool),
    kind=st.sampled_from(list(ItemKind)),
    op=st.sampled_from(list(ItemOp)),
    value=_TEXT.filter(bool),
    score=st.integers(0, 100),
    name=st.none() | _TEXT.filter(bool),
    labels=st.lists(_TEXT.filter(bool), max_size=3).map(tuple),
    tlp=st.none() | st.sampled_from(["clear", "green", "amber", "amber+strict"]),
    created_by_ref=st.none() | _TEXT.filter(bool),
    modified=st.none() | _TEXT.filter(bool),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ITEMS, max_size=10))
def test_the_csv_module_reads_back_exactly_the_items(items: list[ExportItem]) -> None:
    body = render(items, CONTEXT).body
    assert read_items(body) == items
    for record in rows(body)[1:]:
        for value in record:
            assert not value.startswith(_FORMULA)
