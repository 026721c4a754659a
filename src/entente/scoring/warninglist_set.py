"""Export values looked up in many warninglists at once: ``WarninglistSet.match``.

Semantics (an item is caught when the values it covers meet the values a list entry covers):

* **Which lists**: a list applies to an item kind when its ``matching_attributes`` name a MISP
  attribute type of that kind (``KIND_ATTRIBUTE_TYPES``), or name none; CIDR lists apply to
  addresses only and hostname lists to names only, whatever they claim.
* **cidr**: an address inside a listed block; an ``in_network`` block that overlaps a listed
  block (``10.0.0.0/8`` meets RFC 1918's ``10.0.0.0/8``; ``0.0.0.0/0`` meets every IPv4 block).
  A bare address entry is a block of one.
* **hostname**: the name or any parent of it is listed (``google.com`` catches
  ``www.google.com``). A ``subdomain`` item (every strict subdomain of ``x``) is caught when
  ``x`` or a parent of it is listed, and when a listed name (hostname or string list) lies
  strictly under ``x`` (``*.com`` would block ``google.com``).
* **string**: the value exactly, without case, except URLs (case-sensitive: their paths are).
  Only entries shaped like the kind are compared with it (an address for ``ip``, ``://`` for
  ``url``, 32 hex digits for ``md5``...), so ``3::``, the ssdeep of an empty file in MISP's
  empty-hashes list, is never read as the IPv6 address ``3::``. String addresses cover
  ``in_network`` blocks that contain them; a string CIDR matches that exact block only.
* **substring**: the entry occurs in the value, without case. **regex**: ``re.search`` of the
  entry (as :func:`entente.scoring.warninglists.compile_regex` reads it) in the value.
  Substring and regex entries see the item's value as written, also for ``in_network`` and
  ``subdomain`` items.
* **URL items** are also looked up by their host (a name through the lists of ``domain``, an
  address through those of ``ip``, and hostname lists that apply to URLs only); **email items**
  by their domain part. The hit then says so (``via``).
* **allowed** values (an operator's explicit exceptions, exact normalised values) are never
  caught.
* When several entries catch an item, the hit names one, deterministically: exact strings
  first, then hostnames (the name before its parents), then blocks (the innermost block that
  contains an address; among equal blocks, the list given first), then substrings, then
  regular expressions, each in list order.

Values must be normalised as ``entente.matching.values`` does (the export items are); a value
of kind ``ip`` that is not an address or block raises ``ValueError``, as do unknown kinds and
operators (a caller's bug, not bad data).
"""

from __future__ import annotations

import re
import socket
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Final

from entente.scoring.warninglists import (
    KIND_ATTRIBUTE_TYPES,
    Warninglist,
    WarninglistCategory,
    WarninglistType,
    parse_block,
)

__all__ = ["WarninglistHit", "WarninglistSet"]

_EQUALS: Final = "equals"
_IN_NETWORK: Final = "in_network"
_SUBDOMAIN: Final = "subdomain"
_OPS_BY_KIND: Final = {
    kind: frozenset({_EQUALS})
    | ({_IN_NETWORK} if kind == "ip" else set())
    | ({_SUBDOMAIN} if kind == "domain" else set())
    for kind in KIND_ATTRIBUTE_TYPES
}
_HEX_LENGTH: Final = {"md5": 32, "sha1": 40, "sha256": 64, "ja3": 32, "ja3s": 32}
_HEX_RE: Final = re.compile(r"[0-9a-f]+")
_NAME_RE: Final = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
_V4_ALL: Final = (1 << 32) - 1
_V6_ALL: Final = (1 << 128) - 1
_VIA_WORDS: Final = {"host": "the URL's host", "domain": "the email's domain"}


@dataclass(frozen=True, slots=True)
class WarninglistHit:
    """Why an item is on a warninglist: which list, which entry, and what was compared.

    ``value`` is what met the entry: the item's value, or with ``via`` ``"host"`` the URL's
    host and with ``via`` ``"domain"`` the email address's domain part.
    """

    list_name: str
    category: WarninglistCategory
    entry: str
    value: str
    via: str | None = None

    def explain(self) -> str:
        """Human words: ``on warninglist 'List of RFC 1918 CIDR blocks' (entry 10.0.0.0/8)``."""
        text = f"on warninglist '{self.list_name}' (entry {self.entry})"
        if self.via is not None:
            text += f" for {_VIA_WORDS[self.via]} {self.value}"
        return text


