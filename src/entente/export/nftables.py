"""nftables export: a ruleset file for ``nft -f`` with the indicators' addresses as two interval
sets and chains that drop traffic from and to them.

The file (nftables wiki, "Scripting" and "Sets") is self-contained and safe to load again:

* ``table inet entente`` then ``delete table inet entente`` then the table's definition: the
  first line creates the table when it is missing so that the delete never fails, and
  ``nft -f`` applies the whole file as one transaction, so a reload swaps old for new
  atomically, with no moment without the blocklist;
* sets ``entente_v4`` (``type ipv4_addr``) and ``entente_v6`` (``type ipv6_addr``), both
  ``flags interval``, whose elements are every IP item (addresses and CIDR blocks) merged into
  disjoint intervals: nft refuses overlapping interval elements ("conflicting intervals
  specified"), so overlapping and adjacent blocks and addresses are merged, and each interval
  is written as an address, a CIDR prefix or an ``a-b`` range;
* chains ``input``, ``forward`` and ``output`` hooked at ``priority filter - 10`` (before the
  usual filter chains at 0) with ``policy accept``, so they only drop what the sets hold:
  inbound from, forwarded from or to, and outbound to a listed address, each with a counter
  (``nft list table inet entente`` shows the hits). Sets are local to their table, so rules
  that use them must live in this table; an operator who wants only the sets deletes the
  chains from the file or points their own chains here with ``jump``.

Items of other kinds (domains, URLs, hashes...) and items whose value is not an address or
block are left out as UNSUPPORTED. Pure: values in, bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from entente.export._ipranges import merge_addresses
from entente.export.model import (
    ExportContext,
    ExportItem,
    ItemKind,
    ItemOp,
    LeftOut,
    LeftOutReason,
    Rendered,
)

__all__ = ["FAMILY", "MEDIA_TYPE", "SET_V4", "SET_V6", "TABLE", "render"]

FAMILY = "inet"  # one table for IPv4 and IPv6 traffic (nftables wiki, "Nftables families")
TABLE = "entente"
SET_V4 = "entente_v4"
SET_V6 = "entente_v6"
MEDIA_TYPE = "text/plain; charset=utf-8"
_PRIORITY = "filter - 10"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Base chains named for their hooks, and what each drops: inbound from a listed address,
# forwarded from or to one, outbound to one ("ip"/"ip6" select the family in an inet table).
_CHAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("input", (f"ip saddr @{SET_V4}", f"ip6 saddr @{SET_V6}")),
    (
        "forward",
        (
            f"ip saddr @{SET_V4}",
            f"ip daddr @{SET_V4}",
            f"ip6 saddr @{SET_V6}",
            f"ip6 daddr @{SET_V6}",
        ),
    ),
    ("output", (f"ip daddr @{SET_V4}", f"ip6 daddr @{SET_V6}")),
)


def _comment(text: str) -> str:
    """``text`` safe inside a ``#`` comment: a line break would end the comment early."""
    return _CONTROL.sub(" ", text)


def _set_lines(name: str, address_type: str, elements: tuple[str, ...]) -> list[str]:
    lines = [f"\tset {name} {{", f"\t\ttype {address_type}", "\t\tflags interval"]
    if elements:  # nft rejects "elements = { }": an empty set has no elements line
        lines.append("\t\telements = {")
        lines.extend([f"\t\t\t{element}," for element in elements])
        lines.append("\t\t}")
    lines.append("\t}")
    return lines


def _chain_lines() -> list[str]:
    lines: list[str] = []
    for hook, matches in _CHAINS:
        lines.append(f"\tchain {hook} {{")
        lines.append(f"\t\ttype filter hook {hook} priority {_PRIORITY}; policy accept;")
        lines.extend(f"\t\t{match} counter drop" for match in matches)
        lines.append("\t}")
    return lines


def _unsupported(item: ExportItem, detail: str) -> LeftOut:
    return LeftOut(item.indicator_id, LeftOutReason.UNSUPPORTED, detail, item.kind, item.value)


def render(items: Sequence[ExportItem], context: ExportContext) -> Rendered:
    """The nftables ruleset for the IP items of ``items``; other items are left out."""
    addresses: list[ExportItem] = []
    left_out: list[LeftOut] = []
    for item in items:
        if item.kind != ItemKind.IP:
            detail = f"nftables address sets hold IP addresses and blocks, not {item.kind} values"
            left_out.append(_unsupported(item, detail))
        elif item.op == ItemOp.SUBDOMAIN:
            left_out.append(_unsupported(item, "an IP value has no subdomains"))
        else:
            addresses.append(item)
    merged = merge_addresses([item.value for item in addresses])
    for position in merged.invalid:
        item = addresses[position]
        left_out.append(_unsupported(item, f"{item.value!r} is not an IP address or CIDR block"))
    count = len(merged.v4) + len(merged.v6)
    lines = [
        "# Entente indicator export for nftables.",
        f"# Generated {_comment(context.generated_at)} by {_comment(context.producer)}, "
        f"serial {context.serial}.",
        f"# {len(addresses) - len(merged.invalid)} IP indicator values as {len(merged.v4)} IPv4 "
        f"and {len(merged.v6)} IPv6 elements",
        "# (overlapping and adjacent addresses and blocks merged into one element).",
        "# Load and reload with `nft -f FILE`: the table is replaced in one transaction.",
        "# The chains drop traffic from and to the listed addresses; delete them to keep only",
        "# the sets.",
        f"table {FAMILY} {TABLE}",
        f"delete table {FAMILY} {TABLE}",
        f"table {FAMILY} {TABLE} {{",
        *_set_lines(SET_V4, "ipv4_addr", merged.v4),
        *_set_lines(SET_V6, "ipv6_addr", merged.v6),
        *_chain_lines(),
        "}",
        "",
    ]
    return Rendered(
        body="\n".join(lines).encode("utf-8"),
        media_type=MEDIA_TYPE,
        filename="entente.nft",
        count=count,
        left_out=tuple(left_out),
    )
