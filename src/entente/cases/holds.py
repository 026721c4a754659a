"""Legal holds and preservation requests on a case: each change returns the next version.

A legal hold keeps the case and everything it references from deletion while it is in force
(issue 15 item 5); a preservation request (Budapest Convention on Cybercrime, ETS 185,
Art. 29) is recorded with its reference, addressee and the digest of the signed letter, then
its answer (Art. 29(3): the requested Party preserves; (5)-(7): it may refuse, and says how
long it preserves). A case merged into another is read-only, but its holds still protect
what it references, so they may still be placed and released on it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from entente.cases.model import Answer, Case, LegalHold, PreservationRecord
from entente.errors import InvalidInput

__all__ = ["place_hold", "record_answer", "record_request", "release_hold"]

_MAX_TEXT = 10_000
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def _text(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"{what} must not be empty")
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"{what} is longer than {_MAX_TEXT} characters")
    return text


def _next_us(case: Case, now_us: int) -> int:
    # STIX 2.1 §3.6: a new version's ``modified`` is later than the last one's.
    return max(now_us, case.modified_us + 1)


def place_hold(case: Case, reason: str, by: str, now_us: int) -> Case:
    """The case under a legal hold placed by ``by`` for ``reason`` (required)."""
    if case.hold is not None:
        raise InvalidInput(f"case {case.id} is already under a legal hold")
    hold = LegalHold(_text(by, "who places the hold"), now_us, _text(reason, "the hold's reason"))
    return replace(case, holds=(*case.holds, hold), modified_us=_next_us(case, now_us))


def release_hold(case: Case, reason: str, by: str, now_us: int) -> Case:
    """The case with its legal hold released by ``by`` for ``reason`` (required); the hold
    stays on the case, released, as the record of it."""
    hold = case.hold
    if hold is None:
        raise InvalidInput(f"case {case.id} is not under a legal hold")
    released = replace(
        hold,
        released_by=_text(by, "who releases the hold"),
        released_us=now_us,
        release_reason=_text(reason, "the release's reason"),
    )
    holds = tuple(released if h is hold else h for h in case.holds)
    return replace(case, holds=holds, modified_us=_next_us(case, now_us))


def record_request(
    case: Case, *, reference: str, addressee: str, pdf_sha256: str, now_us: int
) -> Case:
    """The case with a preservation request sent now under ``reference`` (unique per case)."""
    if not _REFERENCE.fullmatch(reference):
        raise InvalidInput(
            f"{reference!r} is not a reference (letters, digits, '.', '_', '/', '-'; at most 100)"
        )
    if case.request(reference) is not None:
        raise InvalidInput(f"case {case.id} already has a preservation request {reference}")
    if not _SHA256.fullmatch(pdf_sha256):
        raise InvalidInput("the letter's digest must be a SHA-256 in lower-case hex")
    record = PreservationRecord(reference, _text(addressee, "the addressee"), now_us, pdf_sha256)
    return replace(
        case, preservation=(*case.preservation, record), modified_us=_next_us(case, now_us)
    )


def record_answer(
    case: Case,
    reference: str,
    answer: Answer,
    now_us: int,
    *,
    preserved_until_us: int | None = None,
    note: str = "",
) -> Case:
    """The case with the answer to its request ``reference``: acknowledged, preserved until a
    time (required then, Art. 29(7) sets at least 60 days), or refused (with a note saying why,
    Art. 29(5))."""
    record = case.request(reference)
    if record is None:
        raise InvalidInput(f"case {case.id} has no preservation request {reference!r}")
    if answer is Answer.PRESERVED and preserved_until_us is None:
        raise InvalidInput("an answer 'preserved' needs the time the data is preserved until")
    if answer is not Answer.PRESERVED and preserved_until_us is not None:
        raise InvalidInput(f"an answer {answer.value!r} has no 'preserved until' time")
    if preserved_until_us is not None and preserved_until_us <= record.sent_us:
        raise InvalidInput("the data must be preserved until after the request was sent")
    if answer is Answer.REFUSED and not note.strip():
        raise InvalidInput("a refusal is recorded with a note saying why")
    if len(note) > _MAX_TEXT:
        raise InvalidInput(f"the note is longer than {_MAX_TEXT} characters")
    answered = replace(
        record,
        answer=answer,
        answered_us=now_us,
        preserved_until_us=preserved_until_us,
        answer_note=note.strip(),
    )
    records = tuple(answered if r is record else r for r in case.preservation)
    return replace(case, preservation=records, modified_us=_next_us(case, now_us))