class _Ranges:
    """Inclusive integer ranges (CIDR blocks) of one address family from many lists.

    Sorted by start, then larger end first, then the list given first last. CIDR blocks nest
    or are disjoint, so each range has a parent: the innermost range around it
    (``parents[i]``, -1 for none). The ranges that overlap ``[lo, hi]`` are then found from
    the last range starting at or before ``hi``: it, or else the first of its ancestors that
    reaches ``lo`` (any other earlier range ends before that last one starts). For an address
    that is the innermost block around it. ``offsets`` cut the bisection to the ranges whose
    start shares the top bits of ``hi``.
    """

    __slots__ = ("ends", "offsets", "parents", "refs", "shift", "starts")
    starts: array[int] | list[int]
    ends: array[int] | list[int]
    parents: array[int]
    refs: array[int]
    offsets: array[int]
    shift: int

    @staticmethod
    def key(first: int, last: int, ref: int, bits: int) -> int:
        """One integer that sorts as (first, last descending, list descending) and holds all
        three: sorting a million of them is several times faster than sorting tuples."""
        full = (1 << bits) - 1
        return (
            (first << (bits + 48))
            | ((full - last) << 48)
            | ((0xFFFF - (ref >> 32)) << 32)
            | (ref & 0xFFFFFFFF)
        )

    def __init__(self, keys: list[int], bits: int) -> None:
        keys.sort()
        full, shift = (1 << bits) - 1, bits + 48
        starts = [k >> shift for k in keys]
        ends = [full - ((k >> 48) & full) for k in keys]
        refs = [((0xFFFF - ((k >> 32) & 0xFFFF)) << 32) | (k & 0xFFFFFFFF) for k in keys]
        parents = array("l")
        open_ranges: list[int] = []  # the chain of ranges around the current start
        for n, first in enumerate(starts):
            while open_ranges and ends[open_ranges[-1]] < first:
                open_ranges.pop()
            parents.append(open_ranges[-1] if open_ranges else -1)
            open_ranges.append(n)
        bucket_bits = min(16, max(0, len(keys).bit_length() - 4))
        self.shift = bits - bucket_bits
        self.offsets = array(
            "L", (bisect_left(starts, b << self.shift) for b in range(1 << bucket_bits))
        )
        self.offsets.append(len(keys))
        self.parents = parents
        self.refs = array("Q", refs)
        wide = bits > 64
        self.starts = starts if wide else array("Q", starts)
        self.ends = ends if wide else array("Q", ends)

    def find(self, lo: int, hi: int) -> int:
        """The reference of a range that overlaps ``[lo, hi]``, or -1."""
        bucket = hi >> self.shift
        offsets = self.offsets
        # Every range before offsets[bucket] starts below hi's bucket, so the bounded
        # bisection still finds the last range starting at or before hi.
        i = bisect_right(self.starts, hi, offsets[bucket], offsets[bucket + 1]) - 1
        ends, parents = self.ends, self.parents
        while i >= 0:  # at most as many steps as blocks nest (33 for IPv4, 129 for IPv6)
            if ends[i] >= lo:
                return self.refs[i]
            i = parents[i]
        return -1


@dataclass(slots=True)
class _Index:
    """Everything the lists that apply to one kind hold, merged across lists.

    References pack ``list number << 32 | entry position``; the first list given wins a key.
    """

    exact: dict[str, int] = field(default_factory=dict)
    hosts: dict[str, int] = field(default_factory=dict)
    v4: _Ranges | None = None
    v6: _Ranges | None = None
    substrings: list[tuple[str, int]] = field(default_factory=list)
    patterns: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    # Reversed names (hosts and exact) in order, for "a listed name under x" (domain only).
    reversed_names: list[str] = field(default_factory=list)


def _ip_int(text: str) -> tuple[int, int]:
    """``(family, integer)`` of a normalised address; ``ValueError`` if it is not one."""
    try:
        if ":" in text:
            return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
        return 4, int.from_bytes(socket.inet_aton(text), "big")
    except OSError:
        raise ValueError(f"{text!r} is not a normalised IP address") from None


def _string_key(kind: str, key: str, entry: str) -> str | None:
    """The key under which a string-list entry is compared with values of ``kind``, or None
    when no normalised value of that kind can look like it."""
    if kind == "domain":
        return key if _NAME_RE.fullmatch(key) else None
    if kind == "url":
        return entry.strip() if "://" in key else None
    if kind == "email":
        return key if "@" in key else None
    if kind == "ja4":
        return key if "_" in key and _NAME_RE.fullmatch(key) else None
    length = _HEX_LENGTH[kind]
    return key if len(key) == length and _HEX_RE.fullmatch(key) else None


