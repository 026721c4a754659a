"""IP addresses and CIDR blocks as integer intervals: read their text, merge them, write them.

Firewall address sets (nftables interval sets) and address lists need the addresses an
indicator set covers as numbers: an address ``a`` is the interval ``[a, a]``, a CIDR block
``p/n`` (RFC 4632 §3.1) the interval ``[p, p + 2**(W-n) - 1]`` (``W`` = 32 or 128).

The values reaching a renderer are canonical already (``entente.matching.values``), so the
common case is read by a fast path, and a value it reads is written again as it was given
(an IPv6 address in another valid lower-case spelling, ``0:0:0:0:0:0:0:1``, keeps it: nft and
address lists read any). Anything else goes to :mod:`ipaddress`, which either reads it (the
text is then written afresh, canonical) or refuses it.

Exports run over a million values, so intervals are kept as plain integers ``start << W | end``
(sorted as integers, they sort by start, then end): integers are not tracked by the garbage
collector, and a million surviving tuples would make it rescan the heap several times. Pure:
no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MergedAddresses",
    "address_entry",
    "format_address",
    "merge_addresses",
]

# RFC 791 dotted quad without leading zeros (the form entente.matching.values writes; a leading
# zero is octal to inet_aton and to nft's parser, so such text is never copied as it is).
_IPV4_RE = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")
# Lower-case hexadecimal groups (RFC 5952 §4.3); anything else takes the ipaddress path.
_IPV6_RE = re.compile(r"[0-9a-f:]{2,39}")
_WIDTH = {4: 32, 6: 128}
_V6_MASK = (1 << 128) - 1


def _v4(text: str) -> int | None:
    if _IPV4_RE.fullmatch(text) is None:
        return None
    a, b, c, d = map(int, text.split("."))
    if a > 255 or b > 255 or c > 255 or d > 255:
        return None
    return (a << 24) | (b << 16) | (c << 8) | d


def _v6(text: str) -> int | None:
    if _IPV6_RE.fullmatch(text) is None:
        return None
    head, double, tail = text.partition("::")
    if double:
        left = head.split(":") if head else []
        right = tail.split(":") if tail else []
        missing = 8 - len(left) - len(right)
        if missing < 1:  # RFC 4291 §2.2: "::" stands for one or more groups of zeros
            return None
        groups = [*left, *(["0"] * missing), *right]
    else:
        groups = text.split(":")
        if len(groups) != 8:
            return None
    if "" in groups:  # ":::", or a leading or trailing single ":"
        return None
    digits = "".join([group.rjust(4, "0") for group in groups])
    # rjust never shortens, so a group of more than four digits makes the text too long.
    return int(digits, 16) if len(digits) == 32 else None


def _slow(text: str) -> tuple[int, int, int] | None:
    """``(version, start, end)`` as :mod:`ipaddress` reads a value the fast path did not take."""
    if "%" in text:  # RFC 4007 zone ids: link-local plumbing, no address for a firewall set
        return None
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            start = int(network.network_address)
            return network.version, start, start + network.num_addresses - 1
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address), int(address)


def _read(text: str) -> tuple[int, int, int, bool] | None:
    """``(version, start, end, exact)`` for an address or a CIDR block, ``exact`` when the
    text is canonical and may be written again as it is; ``None`` if it is neither."""
    address, slash, prefix = text.partition("/")
    v6 = ":" in address
    number = _v6(address) if v6 else _v4(address)
    if number is None:
        slow = _slow(text)
        return None if slow is None else (*slow, False)
    version = 6 if v6 else 4
    if not slash:
        return version, number, number, True
    width = _WIDTH[version]
    if not (prefix.isascii() and prefix.isdigit()) or len(prefix) > 3 or int(prefix) > width:
        return None
    size = 1 << (width - int(prefix))
    if number & (size - 1):  # host bits set: read as its network, written afresh
        return version, number & -size, (number & -size) + size - 1, False
    return version, number, number + size - 1, True


@dataclass(frozen=True, slots=True)
class MergedAddresses:
    """The union of some addresses and blocks as disjoint, non-adjacent intervals in ascending
    order, each written as an address, a CIDR block or an ``a-b`` range; ``invalid`` holds the
    positions of the values that were neither an address nor a block."""

    v4: tuple[str, ...]
    v6: tuple[str, ...]
    invalid: tuple[int, ...]


def merge_addresses(values: Iterable[str]) -> MergedAddresses:
    """Merge addresses and CIDR blocks of both IP versions into disjoint intervals.

    Overlapping and adjacent intervals (``end + 1 == start``) become one: nft refuses
    overlapping elements in an interval set ("conflicting intervals specified"). An interval
    equal to one canonical input keeps that input's text. O(n log n): a sort of integers.
    """
    keys: dict[int, list[int]] = {4: [], 6: []}
    texts: dict[int, dict[int, str]] = {4: {}, 6: {}}
    invalid: list[int] = []
    for position, text in enumerate(values):
        read = _read(text)
        if read is None:
            invalid.append(position)
            continue
        version, start, end, exact = read
        key = start << _WIDTH[version] | end
        keys[version].append(key)
        if exact:
            texts[version].setdefault(key, text)
    return MergedAddresses(
        tuple(_merged(4, keys[4], texts[4])),
        tuple(_merged(6, keys[6], texts[6])),
        tuple(invalid),
    )


def _merged(version: int, keys: list[int], texts: dict[int, str]) -> list[str]:
    width = _WIDTH[version]
    mask = (1 << width) - 1
    keys.sort()
    elements: list[str] = []
    if not keys:
        return elements
    start = keys[0] >> width
    end = keys[0] & mask
    for key in keys:
        next_start = key >> width
        if next_start <= end + 1:
            next_end = key & mask
            end = max(end, next_end)
            continue
        elements.append(_element(version, start, end, texts))
        start, end = next_start, key & mask
    elements.append(_element(version, start, end, texts))
    return elements


def _element(version: int, start: int, end: int, texts: dict[int, str]) -> str:
    """``[start, end]`` as nft writes an interval set element (nftables wiki, "Sets"): an
    address, a prefix, or a range; a canonical input's own text when one was exactly this."""
    text = texts.get(start << _WIDTH[version] | end)
    if text is not None:
        return text
    if start == end:
        return format_address(version, start)
    size = end - start + 1
    if size & (size - 1) == 0 and start & (size - 1) == 0:  # a power of two, aligned
        return f"{format_address(version, start)}/{_WIDTH[version] - size.bit_length() + 1}"
    return f"{format_address(version, start)}-{format_address(version, end)}"


def format_address(version: int, number: int) -> str:
    """An address in canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6."""
    if version == 4:
        return f"{number >> 24}.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
    return ipaddress.IPv6Address(number).compressed


def address_entry(text: str) -> tuple[str, int] | None:
    """An address or CIDR block in canonical text (``text`` itself when it already is) and an
    integer that sorts it numerically (IPv4 before IPv6, then by first address, wider blocks
    first); ``None`` when ``text`` is neither. A block with host bits set becomes its network.
    """
    read = _read(text)
    if read is None:
        return None
    version, start, end, exact = read
    key = (version == 6) << 256 | start << 128 | (_V6_MASK - (end - start))
    if exact:
        return text, key
    if start == end and "/" not in text:
        return format_address(version, start), key
    prefix = _WIDTH[version] - (end - start + 1).bit_length() + 1
    return f"{format_address(version, start)}/{prefix}", key
