"""The preservation request as a formal letter, in Markdown and as a PDF.

Laid out as a letter to the requested Party's 24/7 point of contact (Budapest Convention
Art. 35): sender and date, addressee, reference, subject, then the six elements of Art. 29(2)
in numbered sections, then the signature block. The PDF is the project's own plain writer
(``evidence.pdf``), headings in bold; the same request gives the same bytes, so the letter's
SHA-256 (what the signature covers, ``preservation.signing``) is reproducible.
"""

from __future__ import annotations

from entente.evidence.pdf import PdfLine, render_lines, wrap
from entente.preservation.request import ELEMENTS, PreservationRequest

__all__ = ["render_letter_pdf", "render_markdown", "section_texts"]

_SUBJECT = "Request for the expedited preservation of stored computer data"
_BASIS = (
    "Made under Article 29 of the Convention on Cybercrime (ETS No. 185) and addressed to "
    "your 24/7 point of contact designated under its Article 35."
)


def _data_lines(request: PreservationRequest) -> list[str]:
    lines = []
    for item in request.data:
        seen = f", {item.period}" if item.period else ""
        lines.append(f"- {item.kind} {item.value}{seen} (case object {item.source_id})")
    return lines


def section_texts(request: PreservationRequest) -> list[tuple[str, str]]:
    """The six numbered sections (heading, body), in the order of Art. 29(2)."""
    bodies = {
        "a": request.requesting_authority,
        "b": f"Offence: {request.offence}\n\nFacts: {request.facts}",
        "c": "\n".join(
            [
                "Data to be preserved:",
                *_data_lines(request),
                "",
                f"Relationship to the offence: {request.data_link}",
            ]
        ),
        "d": request.custodian,
        "e": request.necessity,
        "f": request.mutual_assistance,
    }
    return [
        (f"{n}. {e.title} ({e.citation})", bodies[e.letter])
        for n, e in enumerate(ELEMENTS, start=1)
    ]


def _header(request: PreservationRequest, sender: str) -> list[str]:
    to = request.addressee
    return [
        f"From: {sender}",
        f"Date: {request.date}",
        f"Our reference: {request.reference}",
        "",
        f"To: {to.authority}",
        f"24/7 point of contact of {to.country} (Convention on Cybercrime, Art. 35)",
        f"E-mail: {to.email}    Telephone: {to.phone}",
    ]


def _signature(request: PreservationRequest, signer_keyid: str) -> list[str]:
    return [
        "Yours faithfully,",
        "",
        request.signatory,
        request.requesting_authority,
        "",
        "Signed electronically: the SHA-256 of this document is signed in a DSSE envelope",
        f"by the node key {signer_keyid}.",
        f"Case: {request.case_id}",
    ]


def render_markdown(request: PreservationRequest, *, sender: str, signer_keyid: str) -> str:
    """The letter as Markdown."""
    out = [*(f"{line}  " if line else "" for line in _header(request, sender)), ""]
    out += [f"# {_SUBJECT}", "", _BASIS, ""]
    for heading, body in section_texts(request):
        out += [f"## {heading}", "", body, ""]
    out += [f"{line}  " if line else "" for line in _signature(request, signer_keyid)]
    return "\n".join(out) + "\n"


def render_letter_pdf(request: PreservationRequest, *, sender: str, signer_keyid: str) -> bytes:
    """The letter as a PDF: header, subject in bold, the six sections with bold headings."""
    lines: list[PdfLine] = []
    for line in _header(request, sender):
        lines += wrap(line)
    lines += [PdfLine(""), *wrap(_SUBJECT, bold=True), *wrap(_BASIS), PdfLine("")]
    for heading, body in section_texts(request):
        lines += [*wrap(heading, bold=True), *wrap(body, indent="  "), PdfLine("")]
    for line in _signature(request, signer_keyid):
        lines += wrap(line)
    return render_lines(lines)
