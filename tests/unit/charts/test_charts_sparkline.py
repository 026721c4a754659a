"""The sparkline: a line scaled to its box, the last value marked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.charts.conftest import check_golden, elements, no_script, parse, title_of

from entente.charts import render_sparkline


def test_sparkline_matches_its_golden_file() -> None:
    check_golden("sparkline.svg", render_sparkline("Syncs of cert-b", [3, 0, 5, 8, 2]))


def test_line_and_last_point_have_titles() -> None:
    svg = render_sparkline("Hits", [1, 4, 2])
    root = parse(svg)
    assert root.get("aria-label") == "Hits"
    (line,) = elements(root, "polyline", "chart-spark")
    assert title_of(line) == "Hits: 1, 4, 2"
    (last,) = elements(root, "circle", "chart-spark-last")
    assert title_of(last) == "latest: 2"
    no_script(svg)


def test_label_is_escaped() -> None:
    svg = render_sparkline('"><script>x</script>', [1])
    assert "<script>" not in svg
    assert parse(svg).get("aria-label") == '"><script>x</script>'


def test_no_values_renders_no_data() -> None:
    root = parse(render_sparkline("Hits", []))
    assert [e.text for e in elements(root, "text", "chart-empty")] == ["no data"]


def test_a_negative_value_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        render_sparkline("x", [1, -1])


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=60))
def test_points_stay_in_the_box_and_follow_the_values(values: list[int]) -> None:
    (line,) = elements(parse(render_sparkline("x", values)), "polyline", "chart-spark")
    points = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    assert all(0 <= x <= 120 and 0 <= y <= 24 for x, y in points)
    peak = max(values)
    for value, (_, y) in zip(values, points, strict=False):
        # Higher values are drawn higher (smaller y), in proportion.
        expected = 22 - (20 * value / peak if peak else 0)
        assert abs(y - expected) <= 0.01
