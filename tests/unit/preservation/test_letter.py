"""The letter: addressee, reference, the six numbered sections, date and signature block, in
Markdown and in a PDF whose text poppler's pdftotext (and our own reading) finds."""

from __future__ import annotations

from pathlib import Path

from tests.unit.preservation.letters import complete, operator_text, pdftotext

from entente.preservation import ELEMENTS, render_letter_pdf, render_markdown

KEYID = "ab" * 32


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_holds_the_six_elements_addressee_reference_date_and_signature(
    tmp_path: Path,
) -> None:
    request = complete()
    pdf = render_letter_pdf(request, sender="CERT-X", signer_keyid=KEYID)
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    readings = [operator_text(pdf)]
    extracted = pdftotext(pdf, tmp_path)
    if extracted is not None:
        readings.append(extracted)
    for text in map(_flat, readings):
        for n, element in enumerate(ELEMENTS, start=1):
            assert f"{n}. {element.title} ({element.citation})" in text
        for value in (
            request.requesting_authority,
            request.offence,
            request.facts,
            "ipv4-addr 203.0.113.7",
            request.data_link,
            request.custodian,
            request.necessity,
            request.mutual_assistance,
            "To: Team High Tech Crime, Netherlands Police",
            "24/7 point of contact of NL (Convention on Cybercrime, Art. 35)",
            "24-7@example.nl",
            "Our reference: PR-2026-001",
            "Date: 2026-12-05",
            "J. Doe, Head of CERT-X",
            KEYID,
        ):
            assert _flat(value) in text, value


def test_the_same_request_gives_the_same_pdf_bytes_and_another_gives_others() -> None:
    one = render_letter_pdf(complete(), sender="CERT-X", signer_keyid=KEYID)
    assert render_letter_pdf(complete(), sender="CERT-X", signer_keyid=KEYID) == one
    assert render_letter_pdf(complete(facts="Other"), sender="CERT-X", signer_keyid=KEYID) != one


def test_the_headings_are_bold_and_the_body_is_not() -> None:
    pdf = render_letter_pdf(complete(), sender="CERT-X", signer_keyid=KEYID)
    assert b"/BaseFont /Helvetica-Bold" in pdf
    assert b"/F2 10 Tf\n(1. The authority seeking the preservation" in pdf


def test_the_markdown_letter_numbers_the_six_sections_in_order() -> None:
    markdown = render_markdown(complete(), sender="CERT-X", signer_keyid=KEYID)
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert [h.split(".")[0] for h in headings] == [f"## {n}" for n in range(1, 7)]
    assert "# Request for the expedited preservation of stored computer data" in markdown
    assert "- ipv4-addr 203.0.113.7, from 2026-11-01T00:00:00Z to 2026-11-20T12:00:00Z" in markdown
