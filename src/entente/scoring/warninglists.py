"""MISP warninglists as data: a decoded ``list.json`` parsed into a frozen, checked ``Warninglist``.

The format is MISP's (github.com/MISP/misp-warninglists, ``schema.json`` and MISP's
``app/Model/Warninglist.php``): an object with ``name``, ``version``, ``description``, ``type``
(``cidr``, ``hostname``, ``string``, ``substring``, ``regex``), ``list`` and optionally
``matching_attributes`` (MISP attribute types the list applies to; none means every type) and
``category`` (``false-positive``, the default, or ``known``). What MISP itself tolerates is
tolerated here: ``list`` as an object of ``value: comment`` pairs, ``type`` as a one-element
array, a missing ``version`` (1) or ``type`` (``string``), empty entries (skipped).

Each entry is read once, here, into the form the matcher needs; entries that can never match
are kept in ``entries`` and reported in ``ignored`` with the reason, entries that are wrong for
the list's type (a CIDR block that is not one, a regular expression that does not compile) are
refused with their position, as MISP refuses them on import.
"""

from __future__ import annotations

import enum
import re
import socket
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from entente.errors import InvalidInput, MalformedDocument

__all__ = [
    "KIND_ATTRIBUTE_TYPES",
    "IgnoredEntry",
    "Warninglist",
    "WarninglistCategory",
    "WarninglistType",
    "compile_regex",
    "normalize_hostname",
    "parse_block",
    "parse_warninglist",
]


class WarninglistType(enum.StrEnum):
    """How a list's entries are compared with a value (MISP ``Warninglist::checkValue``)."""

    CIDR = "cidr"  # addresses and blocks: an address inside, or a block overlapping, an entry
    HOSTNAME = "hostname"  # DNS names: the name itself or any parent of it is listed
    STRING = "string"  # the value exactly (case-insensitive except for URLs)
    SUBSTRING = "substring"  # the entry occurs somewhere in the value
    REGEX = "regex"  # the regular expression finds a match in the value (``re.search``)


class WarninglistCategory(enum.StrEnum):
    """What a hit means (MISP ``Warninglist::categories``)."""

    FALSE_POSITIVE = "false-positive"  # deploying the value would hurt (MISP "False positive")
    KNOWN = "known"  # the value is a known identifier, e.g. a research scanner ("Known identifier")


# The value kinds of ``entente.export.model.ItemKind`` (spelled the same; scoring may not import
# export) and the MISP attribute types (MISP "Categories and types" of attributes) that stand for
# each. A list applies to a kind when its ``matching_attributes`` name one of these types, or
# when it names none (MISP stores that as "ALL"). MISP compares types as written; so do we, but
# without case, because real lists write "URL" (misp-warninglists lists/google).
KIND_ATTRIBUTE_TYPES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "ip": frozenset({"ip", "ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "domain|ip"}),
        "domain": frozenset({"domain", "hostname", "domain|ip", "hostname|port"}),
        "url": frozenset({"url", "uri", "link"}),
        "email": frozenset(
            {
                "email",
                "email-src",
                "email-dst",
                "email-reply-to",
                "target-email",
                "whois-registrant-email",
            }
        ),
        "md5": frozenset({"md5", "filename|md5", "malware-sample"}),
        "sha1": frozenset({"sha1", "filename|sha1"}),
        "sha256": frozenset({"sha256", "filename|sha256"}),
        "ja3": frozenset({"ja3-fingerprint-md5"}),
        "ja3s": frozenset({"ja3s-fingerprint-md5"}),
        "ja4": frozenset({"ja4-fingerprint"}),
    }
)
"""Value kind -> the MISP attribute types (lower-case) that stand for it."""

# Which kinds a list type can say anything about, whatever its matching_attributes claim: a
# CIDR list speaks of addresses, a hostname list of names (and, through them, of the host of a
# URL and the domain of an email address). MISP would walk "8.8.8.8" through a hostname list
# as the labels "8", "8.8", ...; that is noise, not a semantics worth keeping.
_TYPE_KINDS: Final[Mapping[WarninglistType, frozenset[str]]] = MappingProxyType(
    {
        WarninglistType.CIDR: frozenset({"ip"}),
        WarninglistType.HOSTNAME: frozenset({"domain", "url", "email"}),
        WarninglistType.STRING: frozenset(KIND_ATTRIBUTE_TYPES),
        WarninglistType.SUBSTRING: frozenset(KIND_ATTRIBUTE_TYPES),
        WarninglistType.REGEX: frozenset(KIND_ATTRIBUTE_TYPES),
    }
)

_WS: Final = " \t\r\n\x0b\x0c"


