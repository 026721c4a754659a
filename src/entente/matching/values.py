"""Normal forms of matchable values: one definition for indicator terms and for log values.

Every function here is pure and total: it returns the canonical text of a value, or ``None``
when the text is not a value of that kind (never an exception for bad data). The naive
reference matcher and the fast engine both call these, so a corner case decided here is decided
for every matcher.

Shared conventions:

* Surrounding ASCII whitespace (space, tab, CR, LF, VT, FF) is stripped; whitespace inside a
  value is kept (and makes most kinds invalid).
* A log value that is ``""``, ``"-"`` or ``"(empty)"`` (after stripping) is no value at all:
  Zeek writes ``-`` for an unset field and ``(empty)`` for an empty set or vector.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from types import MappingProxyType

from entente.matching.model import ValueKind

__all__ = [
    "DIGEST_KINDS",
    "NO_VALUE",
    "log_values",
    "normalize_digest",
    "normalize_domain",
    "normalize_email",
    "normalize_ip",
    "normalize_network",
    "normalize_url",
]

_WS = " \t\r\n\x0b\x0c"

NO_VALUE: frozenset[str] = frozenset({"", "-", "(empty)"})
"""Log texts that stand for "no value" (Zeek's unset ``-`` and empty-container ``(empty)``)."""

# --- addresses --------------------------------------------------------------------------------
# RFC 791 dotted quad as Python's ipaddress reads it: exactly four decimal octets, ASCII digits,
# no leading zeros ("010.0.0.1" is ambiguous: octal to inet_aton, decimal to others; CVE-2021-
# 29921 made Python reject it, and so do we). The regex is the fast path; the <= 255 check is
# the only arithmetic left.
_IPV4_RE = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")
_IPV6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]{2,45}")


def _ipv4(text: str) -> str | None:
    if _IPV4_RE.fullmatch(text) is None:
        return None
    for octet in text.split("."):
        if len(octet) == 3 and octet > "255":
            return None
    return text


def normalize_ip(text: str) -> str | None:
    """An address in canonical form: IPv4 dotted quad; IPv6 compressed and lower-case (RFC 5952
    §4); an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``, RFC 4291 §2.5.5.2) as its IPv4 form.

    ``None`` for anything else, including CIDR blocks, IPv6 zone ids (``fe80::1%eth0``: link-
    local plumbing, not an indicator) and IPv4 octets with leading zeros.
    """
    t = text.strip(_WS)
    if ":" not in t:
        return _ipv4(t)
    if _IPV6_CHARS_RE.fullmatch(t) is None:  # cheap rejection of junk and of zone ids
        return None
    try:
        address = ipaddress.IPv6Address(t)
    except ValueError:
        return None
    mapped = address.ipv4_mapped
    return str(mapped) if mapped is not None else address.compressed


def normalize_network(text: str) -> str | None:
    """A CIDR block (RFC 4632 §3.1) in canonical form ``address/prefix``, host bits cleared.

    The address is canonical as in :func:`normalize_ip`. An IPv6 block inside the IPv4-mapped
    range ``::ffff:0:0/96`` (prefix 96 or longer) becomes the IPv4 block it maps, because
    mapped log addresses are seen as IPv4. ``None`` without an explicit ``/prefix`` (a bare
    address is :func:`normalize_ip`'s) or with a prefix out of range for the family.
    """
    t = text.strip(_WS)
    address, slash, prefix = t.partition("/")
    if not slash or not (prefix.isascii() and prefix.isdigit()) or len(prefix) > 3:
        return None
    length = int(prefix)
    if ":" not in address:
        if _ipv4(address) is None or length > 32:
            return None
        return str(ipaddress.IPv4Network((address, length), strict=False))
    if "%" in address or length > 128:
        return None
    try:
        v6 = ipaddress.IPv6Network((address, length), strict=False)
    except ValueError:
        return None
    mapped = v6.network_address.ipv4_mapped
    if mapped is not None and length >= 96:
        return str(ipaddress.IPv4Network((mapped, length - 96)))
    return str(v6)


