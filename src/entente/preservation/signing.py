"""The signature of a preservation letter: a DSSE envelope by the node key, checked offline.

The envelope (``evidence.dsse``: DSSE v1, PAE) carries an in-toto Statement v1 whose one
subject is the letter's PDF by SHA-256 and whose predicate says what it is (reference, case,
addressee, date, the signing key). Anyone with the PDF, the envelope and the sender's public
key checks it with ``verify_letter`` (``entente preservation verify``), no network needed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from entente.errors import MalformedDocument
from entente.evidence import dsse
from entente.evidence.model import key_id
from entente.federation.keys import NodeKey, PublicKey
from entente.preservation.request import PreservationRequest

__all__ = ["LETTER_NAME", "PREDICATE_TYPE", "LetterCheck", "sign_letter", "verify_letter"]

PREDICATE_TYPE = "urn:entente:preservation-request:v1"
# The Statement's subject name: the letter whatever the file is called where it is kept.
LETTER_NAME = "preservation-request.pdf"


def _predicate(request: PreservationRequest, key: NodeKey) -> dict[str, Any]:
    return {
        "reference": request.reference,
        "case_id": request.case_id,
        "date": request.date,
        "addressee": {
            "country": request.addressee.country,
            "authority": request.addressee.authority,
            "email": request.addressee.email,
        },
        "requesting_authority": request.requesting_authority,
        "signer_key": key.public_key_text,
    }


def sign_letter(pdf: bytes, request: PreservationRequest, key: NodeKey) -> bytes:
    """The DSSE envelope (JSON bytes) signing ``pdf``'s SHA-256 with ``key``."""
    payload = dsse.statement({LETTER_NAME: pdf}, _predicate(request, key), PREDICATE_TYPE)
    return dsse.envelope(payload, [dsse.sign(key, payload)])


@dataclass(frozen=True, slots=True)
class LetterCheck:
    """What checking a letter found: no problems means it verified."""

    problems: tuple[str, ...]
    predicate: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether the envelope is signed by the key and covers exactly this PDF."""
        return not self.problems


def verify_letter(pdf: bytes, envelope: bytes, key: PublicKey) -> LetterCheck:
    """Check that ``envelope`` holds a valid signature by ``key`` over a Statement naming
    ``pdf``'s SHA-256 (any other byte of the PDF or of the envelope fails)."""
    try:
        payload, signatures = dsse.read_envelope(envelope)
    except MalformedDocument as exc:
        return LetterCheck((str(exc),))
    problems: list[str] = []
    wanted = key_id(key)
    message = dsse.pae(dsse.PAYLOAD_TYPE, payload)
    if not any(k == wanted and key.verify(sig, message) for k, sig in signatures):
        problems.append(f"no valid signature by the key {wanted[:16]}")
    try:
        statement = orjson.loads(payload)
        subject = statement["subject"]
        predicate_type = statement["predicateType"]
        predicate = statement["predicate"]
        digests = [s["digest"]["sha256"] for s in subject if s.get("name") == LETTER_NAME]
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return LetterCheck((*problems, "the envelope's payload is not an in-toto Statement"))
    if statement.get("_type") != dsse.STATEMENT_TYPE or predicate_type != PREDICATE_TYPE:
        problems.append(f"the Statement is not a {PREDICATE_TYPE}")
    if digests != [hashlib.sha256(pdf).hexdigest()]:
        problems.append("the PDF's SHA-256 is not the one signed: the letter was changed")
    return LetterCheck(tuple(problems), predicate if isinstance(predicate, dict) else {})
