"""SVG charts for the analyst UI: values in, SVG text out (sans-IO, no JavaScript)."""

from entente.charts.bars import Series, render_bar_chart
from entente.charts.palette import PALETTE, TLP_COLOURS, colour, is_colour
from entente.charts.sparkline import render_sparkline
from entente.charts.stacked import Part, render_stacked_bar
from entente.charts.svg import escape

__all__ = [
    "PALETTE",
    "TLP_COLOURS",
    "Part",
    "Series",
    "colour",
    "escape",
    "is_colour",
    "render_bar_chart",
    "render_sparkline",
    "render_stacked_bar",
]
