"""Hand-written PDFs whose bytes depend only on their text: the plain-text report of an
evidence package (``render_pdf``), lines of which some are bold (``render_lines``: a letter's
headings) and laid-out documents (``render_document``: an advisory).

PDF 1.4 (ISO 32000-1 §7.5 file structure): a catalog, a page tree, one page per 60 lines, the
standard Helvetica font (§9.6.2.2, no embedding; Helvetica-Bold too where a line is bold) and
a cross-reference table with exact offsets. No ``/CreationDate`` and no ``/ID``, so the same
text gives the same bytes. The fonts use WinAnsiEncoding (§D.2), which agrees with Latin-1 on
its printable characters (the standard fonts' own StandardEncoding does not: it reads ``'``
as a right quote and the accented letters as other glyphs); characters outside Latin-1 are
written as ``?``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Banner",
    "Block",
    "Heading",
    "PageBreak",
    "Paragraph",
    "PdfLine",
    "Table",
    "render_document",
    "render_lines",
    "render_pdf",
    "text_width",
    "wrap",
    "wrap_text",
]

_LINES_PER_PAGE = 60
_WIDTH = 95  # characters per line at 10 pt Helvetica on A4 with 50 pt margins (about)
_TOP = 800
_LEADING = 12


@dataclass(frozen=True, slots=True)
class PdfLine:
    """One line of text (already wrapped to fit), in Helvetica or Helvetica-Bold."""

    text: str
    bold: bool = False


def _escape(line: str) -> bytes:
    text = line.encode("latin-1", errors="replace")
    return text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _lines(markdown: str) -> list[str]:
    lines: list[str] = []
    for raw in markdown.replace("\t", "    ").splitlines() or [""]:
        stripped = raw.rstrip()
        lines.extend(textwrap.wrap(stripped, _WIDTH) or [""])
    return lines


def wrap(text: str, *, bold: bool = False, indent: str = "") -> list[PdfLine]:
    """``text`` (one paragraph; its line breaks kept) as lines that fit the page."""
    out: list[PdfLine] = []
    for raw in text.replace("\t", "    ").splitlines() or [""]:
        wrapped = textwrap.wrap(
            raw.rstrip(), _WIDTH, initial_indent=indent, subsequent_indent=indent
        )
        out.extend(PdfLine(line, bold) for line in wrapped or [""])
    return out


def _font(name: bytes) -> bytes:
    return b"<< /Type /Font /Subtype /Type1 /BaseFont /%b /Encoding /WinAnsiEncoding >>" % name


def _page_body(page: Sequence[PdfLine]) -> bytes:
    body = b"BT /F1 10 Tf %d TL 50 %d Td\n" % (_LEADING, _TOP)
    bold = False
    for line in page:
        if line.bold != bold:
            bold = line.bold
            body += b"/F2 10 Tf\n" if bold else b"/F1 10 Tf\n"
        body += b"(" + _escape(line.text) + b") Tj T*\n"
    return body + b"ET"


def render_lines(lines: Sequence[PdfLine]) -> bytes:
    """``lines`` as a PDF, 60 to a page."""
    lines = list(lines) or [PdfLine("")]
    pages = [lines[i : i + _LINES_PER_PAGE] for i in range(0, len(lines), _LINES_PER_PAGE)]
    any_bold = any(line.bold for line in lines)
    # Objects: 1 catalog, 2 page tree, 3 font (4 the bold font if any line is bold), then a
    # page and its content stream per page.
    objects: list[bytes] = [b"", b"", _font(b"Helvetica")]
    fonts = b"/F1 3 0 R"
    if any_bold:
        objects.append(_font(b"Helvetica-Bold"))
        fonts += b" /F2 4 0 R"
    kids: list[int] = []
    for page in pages:
        body = _page_body(page)
        page_number, content_number = len(objects) + 1, len(objects) + 2
        kids.append(page_number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << %b >> >> /Contents %d 0 R >>" % (fonts, content_number)
        )
        objects.append(b"<< /Length %d >>\nstream\n%b\nendstream" % (len(body), body))
    return _assemble(objects, kids)


def render_pdf(markdown: str) -> bytes:
    """The report as a PDF, its Markdown shown as plain text."""
    return render_lines([PdfLine(line) for line in _lines(markdown)])


def _assemble(objects: list[bytes], kids: list[int]) -> bytes:
    """The file: ``objects`` (1 catalog and 2 page tree filled in here), xref, trailer."""
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%b] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# -- laid-out documents: headings, paragraphs, tables, banners --------------------------------
#
# The advisory (issue 15 item 4) is read by people, laid out like a CISA/FBI joint advisory:
# a title block, a banner at the top and bottom of every page, headings, wrapped paragraphs and
# ruled tables whose header row repeats on each page. Still by hand and without dates, so the
# same document gives the same bytes. Text is WinAnsiEncoding (ISO 32000-1 §D.2, Windows-1252):
# typographic quotes and dashes survive; anything else is written as "?".

_PAGE_W, _PAGE_H, _MARGIN = 595, 842, 50
_BODY_TOP, _BODY_BOTTOM = 780, 62  # below and above the banners
_FONTS = {"regular": b"F1", "bold": b"F2"}

# Advance widths in 1/1000 em of the standard 14 fonts' AFM files (Adobe Core14 metrics,
# Helvetica.afm and Helvetica-Bold.afm), for the printable ASCII range 32..126, so text is
# wrapped where it really ends. Other characters count as 556 (a digit).
_HELVETICA = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 "
    "556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 "
    "556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 334 260 334 584"
)
_HELVETICA_BOLD = (
    "278 333 474 556 556 889 722 238 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 333 333 584 584 584 611 975 722 722 722 722 667 611 778 722 278 556 722 "
    "611 833 722 778 667 778 722 667 611 722 667 944 667 667 611 333 278 333 584 556 333 556 "
    "611 556 611 556 333 611 611 278 278 556 278 889 611 611 611 611 389 556 333 611 556 778 "
    "556 556 500 389 280 389 584"
)
_WIDTHS = {
    "regular": tuple(int(w) for w in _HELVETICA.split()),
    "bold": tuple(int(w) for w in _HELVETICA_BOLD.split()),
}


@dataclass(frozen=True, slots=True)
class Heading:
    """A section heading; ``level`` 0 is the document's title, 1 a section, 2 a subsection."""

    text: str
    level: int = 1


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Wrapped body text; ``bullet`` sets it as a list item."""

    text: str
    bold: bool = False
    bullet: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A ruled table; ``widths`` are the columns' shares of the text width (summing to 1)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PageBreak:
    """Start a new page."""


Block = Heading | Paragraph | Table | PageBreak


@dataclass(frozen=True, slots=True)
class Banner:
    """The marking shown at the top and bottom of every page (e.g. ``TLP:AMBER``), in
    ``colour`` (RGB 0..1) on black, as TLP 2.0 (FIRST) asks labels to be shown."""

    text: str
    colour: tuple[float, float, float]


def text_width(text: str, size: float, weight: str = "regular") -> float:
    """The width in points of ``text`` set in Helvetica (``weight`` regular or bold)."""
    widths = _WIDTHS[weight]
    units = sum(widths[ord(c) - 32] if 32 <= ord(c) <= 126 else 556 for c in text)
    return units * size / 1000


def wrap_text(text: str, width: float, size: float, weight: str = "regular") -> list[str]:
    """``text`` broken into lines no wider than ``width`` points (a word longer than a line
    is cut), one list entry per line; an empty text is one empty line."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, weight) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            rest = word
            while len(rest) > 1 and text_width(rest, size, weight) > width:
                cut = max(
                    (i for i in range(1, len(rest)) if text_width(rest[:i], size, weight) <= width),
                    default=1,
                )
                lines.append(rest[:cut])
                rest = rest[cut:]
            line = rest
        lines.append(line)
    return lines


