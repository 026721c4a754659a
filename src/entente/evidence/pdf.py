"""A plain-text PDF of the report, written by hand so its bytes depend only on the text.

PDF 1.4 (ISO 32000-1 §7.5 file structure): a catalog, a page tree, one page per 60 lines, the
standard Helvetica font (§9.6.2.2, no embedding) and a cross-reference table with exact
offsets. No ``/CreationDate`` and no ``/ID``, so the same report gives the same bytes.
Characters outside Latin-1 are written as ``?`` (the standard fonts' encoding, §D.2).
"""

from __future__ import annotations

import textwrap

__all__ = ["render_pdf"]

_LINES_PER_PAGE = 60
_WIDTH = 95  # characters per line at 10 pt Helvetica on A4 with 50 pt margins (about)
_TOP = 800
_LEADING = 12


def _escape(line: str) -> bytes:
    text = line.encode("latin-1", errors="replace")
    return text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _lines(markdown: str) -> list[str]:
    lines: list[str] = []
    for raw in markdown.replace("\t", "    ").splitlines() or [""]:
        stripped = raw.rstrip()
        lines.extend(textwrap.wrap(stripped, _WIDTH) or [""])
    return lines


def render_pdf(markdown: str) -> bytes:
    """The report as a PDF, its Markdown shown as plain text."""
    lines = _lines(markdown)
    pages = [lines[i : i + _LINES_PER_PAGE] for i in range(0, len(lines), _LINES_PER_PAGE)]
    # Objects: 1 catalog, 2 page tree, 3 font, then a page and its content stream per page.
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids: list[int] = []
    for page in pages:
        body = b"BT /F1 10 Tf %d TL 50 %d Td\n" % (_LEADING, _TOP)
        body += b"".join(b"(" + _escape(line) + b") Tj T*\n" for line in page) + b"ET"
        page_number, content_number = len(objects) + 1, len(objects) + 2
        kids.append(page_number)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_number
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
