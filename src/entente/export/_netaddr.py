"""IP item values read for the Suricata, Zeek and RPZ renderers: an address or a CIDR block as
its version, number, prefix length and canonical text.

Values reach renderers canonical already (``entente.matching.values``: dotted quad, RFC 5952
IPv6, host bits cleared), and an export holds up to a million of them, so the checks run at C
speed: a regex for IPv4 and ``socket.inet_pton`` for IPv6 (a pure conversion of text to bytes,
no I/O; :mod:`ipaddress` is ten times slower). A value that is neither an address nor a block
is refused here, so no renderer copies junk into a rule header or a zone. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import NamedTuple

__all__ = ["IPV4_ADDRESS_RE", "IpValue", "ip_text", "ipv6_text", "is_rfc5952", "read_ip"]

# RFC 791 dotted quad, octets 0-255 without leading zeros (a leading zero is octal to
# inet_aton, decimal to others): the whole check in one C-level match.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_ADDRESS_RE = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_IPV4_BLOCK_RE = re.compile(rf"({_OCTET}(?:\.{_OCTET}){{3}})/(3[0-2]|[12]?[0-9])")
# RFC 4291 §2.2 text forms (hex groups, "::", an embedded dotted quad); inet_pton decides.
_IPV6_RE = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_IPV6_PREFIX_RE = re.compile(r"12[0-8]|1[01][0-9]|[1-9]?[0-9]")


class IpValue(NamedTuple):
    """An address (``prefix`` is ``None``) or a CIDR block (``number`` is its network). A
    named tuple, not a frozen dataclass: it is made once per value, a million times."""

    version: int  # 4 or 6
    number: int
    prefix: int | None
    text: str  # canonical: "192.0.2.1", "10.0.0.0/8", "2001:db8::/32"


def _ipv4_number(text: str) -> int:
    a, b, c, d = text.split(".")
    return int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d)


def _ipv6_number(text: str) -> int | None:
    if _IPV6_RE.fullmatch(text) is None:
        return None
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except OSError:  # inet_pton's "illegal IP address string"
        return None


def ipv6_text(number: int) -> str:
    """RFC 5952 §4 text of an IPv6 address: lower-case hex without leading zeros, the longest
    run of two or more zero groups (the leftmost on a tie) as ``::``.

    ``inet_ntop`` writes exactly that (the ISC code in C libraries, RFC 5952's rules) except
    for the IPv4-mapped and -compatible ranges, which it ends with a dotted quad; those take
    :mod:`ipaddress`, whose ``compressed`` form is all hex.
    """
    text = socket.inet_ntop(socket.AF_INET6, number.to_bytes(16, "big"))
    return ipaddress.IPv6Address(number).compressed if "." in text else text


def is_rfc5952(text: str) -> bool:
    """Whether ``text`` is an IPv6 address in its RFC 5952 form (a normalised value is)."""
    if _IPV6_RE.fullmatch(text) is None:
        return False
    try:
        packed = socket.inet_pton(socket.AF_INET6, text)
    except OSError:
        return False
    return socket.inet_ntop(socket.AF_INET6, packed) == text


def read_ip(text: str) -> IpValue | None:
    """``text`` as an address or a CIDR block (host bits cleared), ``None`` if it is neither.
    IPv4 text is kept unless a block has host bits set; IPv6 text is written afresh in the
    RFC 5952 form (which normalised values have already)."""
    if IPV4_ADDRESS_RE.fullmatch(text) is not None:
        return IpValue(4, _ipv4_number(text), None, text)
    m = _IPV4_BLOCK_RE.fullmatch(text)
    if m is not None:
        number, prefix = _ipv4_number(m.group(1)), int(m.group(2))
        network = number & ~((1 << (32 - prefix)) - 1)
        if network != number:
            text = f"{ipaddress.IPv4Address(network)}/{prefix}"
        return IpValue(4, network, prefix, text)
    address, slash, prefix_text = text.partition("/")
    number6 = _ipv6_number(address)
    if number6 is None:
        return None
    if not slash:
        return IpValue(6, number6, None, ipv6_text(number6))
    if _IPV6_PREFIX_RE.fullmatch(prefix_text) is None:
        return None
    prefix = int(prefix_text)
    network = number6 & ~((1 << (128 - prefix)) - 1)
    return IpValue(6, network, prefix, f"{ipv6_text(network)}/{prefix}")


def ip_text(text: str, network: bool) -> str | None:
    """The text of an address (``network`` false) or a CIDR block (true), ``None`` when
    ``text`` is not one (a block given as an address, or an address as a block). An address
    is checked and kept as it is (normalised values are canonical); a block is written as
    :func:`read_ip` reads it."""
    if not network:
        if IPV4_ADDRESS_RE.fullmatch(text) is not None:
            return text
        return text if ":" in text and _ipv6_number(text) is not None else None
    ip = read_ip(text)
    if ip is None or ip.prefix is None:
        return None
    return ip.text
