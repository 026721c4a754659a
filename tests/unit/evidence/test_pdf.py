"""The hand-written report PDF: well-formed cross-references, pages, escaping, determinism."""

from __future__ import annotations

import re

from entente.evidence.pdf import (
    Banner,
    Block,
    Heading,
    PageBreak,
    Paragraph,
    Table,
    render_document,
    render_pdf,
    text_width,
    wrap_text,
)


def test_the_cross_reference_table_points_at_each_object() -> None:
    pdf = render_pdf("# Report\n\n" + "line (with parens) and \\ backslash\n" * 130)
    startxref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[startxref:].startswith(b"xref\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", pdf)]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    assert b"/Count 3" in pdf  # 132 lines at 60 a page
    assert b"(line \\(with parens\\) and \\\\ backslash) Tj" in pdf
    assert pdf.endswith(b"%%EOF\n")


def test_the_same_text_gives_the_same_bytes_and_no_dates() -> None:
    assert render_pdf("été ☃") == render_pdf("été ☃")
    assert b"CreationDate" not in render_pdf("x")
    assert b"(\xe9t\xe9 ?) Tj" in render_pdf("été ☃")


def test_wrapped_lines_fit_their_width_and_long_words_are_cut() -> None:
    text = "Adversaries may block a command message " * 20 + "x" * 300
    lines = wrap_text(text, 200, 10)
    assert all(text_width(line, 10) <= 200 for line in lines)
    assert " ".join(lines).replace(" ", "") == text.replace(" ", "")
    assert text_width("iiii", 10) < text_width("MMMM", 10)  # real Helvetica widths
    assert text_width("Abc", 10, "bold") > text_width("Abc", 10)


def test_a_long_table_repeats_its_header_and_every_page_has_both_banners() -> None:
    rows = tuple((f"row {n}", "a cell " * 12) for n in range(120))
    blocks: list[Block] = [
        Heading("Title", level=0),
        Paragraph("Body (text) with a \\ backslash and \u2019quotes\u2019"),
        Table(("Name", "Value"), rows, (0.3, 0.7)),
        PageBreak(),
        Paragraph("The end", bullet=True),
    ]
    pdf = render_document(blocks, banner=Banner("TLP:GREEN", (0.2, 1.0, 0.0)), footer="Doc")
    count = int(re.search(rb"/Count (\d+)", pdf).group(1))  # type: ignore[union-attr]
    assert count >= 4
    assert pdf.count(b"(TLP:GREEN) Tj") == 2 * count
    assert pdf.count(b"(Name) Tj") == count - 1  # on every page of the table, not the last
    assert b"(Body \\(text\\) with a \\\\ backslash and \x92quotes\x92) Tj" in pdf
    assert b"(Doc    Page 1 of %d) Tj" % count in pdf
    assert render_document(blocks, banner=Banner("TLP:GREEN", (0, 1, 0))) == render_document(
        blocks, banner=Banner("TLP:GREEN", (0, 1, 0))
    )
