"""Indicator values in feeds and prose: type detection, normalisation, refanging, extraction."""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "FILE_EXTENSIONS",
    "URL_SCHEMES",
    "TypedValue",
    "ValueType",
    "detect_value",
    "extract_values",
    "parse_value",
    "refang",
]


class ValueType(enum.StrEnum):
    """The kinds of indicator value Entente turns into STIX patterns."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"
    IPV4_CIDR = "ipv4-cidr"
    IPV6_CIDR = "ipv6-cidr"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"
    IP_PORT = "ip-port"


@dataclass(frozen=True, slots=True)
class TypedValue:
    """A normalised indicator value and its type.

    Normal forms: IPs and CIDRs in Python's canonical compressed form (network address for
    CIDRs); domains lowercase without a trailing dot (IDNs as punycode); hashes lowercase;
    URLs with scheme and host lowercased, the rest untouched; e-mail with the domain
    lowercased; ``IP_PORT`` as ``1.2.3.4:443`` or ``[2001:db8::1]:443``.
    """

    type: ValueType
    value: str

    @property
    def host(self) -> str:
        """The address part of an ``IP_PORT`` value (the value itself for other types)."""
        if self.type is not ValueType.IP_PORT:
            return self.value
        host, _, _ = self.value.rpartition(":")
        return host.removeprefix("[").removesuffix("]")

    @property
    def port(self) -> int | None:
        """The port of an ``IP_PORT`` value, else ``None``."""
        if self.type is not ValueType.IP_PORT:
            return None
        return int(self.value.rpartition(":")[2])


# --- refanging -------------------------------------------------------------------------------
# Only defangs that cannot be ordinary text are undone (common practice in IOC sharing, e.g.
# the conventions of ioc-fanger / iocextract): bracketed dots, colons, slashes and ats, the
# "hxxp"/"fxp" schemes and " dot " between two alphanumerics. A bare " at " is NOT refanged.
# "[.]", "[ . ]", "(.)", "{.}", "[dot]", "(dot)", "{dot}"; "[at]", "(at)", "[@]" ...; spaces
# around them ("evil [.] com") are dropped only when there is one on each side.
_DOT = r"(?:\[ ?(?:\.|dot|DOT) ?\]|\((?:\.|dot|DOT)\)|\{(?:\.|dot|DOT)\})"
_AT = r"(?:\[ ?(?:at|AT|@) ?\]|\((?:at|AT|@)\)|\{(?:at|AT|@)\})"
_REFANG_RE = re.compile(
    r"(?P<scheme>\bh(?:xx|XX|xX|Xx|\*\*)p(?P<s>s?)(?=\[?:))"
    r"|(?P<ftp>\bf[xX]p(?P<fs>s?)(?=\[?:))"
    r"|(?P<css>\[://\]|\(://\)|\{://\})"
    r"|(?P<colon>\[:\]|\(:\)|\{:\})"
    r"|(?P<slash>\[/\])"
    rf"|(?P<dot> {_DOT} |{_DOT})"
    r"|(?P<spdot>(?<=[A-Za-z0-9]) (?:dot|DOT) (?=[A-Za-z0-9]))"
    rf"|(?P<at> {_AT} |{_AT})"
)


_REFANG_BY_NAME: Mapping[str, str] = MappingProxyType(
    {"css": "://", "colon": ":", "slash": "/", "dot": ".", "spdot": ".", "at": "@"}
)


def _refang_sub(m: re.Match[str]) -> str:
    if m.group("scheme") is not None:
        return "http" + m.group("s")
    if m.group("ftp") is not None:
        return "ftp" + m.group("fs")
    for name, replacement in _REFANG_BY_NAME.items():
        if m.group(name) is not None:
            return replacement
    return m.group(0)  # pragma: no cover - every alternative is named


def refang(text: str) -> str:
    """Undo the unambiguous defangs (``hxxp``, ``[.]``, ``(dot)``, ``[at]``, ``[:]`` ...)."""
    return _REFANG_RE.sub(_refang_sub, text)


# --- single values ---------------------------------------------------------------------------

FILE_EXTENSIONS: frozenset[str] = frozenset(
    {
        # executables, scripts, libraries
        "exe", "dll", "sys", "scr", "cpl", "msi", "bat", "cmd", "vbs", "vbe", "js", "jse",
        "wsf", "hta", "lnk", "jar", "apk", "elf", "bin", "dmg", "iqy", "xll", "chm", "pdb",
        # documents and data
        "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf", "odt",
        "txt", "csv", "xml", "yaml", "yml", "json", "log", "ini", "cfg", "conf", "dat",
        "tmp", "bak", "old", "db", "sql", "eml", "msg",
        # web
        "html", "htm", "php", "asp", "aspx", "jsp", "cgi", "css",
        # source code and project files (".py", ".sh" and ".md" are also ccTLDs: Paraguay,
        # Saint Helena, Moldova; in prose they are overwhelmingly file names)
        "py", "pyc", "sh", "md", "rb", "java", "class", "cpp", "jsx", "tsx", "toml", "lock",
        # images and media
        "png", "jpg", "jpeg", "gif", "bmp", "svg", "ico", "avi", "wav", "mkv",
        # archives and images (".zip" and ".mov" are also real gTLDs, mostly seen as files)
        "zip", "rar", "gz", "tgz", "tar", "iso", "img", "cab", "mov",
    }
)  # fmt: skip
"""Final labels that make a bare ``name.ext`` a file name rather than a domain.

