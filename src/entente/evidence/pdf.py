"""A plain-text PDF, written by hand so its bytes depend only on the text.

PDF 1.4 (ISO 32000-1 §7.5 file structure): a catalog, a page tree, one page per 60 lines, the
standard Helvetica font (§9.6.2.2, no embedding; Helvetica-Bold too where a line is bold) and
a cross-reference table with exact offsets. No ``/CreationDate`` and no ``/ID``, so the same
text gives the same bytes. The fonts use WinAnsiEncoding (§D.2), which agrees with Latin-1 on
its printable characters (the standard fonts' own StandardEncoding does not: it reads ``'``
as a right quote and the accented letters as other glyphs); characters outside Latin-1 are
written as ``?``. ``render_pdf`` shows a Markdown report as plain text (the evidence
report); ``render_lines`` lays out lines of which some are bold (a letter's headings).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["PdfLine", "render_lines", "render_pdf", "wrap"]

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


def render_pdf(markdown: str) -> bytes:
    """The report as a PDF, its Markdown shown as plain text."""
    return render_lines([PdfLine(line) for line in _lines(markdown)])
