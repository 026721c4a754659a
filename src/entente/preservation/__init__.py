"""Preservation requests (Budapest Convention Art. 29) to 24/7 points of contact (Art. 35):
the request's six elements, its data, the letter (Markdown, PDF) and its signature."""

from __future__ import annotations

from entente.preservation.contacts import Contact, find_contact, parse_contacts
from entente.preservation.data import data_to_preserve, followed_refs
from entente.preservation.letter import render_letter_pdf, render_markdown, section_texts
from entente.preservation.request import (
    ELEMENTS,
    MLA_INTENT,
    DataItem,
    Element,
    PreservationRequest,
    new_request,
)
from entente.preservation.signing import (
    LETTER_NAME,
    PREDICATE_TYPE,
    LetterCheck,
    sign_letter,
    verify_letter,
)

__all__ = [
    "ELEMENTS",
    "LETTER_NAME",
    "MLA_INTENT",
    "PREDICATE_TYPE",
    "Contact",
    "DataItem",
    "Element",
    "LetterCheck",
    "PreservationRequest",
    "data_to_preserve",
    "find_contact",
    "followed_refs",
    "new_request",
    "parse_contacts",
    "render_letter_pdf",
    "render_markdown",
    "section_texts",
    "sign_letter",
    "verify_letter",
]