Applies to bare tokens only (freetext and untyped lists); a host inside a URL, or a value a
feed declares to be a domain, is taken as a domain whatever its TLD. Busy country-code TLDs
that double as extensions (``.pl``, ``.so``, ``.rs``, ``.ps``) are NOT listed.
"""

URL_SCHEMES: frozenset[str] = frozenset(
    {"http", "https", "ftp", "ftps", "sftp", "tftp", "ws", "wss", "smb", "file"}
)
"""Schemes recognised as URLs (other ``x://`` strings are not indicators)."""

_HEX_RE = re.compile(r"^[0-9A-Fa-f]+$")
_HASH_BY_LEN: Mapping[int, ValueType] = MappingProxyType(
    {32: ValueType.MD5, 40: ValueType.SHA1, 64: ValueType.SHA256, 128: ValueType.SHA512}
)
# RFC 1035 §2.3.1 LDH labels (underscore tolerated inside URL hosts only).
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_URL_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_TLD_RE = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# RFC 3986 §3: scheme "://" [userinfo "@"] host [":" port] [path-abempty ...]
_URL_RE = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?P<userinfo>[^@/?#\s]*@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/?#\s\[\]@]+)"
    r"(?P<port>:[0-9]{0,5})?"
    r"(?P<rest>[/?#][^\s]*)?$"
)
# RFC 5322 §3.4.1 dot-atom local part, restricted to the characters seen in practice.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_RE = re.compile(rf"^(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?P<domain>[^@\s]+)$")
_IP_PORT_RE = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<v4>[0-9.]+)):(?P<port>[0-9]{1,5})$")
_STRIP_CHARS = " \t\r\n\"'<>`"
_SPACE_RE = re.compile(r"\s")


def _norm_ipv4(text: str) -> str | None:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        return None


def _norm_ipv6(text: str) -> str | None:
    if "%" in text:  # zone ids are link-local plumbing, not indicators
        return None
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        return None


