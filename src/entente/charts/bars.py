"""A bar chart with categories (months) on x: one bar per series in each category."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from entente.charts.palette import colour
from entente.charts.svg import document, empty_state, escape, number, shorten

__all__ = ["Series", "render_bar_chart"]

_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 8, 16, 40
# Legend entries: their width, the characters of a name shown there, the height of a row.
_LEGEND_W, _LEGEND_CHARS, _LEGEND_ROW = 120, 14, 16
# Labels under the axis: at most this many, evenly spaced, so that 24 months stay legible.
_MAX_LABELS = 12


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of values, one per category."""

    name: str
    values: tuple[int, ...]


def render_bar_chart(
    label: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 640,
    height: int = 240,
) -> str:
    """An SVG bar chart; "no data" when there are no categories or every value is zero.

    Each bar is a ``<rect>`` with a ``<title>`` naming its series, category and value; bar
    heights are proportional to the values, from a zero baseline. Raises ValueError on a
    negative value or a series whose length differs from the categories'.
    """
    for row in series:
        if len(row.values) != len(categories):
            raise ValueError(
                f"series {row.name!r} has {len(row.values)} values for {len(categories)} categories"
            )
        if any(value < 0 for value in row.values):
            raise ValueError(f"series {row.name!r} has a negative value")
    peak = max((value for row in series for value in row.values), default=0)
    if not categories or not series or peak == 0:
        return empty_state(width, height, label)
    plot_w = width - _LEFT - _RIGHT
    plot_h = height - _TOP - _BOTTOM
    base = _TOP + plot_h
    slot = plot_w / len(categories)
    bar_w = slot * 0.8 / len(series)
    parts = [
        f'<line class="chart-axis" x1="{_LEFT}" y1="{base}" x2="{width - _RIGHT}" y2="{base}" '
        f'stroke="#555555"/>',
        f'<text class="chart-tick" x="{_LEFT - 4}" y="{_TOP}" text-anchor="end" '
        f'dominant-baseline="middle">{peak}</text>',
        f'<text class="chart-tick" x="{_LEFT - 4}" y="{base}" text-anchor="end" '
        f'dominant-baseline="middle">0</text>',
    ]
    step = -(-len(categories) // _MAX_LABELS)  # ceiling division
    for index, category in enumerate(categories):
        left = _LEFT + index * slot + slot * 0.1
        for number_of_series, row in enumerate(series):
            value = row.values[index]
            bar_h = plot_h * value / peak
            x = left + number_of_series * bar_w
            parts.append(
                f'<rect class="chart-bar" x="{number(x)}" y="{number(base - bar_h)}" '
                f'width="{number(bar_w)}" height="{number(bar_h)}" '
                f'fill="{colour(number_of_series)}"><title>{escape(row.name)}, '
                f"{escape(category)}: {value}</title></rect>"
            )
        if index % step == 0:
            parts.append(
                f'<text class="chart-label" x="{number(_LEFT + (index + 0.5) * slot)}" '
                f'y="{base + 14}" text-anchor="middle">{escape(category)}</text>'
            )
    # The legend: rows of names under the chart, as many rows as it takes; a long name is
    # shortened on screen and given whole in its <title>.
    per_row = max(1, (width - _LEFT) // _LEGEND_W)
    for number_of_series, row in enumerate(series):
        x = _LEFT + (number_of_series % per_row) * _LEGEND_W
        y = height - 14 + (number_of_series // per_row) * _LEGEND_ROW
        parts.append(
            f'<rect class="chart-swatch" x="{x}" y="{y}" width="10" height="10" '
            f'fill="{colour(number_of_series)}"><title>{escape(row.name)}</title></rect>'
            f'<text class="chart-legend" x="{x + 14}" y="{y + 9}">'
            f"{escape(shorten(row.name, _LEGEND_CHARS))}</text>"
        )
    height += (-(-len(series) // per_row) - 1) * _LEGEND_ROW
    return document(width, height, label, "".join(parts))