# --- names ------------------------------------------------------------------------------------
# RFC 1035 §2.3.4: labels of at most 63 octets, names of at most 253 characters in text form
# (255 octets on the wire). Characters: RFC 1123 §2.1 letters, digits and hyphens, plus the
# underscore of service labels (RFC 8552: "_dmarc", "_sip._tcp"), which real DNS logs carry.
_DOMAIN_RE = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")


def _idna(name: str) -> str | None:
    """``name`` in ASCII: IDNA 2003 ToASCII per label (RFC 3490 §4.1, Python's ``idna`` codec,
    as ingest uses), so ``münchen.de`` and ``xn--mnchen-3ya.de`` are one name."""
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def normalize_domain(text: str) -> str | None:
    """A DNS name in canonical form: lower-case, one final ``.`` (the root) removed, IDNA
    (punycode) for non-ASCII labels.

    ``None`` when empty or not a name: characters other than letters, digits, ``-`` and ``_``,
    an empty label (``a..b``, ``.a``), a label over 63 or a name over 253 characters.
    """
    name = _idna(text.strip(_WS).removesuffix("."))
    if name is None or len(name) > 253:
        return None
    name = name.lower()
    return name if _DOMAIN_RE.fullmatch(name) is not None else None


# RFC 3986 §3: scheme "://" authority, then path, query and fragment. The authority ends at
# the first "/", "?" or "#".
_URL_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", re.DOTALL)
# RFC 3986 §6.2.3: a port equal to the scheme's default is dropped.
_DEFAULT_PORTS: Mapping[str, str] = MappingProxyType({"http": "80", "https": "443", "ftp": "21"})
_SPACE_RE = re.compile(r"[\x00-\x20\x7f]")
_PORT_RE = re.compile(r"[0-9]*")  # RFC 3986 §3.2.3: port = *DIGIT


def normalize_url(text: str) -> str | None:
    """An absolute URL in the normal form of RFC 3986 §6.2.2.1 and §6.2.3, kept minimal.

    Scheme and host are lower-cased; a host name loses one final ``.`` and is IDNA-encoded when
    non-ASCII (as :func:`normalize_domain`); an empty port or the scheme's default port (http
    80, https 443, ftp 21) is dropped; an empty path becomes ``/``; the fragment is dropped (it
    never reaches the server). Userinfo, path and query are kept byte for byte: case and
    percent-encoding there are significant. ``None`` unless the text is ``scheme://host...``
    with a non-empty host free of whitespace and control characters and a port (if any) of
    ASCII digits. A default port is recognised as written (``:80``, not ``:080``).
    """
    m = _URL_RE.fullmatch(text.strip(_WS))
    if m is None:
        return None
    scheme, authority, rest = m.group(1).lower(), m.group(2), m.group(3)
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):  # RFC 3986 §3.2.2 IP-literal
        end = hostport.find("]")
        if end < 0:
            return None
        host, port = hostport[: end + 1].lower(), hostport[end + 1 :]
        if port and not port.startswith(":"):
            return None
    else:
        name, colon, number = hostport.partition(":")
        port = colon + number
        idna = _idna(name.removesuffix("."))
        if idna is None:
            return None
        host = idna.lower()
    number = port[1:]
    if host in ("", "[]") or _SPACE_RE.search(host) or _PORT_RE.fullmatch(number) is None:
        return None
    if port == ":" or number == _DEFAULT_PORTS.get(scheme):
        port = ""
    path = rest.partition("#")[0]
    if not path.startswith("/"):
        path = "/" + path  # "" or "?query": RFC 3986 §6.2.3, an empty path is "/"
    return f"{scheme}://{userinfo}{at}{host}{port}{path}"


def normalize_email(text: str) -> str | None:
    """An email address, lower-case: the ``addr-spec`` inside ``<...>`` when the text is a
    ``name-addr`` (RFC 5322 §3.4, ``"Name" <a@b.example>``), else the whole text.

    ``None`` unless it has exactly one ``@`` with something on each side. Lower-casing the
    local part too is a matching choice (RFC 5321 §2.4 leaves its case to the receiving host;
    in practice mailboxes are case-insensitive).
    """
    t = text
    lt = t.rfind("<")
    if lt >= 0:
        gt = t.find(">", lt)
        if gt >= 0:
            t = t[lt + 1 : gt]
    t = t.strip(_WS).lower()
    local, at, domain = t.partition("@")
    if not at or not local or not domain or "@" in domain:
        return None
    return t


