"""A sparkline: a small line of values over time, with no axes."""

from __future__ import annotations

from collections.abc import Sequence

from entente.charts.palette import colour
from entente.charts.svg import document, empty_state, escape, number

__all__ = ["render_sparkline"]

_PAD = 2


def render_sparkline(
    label: str, values: Sequence[int], *, width: int = 120, height: int = 24
) -> str:
    """An SVG polyline of ``values`` scaled to the box; "no data" when there are none.

    The line's ``<title>`` lists the values; a dot marks the last one. A single value is a
    flat line. Raises ValueError on a negative value.
    """
    if any(value < 0 for value in values):
        raise ValueError("a sparkline value is negative")
    if not values:
        return empty_state(width, height, label)
    peak = max(values)
    inner_w = width - 2 * _PAD
    inner_h = height - 2 * _PAD
    steps = max(len(values) - 1, 1)
    points = []
    for index, value in enumerate(values):
        x = _PAD + inner_w * index / steps
        y = _PAD + inner_h - (inner_h * value / peak if peak else 0)
        points.append((x, y))
    if len(points) == 1:
        points.append((_PAD + inner_w, points[0][1]))
    listed = ", ".join(str(value) for value in values)
    last_x, last_y = points[-1]
    body = (
        f'<polyline class="chart-spark" fill="none" stroke="{colour(0)}" stroke-width="1.5" '
        f'points="{" ".join(f"{number(x)},{number(y)}" for x, y in points)}">'
        f"<title>{escape(label)}: {listed}</title></polyline>"
        f'<circle class="chart-spark-last" cx="{number(last_x)}" cy="{number(last_y)}" r="2" '
        f'fill="{colour(0)}"><title>latest: {values[-1]}</title></circle>'
    )
    return document(width, height, label, body)
