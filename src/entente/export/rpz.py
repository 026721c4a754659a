"""DNS Response Policy Zone export: a zone file for BIND (and other RPZ resolvers) that answers
NXDOMAIN for listed names and for answers that carry listed addresses.

The zone follows draft-vixie-dnsop-dns-rpz and RFC 1035 §5 (master file format):

* ``$TTL``, the SOA (its serial is the context's serial, reduced modulo 2**32 as RFC 1982
  serial arithmetic wraps) and one NS record, both naming ``localhost.`` as RPZ zones
  conventionally do (the zone is never delegated);
* every owner name is relative (no ``$ORIGIN``), so the file loads under whatever zone name
  the resolver's ``response-policy`` gives it; ``origin`` only serves to leave out names that
  would be longer than 255 octets under that name (RFC 1035 §2.3.4);
* policy records all have the action "NXDOMAIN" (``CNAME .``, the draft's §3.1):

  - a domain (EQUALS) is a QNAME trigger for that name: ``evil.example CNAME .``;
  - a SUBDOMAIN item is the wildcard ``*.evil.example CNAME .``, which matches every
    subdomain and not the name itself, exactly the item's meaning;
  - an IP address or CIDR block is a Response IP Address trigger (the draft's §4.2): the
    prefix length, then the address in reverse order, under ``rpz-ip``. IPv4
    ``10.0.0.0/8`` is ``8.0.0.0.10.rpz-ip``; IPv6 writes the eight 16-bit words in reverse,
    in lower-case hex without leading zeros, with the longest run of two or more zero words
    (the leftmost on a tie, RFC 5952 §4.2.3) as ``zz``: ``2001:db8::/32`` is
    ``32.zz.db8.2001.rpz-ip``. That is the one form BIND accepts ("not the canonical" else);

* several indicators with one trigger give one record, with their ids in a trailing comment.

Left out as UNSUPPORTED: other kinds (URLs, hashes, email, fingerprints), a ``/0`` block (the
draft's prefix length is 1 to 32 or 128), names with an empty label, a label over 63 octets,
too long for the origin, non-ASCII, or ending in a label that RPZ reserves for other triggers
(``rpz-ip``, ``rpz-nsip``, ``rpz-nsdname``, ``rpz-client-ip``): such a name would be read as a
different trigger. Other characters outside letters, digits, ``-`` and ``_`` are written as
``\\DDD`` (RFC 1035 §5.1). Pure: values in, bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from entente.export._netaddr import IPV4_ADDRESS_RE, is_rfc5952, read_ip
from entente.export._ordering import ordered_groups, unsupported
from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    Rendered,
)

__all__ = ["DEFAULT_ORIGIN", "MEDIA_TYPE", "render"]

DEFAULT_ORIGIN = "rpz.entente.local"
MEDIA_TYPE = "text/dns"  # RFC 4027: DNS master files
_FILENAME = "entente.rpz.zone"
_TTL = 300
# SOA timers (RFC 1035 §3.3.13): refresh, retry, expire, minimum (negative caching).
_SOA_TIMERS = "3600 600 604800 300"
_PLAIN_NAME_RE = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
# RFC 1035 §5.1: in a master file these must be escaped inside a label ("." separates labels);
# "*" too, or a leftmost "*" label would be a wildcard (RFC 4592 §2.1.1) instead of a name.
_SPECIAL = frozenset('"();@$\\ *')
# draft-vixie-dnsop-dns-rpz §4: owner names under these labels are other trigger types.
_RESERVED_TLDS = frozenset({"rpz-ip", "rpz-nsip", "rpz-nsdname", "rpz-client-ip"})
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _wire_length(text: str) -> int:
    """Octets of ``text`` (a name of dot-separated labels, no final dot) on the wire, root
    label included: each label is a length octet and its octets (RFC 1035 §3.1)."""
    return len(text) + 2


def _escape_label(label: str) -> str:
    return "".join(f"\\{ord(c):03d}" if c in _SPECIAL or not c.isprintable() else c for c in label)


def _owner(name: str, room: int) -> tuple[str | None, str]:
    """The owner-name text for a domain ``name`` (relative, labels escaped), or ``None`` with
    why it cannot be one. ``room`` is how many wire octets the name may take."""
    if _PLAIN_NAME_RE.fullmatch(name) is not None:
        labels = None
    else:
        if not name.isascii():
            return None, f"{name!r} is not an ASCII DNS name (IDNA applies before export)"
        labels = name.split(".")
        if "" in labels:
            return None, f"{name!r} has an empty label"
        if any(len(label) > 63 for label in labels):
            return None, f"{name!r} has a label over 63 octets (RFC 1035 §2.3.4)"
    last = name.rpartition(".")[2]
    if last in _RESERVED_TLDS:
        return None, f"{name!r} ends in {last!r}, which RPZ reads as another trigger type"
    if _wire_length(name) > room:
        return None, f"{name!r} would make an owner name over 255 octets in the zone"
    if labels is None:
        return name, ""
    return ".".join(_escape_label(label) for label in labels), ""


def _ip_owner(value: str, network: bool) -> tuple[str | None, str]:
    """The ``rpz-ip`` owner name for an address or CIDR block (draft §4.2), or ``None``."""
    ip = read_ip(value)
    if ip is None or (ip.prefix is not None) != network:
        what = "a CIDR block" if network else "an IP address"
        return None, f"{value!r} is not {what}"
    width = 32 if ip.version == 4 else 128
    prefix = width if ip.prefix is None else ip.prefix
    if prefix == 0:
        return None, f"RPZ cannot express a /0 block (prefix lengths are 1 to {width})"
    number = ip.number
    if ip.version == 4:
        return (
            f"{prefix}.{number & 255}.{number >> 8 & 255}.{number >> 16 & 255}.{number >> 24}"
            ".rpz-ip",
            "",
        )
    address = ip.text.partition("/")[0]
    if "." not in address:
        return f"{prefix}.{_reversed_groups(address)}.rpz-ip", ""
    return f"{prefix}.{_ipv6_labels(ip.number)}.rpz-ip", ""


def _reversed_groups(address: str) -> str:
    """The draft's IPv6 labels from RFC 5952 text, which already has BIND's choice of zero
    run (the longest of two or more groups, the leftmost on a tie) as ``::``."""
    head, double, tail = address.partition("::")
    labels = tail.split(":")[::-1] if tail else []
    if double:
        labels.append("zz")
    if head:
        labels.extend(head.split(":")[::-1])
    return ".".join(labels)


def _ipv6_labels(number: int) -> str:
    """The draft's IPv6 labels for ``number``, from its words (the reference form)."""
    words = [(number >> shift) & 0xFFFF for shift in range(0, 128, 16)]  # last word first
    # The longest run of >= 2 zero words, the leftmost in address order on a tie (RFC 5952
    # §4.2.3). `words` runs right to left, so on a tie the run found last wins.
    best_start, best_length, start, length = -1, 1, -1, 0
    for position, word in enumerate(words):
        if word:
            length = 0
            continue
        if length == 0:
            start = position
        length += 1
        if length >= best_length and length >= 2:
            best_start, best_length = start, length
    labels = [f"{word:x}" for word in words]
    if best_start >= 0:
        labels[best_start : best_start + best_length] = ["zz"]
    return ".".join(labels)