def _winansi(text: str) -> bytes:
    data = text.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class _Pages:
    """Content streams being filled, top to bottom, one per page."""

    def __init__(self) -> None:
        self.pages: list[list[bytes]] = []
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        self.pages.append([])
        self.y = _BODY_TOP

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` points fit above the bottom banner."""
        if self.y - height < _BODY_BOTTOM and self.y < _BODY_TOP:
            self.new_page()

    def text(self, x: float, y: float, line: str, size: float, weight: str) -> None:
        self.pages[-1].append(
            b"BT /%b %s Tf %s %s Td (%b) Tj ET"
            % (_FONTS[weight], _n(size), _n(x), _n(y), _winansi(line))
        )

    def rect(
        self, x: float, y: float, w: float, h: float, *, fill: tuple[float, float, float] | None
    ) -> None:
        if fill is None:
            self.pages[-1].append(b"0.5 w %s %s %s %s re S" % (_n(x), _n(y), _n(w), _n(h)))
        else:
            self.pages[-1].append(
                b"%s %s %s rg %s %s %s %s re f 0 0 0 rg"
                % (*(_n(c) for c in fill), _n(x), _n(y), _n(w), _n(h))
            )


def _n(value: float) -> bytes:
    """A PDF number (§7.3.3): at most two decimals, no exponent, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode("ascii")


_HEADING_SIZES = {0: 18.0, 1: 13.0, 2: 11.0}
_BODY_SIZE, _TABLE_SIZE = 10.0, 8.5


def _heading(pages: _Pages, block: Heading) -> None:
    size = _HEADING_SIZES.get(block.level, 11.0)
    lines = wrap_text(block.text, _PAGE_W - 2 * _MARGIN, size, "bold")
    leading = size * 1.25
    # A heading is kept with at least three lines of what follows it.
    pages.room(len(lines) * leading + size + 3 * _BODY_SIZE * 1.3)
    pages.y -= size * 0.6 if pages.y < _BODY_TOP else 0
    for line in lines:
        pages.y -= leading
        pages.text(_MARGIN, pages.y, line, size, "bold")
    pages.y -= size * 0.5


def _paragraph(pages: _Pages, block: Paragraph) -> None:
    weight = "bold" if block.bold else "regular"
    indent = 14.0 if block.bullet else 0.0
    lines = wrap_text(block.text, _PAGE_W - 2 * _MARGIN - indent, _BODY_SIZE, weight)
    leading = _BODY_SIZE * 1.3
    for index, line in enumerate(lines):
        pages.room(leading)
        pages.y -= leading
        if block.bullet and index == 0:
            pages.text(_MARGIN + 3, pages.y, "\u2022", _BODY_SIZE, "regular")
        pages.text(_MARGIN + indent, pages.y, line, _BODY_SIZE, weight)
    pages.y -= leading * 0.5


def _row(pages: _Pages, cells: tuple[str, ...], widths: list[float], *, header: bool) -> None:
    weight = "bold" if header else "regular"
    pad, leading = 4.0, _TABLE_SIZE * 1.25
    wrapped = [
        wrap_text(cell, width - 2 * pad, _TABLE_SIZE, weight)
        for cell, width in zip(cells, widths, strict=True)
    ]
    height = max(len(lines) for lines in wrapped) * leading + 2 * pad
    top = pages.y
    if header:
        pages.rect(_MARGIN, top - height, sum(widths), height, fill=(0.85, 0.87, 0.9))
    x = float(_MARGIN)
    for lines, width in zip(wrapped, widths, strict=True):
        pages.rect(x, top - height, width, height, fill=None)
        y = top - pad
        for line in lines:
            y -= leading
            pages.text(x + pad, y + 2, line, _TABLE_SIZE, weight)
        x += width
    pages.y = top - height


def _row_height(cells: tuple[str, ...], widths: list[float], weight: str) -> float:
    return (
        max(
            len(wrap_text(cell, width - 8, _TABLE_SIZE, weight))
            for cell, width in zip(cells, widths, strict=True)
        )
        * _TABLE_SIZE
        * 1.25
        + 8
    )


def _table(pages: _Pages, block: Table) -> None:
    if len(block.widths) != len(block.headers) or any(
        len(r) != len(block.headers) for r in block.rows
    ):
        raise ValueError("a table's rows, headers and widths must have as many columns")
    widths = [share * (_PAGE_W - 2 * _MARGIN) for share in block.widths]
    header_height = _row_height(block.headers, widths, "bold")
    first = _row_height(block.rows[0], widths, "regular") if block.rows else 0
    pages.room(header_height + first)
    _row(pages, block.headers, widths, header=True)
    for row in block.rows:
        height = _row_height(row, widths, "regular")
        if pages.y - height < _BODY_BOTTOM:
            pages.new_page()  # the header row repeats on the next page
            _row(pages, block.headers, widths, header=True)
        _row(pages, row, widths, header=False)
    pages.y -= _BODY_SIZE


def _banner(banner: Banner, y: float) -> bytes:
    size = 9.0
    width = text_width(banner.text, size, "bold") + 16
    x = (_PAGE_W - width) / 2
    return b"0 0 0 rg %s %s %s 14 re f %s %s %s rg BT /F2 %s Tf %s %s Td (%b) Tj ET 0 0 0 rg" % (
        _n(x),
        _n(y),
        _n(width),
        *(_n(c) for c in banner.colour),
        _n(size),
        _n(x + 8),
        _n(y + 4),
        _winansi(banner.text),
    )


def render_document(blocks: Sequence[Block], *, banner: Banner, footer: str = "") -> bytes:
    """``blocks`` laid out on A4 pages, ``banner`` at the top and bottom of each page and
    ``footer`` with "Page N of M" under the last line."""
    pages = _Pages()
    for block in blocks:
        if isinstance(block, Heading):
            _heading(pages, block)
        elif isinstance(block, Paragraph):
            _paragraph(pages, block)
        elif isinstance(block, Table):
            _table(pages, block)
        elif pages.y < _BODY_TOP:
            pages.new_page()
    count = len(pages.pages)
    objects: list[bytes] = [
        b"",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    kids: list[int] = []
    for number, content in enumerate(pages.pages, start=1):
        page_label = f"{footer}    Page {number} of {count}".strip()
        label_x = _PAGE_W - _MARGIN - text_width(page_label, 7.5)
        furniture = [
            _banner(banner, _PAGE_H - 34),
            _banner(banner, 20),
            b"BT /F1 7.5 Tf %s 40 Td (%b) Tj ET" % (_n(label_x), _winansi(page_label)),
        ]
        body = b"\n".join([*furniture, *content])
        page_number, content_number = len(objects) + 1, len(objects) + 2
        kids.append(page_number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (_PAGE_W, _PAGE_H, content_number)
        )
        objects.append(b"<< /Length %d >>\nstream\n%b\nendstream" % (len(body), body))
    return _assemble(objects, kids)
