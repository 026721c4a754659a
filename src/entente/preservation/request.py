"""A preservation request and its six elements, each required (Budapest Convention Art. 29).

Convention on Cybercrime (ETS 185) Art. 29(2): a request for the expedited preservation of
stored computer data shall specify (a) the authority seeking the preservation; (b) the
offence that is the subject of a criminal investigation or proceedings and a brief summary of
the related facts; (c) the stored computer data to be preserved and its relationship to the
offence; (d) any available information identifying the custodian of the stored computer data
or the location of the computer system; (e) the necessity of the preservation; and (f) that
the Party intends to submit a request for mutual assistance for the search or similar access,
seizure or similar securing, or disclosure of the stored computer data. It goes to the
requested Party's 24/7 point of contact (Art. 35).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from entente.errors import InvalidInput
from entente.preservation.contacts import Contact

__all__ = [
    "ELEMENTS",
    "MLA_INTENT",
    "DataItem",
    "Element",
    "PreservationRequest",
    "new_request",
]

_MAX_TEXT = 10_000
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# Art. 29(2)(f) in the words of the Convention, for a request that has nothing to add.
MLA_INTENT = (
    "The requesting Party intends to submit a request for mutual assistance for the search or "
    "similar access, seizure or similar securing, or disclosure of the stored computer data."
)


@dataclass(frozen=True, slots=True)
class Element:
    """One of the six elements of Art. 29(2): its letter, its title, and the option (or
    field) that supplies it."""

    letter: str
    title: str
    supplied_by: str

    @property
    def citation(self) -> str:
        """Where the Convention requires it."""
        return f"Art. 29(2)({self.letter})"


ELEMENTS: tuple[Element, ...] = (
    Element("a", "The authority seeking the preservation", "requesting authority"),
    Element("b", "The offence and a brief summary of the related facts", "offence and facts"),
    Element(
        "c",
        "The stored computer data to be preserved and its relationship to the offence",
        "the case's objects and the data's link to the offence",
    ),
    Element(
        "d",
        "The custodian of the stored computer data or the location of the computer system",
        "custodian",
    ),
    Element("e", "The necessity of the preservation", "necessity"),
    Element(
        "f",
        "The intention to submit a request for mutual assistance",
        "mutual assistance intent",
    ),
)


@dataclass(frozen=True, slots=True)
class DataItem:
    """One item of stored computer data to preserve: an address, a domain, a URL, an e-mail
    address or a file hash, the case object it comes from, and when it was seen (RFC 3339)."""

    kind: str
    value: str
    source_id: str
    first_seen: str | None = None
    last_seen: str | None = None

    @property
    def period(self) -> str:
        """When the data was seen (or valid), as the letter says it ("" when unknown)."""
        if self.first_seen and self.last_seen and self.first_seen != self.last_seen:
            return f"from {self.first_seen} to {self.last_seen}"
        if self.first_seen:
            return f"from {self.first_seen}"
        return f"until {self.last_seen}" if self.last_seen else ""


@dataclass(frozen=True, slots=True)
class PreservationRequest:
    """A request with all six elements (made by ``new_request``, which checks each)."""

    reference: str
    case_id: str
    date: str  # YYYY-MM-DD, the letter's date
    addressee: Contact
    requesting_authority: str  # (a)
    offence: str  # (b)
    facts: str  # (b)
    data: tuple[DataItem, ...]  # (c)
    data_link: str  # (c)
    custodian: str  # (d)
    necessity: str  # (e)
    mutual_assistance: str  # (f)
    signatory: str


def _clean(value: str, what: str) -> str:
    text = value.strip()
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"{what} is longer than {_MAX_TEXT} characters")
    return text


def new_request(
    *,
    reference: str,
    case_id: str,
    date: str,
    addressee: Contact,
    requesting_authority: str,
    offence: str,
    facts: str,
    data: tuple[DataItem, ...],
    data_link: str,
    custodian: str,
    necessity: str,
    mutual_assistance: str = MLA_INTENT,
    signatory: str,
) -> PreservationRequest:
    """The request, once each of the six elements is present; else ``InvalidInput`` naming
    every missing element (letter, title, what supplies it), not just the first."""
    if not _REFERENCE.fullmatch(reference):
        raise InvalidInput(
            f"{reference!r} is not a reference (letters, digits, '.', '_', '/', '-'; at most 100)"
        )
    if not _DATE.fullmatch(date):
        raise InvalidInput(f"the letter's date {date!r} is not YYYY-MM-DD")
    texts = {
        "requesting authority": _clean(requesting_authority, "the requesting authority"),
        "offence": _clean(offence, "the offence"),
        "facts": _clean(facts, "the facts"),
        "data link": _clean(data_link, "the data's relationship to the offence"),
        "custodian": _clean(custodian, "the custodian"),
        "necessity": _clean(necessity, "the necessity"),
        "mutual assistance": _clean(mutual_assistance, "the mutual assistance intent"),
        "signatory": _clean(signatory, "the signatory"),
    }
    lacking = {
        "a": [] if texts["requesting authority"] else ["the requesting authority"],
        "b": [n for n in ("offence", "facts") if not texts[n]],
        "c": ([] if data else ["data (no object of the case you may see names any)"])
        + ([] if texts["data link"] else ["the data's relationship to the offence"]),
        "d": [] if texts["custodian"] else ["the custodian or location"],
        "e": [] if texts["necessity"] else ["the necessity"],
        "f": [] if texts["mutual assistance"] else ["the mutual assistance intent"],
    }
    missing = [
        f"({e.letter}) {e.title.lower()}: missing {' and '.join(lacking[e.letter])}"
        for e in ELEMENTS
        if lacking[e.letter]
    ]
    if missing:
        raise InvalidInput(
            "the preservation request lacks element(s) of Budapest Convention Art. 29(2): "
            + "; ".join(missing)
        )
    if not texts["signatory"]:
        raise InvalidInput("the request needs a signatory (name and title)")
    return PreservationRequest(
        reference=reference,
        case_id=case_id,
        date=date,
        addressee=addressee,
        requesting_authority=texts["requesting authority"],
        offence=texts["offence"],
        facts=texts["facts"],
        data=data,
        data_link=texts["data link"],
        custodian=texts["custodian"],
        necessity=texts["necessity"],
        mutual_assistance=texts["mutual assistance"],
        signatory=texts["signatory"],
    )
