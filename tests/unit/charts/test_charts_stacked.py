"""The horizontal stacked bar of the TLP mix: segments in proportion, a legend in words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.charts.conftest import check_golden, elements, no_script, parse, title_of

from entente.charts import PALETTE, TLP_COLOURS, Part, is_colour, render_stacked_bar


def test_stacked_bar_matches_its_golden_file() -> None:
    parts = [Part("TLP:CLEAR", 5), Part("TLP:GREEN", 12), Part("TLP:AMBER", 3), Part("RED", 0)]
    check_golden("stacked.svg", render_stacked_bar("TLP mix", parts))


def test_segments_have_titles_and_the_legend_names_every_part() -> None:
    svg = render_stacked_bar("TLP mix", [Part("TLP:GREEN", 3), Part("TLP:RED", 1)])
    root = parse(svg)
    assert root.get("role") == "img"
    segments = elements(root, "rect", "chart-segment")
    assert [title_of(s) for s in segments] == ["TLP:GREEN: 3 (75.0%)", "TLP:RED: 1 (25.0%)"]
    assert [s.get("fill") for s in segments] == [PALETTE[0], PALETTE[1]]
    legend = [e.text for e in elements(root, "text", "chart-legend")]
    assert legend == ["TLP:GREEN: 3 (75.0%)", "TLP:RED: 1 (25.0%)"]
    no_script(svg)


def test_labels_are_escaped() -> None:
    svg = render_stacked_bar("mix", [Part("</text><script>alert(1)</script>", 1)])
    assert "<script>" not in svg
    assert title_of(elements(parse(svg), "rect", "chart-segment")[0]).startswith("</text>")


def test_all_zero_renders_no_data() -> None:
    root = parse(render_stacked_bar("TLP mix", [Part("TLP:GREEN", 0)]))
    assert [e.text for e in elements(root, "text", "chart-empty")] == ["no data"]
    assert elements(parse(render_stacked_bar("TLP mix", [])), "rect", "chart-segment") == []


def test_a_negative_part_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        render_stacked_bar("x", [Part("a", -2)])


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
def test_segments_are_proportional_and_fill_the_bar(values: list[int]) -> None:
    root = parse(render_stacked_bar("x", [Part(f"p{i}", v) for i, v in enumerate(values)]))
    segments = elements(root, "rect", "chart-segment")
    total = sum(values)
    if total == 0:
        assert segments == []
        return
    widths = [float(s.get("width", "")) for s in segments]
    assert all(w >= 0 for w in widths)
    nonzero = [v for v in values if v]
    for value, width in zip(nonzero, widths, strict=True):
        assert abs(width - 464 * value / total) <= 0.01
    assert abs(sum(widths) - 464) <= 0.01 * len(widths)


def test_the_tlp_mix_uses_the_tlp_colours_and_matches_its_golden_file() -> None:
    counts = {"TLP:CLEAR": 4, "TLP:GREEN": 30, "TLP:AMBER": 9, "TLP:AMBER+STRICT": 6, "TLP:RED": 1}
    parts = [Part(label, n, TLP_COLOURS[label]) for label, n in counts.items()]
    svg = render_stacked_bar("TLP mix", parts)
    segments = elements(parse(svg), "rect", "chart-segment")
    assert [s.get("fill") for s in segments] == list(TLP_COLOURS.values())
    check_golden("tlp-mix.svg", svg)


def test_a_colour_that_is_not_rrggbb_is_refused() -> None:
    with pytest.raises(ValueError, match="rrggbb"):
        render_stacked_bar("x", [Part("a", 1, 'red" onload="alert(1)')])
    assert is_colour("#0072B2")
    assert not is_colour("#0072B")
    assert not is_colour("0072B2x")