def _norm_domain(text: str, *, bare: bool, url_host: bool = False) -> str | None:
    name = text.lower().removesuffix(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not name or len(name) > 253:
        return None
    labels = name.split(".")
    label_re = _URL_LABEL_RE if url_host else _LABEL_RE
    if not all(label_re.match(label) for label in labels):
        return None
    if url_host and len(labels) == 1:
        return name if not name.isdigit() else None
    if len(labels) < 2 or not _TLD_RE.match(labels[-1]):
        return None
    if bare and labels[-1] in FILE_EXTENSIONS:
        return None
    return name


def _parse_ip(text: str) -> TypedValue | None:
    if ":" in text:
        v6 = _norm_ipv6(text)
        return TypedValue(ValueType.IPV6, v6) if v6 is not None else None
    v4 = _norm_ipv4(text)
    return TypedValue(ValueType.IPV4, v4) if v4 is not None else None


def _parse_cidr(text: str) -> TypedValue | None:
    addr, _, prefix = text.partition("/")
    if not prefix.isdigit() or len(prefix) > 3 or "%" in addr:
        return None
    try:
        net = ipaddress.ip_network(f"{addr}/{int(prefix)}", strict=False)
    except ValueError:
        return None
    if net.prefixlen == 0:  # "everything" is never an indicator
        return None
    if net.prefixlen == net.max_prefixlen:  # a /32 or /128 is one address
        single = ValueType.IPV4 if net.version == 4 else ValueType.IPV6
        return TypedValue(single, net.network_address.compressed)
    kind = ValueType.IPV4_CIDR if net.version == 4 else ValueType.IPV6_CIDR
    return TypedValue(kind, net.compressed)


def _parse_ip_port(text: str) -> TypedValue | None:
    m = _IP_PORT_RE.match(text)
    if m is None:
        return None
    port = int(m.group("port"))
    if port > 65535:
        return None
    if m.group("v6") is not None:
        v6 = _norm_ipv6(m.group("v6"))
        return TypedValue(ValueType.IP_PORT, f"[{v6}]:{port}") if v6 is not None else None
    v4 = _norm_ipv4(m.group("v4"))
    return TypedValue(ValueType.IP_PORT, f"{v4}:{port}") if v4 is not None else None


def _parse_url(text: str) -> TypedValue | None:
    m = _URL_RE.match(text)
    if m is None:
        return None
    scheme = m.group("scheme").lower()
    if scheme not in URL_SCHEMES:
        return None
    host = m.group("host")
    if host.startswith("["):
        v6 = _norm_ipv6(host[1:-1])
        if v6 is None:
            return None
        host = f"[{v6}]"
    elif re.fullmatch(r"[0-9.]+", host):
        v4 = _norm_ipv4(host)
        if v4 is None:
            return None
        host = v4
    else:
        name = _norm_domain(host, bare=False, url_host=True)
        if name is None:
            return None
        host = name
    port = m.group("port") or ""
    if port and (port == ":" or int(port[1:]) > 65535):
        return None
    userinfo = m.group("userinfo") or ""
    return TypedValue(ValueType.URL, f"{scheme}://{userinfo}{host}{port}{m.group('rest') or ''}")


def _parse_email(text: str, *, bare: bool) -> TypedValue | None:
    m = _EMAIL_RE.match(text)
    if m is None or len(m.group("local")) > 64:
        return None
    domain = _norm_domain(m.group("domain"), bare=bare)
    if domain is None:
        return None
    return TypedValue(ValueType.EMAIL, f"{m.group('local')}@{domain}")


def _parse_hash(text: str, expected: ValueType | None = None) -> TypedValue | None:
    kind = _HASH_BY_LEN.get(len(text))
    if kind is None or not _HEX_RE.match(text) or expected not in (None, kind):
        return None
    return TypedValue(kind, text.lower())


def _parse_domain(text: str, *, bare: bool) -> TypedValue | None:
    name = _norm_domain(text, bare=bare)
    return TypedValue(ValueType.DOMAIN, name) if name is not None else None


def _clean(text: str) -> str:
    return refang(text.strip(_STRIP_CHARS)).strip(_STRIP_CHARS)


def detect_value(text: str) -> TypedValue | None:
    """The type and normal form of one token, after refanging; ``None`` when not an IOC."""
    token = _clean(text)
    if not token or _SPACE_RE.search(token):
        return None
    if "://" in token:
        return _parse_url(token)
    if "@" in token:
        return _parse_email(token, bare=True)
    if "/" in token:
        return _parse_cidr(token)
    if _HEX_RE.match(token) and len(token) in _HASH_BY_LEN:
        return _parse_hash(token)
    if re.fullmatch(r"[0-9.]+", token) or (token.count(":") >= 2 and "[" not in token):
        return _parse_ip(token)
    if ":" in token:
        return _parse_ip_port(token)
    return _parse_domain(token, bare=True)


_TYPED_PARSERS: Mapping[ValueType, Callable[[str], TypedValue | None]] = MappingProxyType(
    {
        ValueType.IPV4: lambda t: _parse_ip(t) if ":" not in t else None,
        ValueType.IPV6: lambda t: _parse_ip(t) if ":" in t else None,
        ValueType.IPV4_CIDR: lambda t: _parse_cidr(t) if ":" not in t else None,
        ValueType.IPV6_CIDR: lambda t: _parse_cidr(t) if ":" in t else None,
        ValueType.DOMAIN: lambda t: _parse_domain(t, bare=False),
        ValueType.URL: _parse_url,
        ValueType.EMAIL: lambda t: _parse_email(t, bare=False),
        ValueType.MD5: lambda t: _parse_hash(t, ValueType.MD5),
        ValueType.SHA1: lambda t: _parse_hash(t, ValueType.SHA1),
        ValueType.SHA256: lambda t: _parse_hash(t, ValueType.SHA256),
        ValueType.SHA512: lambda t: _parse_hash(t, ValueType.SHA512),
        ValueType.IP_PORT: _parse_ip_port,
    }
)


def parse_value(text: str, value_type: ValueType) -> TypedValue | None:
    """``text`` read as a value a feed declares to be of ``value_type``; ``None`` if it is not.

    Unlike :func:`detect_value`, a declared domain is not checked against
    :data:`FILE_EXTENSIONS` (``invoice.zip`` really is a domain when a feed says so), and a
    declared CIDR may be a single address (``1.2.3.4/32`` gives an ``IPV4`` value).
    """
    token = _clean(text)
    if not token or _SPACE_RE.search(token):
        return None
    return _TYPED_PARSERS[value_type](token)


# --- freetext --------------------------------------------------------------------------------
# Each finder runs on the refanged text; matched spans are blanked before the next finder, so
# a hash or host inside a URL, or the domain of an e-mail address, is reported only once (as
# the URL or the address).
_URL_FIND = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,9}://[^\s<>\"'`]+", re.ASCII)
_EMAIL_FIND = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?![\w-]|\.[A-Za-z0-9])"
)
# IPv4 (optionally /prefix or :port) not inside a longer dotted run (1.2.3.4.5, v1.2.3.4).
_IPV4_FIND = re.compile(
    r"(?<![\w.-])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}|:\d{1,5})?(?![\w-]|\.\w|[:/]\d)"
)
_IPV6_PORT_FIND = re.compile(r"\[[0-9A-Fa-f:.]{2,45}\]:\d{1,5}(?![\w-])")
_IPV6_FIND = re.compile(
    r"(?<![\w:.-])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?:/\d{1,3})?(?![\w:.-]|\.\w)"
)
_HASH_FIND = re.compile(r"(?<![\w-])[0-9A-Fa-f]{32,128}(?![\w-])")
_DOMAIN_FIND = re.compile(
    r"(?<![\w.@-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{1,62}"
    r"(?![\w-]|\.[A-Za-z0-9])"
)
_TRAILING_PUNCT = ".,;:!?'\""
_CLOSERS: Mapping[str, str] = MappingProxyType({")": "(", "]": "[", "}": "{", ">": "<"})