@dataclass(frozen=True, slots=True)
class IgnoredEntry:
    """An entry kept in the list but never compared, and why (e.g. a hostname with a path)."""

    position: int  # index in ``list``
    entry: str
    reason: str


@dataclass(slots=True)
class _Blocks:
    """Address blocks of one family as inclusive integer ranges, in list order."""

    starts: array[int] | list[int]
    ends: array[int] | list[int]
    positions: array[int]  # index of the entry each range came from


@dataclass(slots=True)
class _Compiled:
    """The entries in the form the matcher reads; which fields are filled depends on the type."""

    # hostname: normalised names; string and substring: case-folded entries. ``positions[i]``
    # is the index in ``entries`` that ``keys[i]`` came from.
    keys: list[str] = field(default_factory=list)
    positions: array[int] = field(default_factory=lambda: array("L"))
    v4: _Blocks | None = None
    v6: _Blocks | None = None
    patterns: list[tuple[re.Pattern[str], int]] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class Warninglist:
    """One MISP warninglist, checked; build it with :func:`parse_warninglist`.

    ``entries`` are the list's values as written (empty ones dropped); ``source`` says where
    the list came from (a path, ``entente:default_warninglists/rfc1918.json``); ``ignored``
    names the entries that can never match, with the reason.
    """

    name: str
    version: int
    description: str
    type: WarninglistType
    entries: tuple[str, ...]
    matching_attributes: tuple[str, ...]
    category: WarninglistCategory
    source: str
    ignored: tuple[IgnoredEntry, ...] = field(init=False, repr=False)
    kinds: frozenset[str] = field(init=False, repr=False)
    _compiled: _Compiled = field(init=False, repr=False)

    def __post_init__(self) -> None:
        compiled, ignored = _compile(self.type, self.entries, self.source)
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "ignored", tuple(ignored))
        object.__setattr__(self, "kinds", _kinds(self.type, self.matching_attributes))

    def to_json(self) -> dict[str, Any]:
        """A summary for listings (``entente warninglist list --json``): no entries."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "type": str(self.type),
            "category": str(self.category),
            "entries": len(self.entries),
            "ignored": len(self.ignored),
            "matching_attributes": list(self.matching_attributes),
            "kinds": sorted(self.kinds),
            "source": self.source,
        }

    def to_document(self) -> dict[str, Any]:
        """The list as a MISP warninglist document again (to store or re-export it)."""
        document: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "type": str(self.type),
            "list": list(self.entries),
        }
        # Older MISP schemas (additionalProperties: false) know no "category"; write it only
        # when it is not the default.
        if self.category is not WarninglistCategory.FALSE_POSITIVE:
            document["category"] = str(self.category)
        if self.matching_attributes:
            document["matching_attributes"] = list(self.matching_attributes)
        return document


def _kinds(list_type: WarninglistType, matching_attributes: Sequence[str]) -> frozenset[str]:
    """The value kinds a list applies to: its attribute types' kinds, within its type's reach."""
    reach = _TYPE_KINDS[list_type]
    if not matching_attributes:
        return reach
    wanted = {t.lower() for t in matching_attributes}
    return frozenset(
        k for k, types in KIND_ATTRIBUTE_TYPES.items() if k in reach and types & wanted
    )


# --- reading a document -----------------------------------------------------------------------


def parse_warninglist(data: Mapping[str, Any], source: str) -> Warninglist:
    """Check a decoded MISP warninglist document and build the ``Warninglist``.

    Raises ``MalformedDocument`` when the document does not have the shape of a warninglist
    (not an object, no ``name`` or ``list``, fields of the wrong JSON type) and
    ``InvalidInput`` when a value is wrong (an unknown ``type`` or ``category``, a CIDR entry
    that is not an address or block, a regular expression Python cannot use); the message
    starts with ``source`` and the field (``list[3]``).
    """
    if not isinstance(data, Mapping):
        raise MalformedDocument(f"{source}: a warninglist is a JSON object, not {_json_type(data)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MalformedDocument(f"{source}: name: a warninglist needs a non-empty string name")
    version = _version(data.get("version", 1), source)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise MalformedDocument(f"{source}: description: must be a string")
    list_type = _list_type(data.get("type", "string"), source)
    category = _category(data.get("category", WarninglistCategory.FALSE_POSITIVE.value), source)
    matching = data.get("matching_attributes", [])
    if not isinstance(matching, list) or not all(isinstance(t, str) for t in matching):
        raise MalformedDocument(f"{source}: matching_attributes: must be an array of strings")
    return Warninglist(
        name=name.strip(),
        version=version,
        description=description,
        type=list_type,
        entries=_entries(data.get("list"), source),
        matching_attributes=tuple(matching),
        category=category,
        source=source,
    )


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _version(value: object, source: str) -> int:
    # schema.json: "version" is an integer; MISP's model validates it as numeric.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise MalformedDocument(f"{source}: version: must be a non-negative integer, not {value!r}")


def _list_type(value: object, source: str) -> WarninglistType:
    # MISP's Warninglist::update takes the first element when "type" is an array.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        raise MalformedDocument(f"{source}: type: must be a string, not {_json_type(value)}")
    try:
        return WarninglistType(value.strip().lower())
    except ValueError:
        known = ", ".join(t.value for t in WarninglistType)
        raise InvalidInput(
            f"{source}: type: {value!r} is not a warninglist type (one of {known})"
        ) from None


def _category(value: object, source: str) -> WarninglistCategory:
    # The list files write "false-positive"; MISP's database writes "false_positive".
    if isinstance(value, str):
        text = value.strip().lower().replace("_", "-")
        if text in {c.value for c in WarninglistCategory}:
            return WarninglistCategory(text)
    raise InvalidInput(
        f"{source}: category: {value!r} is not a warninglist category (false-positive or known)"
    )


def _entries(value: object, source: str) -> tuple[str, ...]:
    if isinstance(value, Mapping):  # MISP: a list with comments is {"value": "comment", ...}
        value = list(value)
    if not isinstance(value, list):
        raise MalformedDocument(f"{source}: list: must be an array of strings")
    for position, entry in enumerate(value):
        if not isinstance(entry, str):
            raise MalformedDocument(
                f"{source}: list[{position}]: must be a string, not {_json_type(entry)}"
            )
    # MISP's __updateList skips empty values; so do we (whitespace-only too).
    return tuple(entry for entry in value if entry.strip(_WS))


# --- compiling entries ------------------------------------------------------------------------


def _compile(
    list_type: WarninglistType, entries: Sequence[str], source: str
) -> tuple[_Compiled, list[IgnoredEntry]]:
    compiled = _Compiled()
    ignored: list[IgnoredEntry] = []
    if list_type is WarninglistType.CIDR:
        _compile_blocks(compiled, entries, source)
    elif list_type is WarninglistType.REGEX:
        _compile_patterns(compiled, entries, source)
    elif list_type is WarninglistType.HOSTNAME:
        _compile_hostnames(compiled, entries, ignored)
    else:
        keys, positions = compiled.keys, compiled.positions
        for position, entry in enumerate(entries):
            key = entry.strip(_WS).lower()
            keys.append(entry if key == entry else key)  # share the text when unchanged
            positions.append(position)
    return compiled, ignored


# RFC 1035 §2.3.4 label and name lengths; RFC 1123 §2.1 characters plus "_" (RFC 8552), the
# same names ``entente.matching.values.normalize_domain`` accepts.
_NAME_RE: Final = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")


def normalize_hostname(entry: str) -> str | None:
    """A hostname entry as the matcher compares it, or ``None`` when it is not a name.

    Lower-case; dots trimmed at both ends (MISP ``getFilteredEntries`` does ``trim($v, '.')``);
    a leading ``*.`` dropped (the entry covers its subdomains anyway); IDNA 2003 for non-ASCII
    labels, as values are normalised.
    """
    name = entry.strip(_WS).lower()
    name = name.removeprefix("*.").strip(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(name) > 253 or _NAME_RE.fullmatch(name) is None:
        return None
    return name


def _compile_hostnames(
    compiled: _Compiled, entries: Sequence[str], ignored: list[IgnoredEntry]
) -> None:
    keys, positions = compiled.keys, compiled.positions
    for position, entry in enumerate(entries):
        name = normalize_hostname(entry)
        if name is None:
            reason = "not a DNS name (letters, digits, '-', '_' and dots only); never matches"
            ignored.append(IgnoredEntry(position, entry, reason))
            continue
        keys.append(entry if name == entry else name)
        positions.append(position)


# A dotted quad without leading zeros ("010.0.0.1" is octal to inet_aton and decimal to
# others; CVE-2021-29921), as ``entente.matching.values`` reads addresses.
_V4_RE: Final = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")
_V4_ALL: Final = (1 << 32) - 1
_V6_ALL: Final = (1 << 128) - 1


def parse_block(text: str) -> tuple[int, int, int] | str:
    """``(family, first, last)`` of an address or CIDR block (RFC 4632 §3.1), or the reason it
    is not one. Host bits are cleared (``10.1.2.3/8`` is ``10.0.0.0/8``); a bare address is a
    block of one. IPv4-mapped IPv6 blocks stay IPv6: the special-purpose registries list
    ``::ffff:0:0/96``, which must not cover every IPv4 address."""
    address, slash, prefix = text.strip(_WS).partition("/")
    if slash and not (prefix.isascii() and prefix.isdigit() and len(prefix) <= 3):
        return f"{text!r} has no valid prefix length after '/'"
    if ":" in address:
        if "%" in address:
            return f"{text!r} has an IPv6 zone id; a block cannot"
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET6, address), "big")
        except (OSError, ValueError):
            return f"{text!r} is not an IPv6 address or block"
        family, bits, full = 6, 128, _V6_ALL
    else:
        if _V4_RE.fullmatch(address) is None:
            return f"{text!r} is not an IPv4 address or block (dotted quad, no leading zeros)"
        try:
            value = int.from_bytes(socket.inet_aton(address), "big")
        except OSError:
            return f"{text!r} has an octet over 255"
        family, bits, full = 4, 32, _V4_ALL
    length = int(prefix) if slash else bits
    if length > bits:
        return f"{text!r} has prefix length {length}; IPv{family} allows at most {bits}"
    host = full >> length
    first = value & ~host & full
    return family, first, first | host


def _compile_blocks(compiled: _Compiled, entries: Sequence[str], source: str) -> None:
    v4 = _Blocks(array("Q"), array("Q"), array("L"))
    v6 = _Blocks([], [], array("L"))
    for position, entry in enumerate(entries):
        parsed = parse_block(entry)
        if isinstance(parsed, str):
            # MISP's Warninglist::beforeValidate refuses such a list ("is not valid CIDR").
            raise InvalidInput(f"{source}: list[{position}]: {parsed}")
        family, first, last = parsed
        blocks = v4 if family == 4 else v6
        blocks.starts.append(first)
        blocks.ends.append(last)
        blocks.positions.append(position)
    compiled.v4, compiled.v6 = v4, v6


# PHP PCRE patterns are written "/body/flags" with any non-alphanumeric, non-backslash,
# non-space delimiter (php.net "PCRE Delimiters"). We read the common delimiters; bracket
# pairs are not read as delimiters, so "(a|b)" and "[0-9]+" stay bare Python patterns.
_DELIMITERS: Final = frozenset("/#~%@!|+;,`")
# PCRE modifiers (php.net "Pattern Modifiers") with a Python equivalent. D (dollar end only),
# S (extra analysis) and n (no auto-capture) change nothing for a yes/no search of a one-line
# value; "u" (UTF-8) is how Python's str patterns work anyway.
_FLAGS: Final[Mapping[str, re.RegexFlag]] = MappingProxyType(
    {
        "i": re.IGNORECASE,
        "m": re.MULTILINE,
        "s": re.DOTALL,
        "x": re.VERBOSE,
        "u": re.NOFLAG,
        "D": re.NOFLAG,
        "S": re.NOFLAG,
        "n": re.NOFLAG,
    }
)
_FLAGS_RE: Final = re.compile(r"[A-Za-z]*")


def compile_regex(entry: str) -> re.Pattern[str] | str:
    """A regex entry as a compiled Python pattern, or the reason it cannot be used.

    ``/body/flags`` (any delimiter of ``/#~%@!|+;,``` ``) is read as PHP writes it, flags
    ``i m s x`` mapped to Python's and ``u D S n`` accepted as no-ops; anything else is a
    bare Python pattern. Other PCRE modifiers (``U`` ungreedy, ``A`` anchored, ``X``, ``J``)
    and syntax Python's ``re`` lacks are refused with the reason.
    """
    text = entry.strip(_WS)
    body, flags = text, re.NOFLAG
    if len(text) >= 2 and text[0] in _DELIMITERS:
        end = text.rfind(text[0])
        if end == 0:
            return f"{entry!r} starts with the delimiter {text[0]!r} but has no closing one"
        modifiers = text[end + 1 :]
        if _FLAGS_RE.fullmatch(modifiers) is None:
            return f"{entry!r} has {modifiers!r} after its closing delimiter; only flags may follow"
        unknown = sorted({m for m in modifiers if m not in _FLAGS})
        if unknown:
            return (
                f"{entry!r} uses PCRE modifier(s) {''.join(unknown)!r}; "
                "Python's re knows i, m, s, x (u, D, S, n are accepted as no-ops)"
            )
        body = text[1:end]
        for modifier in modifiers:
            flags |= _FLAGS[modifier]
    try:
        return re.compile(body, flags)
    except re.error as exc:
        return f"{entry!r} is not a regular expression Python's re can use: {exc}"


def _compile_patterns(compiled: _Compiled, entries: Sequence[str], source: str) -> None:
    for position, entry in enumerate(entries):
        pattern = compile_regex(entry)
        if isinstance(pattern, str):
            # MISP's Warninglist::beforeValidate refuses a list with an invalid expression.
            raise InvalidInput(f"{source}: list[{position}]: {pattern}")
        compiled.patterns.append((pattern, position))