def _ip_string_entry(
    key: str, ref: int, exact: dict[str, int], ranges: dict[int, list[int]]
) -> None:
    """A string-list entry for kind ``ip``: an address covers blocks around it; a CIDR text
    equals that one block, in the canonical text the item values use."""
    parsed = parse_block(key)
    if isinstance(parsed, str):
        return
    family, first, last = parsed
    if "/" not in key:
        ranges[family].append(_Ranges.key(first, last, ref, 32 if family == 4 else 128))
        return
    bits = 32 if family == 4 else 128
    length = bits - (last - first).bit_length()
    if family == 4:
        canonical = socket.inet_ntoa(first.to_bytes(4, "big"))
    else:
        canonical = socket.inet_ntop(socket.AF_INET6, first.to_bytes(16, "big"))
    exact.setdefault(f"{canonical}/{length}", ref)


def _build_index(kind: str, lists: Sequence[Warninglist]) -> _Index:
    index = _Index()
    exact, hosts = index.exact, index.hosts
    ranges: dict[int, list[int]] = {4: [], 6: []}
    for number, wl in enumerate(lists):
        if kind not in wl.kinds:
            continue
        base = number << 32
        compiled = wl._compiled
        if wl.type is WarninglistType.CIDR:
            for family, bits, blocks in ((4, 32, compiled.v4), (6, 128, compiled.v6)):
                if blocks is not None:
                    pack = _Ranges.key
                    ranges[family].extend(
                        pack(first, last, base | position, bits)
                        for first, last, position in zip(
                            blocks.starts, blocks.ends, blocks.positions, strict=True
                        )
                    )
        elif wl.type is WarninglistType.HOSTNAME:
            # URL hosts and email domains are looked up through the domain index as well;
            # a hostname list only needs its own entry here if it does not apply to domains.
            if kind == "domain" or "domain" not in wl.kinds:
                for key, position in zip(compiled.keys, compiled.positions, strict=True):
                    hosts.setdefault(key, base | position)
        elif wl.type is WarninglistType.STRING:
            for key, position in zip(compiled.keys, compiled.positions, strict=True):
                if kind == "ip":
                    _ip_string_entry(key, base | position, exact, ranges)
                    continue
                usable = _string_key(kind, key, wl.entries[position])
                if usable is not None:
                    exact.setdefault(usable, base | position)
        elif wl.type is WarninglistType.SUBSTRING:
            index.substrings.extend(
                (key, base | position)
                for key, position in zip(compiled.keys, compiled.positions, strict=True)
            )
        else:
            index.patterns.extend(
                (pattern, base | position) for pattern, position in compiled.patterns
            )
    if ranges[4]:
        index.v4 = _Ranges(ranges[4], 32)
    if ranges[6]:
        index.v6 = _Ranges(ranges[6], 128)
    if kind == "domain":
        index.reversed_names = sorted(name[::-1] for name in chain(hosts, exact))
    return index