def _triggers(
    items: Sequence[ExportItem], room: int
) -> tuple[dict[str, str], dict[str, list[str]], list[LeftOut]]:
    """Owner name -> first indicator id, owner -> the other ids (rare), and what is left out.

    Owners keep the order of :func:`ordered_groups`, so the zone is deterministic without a
    sort of its own. Fast paths: a plain name (letters, digits, ``-``, ``_``) that fits needs no
    escaping, and an IPv4 address needs no arithmetic to be reversed.
    """
    first: dict[str, str] = {}
    more: dict[str, list[str]] = {}
    left_out: list[LeftOut] = []
    plain = _PLAIN_NAME_RE.fullmatch
    ipv4 = IPV4_ADDRESS_RE.fullmatch
    for kind, op, group in ordered_groups(items):
        domain = kind is ItemKind.DOMAIN and op in (ItemOp.EQUALS, ItemOp.SUBDOMAIN)
        address = kind is ItemKind.IP and op in (ItemOp.EQUALS, ItemOp.IN_NETWORK)
        if not (domain or address):
            if kind is ItemKind.IP or kind is ItemKind.DOMAIN:
                why = f"RPZ cannot express {kind} items with op {op}"
            else:
                why = (
                    f"RPZ acts on DNS names and answer addresses; {kind} values cannot be triggers"
                )
            left_out.extend(unsupported(item, why) for item in group)
            continue
        wildcard = op is ItemOp.SUBDOMAIN
        limit = room - 2 if wildcard else room  # "*." takes two octets
        network = op is ItemOp.IN_NETWORK
        for item in group:
            value = item.value
            owner: str | None
            if domain:
                if len(value) + 2 <= limit and "rpz-" not in value and plain(value) is not None:
                    owner = value
                else:
                    owner, why = _owner(value, limit)
                if owner is not None and wildcard:
                    owner = "*." + owner
            elif not network and ipv4(value) is not None:
                a, b, c, d = value.split(".")
                owner = f"32.{d}.{c}.{b}.{a}.rpz-ip"
            elif not network and "." not in value and is_rfc5952(value):
                owner = f"128.{_reversed_groups(value)}.rpz-ip"
            else:
                owner, why = _ip_owner(value, network)
            if owner is None:
                left_out.append(unsupported(item, why))
                continue
            known = first.get(owner)
            if known is None:
                first[owner] = item.indicator_id
            elif known != item.indicator_id:
                more.setdefault(owner, []).append(item.indicator_id)
    return first, more, left_out


