"""The hand-written report PDF: well-formed cross-references, pages, escaping, determinism."""

from __future__ import annotations

import re

from entente.evidence.pdf import render_pdf


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
