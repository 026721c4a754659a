"""Values a person types for the warninglists (``allow``, ``check``): what kind each is, and
its normal form, the one the exports and the warninglists compare (``matching.values``).

Shared by ``entente warninglist`` and the Admin page, so that a value allowed on either is
the same value.
"""

from __future__ import annotations

import enum

from entente.errors import InvalidInput
from entente.matching.model import ValueKind
from entente.matching.values import (
    normalize_digest,
    normalize_domain,
    normalize_email,
    normalize_ip,
    normalize_network,
    normalize_url,
)

__all__ = ["Kind", "classify"]


class Kind(enum.StrEnum):
    """What a typed value is (``auto``: what it looks like)."""

    AUTO = "auto"
    IP = "ip"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    JA3 = "ja3"
    JA3S = "ja3s"
    JA4 = "ja4"


_HEX_KINDS = {32: Kind.MD5, 40: Kind.SHA1, 64: Kind.SHA256}
_SUBDOMAINS = "*."


def _guess(text: str) -> Kind:
    if "://" in text:
        return Kind.URL
    if "@" in text:
        return Kind.EMAIL
    if normalize_ip(text) is not None or normalize_network(text) is not None:
        return Kind.IP
    stripped = text.strip()
    if len(stripped) in _HEX_KINDS and all(c in "0123456789abcdefABCDEF" for c in stripped):
        return _HEX_KINDS[len(stripped)]
    return Kind.DOMAIN


def classify(text: str, kind: Kind = Kind.AUTO) -> tuple[str, str, str]:
    """``(kind, op, value)`` of a value typed by a person, normalised as export items are.

    A CIDR block is ``in_network``; a domain written ``*.name`` means its subdomains.
    """
    chosen = _guess(text) if kind is Kind.AUTO else kind
    value: str | None
    op = "equals"
    if chosen is Kind.IP:
        value = normalize_ip(text)
        if value is None:
            value, op = normalize_network(text), "in_network"
    elif chosen is Kind.DOMAIN:
        name = text.strip()
        if name.startswith(_SUBDOMAINS):
            name, op = name[len(_SUBDOMAINS) :], "subdomain"
        value = normalize_domain(name)
    elif chosen is Kind.URL:
        value = normalize_url(text)
    elif chosen is Kind.EMAIL:
        value = normalize_email(text)
    else:
        value = normalize_digest(ValueKind(chosen.value), text)
    if value is None:
        raise InvalidInput(f"{text!r} is not a valid {chosen.value} value")
    return chosen.value, op, value
