"""The chart colours: the Okabe–Ito palette, told apart by readers with colour-blindness.

Okabe and Ito, "Color Universal Design" (2002), https://jfly.uni-koeln.de/color/: eight
colours that stay distinct under protanopia, deuteranopia and tritanopia. Colour is never the
only cue: every bar and segment has a ``<title>``, and stacked bars a legend in words.
"""

from __future__ import annotations

__all__ = ["PALETTE", "TLP_COLOURS", "colour", "is_colour"]

# Blue, orange, bluish green, vermillion, sky blue, reddish purple, yellow, black: ordered so
# that neighbouring series differ in lightness as well as hue.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#000000",
)


# TLP levels (FIRST TLP 2.0) in palette colours that keep their usual reading (green, amber,
# red) where the palette allows; the legend names each level, so the hue is only a hint.
TLP_COLOURS: dict[str, str] = {
    "TLP:CLEAR": "#56B4E9",
    "TLP:GREEN": "#009E73",
    "TLP:AMBER": "#E69F00",
    "TLP:AMBER+STRICT": "#CC79A7",
    "TLP:RED": "#D55E00",
}

_HEX = frozenset("0123456789abcdefABCDEF")


def is_colour(text: str) -> bool:
    """Whether ``text`` is a ``#rrggbb`` colour (the only form the charts write)."""
    return len(text) == 7 and text[0] == "#" and all(c in _HEX for c in text[1:])


def colour(index: int) -> str:
    """The colour of the ``index``-th series (the palette repeats after eight)."""
    return PALETTE[index % len(PALETTE)]