# --- digests and fingerprints -----------------------------------------------------------------
# MD5 (RFC 1321), SHA-1 and SHA-256 (FIPS 180-4) as hexadecimal; JA3 and JA3S (Salesforce) are
# MD5 digests of the TLS ClientHello/ServerHello fields. JA4 (FoxIO) is a structured text such
# as "t13d1516h2_8daaf6152771_b0da82dd1658", compared as a whole.
_HEX_LENGTH: Mapping[ValueKind, int] = MappingProxyType(
    {
        ValueKind.MD5: 32,
        ValueKind.SHA1: 40,
        ValueKind.SHA256: 64,
        ValueKind.JA3: 32,
        ValueKind.JA3S: 32,
    }
)
DIGEST_KINDS: frozenset[ValueKind] = frozenset({*_HEX_LENGTH, ValueKind.JA4})
"""The kinds :func:`normalize_digest` accepts."""
_HEX_RE = re.compile(r"[0-9a-f]+")


def normalize_digest(kind: ValueKind, text: str) -> str | None:
    """A digest or fingerprint, lower-case: MD5/JA3/JA3S 32, SHA-1 40, SHA-256 64 hexadecimal
    digits; JA4 any non-empty text. ``None`` otherwise.

    Raises ``ValueError`` when ``kind`` is not one of :data:`DIGEST_KINDS` (a caller's bug).
    """
    if kind is ValueKind.JA4:
        return text.strip(_WS).lower() or None
    length = _HEX_LENGTH.get(kind)
    if length is None:
        raise ValueError(f"{kind!s} is not a digest kind")
    t = text.strip(_WS)
    if len(t) != length:
        return None
    t = t.lower()
    return t if _HEX_RE.fullmatch(t) is not None else None


# --- log values -------------------------------------------------------------------------------


def _host(text: str) -> tuple[ValueKind, str] | None:
    """A host as an HTTP ``Host`` header or a DNS answer gives it: an address, else a name.

    RFC 9110 §7.2: ``Host = uri-host [ ":" port ]``, so ``evil.example:8080`` is the name
    ``evil.example`` and ``[2001:db8::1]:443`` the address ``2001:db8::1``; a bare IPv6 address
    (DNS AAAA answers) is read first, before any port is looked for.
    """
    address = normalize_ip(text)
    if address is not None:
        return ValueKind.IP, address
    t = text.strip(_WS)
    if t.startswith("["):
        end = t.find("]")
        after = t[end + 1 :]
        if end < 0 or (after and not (after[0] == ":" and _PORT_RE.fullmatch(after, 1))):
            return None
        inside = t[1:end]
        address = normalize_ip(inside) if ":" in inside else None
        return (ValueKind.IP, address) if address is not None else None
    name, colon, port = t.rpartition(":")
    if colon and ":" not in name and _PORT_RE.fullmatch(port) is not None:
        address = normalize_ip(name)
        if address is not None:
            return ValueKind.IP, address
        t = name
    domain = normalize_domain(t)
    return (ValueKind.DOMAIN, domain) if domain is not None else None


def log_values(kind: ValueKind, text: str) -> tuple[ValueKind, str] | None:
    """How one log value of a field of ``kind`` is seen: the kind it is compared as (a HOST is
    an IP or a DOMAIN, every other kind is itself) and its normal form; ``None`` for no value
    (:data:`NO_VALUE`) or a value that does not normalise."""
    if text.strip(_WS) in NO_VALUE:
        return None
    value: str | None
    if kind is ValueKind.IP:
        value = normalize_ip(text)
    elif kind is ValueKind.DOMAIN:
        value = normalize_domain(text)
    elif kind is ValueKind.HOST:
        return _host(text)
    elif kind is ValueKind.URL:
        value = normalize_url(text)
    elif kind is ValueKind.EMAIL:
        value = normalize_email(text)
    else:
        value = normalize_digest(kind, text)
    return (kind, value) if value is not None else None