def render(
    items: Sequence[ExportItem], context: ExportContext, *, origin: str = DEFAULT_ORIGIN
) -> Rendered:
    """Render ``items`` as an RPZ zone file; what it cannot express is left out, with why.

    ``origin`` is the zone name the file will be loaded under (default ``rpz.entente.local``);
    the file itself uses relative names only.
    """
    room = 255 - _wire_length(origin.rstrip(".")) + 1  # the origin's root octet is shared
    first, more, left_out = _triggers(items, room)
    header = (
        f"; Entente response policy zone (draft-vixie-dnsop-dns-rpz), for {_comment(origin)}.\n"
        f"; Producer: {_comment(context.producer)}. Generated: "
        f"{_comment(context.generated_at)}.\n"
        "; Every trigger answers NXDOMAIN (CNAME .). name: that exact name; *.name: its\n"
        "; subdomains, not the name; N.<reversed address>.rpz-ip: DNS answers with an address\n"
        "; in that /N block. The comment on each record names the Entente indicators.\n"
        f"$TTL {_TTL}\n"
        f"@ IN SOA localhost. hostmaster.localhost. {context.serial % 2**32} {_SOA_TIMERS}\n"
        "@ IN NS localhost.\n"
    )
    for owner, extra in more.items():
        first[owner] = " ".join(sorted({first[owner], *extra}))
    data = "".join([f"{owner} CNAME . ; {ids}\n" for owner, ids in first.items()])
    # The comments hold indicator ids as given: one scan proves none breaks its line.
    if _CONTROL_RE.search(data.replace("\n", " ")) is not None or not data.isascii():
        data = "".join([f"{owner} CNAME . ; {_comment(ids)}\n" for owner, ids in first.items()])
    return Rendered(
        body=(header + data).encode("ascii", "replace"),
        media_type=MEDIA_TYPE,
        filename=_FILENAME,
        count=len(first),
        left_out=tuple(left_out),
    )


def _comment(text: str) -> str:
    """``text`` safe inside a ``;`` comment: one line, ASCII."""
    return _CONTROL_RE.sub(" ", text).encode("ascii", "replace").decode("ascii")
