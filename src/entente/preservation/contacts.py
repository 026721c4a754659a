"""The 24/7 points of contact a node may address preservation requests to.

Budapest Convention on Cybercrime (ETS 185) Art. 35: each Party designates a point of contact
available 24 hours a day, 7 days a week, for immediate assistance, including the preservation
of data (Art. 35(1)(b)). A node lists those it deals with in ``entente.toml``::

    [[preservation.contacts]]
    country = "NL"
    authority = "National High Tech Crime Unit, Netherlands Police"
    email = "24-7@example.nl"
    phone = "+31 00 000 0000"
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from entente.errors import InvalidInput

__all__ = ["Contact", "find_contact", "parse_contacts"]

# ISO 3166-1 alpha-2, as the Council of Europe's list of 24/7 points of contact names Parties.
_COUNTRY = re.compile(r"[A-Z]{2}")
# An address as RFC 5321 §4.1.2 Mailbox: local part @ domain, no spaces (checked loosely).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# ITU-T E.123 international notation: "+" then digits, spaces, dashes.
_PHONE = re.compile(r"\+[0-9][0-9 ()-]{5,30}")
_FIELDS = frozenset({"country", "authority", "email", "phone"})


@dataclass(frozen=True, slots=True)
class Contact:
    """One Party's 24/7 point of contact (Art. 35)."""

    country: str
    authority: str
    email: str
    phone: str

    @property
    def label(self) -> str:
        """How a case names the addressee: the authority and its country."""
        return f"{self.authority} ({self.country})"


def _field(entry: Mapping[str, object], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}.{name}: required, a non-empty string")
    return value.strip()


def parse_contacts(value: object) -> tuple[Contact, ...]:
    """The ``[[preservation.contacts]]`` array of tables; ``InvalidInput`` naming the entry
    and field that is wrong. One contact per country (Art. 35 designates one per Party)."""
    if not isinstance(value, list):
        raise InvalidInput("preservation.contacts must be an array of tables")
    contacts: list[Contact] = []
    for n, entry in enumerate(value):
        where = f"preservation.contacts[{n}]"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where} must be a table")
        unknown = sorted(set(entry) - _FIELDS)
        if unknown:
            raise InvalidInput(f"{where}: unknown key(s) {', '.join(unknown)}")
        country = _field(entry, "country", where).upper()
        if not _COUNTRY.fullmatch(country):
            raise InvalidInput(f"{where}.country: an ISO 3166-1 alpha-2 code such as NL")
        email = _field(entry, "email", where)
        if not _EMAIL.fullmatch(email):
            raise InvalidInput(f"{where}.email: {email!r} is not an e-mail address")
        phone = _field(entry, "phone", where)
        if not _PHONE.fullmatch(phone):
            raise InvalidInput(f"{where}.phone: international form, such as +31 70 000 0000")
        if any(c.country == country for c in contacts):
            raise InvalidInput(f"{where}.country: {country} is listed twice")
        contacts.append(Contact(country, _field(entry, "authority", where), email, phone))
    return tuple(contacts)


def find_contact(contacts: Sequence[Contact], country: str) -> Contact:
    """The point of contact of ``country``; ``InvalidInput`` naming those configured."""
    wanted = country.strip().upper()
    for contact in contacts:
        if contact.country == wanted:
            return contact
    listed = ", ".join(c.country for c in contacts) or "none (add [[preservation.contacts]])"
    raise InvalidInput(f"no 24/7 point of contact for {country!r} is configured: {listed}")
