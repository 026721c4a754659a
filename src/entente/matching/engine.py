"""The columnar matcher: vectorised candidate filters over Arrow batches, exact checks after.

Every fast path here only proposes *candidates*, a superset of the values that can match; each
candidate is then resolved with the exact semantics of ``entente.matching.values`` (the same
functions ``reference.py`` uses) against hash maps of the terms. So the engine and the naive
reference can only disagree if a filter misses a value, which the property test hunts for.

Filters, per kind of log field:

- IPv4 (IP and HOST fields): dotted quads are parsed to ``uint32`` with Arrow kernels, then one
  ``numpy.searchsorted`` over the union of every IPv4 term's range (addresses as /32 blocks,
  CIDR blocks as ranges; overlaps merged) says whether any term can cover the address. Values
  that are not plain dotted quads (IPv6, IPv4-mapped IPv6, stray whitespace) are resolved
  exactly, once per distinct value.
- Domains (DOMAIN and HOST fields), digests and fingerprints: a 64-bit polynomial hash of the
  lower-cased value, and for domains of every suffix after a dot, computed for a whole column
  at once from one cumulative sum over its bytes, looked up in an open-addressing table of the
  terms' hashes. Non-ASCII names (IDNA) are resolved exactly.
- URLs and email addresses: resolved exactly, once per distinct value, and only when some
  indicator has a term of that kind.
"""

from __future__ import annotations

import ipaddress
import socket
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from entente.matching.model import (
    CompiledIndicator,
    FieldSpec,
    Hit,
    IndicatorSet,
    LogBatch,
    TermOp,
    ValueKind,
    context_of,
)
from entente.matching.values import log_values

__all__ = ["Engine"]

U64 = npt.NDArray[np.uint64]
Mask = npt.NDArray[np.bool_]

