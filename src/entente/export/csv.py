"""CSV export: one row per indicator value, for spreadsheets, SIEM lookups and scripts.

The file follows RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma,
a double quote or a line break (quotes doubled inside), UTF-8 without a byte-order mark. The
columns are :data:`COLUMNS`; the rows come in the order of the items.

* ``labels`` joins the labels with ``|``; a ``|`` or ``\\`` inside a label is escaped with a
  backslash (``\\|``, ``\\\\``) so the column splits back into the same labels.
* An absent value (``name``, ``tlp``, ``created_by_ref``, ``modified`` of ``None``) is an
  empty field, as is an empty text: a reader cannot tell the two apart.
* Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that begins with
  ``=``, ``+``, ``-`` or ``@`` (and some also after a tab or a carriage return) as a formula,
  and indicator values, names and labels come from other organisations. Such a text field is
  written with a single quote in front (``'=cmd|...``), which spreadsheets show as text; a text
  that itself begins with ``'`` gets one too, so the rule is reversible: a reader removes one
  leading ``'`` from every text field that has one (:func:`unneutralise`).

CSV expresses every kind, so nothing is left out. Pure: values in, bytes out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from entente.export.model import ExportContext, ExportItem, Rendered

__all__ = [
    "COLUMNS",
    "MEDIA_TYPE",
    "join_labels",
    "neutralise",
    "render",
    "split_labels",
    "unneutralise",
]

COLUMNS = (
    "indicator_id",
    "kind",
    "op",
    "value",
    "score",
    "name",
    "labels",
    "tlp",
    "created_by_ref",
    "modified",
)

# RFC 4180 §3 registers text/csv with its optional "header" parameter.
MEDIA_TYPE = "text/csv; charset=utf-8; header=present"

# OWASP "CSV Injection": the characters that make a spreadsheet cell a formula, and the quote
# that marks a neutralised cell (so that the marking can be undone without ambiguity).
_FORMULA_STARTS = frozenset("=+-@\t\r'")


def neutralise(text: str) -> str:
    """``text`` with a ``'`` in front when a spreadsheet could read it as a formula."""
    return "'" + text if text and text[0] in _FORMULA_STARTS else text


def unneutralise(text: str) -> str:
    """The text :func:`neutralise` was given: one leading ``'`` removed, if there is one."""
    return text[1:] if text.startswith("'") else text


def join_labels(labels: Sequence[str]) -> str:
    """The ``labels`` field: labels joined with ``|``, backslash-escaping ``\\`` and ``|``."""
    return "|".join([label.replace("\\", "\\\\").replace("|", "\\|") for label in labels])


def split_labels(field: str) -> tuple[str, ...]:
    """The labels :func:`join_labels` joined (an empty field is no labels)."""
    if not field:
        return ()
    labels: list[str] = []
    current: list[str] = []
    escaped = False
    for char in field:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            labels.append("".join(current))
            current = []
        else:
            current.append(char)
    labels.append("".join(current))
    return tuple(labels)


def _text(value: str | None) -> str:
    """:func:`neutralise` for a field that may be absent (inlined: it runs on every cell)."""
    if not value:
        return ""
    return "'" + value if value[0] in _FORMULA_STARTS else value


def render(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """The CSV of ``items``: the header, then one row per item in the order given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 §2: CRLF line breaks
    writer.writerow(COLUMNS)
    writer.writerows(
        (
            _text(item.indicator_id),
            str(item.kind),
            str(item.op),
            _text(item.value),
            item.score,
            _text(item.name),
            _text(join_labels(item.labels)) if item.labels else "",
            _text(item.tlp),
            _text(item.created_by_ref),
            _text(item.modified),
        )
        for item in items
    )
    return Rendered(
        body=buffer.getvalue().encode("utf-8"),
        media_type=MEDIA_TYPE,
        filename="entente-indicators.csv",
        count=len(items),
    )
