"""A reader of the RPZ zones Entente writes: each policy record back to the item it stands for.

It reads RFC 1035 master-file lines (``;`` comments, ``$TTL``, ``\\DDD`` escapes) and the
triggers of draft-vixie-dnsop-dns-rpz: ``name`` (QNAME), ``*.name`` (its subdomains) and
``N.<reversed address>.rpz-ip`` (response IP address, IPv6 with ``zz`` for zeros).
"""

from __future__ import annotations

import ipaddress
import re

from entente.export.model import ItemKind, ItemOp

_ESCAPE_RE = re.compile(r"\\(\d{3}|.)")


class ZoneFormatError(ValueError):
    """A zone line this reader cannot take for one of Entente's records."""


def _unescape(name: str) -> str:
    return _ESCAPE_RE.sub(
        lambda m: chr(int(m.group(1))) if m.group(1).isdigit() else m.group(1), name
    )


def _rpz_ip(labels: list[str]) -> str:
    prefix = int(labels[0])
    rest = labels[1:]
    if len(rest) == 4 and "zz" not in rest:
        address = ".".join(reversed(rest))
        return str(ipaddress.IPv4Network(f"{address}/{prefix}"))
    if rest.count("zz") > 1:
        raise ZoneFormatError("two 'zz' in one rpz-ip name")
    words = list(reversed(rest))
    if "zz" in words:
        at = words.index("zz")
        words[at : at + 1] = ["0"] * (8 - len(words) + 1)
    if len(words) != 8:
        raise ZoneFormatError(f"{labels} is not eight words")
    network = ipaddress.IPv6Network(f"{':'.join(words)}/{prefix}")
    return str(network)


def read_rpz(text: str) -> set[tuple[ItemKind, ItemOp, str]]:
    """The ``(kind, op, value)`` of every policy record (all must be ``CNAME .``). An address
    trigger of prefix 32 or 128 reads as an address (EQUALS), others as a block."""
    triggers: set[tuple[ItemKind, ItemOp, str]] = set()
    for raw in text.split("\n"):
        line = raw.split(";", 1)[0].strip()  # no ';' in Entente's names: they are escaped
        if not line or line.startswith(("$", "@")):
            continue
        fields = line.split()
        if fields[1:] != ["CNAME", "."]:
            raise ZoneFormatError(f"not an NXDOMAIN policy record: {raw!r}")
        owner = fields[0]
        if owner.endswith(".rpz-ip"):
            value = _rpz_ip(owner.removesuffix(".rpz-ip").split("."))
            address, _, prefix = value.partition("/")
            full = "32" if ":" not in address else "128"
            if prefix == full:
                triggers.add((ItemKind.IP, ItemOp.EQUALS, address))
            else:
                triggers.add((ItemKind.IP, ItemOp.IN_NETWORK, value))
        elif owner.startswith("*."):
            triggers.add((ItemKind.DOMAIN, ItemOp.SUBDOMAIN, _unescape(owner[2:])))
        else:
            triggers.add((ItemKind.DOMAIN, ItemOp.EQUALS, _unescape(owner)))
    return triggers
