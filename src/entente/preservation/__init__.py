"""Preservation requests (Budapest Convention Art. 29) to 24/7 points of contact (Art. 35):
the request's six elements, its data, the letter (Markdown, PDF) and its signature."""

# The names below are loaded on first use (PEP 562): the settings read the contacts
# (``contacts``) at every command's start-up, which must not pay for the pattern compiler
# and the PDF writer the rest of the package needs (ADR 0008).

from __future__ import annotations

import typing

from entente import lazy_exports

if typing.TYPE_CHECKING:
    from entente.preservation.contacts import Contact, find_contact, parse_contacts
    from entente.preservation.data import data_to_preserve, followed_refs
    from entente.preservation.document import parse_request_json, render_request_json
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

_SOURCES: dict[str, str] = {
    "Contact": "entente.preservation.contacts",
    "DataItem": "entente.preservation.request",
    "ELEMENTS": "entente.preservation.request",
    "Element": "entente.preservation.request",
    "LETTER_NAME": "entente.preservation.signing",
    "LetterCheck": "entente.preservation.signing",
    "MLA_INTENT": "entente.preservation.request",
    "PREDICATE_TYPE": "entente.preservation.signing",
    "PreservationRequest": "entente.preservation.request",
    "data_to_preserve": "entente.preservation.data",
    "find_contact": "entente.preservation.contacts",
    "followed_refs": "entente.preservation.data",
    "new_request": "entente.preservation.request",
    "parse_contacts": "entente.preservation.contacts",
    "parse_request_json": "entente.preservation.document",
    "render_letter_pdf": "entente.preservation.letter",
    "render_markdown": "entente.preservation.letter",
    "render_request_json": "entente.preservation.document",
    "section_texts": "entente.preservation.letter",
    "sign_letter": "entente.preservation.signing",
    "verify_letter": "entente.preservation.signing",
}

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
    "parse_request_json",
    "render_letter_pdf",
    "render_markdown",
    "render_request_json",
    "section_texts",
    "sign_letter",
    "verify_letter",
]


__getattr__ = lazy_exports.lazy_getattr(__name__, _SOURCES, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