class WarninglistSet:
    """Warninglists merged for fast lookups, with the operator's allowed values.

    Building reads every entry once (about a second per million entries); a lookup costs a
    few dictionary probes and one bisection, plus one comparison per substring or regex entry
    of the lists that apply. Immutable once built.
    """

    def __init__(self, lists: Iterable[Warninglist], allowed: Iterable[str] = ()) -> None:
        self._lists: tuple[Warninglist, ...] = tuple(lists)
        if len(self._lists) > 0xFFFF:
            raise ValueError("at most 65535 warninglists fit in one set")
        self._allowed = frozenset(allowed)
        self._index = {kind: _build_index(kind, self._lists) for kind in KIND_ATTRIBUTE_TYPES}

    @property
    def lists(self) -> tuple[Warninglist, ...]:
        """The lists, in the order given."""
        return self._lists

    @property
    def allowed(self) -> frozenset[str]:
        """The values that are never caught."""
        return self._allowed

    def match(self, kind: str, op: str, value: str) -> WarninglistHit | None:
        """The warninglist entry that catches an export item, or ``None`` (see the module doc).

        ``kind`` and ``op`` are ``ItemKind``/``ItemOp`` values (``"ip"``, ``"in_network"``);
        ``value`` is normalised.
        """
        ops = _OPS_BY_KIND.get(kind)
        if ops is None:
            raise ValueError(f"{kind!r} is not an item kind")
        if op not in ops:
            raise ValueError(f"op {op!r} does not apply to kind {kind!r}")
        if value in self._allowed:
            return None
        index = self._index[kind]
        if kind == "ip":
            return self._match_ip(index, op, value, None)
        if kind == "domain":
            return self._match_name(index, op, value, None)
        hit = self._match_text(index, value, None)
        if hit is not None or kind not in _VIA_KINDS:
            return hit
        return self._match_host(index, kind, value)

    # --- per kind -----------------------------------------------------------------------------

    def _hit(self, ref: int, value: str, via: str | None) -> WarninglistHit:
        wl = self._lists[ref >> 32]
        entry = wl.entries[ref & 0xFFFFFFFF]
        return WarninglistHit(wl.name, wl.category, entry, value, via)

    def _match_ip(
        self, index: _Index, op: str, value: str, via: str | None
    ) -> WarninglistHit | None:
        if op == _IN_NETWORK:
            address, slash, prefix = value.partition("/")
            if not slash or not prefix.isdigit():
                raise ValueError(f"{value!r} is not a normalised CIDR block")
            family, first = _ip_int(address)
            host = (_V4_ALL if family == 4 else _V6_ALL) >> int(prefix)
            lo, hi = first & ~host, first | host
        else:
            family, lo = _ip_int(value)
            hi = lo
        ranges = index.v4 if family == 4 else index.v6
        if ranges is not None:
            ref = ranges.find(lo, hi)
            if ref >= 0:
                return self._hit(ref, value, via)
        return self._match_text(index, value, via)

    def _match_name(
        self, index: _Index, op: str, value: str, via: str | None
    ) -> WarninglistHit | None:
        if op == _EQUALS:
            ref = index.exact.get(value)
            if ref is not None:
                return self._hit(ref, value, via)
        hosts = index.hosts
        if hosts:
            name = value
            while True:  # the name, then each parent: MISP Warninglist::__evalHostname
                ref = hosts.get(name)
                if ref is not None:
                    return self._hit(ref, value, via)
                dot = name.find(".")
                if dot < 0:
                    break
                name = name[dot + 1 :]
        if op == _SUBDOMAIN and index.reversed_names:
            # A listed name strictly under ``value``: its reversal starts with value reversed
            # plus ".", and sorts right after that prefix.
            prefix = value[::-1] + "."
            names = index.reversed_names
            i = bisect_left(names, prefix)
            if i < len(names) and names[i].startswith(prefix):
                name = names[i][::-1]
                ref = index.exact.get(name)
                if ref is None:
                    ref = index.hosts[name]
                return self._hit(ref, value, via)
        return self._match_patterns(index, value, via)

    def _match_text(self, index: _Index, value: str, via: str | None) -> WarninglistHit | None:
        if index.exact:
            ref = index.exact.get(value)
            if ref is not None:
                return self._hit(ref, value, via)
        return self._match_patterns(index, value, via)

    def _match_patterns(self, index: _Index, value: str, via: str | None) -> WarninglistHit | None:
        if index.substrings:
            folded = value.lower()
            for key, ref in index.substrings:
                if key in folded:
                    return self._hit(ref, value, via)
        for pattern, ref in index.patterns:
            if pattern.search(value) is not None:
                return self._hit(ref, value, via)
        return None

    def _match_host(self, index: _Index, kind: str, value: str) -> WarninglistHit | None:
        """A URL's host or an email address's domain through the lists for names/addresses."""
        host = _url_host(value) if kind == "url" else _email_domain(value)
        if host is None:
            return None
        via = "host" if kind == "url" else "domain"
        if ":" in host or _V4_RE.fullmatch(host) is not None:
            try:
                return self._match_ip(self._index["ip"], _EQUALS, host, via)
            except ValueError:
                pass  # "999.1.1.1" is no address; look it up as the name it then is
        if index.hosts:  # hostname lists that apply to this kind but not to domains
            hit = self._match_name(_Index(hosts=index.hosts), _EQUALS, host, via)
            if hit is not None:
                return hit
        return self._match_name(self._index["domain"], _EQUALS, host, via)


_VIA_KINDS: Final = frozenset({"url", "email"})
_V4_RE: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


def _url_host(url: str) -> str | None:
    """The host of a normalised URL (RFC 3986 §3.2.2): a name, an IPv4 address, or the IPv6
    address inside ``[...]``; without userinfo and port."""
    _, sep, rest = url.partition("://")
    if not sep:
        return None
    authority = rest
    for stop in "/?#":
        authority = authority.partition(stop)[0]
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport[1:].partition("]")[0] or None
    return hostport.partition(":")[0] or None


def _email_domain(address: str) -> str | None:
    """The domain part of an email address (RFC 5322 §3.4.1), a domain literal unbracketed."""
    domain = address.rpartition("@")[2]
    if domain.startswith("[") and domain.endswith("]"):
        domain = domain[1:-1].removeprefix("IPv6:").removeprefix("ipv6:")
    return domain or None
