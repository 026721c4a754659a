"""The bar chart: months on x, one bar per series, heights proportional, text escaped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.charts.conftest import check_golden, elements, no_script, parse, title_of

from entente.charts import Series, render_bar_chart

MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04")


def test_bar_chart_matches_its_golden_file() -> None:
    svg = render_bar_chart(
        "Incidents and sightings per month",
        MONTHS,
        [Series("incident", (1, 0, 4, 2)), Series("sighting", (10, 3, 0, 7))],
    )
    check_golden("bars.svg", svg)


def test_the_chart_is_an_accessible_image_with_a_title_per_bar() -> None:
    svg = render_bar_chart("Sightings", MONTHS, [Series("sighting", (1, 2, 3, 4))])
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Sightings"
    assert title_of(root) == "Sightings"
    bars = elements(root, "rect", "chart-bar")
    assert [title_of(bar) for bar in bars] == [
        "sighting, 2026-01: 1",
        "sighting, 2026-02: 2",
        "sighting, 2026-03: 3",
        "sighting, 2026-04: 4",
    ]
    no_script(svg)


def test_names_from_partners_are_escaped() -> None:
    hostile = "</text><script>alert(1)</script>"
    svg = render_bar_chart(hostile, [hostile], [Series(f'{hostile}" onload="x', (3,))])
    assert "<script>" not in svg
    assert "&lt;/text&gt;&lt;script&gt;" in svg
    root = parse(svg)
    assert root.get("aria-label") == hostile
    assert title_of(elements(root, "rect", "chart-bar")[0]).startswith(hostile)
    no_script(svg)


def test_characters_xml_does_not_allow_are_dropped() -> None:
    svg = render_bar_chart("a\x00b\x1bc", ["m"], [Series("s", (1,))])
    assert parse(svg).get("aria-label") == "abc"


@pytest.mark.parametrize(
    ("categories", "series"),
    [
        ((), []),
        (MONTHS, []),
        (MONTHS, [Series("incident", (0, 0, 0, 0))]),
        ((), [Series("incident", ())]),
    ],
)
def test_no_data_renders_an_empty_state_that_says_so(
    categories: tuple[str, ...], series: list[Series]
) -> None:
    root = parse(render_bar_chart("Incidents", categories, series))
    assert elements(root, "rect", "chart-bar") == []
    assert [e.text for e in elements(root, "text", "chart-empty")] == ["no data"]
    assert root.get("aria-label") == "Incidents: no data"


def test_negative_values_and_ragged_series_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        render_bar_chart("x", ["a"], [Series("s", (-1,))])
    with pytest.raises(ValueError, match="values for"):
        render_bar_chart("x", ["a", "b"], [Series("s", (1,))])


def test_at_most_twelve_month_labels_are_drawn() -> None:
    months = [f"2025-{m:02d}" for m in range(1, 13)] + [f"2026-{m:02d}" for m in range(1, 13)]
    root = parse(render_bar_chart("x", months, [Series("s", tuple(range(24)))]))
    labels = [e.text for e in elements(root, "text", "chart-label")]
    assert labels == months[::2]


@given(
    rows=st.lists(
        st.lists(st.integers(0, 10**9), min_size=1, max_size=24), min_size=1, max_size=4
    ).filter(lambda rows: len({len(r) for r in rows}) == 1)
)
def test_bar_heights_are_proportional_and_never_negative(rows: list[list[int]]) -> None:
    categories = [f"m{i}" for i in range(len(rows[0]))]
    series = [Series(f"s{n}", tuple(row)) for n, row in enumerate(rows)]
    root = parse(render_bar_chart("x", categories, series))
    peak = max(max(row) for row in rows)
    bars = elements(root, "rect", "chart-bar")
    if peak == 0:
        assert bars == []
        return
    values = [row[i] for i in range(len(categories)) for row in rows]
    assert len(bars) == len(values)
    heights = [float(bar.get("height", "")) for bar in bars]
    tallest = max(heights)
    for value, height, bar in zip(values, heights, bars, strict=True):
        assert height >= 0
        # Two decimals of rounding in a 184-pixel plot.
        assert abs(height - tallest * value / peak) <= 0.01
        assert title_of(bar).endswith(f": {value}")
        # Every bar stands on the baseline.
        assert abs(float(bar.get("y", "")) + height - 200) <= 0.01


def test_a_long_legend_wraps_and_shortens_names_but_titles_keep_them() -> None:
    names = [f"partner-cert-number-{n}" for n in range(7)]
    svg = render_bar_chart(
        "Intel per partner", ["2026-01"], [Series(n, (n_,)) for n_, n in enumerate(names, start=1)]
    )
    root = parse(svg)
    legend = elements(root, "text", "chart-legend")
    assert [e.text for e in legend] == ["partner-cert-\u2026"] * 7
    swatches = elements(root, "rect", "chart-swatch")
    assert [title_of(s) for s in swatches] == names
    rows = sorted({float(s.get("y", "")) for s in swatches})
    assert len(rows) == 2  # four entries fit in a row of 640 pixels
    assert int(root.get("height", "")) == 240 + 16
    assert all(float(s.get("y", "")) + 10 <= 256 for s in swatches)
