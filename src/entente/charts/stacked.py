"""A horizontal stacked bar: the parts of one whole (the TLP mix), with a legend in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from entente.charts.palette import colour, is_colour
from entente.charts.svg import document, empty_state, escape, number

__all__ = ["Part", "render_stacked_bar"]

_MARGIN = 8
_BAR_H = 28
_LEGEND_ROW = 18


@dataclass(frozen=True, slots=True)
class Part:
    """One labelled share of the whole."""

    label: str
    value: int
    # A ``#rrggbb`` colour of its own (``palette.TLP_COLOURS``); by default the palette's
    # colour for its position.
    colour: str | None = None


def _percent(value: int, total: int) -> str:
    return f"{100 * value / total:.1f}%"


def render_stacked_bar(label: str, parts: Sequence[Part], *, width: int = 480) -> str:
    """An SVG horizontal bar split in proportion to the parts; "no data" when all are zero.

    Segments keep the order of ``parts`` and their colours (their own, else
    ``palette.colour`` by position), so the same part always looks the same; a zero part is
    listed in the legend but draws no segment. Raises ValueError on a negative value or a
    colour that is not ``#rrggbb``.
    """
    if any(part.value < 0 for part in parts):
        raise ValueError("a part has a negative value")
    for part in parts:
        if part.colour is not None and not is_colour(part.colour):
            raise ValueError(f"not a #rrggbb colour: {part.colour!r}")
    fills = [part.colour or colour(index) for index, part in enumerate(parts)]
    total = sum(part.value for part in parts)
    height = 2 * _MARGIN + _BAR_H + 6 + _LEGEND_ROW * len(parts)
    if total == 0:
        return empty_state(width, 2 * _MARGIN + _BAR_H, label)
    bar_w = width - 2 * _MARGIN
    body: list[str] = []
    x = float(_MARGIN)
    for index, part in enumerate(parts):
        if part.value == 0:
            continue
        segment = bar_w * part.value / total
        body.append(
            f'<rect class="chart-segment" x="{number(x)}" y="{_MARGIN}" '
            f'width="{number(segment)}" height="{_BAR_H}" fill="{fills[index]}">'
            f"<title>{escape(part.label)}: {part.value} ({_percent(part.value, total)})</title>"
            "</rect>"
        )
        x += segment
    for index, part in enumerate(parts):
        y = 2 * _MARGIN + _BAR_H + 6 + index * _LEGEND_ROW
        body.append(
            f'<rect class="chart-swatch" x="{_MARGIN}" y="{y}" width="10" height="10" '
            f'fill="{fills[index]}"><title>{escape(part.label)}</title></rect>'
            f'<text class="chart-legend" x="{_MARGIN + 16}" y="{y + 9}">{escape(part.label)}: '
            f"{part.value} ({_percent(part.value, total)})</text>"
        )
    return document(width, height, label, "".join(body))