# The polynomial hash's base: odd, so it has an inverse modulo 2**64 and a substring's hash can
# be cut out of a running sum of the whole buffer (the Rabin-Karp construction).
_BASE = 0x100000001B3
_BASE_INV = pow(_BASE, -1, 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_DOT = 46
_DIGEST_KINDS = frozenset(
    {
        ValueKind.MD5,
        ValueKind.SHA1,
        ValueKind.SHA256,
        ValueKind.JA3,
        ValueKind.JA3S,
        ValueKind.JA4,
    }
)
_EXACT_ONLY_KINDS = frozenset({ValueKind.URL, ValueKind.EMAIL})
_ADDRESS_KINDS = frozenset({ValueKind.IP, ValueKind.HOST})
_HASH_SLICE = 65_536
# Distinct candidate values whose resolution is remembered (bounded: cleared when full).
_MEMO_LIMIT = 200_000


class _Powers:
    """Powers of the hash base and of its inverse modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.up: U64 = np.ones(1, dtype=np.uint64)
        self.down: U64 = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        """Make at least ``n + 1`` powers available."""
        if len(self.up) > n:
            return
        size = max(n + 1, 2 * len(self.up))
        # uint64 products wrap modulo 2**64, which is the ring the hash lives in.
        self.up = np.cumprod(np.full(size, _BASE, dtype=np.uint64), dtype=np.uint64)
        self.up = np.concatenate((np.ones(1, dtype=np.uint64), self.up[:-1]))
        self.down = np.cumprod(np.full(size, _BASE_INV, dtype=np.uint64), dtype=np.uint64)
        self.down = np.concatenate((np.ones(1, dtype=np.uint64), self.down[:-1]))


def _mix(h: U64) -> U64:
    """Spread a polynomial hash's bits (it is weak in its low bits) before it picks a slot."""
    h = h ^ (h >> np.uint64(31))
    h = h * _MIX
    # Never zero: zero marks an empty slot of the hash set.
    return (h ^ (h >> np.uint64(29))) | np.uint64(1)


@dataclass(slots=True)
class _Bytes:
    """A string column's bytes (lower-cased ASCII) and each value's [start, end) in them."""

    data: npt.NDArray[np.uint8]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    _owner: npt.NDArray[np.int64] | None = None

    def owner(self, positions: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
        """The value each of ``positions`` (byte offsets inside values) belongs to."""
        if self._owner is None:
            # One pass that labels every byte: cheaper than a binary search per position
            # once a column asks more than once.
            self._owner = np.repeat(
                np.arange(len(self.starts), dtype=np.int64), self.ends - self.starts
            )
        return self._owner[positions]


def _bytes_of(values: pa.Array, *, lower: bool) -> _Bytes:
    """The bytes of a string array without nulls, lower-cased when asked."""
    arr = values.cast(pa.large_string()) if values.type != pa.large_string() else values
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    buffer = arr.buffers()[2]
    base = int(offsets[0]) if n else 0
    stop = int(offsets[-1]) if n else 0
    raw = (
        np.frombuffer(buffer, dtype=np.uint8)[base:stop]
        if buffer is not None
        else np.zeros(0, dtype=np.uint8)
    )
    if lower:
        upper = (raw >= 65) & (raw <= 90)
        raw = raw + (upper.astype(np.uint8) << np.uint8(5))
    return _Bytes(raw, offsets[:-1] - base, offsets[1:] - base)


class _Hasher:
    """Hashes of whole values and of their dot-suffixes, for a whole column at once."""

    def __init__(self) -> None:
        self._powers = _Powers()

    def _running(self, data: npt.NDArray[np.uint8]) -> U64:
        self._powers.ensure(len(data))
        running = np.zeros(len(data) + 1, dtype=np.uint64)
        # Byte values are shifted by one so that no byte contributes zero (lengths count).
        np.cumsum(
            (data.astype(np.uint64) + np.uint64(1)) * self._powers.up[: len(data)],
            dtype=np.uint64,
            out=running[1:],
        )
        return running

    def cut(self, running: U64, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> U64:
        """The hashes of the substrings [starts, ends) of the buffer ``running`` sums."""
        return _mix((running[ends] - running[starts]) * self._powers.down[starts])

    def whole(self, b: _Bytes) -> U64:
        """One hash per value."""
        return self.cut(self._running(b.data), b.starts, b.ends)

    def domains(self, b: _Bytes) -> tuple[U64, npt.NDArray[np.int64], U64]:
        """Hashes of each name (one final dot dropped) and of each suffix after one of its dots.

        Returns (name hashes, owner of each suffix, suffix hashes).
        """
        running = self._running(b.data)
        ends = b.ends.copy()
        nonempty = ends > b.starts
        last = np.where(nonempty, ends - 1, 0)
        if len(b.data):
            ends -= (nonempty & (b.data[np.minimum(last, len(b.data) - 1)] == _DOT)).astype(
                np.int64
            )
        names = self.cut(running, b.starts, ends)
        dots = np.flatnonzero(b.data == _DOT)
        owner = b.owner(dots)
        owner_end = ends[owner]
        keep = (dots + 1) < owner_end
        dots = dots[keep]
        owner = owner[keep]
        suffixes = self.cut(running, dots + 1, owner_end[keep])
        return names, owner, suffixes


class _HashSet:
    """An open-addressing set of 64-bit hashes with vectorised membership."""

    def __init__(self, hashes: U64) -> None:
        # Sorted hashes have non-decreasing home slots (the slot is the hash's top bits), so
        # linear probing places the i-th at max(home_i, place_{i-1} + 1): a running maximum.
        # The table does not wrap: it is long enough for the last cluster plus an empty slot.
        # np.sort and a neighbour comparison: numpy 2's np.unique is much slower here.
        ordered = np.sort(hashes)
        keep = np.ones(len(ordered), dtype=np.bool_)
        keep[1:] = ordered[1:] != ordered[:-1]
        unique = ordered[keep]
        bits = max(4, int(len(unique) * 2 - 1).bit_length())
        self._shift = np.uint64(64 - bits)
        home = (unique >> self._shift).astype(np.int64)
        rank = np.arange(len(unique), dtype=np.int64)
        place = np.maximum.accumulate(home - rank) + rank if len(unique) else rank
        size = (int(place[-1]) if len(place) else 0) + 2
        # Hashes are never zero (``_mix``), so zero marks an empty slot.
        self._slots = np.zeros(max(size, 1 << bits), dtype=np.uint64)
        self._slots[place] = unique

    def contains(self, hashes: U64) -> Mask:
        """Which of ``hashes`` are in the set."""
        slot = (hashes >> self._shift).astype(np.int64)
        seen = self._slots[slot]
        found: Mask = np.equal(seen, hashes)
        # Most lookups end at their home slot; the rest walk on until a match or a gap.
        pending = np.flatnonzero((seen != 0) & ~found)
        while len(pending):
            at = slot[pending] + 1
            slot[pending] = at
            seen = self._slots[at]
            hit = seen == hashes[pending]
            found[pending[hit]] = True
            pending = pending[(seen != 0) & ~hit]
        return found


def _parse_ipv4(b: _Bytes) -> tuple[U64, Mask]:
    """Dotted quads as integers, and which values are strict dotted quads (RFC 791 text form:
    four decimal octets 0-255 without leading zeros, as ``values.normalize_ip`` accepts)."""
    n = len(b.starts)
    ints = np.zeros(n, dtype=np.uint64)
    valid = np.zeros(n, dtype=np.bool_)
    data = b.data
    if len(data) == 0:
        return ints, valid
    is_dot = data == _DOT
    length = b.ends - b.starts
    ok = (length >= 7) & (length <= 15)
    stray = np.flatnonzero(~is_dot & ((data < 48) | (data > 57)))
    ok[b.owner(stray)] = False
    dots = np.flatnonzero(is_dot)
    dot_owner = b.owner(dots)
    ok &= np.bincount(dot_owner, minlength=n) == 3
    owners = np.flatnonzero(ok)
    if len(owners) == 0:
        return ints, valid
    # Each chosen value has exactly three dots, and dots come in position order, so they
    # group by three in the order of their owners.
    d = dots[ok[dot_owner]].reshape(-1, 3).T.astype(np.int64)
    seg_starts = np.stack((b.starts[owners], d[0] + 1, d[1] + 1, d[2] + 1))
    seg_ends = np.stack((d[0], d[1], d[2], b.ends[owners]))
    size = seg_ends - seg_starts
    last = len(data) - 1

    def digit(offset: int) -> npt.NDArray[np.int64]:
        at = seg_ends - offset
        have = size >= offset
        return np.where(have, data[np.clip(at, 0, last)].astype(np.int64) - 48, 0)

    octet = digit(1) + 10 * digit(2) + 100 * digit(3)
    leading_zero = (size > 1) & (data[np.clip(seg_starts, 0, last)] == 48)
    good = ((size >= 1) & (size <= 3) & ~leading_zero & (octet <= 255)).all(axis=0)
    q = octet.astype(np.uint64)
    ints[owners] = np.where(good, (q[0] << 24) | (q[1] << 16) | (q[2] << 8) | q[3], 0)
    valid[owners] = good
    return ints, valid


@dataclass(frozen=True, slots=True)
class _Match:
    indicator: CompiledIndicator
    kind: ValueKind
    matched: str


class _MultiMap:
    """``key -> indicator indices``, built at C speed: most keys belong to one indicator."""

    def __init__(self, keys: list[str], owners: list[CompiledIndicator]) -> None:
        # Values are the indicators themselves (references), not their positions: a million
        # int objects would cost more than the map.
        self._one: dict[str, CompiledIndicator] = dict(zip(keys, owners, strict=True))
        self._many: dict[str, tuple[CompiledIndicator, ...]] = {}
        if len(self._one) != len(keys):
            grouped: dict[str, list[CompiledIndicator]] = defaultdict(list)
            for key, owner in zip(keys, owners, strict=True):
                grouped[key].append(owner)
            self._many = {key: tuple(found) for key, found in grouped.items() if len(found) > 1}

    def __len__(self) -> int:
        return len(self._one)

    def __iter__(self) -> Iterator[str]:
        return iter(self._one)

    def get(self, key: str) -> Sequence[CompiledIndicator]:
        """The indicators of ``key`` (empty when none)."""
        many = self._many.get(key) if self._many else None
        if many is not None:
            return many
        one = self._one.get(key)
        return () if one is None else (one,)


class _Terms:
    """The exact maps every candidate is resolved against (the reference's semantics)."""

    def __init__(self, indicators: Sequence[CompiledIndicator]) -> None:
        exact: dict[ValueKind, tuple[list[str], list[CompiledIndicator]]] = {}
        subdomains: tuple[list[str], list[CompiledIndicator]] = ([], [])
        networks: dict[tuple[int, int], tuple[list[int], list[CompiledIndicator]]] = {}
        equals, subdomain = TermOp.EQUALS, TermOp.SUBDOMAIN
        for indicator in indicators:
            for term in indicator.terms:
                op = term.op
                if op is equals:
                    keys, owners = exact.setdefault(term.kind, ([], []))
                elif op is subdomain:
                    keys, owners = subdomains
                else:
                    version, length, start = _network(term.value)
                    starts, net_owners = networks.setdefault((version, length), ([], []))
                    starts.append(start)
                    net_owners.append(indicator)
                    continue
                keys.append(term.value)
                owners.append(indicator)
        self.exact = {kind: _MultiMap(*pair) for kind, pair in exact.items()}
        self.subdomains = _MultiMap(*subdomains)
        # (IP version, prefix length) -> network address as an int -> indicators.
        self.networks: dict[tuple[int, int], dict[int, list[CompiledIndicator]]] = {}
        for key, (starts, net_owners) in networks.items():
            by_start: dict[int, list[CompiledIndicator]] = defaultdict(list)
            for start, owner in zip(starts, net_owners, strict=True):
                by_start[start].append(owner)
            self.networks[key] = dict(by_start)
        self._v6_exact = {
            int(ipaddress.IPv6Address(v)) for v in self.exact.get(ValueKind.IP, ()) if ":" in v
        }
        self._v6_networks = [
            (128 - length, nets)
            for (version, length), nets in self.networks.items()
            if version == 6
        ]
        self.kinds = set(self.exact)
        if self.subdomains:
            self.kinds.add(ValueKind.DOMAIN)
        if self.networks:
            self.kinds.add(ValueKind.IP)

    def may_match_ipv6(self, raw: str) -> bool:
        """False only if ``raw`` is an IPv6 address that no term can match (a cheap filter: C's
        ``inet_pton`` reads RFC 4291 §2.2 text as ``ipaddress`` does; anything it cannot read,
        and IPv4-mapped addresses, are left to the exact path)."""
        try:
            number = int.from_bytes(socket.inet_pton(socket.AF_INET6, raw), "big")
        except OSError:
            return True
        if number >> 32 == 0xFFFF or number in self._v6_exact:
            return True
        return any(((number >> shift) << shift) in nets for shift, nets in self._v6_networks)

    def resolve(self, kind: ValueKind, raw: str) -> list[_Match]:
        """Every indicator term the log value ``raw`` of field kind ``kind`` matches."""
        seen = log_values(kind, raw)
        if seen is None:
            return []
        seen_kind, value = seen
        exact = self.exact.get(seen_kind)
        found = [_Match(i, seen_kind, value) for i in exact.get(value)] if exact else []
        if seen_kind is ValueKind.IP and self.networks:
            address = ipaddress.ip_address(value)
            as_int = int(address)
            width = address.max_prefixlen
            for (version, length), nets in self.networks.items():
                if version == address.version:
                    shift = width - length
                    for i in nets.get((as_int >> shift) << shift, ()):
                        found.append(_Match(i, seen_kind, value))
        elif seen_kind is ValueKind.DOMAIN and self.subdomains:
            at = value.find(".")
            while at >= 0:
                for i in self.subdomains.get(value[at + 1 :]):
                    found.append(_Match(i, seen_kind, value))
                at = value.find(".", at + 1)
        return found


def _network(text: str) -> tuple[int, int, int]:
    """(IP version, prefix length, first address) of a canonical CIDR block."""
    address, _, length = text.partition("/")
    if ":" in address:
        return 6, int(length), int(ipaddress.IPv6Address(address))
    return 4, int(length), int.from_bytes(socket.inet_aton(address), "big")


class Engine:
    """Matches log batches against an indicator set; hits equal ``reference.match_batch``'s."""

    def __init__(self, indicators: IndicatorSet) -> None:
        self._indicators = indicators.indicators
        self._terms = _Terms(self._indicators)
        self._hasher = _Hasher()
        self._ipv4 = self._ipv4_blocks()
        exact = self._terms.exact
        self._exact_hashes = self._hash_set(
            [value for kind in _DIGEST_KINDS for value in exact.get(kind, ())]
        )
        self._domain_hashes = self._hash_set(list(exact.get(ValueKind.DOMAIN, ())))
        self._subdomain_hashes = self._hash_set(list(self._terms.subdomains))
        # Resolutions of candidate values, kept across batches: logs repeat their values.
        self._memo: dict[tuple[ValueKind, str], list[_Match]] = {}

    def _hash_set(self, values: list[str]) -> _HashSet | None:
        if not values:
            return None
        parts = []
        # In slices, so that the hasher's tables stay the size of a log batch's.
        for at in range(0, len(values), _HASH_SLICE):
            chunk = pa.array(values[at : at + _HASH_SLICE], pa.large_string())
            parts.append(self._hasher.whole(_bytes_of(chunk, lower=False)))
        return _HashSet(np.concatenate(parts))

    def _ipv4_blocks(self) -> tuple[U64, U64, Mask] | None:
        """The union of every IPv4 term's range as sorted, disjoint [start, end) blocks."""
        addresses = [v for v in self._terms.exact.get(ValueKind.IP, ()) if ":" not in v]
        starts_parts: list[U64] = []
        ends_parts: list[U64] = []
        if addresses:
            ints, _ = _parse_ipv4(_bytes_of(pa.array(addresses, pa.large_string()), lower=False))
            starts_parts.append(ints)
            ends_parts.append(ints + np.uint64(1))
        for (version, length), nets in self._terms.networks.items():
            if version != 4:
                continue
            starts = np.fromiter(nets.keys(), dtype=np.uint64, count=len(nets))
            starts_parts.append(starts)
            ends_parts.append(starts + np.uint64(1 << (32 - length)))
        if not starts_parts:
            return None
        starts = np.concatenate(starts_parts)
        ends = np.concatenate(ends_parts)
        order = np.argsort(starts, kind="stable")
        starts = starts[order]
        ends = np.maximum.accumulate(ends[order])
        # A block starts where a range begins after every earlier range has ended.
        opens = np.ones(len(starts), dtype=np.bool_)
        opens[1:] = starts[1:] > ends[:-1]
        first = np.flatnonzero(opens)
        last = np.append(first[1:] - 1, len(starts) - 1)
        starts, ends = starts[first], ends[last]
        # Which /16 networks any block touches (blocks are disjoint and sorted; a block may
        # span many /16s, so mark the covered run of each block with a difference array).
        runs = np.zeros((1 << 16) + 1, dtype=np.int64)
        np.add.at(runs, (starts >> np.uint64(16)).astype(np.int64), 1)
        np.add.at(runs, ((ends - np.uint64(1)) >> np.uint64(16)).astype(np.int64) + 1, -1)
        near = np.cumsum(runs[:-1]) > 0
        return starts, ends, near

    def match(self, batch: LogBatch) -> list[Hit]:
        """Every hit in ``batch``, one per (record, field, value, indicator), sorted by key."""
        if not self._indicators or batch.num_rows == 0:
            return []
        table = batch.table
        found: dict[tuple[int, str, str, str], _Match] = {}
        for spec in batch.fields:
            if not self._wanted(spec.kind):
                continue
            column = table.column(spec.name)
            rows, values = _flatten(column, spec)
            if len(values) == 0:
                continue
            for row, raw, match in self._column_matches(spec.kind, rows, values):
                found.setdefault((row, spec.name, raw, match.indicator.id), match)
        if not found:
            return []
        return self._hits(batch, found)

    def _wanted(self, kind: ValueKind) -> bool:
        kinds = self._terms.kinds
        if kind is ValueKind.HOST:
            return ValueKind.IP in kinds or ValueKind.DOMAIN in kinds
        return kind in kinds

    def _column_matches(
        self, kind: ValueKind, rows: npt.NDArray[np.int64], values: pa.Array
    ) -> Iterable[tuple[int, str, _Match]]:
        if pa.types.is_dictionary(values.type):
            # Dictionary-encoded (as Parquet stores repetitive columns): filter each distinct
            # value once, then map the verdicts onto the rows.
            indices = values.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            distinct = values.dictionary
            candidates = self._candidates(kind, distinct)[indices]
            chosen = np.flatnonzero(candidates)
            if len(chosen) == 0:
                return
            texts = distinct.take(pa.array(indices[chosen])).to_pylist()
        else:
            chosen = np.flatnonzero(self._candidates(kind, values))
            if len(chosen) == 0:
                return
            texts = values.take(pa.array(chosen)).to_pylist()
        memo = self._memo
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        for at, raw in zip(chosen.tolist(), texts, strict=True):
            matches = memo.get((kind, raw))
            if matches is None:
                if kind in _ADDRESS_KINDS and ":" in raw and not self._terms.may_match_ipv6(raw):
                    matches = []
                else:
                    matches = self._terms.resolve(kind, raw)
                memo[(kind, raw)] = matches
            row = int(rows[at])
            for match in matches:
                yield row, raw, match

    def _candidates(self, kind: ValueKind, values: pa.Array) -> Mask:
        """A superset of the values of a column of ``kind`` that can match some term."""
        if kind in _EXACT_ONLY_KINDS:
            return np.ones(len(values), dtype=np.bool_)
        # Addresses are digits, dots and colons: lower-casing them would change nothing.
        b = _bytes_of(values, lower=kind is not ValueKind.IP)
        # Values the normalisers would change beyond ASCII lower-casing and one final dot
        # (surrounding whitespace, IDNA, a HOST's ":port" or "[v6]") take the exact path.
        candidates = _irregular(b, colon=kind is not ValueKind.DOMAIN)
        if kind in (ValueKind.IP, ValueKind.HOST) and self._ipv4 is not None:
            candidates |= self._ipv4_candidates(b)
        if kind in (ValueKind.DOMAIN, ValueKind.HOST) and ValueKind.DOMAIN in self._terms.kinds:
            candidates |= self._domain_candidates(b)
        if kind in _DIGEST_KINDS and self._exact_hashes is not None:
            candidates |= self._exact_hashes.contains(self._hasher.whole(b))
        return candidates

    def _ipv4_candidates(self, b: _Bytes) -> Mask:
        assert self._ipv4 is not None
        ints, valid = _parse_ipv4(b)
        starts, ends, near = self._ipv4
        # Most addresses share no /16 with any term: a table lookup settles them, and only the
        # rest pay for the binary search.
        maybe = np.flatnonzero(valid & near[(ints >> np.uint64(16)).astype(np.int64)])
        candidates = np.zeros(len(ints), dtype=np.bool_)
        if len(maybe):
            value = ints[maybe]
            at = np.searchsorted(starts, value, side="right").astype(np.int64) - 1
            candidates[maybe] = (at >= 0) & (value < ends[np.maximum(at, 0)])
        return candidates

    def _domain_candidates(self, b: _Bytes) -> Mask:
        names, owner, suffixes = self._hasher.domains(b)
        candidates = np.zeros(len(b.starts), dtype=np.bool_)
        if self._domain_hashes is not None:
            candidates |= self._domain_hashes.contains(names)
        if self._subdomain_hashes is not None and len(suffixes):
            candidates[owner[self._subdomain_hashes.contains(suffixes)]] = True
        return candidates

    def _hits(self, batch: LogBatch, found: dict[tuple[int, str, str, str], _Match]) -> list[Hit]:
        rows = sorted({row for row, _, _, _ in found})
        picked = batch.table.take(pa.array(rows)).select(["record", "ts", "log", "context"])
        record_of = dict(zip(rows, picked.column("record").to_pylist(), strict=True))
        ts_of = dict(zip(rows, picked.column("ts").to_pylist(), strict=True))
        log_of = dict(zip(rows, picked.column("log").to_pylist(), strict=True))
        contexts: dict[int, dict[str, Any] | None] = {}
        for row, cell in zip(rows, picked.column("context").to_pylist(), strict=True):
            contexts[row] = context_of(cell)
        hits = []
        for (row, field, raw, _), match in found.items():
            indicator = match.indicator
            hits.append(
                Hit(
                    source=batch.source,
                    record=int(record_of[row]),
                    field=field,
                    value=raw,
                    indicator_id=indicator.id,
                    ts=ts_of[row],
                    log=log_of[row],
                    kind=match.kind.value,
                    matched=match.matched,
                    indicator_name=indicator.name,
                    labels=indicator.labels,
                    score=indicator.score,
                    context=contexts[row],
                )
            )
        hits.sort(key=Hit.key)
        return hits


_WHITESPACE = np.array([32, 9, 10, 11, 12, 13], dtype=np.uint8)


def _irregular(b: _Bytes, *, colon: bool) -> Mask:
    """Values with a non-ASCII byte, surrounding ASCII whitespace, or (``colon``) a ":"."""
    n = len(b.starts)
    flags = np.zeros(n, dtype=np.bool_)
    if len(b.data) == 0:
        return flags
    odd = b.data >= 128
    if colon:
        odd |= b.data == 58
    if odd.any():
        flags[b.owner(np.flatnonzero(odd))] = True
    nonempty = b.ends > b.starts
    first = b.data[np.where(nonempty, b.starts, 0)]
    last = b.data[np.where(nonempty, b.ends - 1, 0)]
    flags |= nonempty & (np.isin(first, _WHITESPACE) | np.isin(last, _WHITESPACE))
    return flags


def _flatten(
    column: pa.Array | pa.ChunkedArray, spec: FieldSpec
) -> tuple[npt.NDArray[np.int64], pa.Array]:
    """The non-null values of a column with the row each came from (lists are unrolled)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if spec.many:
        # A list of strings (or of dictionary-encoded strings).
        rows = pc.list_parent_indices(column).to_numpy(zero_copy_only=False).astype(np.int64)
        values = pc.list_flatten(column)
    else:
        rows = np.arange(len(column), dtype=np.int64)
        values = column
    if values.null_count:
        present = pc.is_valid(values)
        rows = rows[present.to_numpy(zero_copy_only=False)]
        values = values.filter(present)
    if pa.types.is_dictionary(values.type) and values.dictionary.null_count:
        values = values.cast(values.type.value_type)  # rare: nulls inside the dictionary
    return rows, values