def _trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from a URL found in prose."""
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last in _TRAILING_PUNCT or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def _ipv4_like(token: str) -> TypedValue | None:
    if "/" in token:
        return _parse_cidr(token)
    if ":" in token:
        return _parse_ip_port(token)
    return _parse_ip(token)


def _ipv6_like(token: str) -> TypedValue | None:
    if not any(c in "0123456789abcdefABCDEF" for c in token):
        return None
    return _parse_cidr(token) if "/" in token else _parse_ip(token)


def _domain_like(token: str) -> TypedValue | None:
    return _parse_domain(token, bare=True)


def _hash_like(token: str) -> TypedValue | None:
    return _parse_hash(token)


_FINDERS: tuple[tuple[re.Pattern[str], Callable[[str], TypedValue | None]], ...] = (
    (_EMAIL_FIND, lambda t: _parse_email(t, bare=True)),
    (_IPV6_PORT_FIND, _parse_ip_port),
    (_IPV4_FIND, _ipv4_like),
    (_IPV6_FIND, _ipv6_like),
    (_HASH_FIND, _hash_like),
    (_DOMAIN_FIND, _domain_like),
)


def extract_values(text: str) -> list[TypedValue]:
    """Every IOC in free text, refanged, deduplicated, in order of first appearance."""
    work = refang(text)
    found: list[tuple[int, TypedValue]] = []

    def blank(start: int, end: int) -> None:
        nonlocal work
        work = work[:start] + " " * (end - start) + work[end:]

    for m in _URL_FIND.finditer(work):
        url = _trim_url(m.group(0))
        value = _parse_url(url)
        if value is not None:
            found.append((m.start(), value))
            blank(m.start(), m.start() + len(url))
    for pattern, parse in _FINDERS:
        for m in pattern.finditer(work):
            value = parse(m.group(0))
            if value is not None:
                found.append((m.start(), value))
                blank(m.start(), m.end())
    found.sort(key=lambda item: item[0])
    seen: set[TypedValue] = set()
    result: list[TypedValue] = []
    for _, value in found:
        if value not in seen:
            seen.add(value)
            result.append(value)
    return result
