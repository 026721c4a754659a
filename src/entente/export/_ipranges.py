"""IP addresses and CIDR blocks as integer intervals: read their text, merge them, write them.

Firewall address sets (nftables interval sets) and address lists need the addresses an
indicator set covers as numbers: an address ``a`` is the interval ``[a, a]``, a CIDR block
``p/n`` (RFC 4632 §3.1) the interval ``[p, p + 2**(W-n) - 1]`` (``W`` = 32 or 128).

The values reaching a renderer are canonical already (``entente.matching.values``). They are
read by ``_netaddr.read_ip``, as for the other renderers: a value in its canonical form is
written again as it was given, any other spelling afresh in canonical form, and what is
neither an address nor a block is refused.

Exports run over a million values, so intervals are kept as plain integers ``start << W | end``
(sorted as integers, they sort by start, then end): integers are not tracked by the garbage
collector, and a million surviving tuples would make it rescan the heap several times. Pure:
no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from entente.export._netaddr import ipv6_text, read_ip

__all__ = [
    "MergedAddresses",
    "address_entry",
    "format_address",
    "merge_addresses",
]

_WIDTH = {4: 32, 6: 128}
_V6_MASK = (1 << 128) - 1


def _read(text: str) -> tuple[int, int, int, bool] | None:
    """``(version, start, end, exact)`` for an address or a CIDR block, ``exact`` when the
    text is canonical and may be written again as it is; ``None`` if it is neither. The
    reading is ``_netaddr.read_ip``'s, the one the other renderers use."""
    ip = read_ip(text)
    if ip is None:
        return None
    end = (
        ip.number if ip.prefix is None else ip.number + (1 << (_WIDTH[ip.version] - ip.prefix)) - 1
    )
    return ip.version, ip.number, end, ip.text == text


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
    return ipv6_text(number)


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
