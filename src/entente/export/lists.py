"""Plain-text indicator lists for firewalls' external dynamic lists (EDL): one value per line.

Three lists, one per entry type, because an EDL holds entries of one type only (PAN-OS
"Formatting Guidelines for an External Dynamic List"; FortiGate threat feeds and other
firewalls read the same one-entry-per-line text). Each list is UTF-8 (in practice ASCII: names
are punycode), one entry per line, each line ending in ``\\n``, with no header or comment, so
that no reader can mistake a comment for an entry; entries are deduplicated and sorted, so an
unchanged indicator set gives byte-identical lists.

* :func:`render_addresses`: IP items, each address or CIDR block as given (canonical already),
  not merged: an EDL accepts overlapping entries and an operator can find each value again.
  Sorted numerically: IPv4 before IPv6, by first address, wider blocks first.
* :func:`render_domains`: DOMAIN items. An EQUALS item is the name alone (``example.com``); a
  SUBDOMAIN item, "every strict subdomain of the name", is ``*.example.com``: PAN-OS matches
  ``*.`` as one or more leading labels and not the name itself. The list must be used with
  PAN-OS's "Automatically expand to include subdomains" off, else an exact name would cover
  its subdomains too. Sorted as text.
* :func:`render_urls`: URL items of the ``http`` and ``https`` schemes (the URL filter sees
  only those), written without the scheme as EDL URL lists take them (``example.com/path?q``):
  an entry then matches the URL under either scheme, so ``http://x/a`` and ``https://x/a``
  are one entry. URLs of other schemes, with userinfo (``user@host``, which an entry cannot
  express) or with ``*`` or ``^`` (PAN-OS wildcard tokens) are left out. Sorted as text.

Every list leaves out items of other kinds or ops, and values a line cannot carry (spaces,
control characters), as UNSUPPORTED. Pure: values in, bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from entente.export._ipranges import address_entry
from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    LeftOutReason,
    Rendered,
)

__all__ = [
    "MEDIA_TYPE",
    "SUBDOMAIN_PREFIX",
    "render_addresses",
    "render_domains",
    "render_urls",
]

SUBDOMAIN_PREFIX = "*."
"""What a SUBDOMAIN entry starts with in the domain list (PAN-OS asterisk wildcard)."""

MEDIA_TYPE = "text/plain; charset=utf-8"
# RFC 1035 §2.3.1 letters, digits and hyphens, plus the underscore of service labels (RFC 8552),
# in lower case: the names entente.matching.values writes.
_DOMAIN_RE = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
_URL_SCHEMES = ("http", "https")
# A line holds one entry: whitespace and control characters would split or corrupt it, and "*"
# and "^" are PAN-OS wildcard tokens (a URL holding them would match other URLs).
_URL_UNWRITABLE = re.compile(r"[\x00-\x20\x7f*^]")
_AUTHORITY_END = re.compile(r"[/?#]")


def _unsupported(item: ExportItem, detail: str) -> LeftOut:
    return LeftOut(item.indicator_id, LeftOutReason.UNSUPPORTED, detail, item.kind, item.value)


def _body(lines: list[str]) -> bytes:
    return "".join([line + "\n" for line in lines]).encode("utf-8")


def render_addresses(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """The IP address list: each address or CIDR block once, numerically sorted."""
    entries: dict[str, int] = {}  # entry -> its numeric sort key
    left_out: list[LeftOut] = []
    for item in items:
        if item.kind != ItemKind.IP:
            left_out.append(_unsupported(item, f"an IP address list holds no {item.kind} values"))
            continue
        if item.op == ItemOp.SUBDOMAIN:
            left_out.append(_unsupported(item, "an IP value has no subdomains"))
            continue
        entry = address_entry(item.value)
        if entry is None:
            left_out.append(
                _unsupported(item, f"{item.value!r} is not an IP address or CIDR block")
            )
            continue
        text, key = entry
        entries[text] = key
    lines = sorted(entries, key=entries.__getitem__)
    return Rendered(_body(lines), MEDIA_TYPE, "entente-addresses.txt", len(lines), tuple(left_out))


def render_domains(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """The domain list: exact names, and ``*.name`` for every strict subdomain of a name."""
    entries: set[str] = set()
    left_out: list[LeftOut] = []
    for item in items:
        if item.kind != ItemKind.DOMAIN:
            left_out.append(_unsupported(item, f"a domain list holds no {item.kind} values"))
            continue
        if item.op == ItemOp.IN_NETWORK:
            left_out.append(_unsupported(item, "a domain name is not a network block"))
            continue
        if _DOMAIN_RE.fullmatch(item.value) is None:
            left_out.append(_unsupported(item, f"{item.value!r} is not a lower-case DNS name"))
            continue
        entries.add(SUBDOMAIN_PREFIX + item.value if item.op == ItemOp.SUBDOMAIN else item.value)
    lines = sorted(entries)
    return Rendered(_body(lines), MEDIA_TYPE, "entente-domains.txt", len(lines), tuple(left_out))


def render_urls(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """The URL list: HTTP and HTTPS URLs without their scheme."""
    entries: set[str] = set()
    left_out: list[LeftOut] = []
    for item in items:
        if item.kind != ItemKind.URL:
            left_out.append(_unsupported(item, f"a URL list holds no {item.kind} values"))
            continue
        if item.op != ItemOp.EQUALS:
            left_out.append(_unsupported(item, f"a URL list holds URLs, not {item.op} values"))
            continue
        value = item.value
        scheme, separator, rest = value.partition("://")
        if not separator or scheme not in _URL_SCHEMES:
            left_out.append(
                _unsupported(item, "URL lists are matched against HTTP and HTTPS requests only")
            )
            continue
        # RFC 3986 §3.2: the authority ends at the first "/", "?" or "#".
        if "@" in _AUTHORITY_END.split(rest, maxsplit=1)[0]:
            left_out.append(_unsupported(item, "a URL list entry cannot carry userinfo (user@)"))
            continue
        # isprintable() also refuses the line separators of other readers (U+0085, U+2028).
        if not rest or _URL_UNWRITABLE.search(rest) is not None or not rest.isprintable():
            left_out.append(
                _unsupported(
                    item,
                    "a URL list entry cannot hold spaces, control or line-separator characters, "
                    "or the wildcard tokens '*' and '^'",
                )
            )
            continue
        entries.add(rest)
    lines = sorted(entries)
    return Rendered(_body(lines), MEDIA_TYPE, "entente-urls.txt", len(lines), tuple(left_out))
