"""Hypothesis strategies for the matcher: indicator sets, and log batches drawn near them.

``indicator_sets()`` builds sets whose terms overlap on purpose (nested CIDR blocks of both
families from /0 to full length, a domain both exact and as a subdomain suffix, multi-label
suffixes such as ``co.uk``, several indicators sharing a term). ``log_batches(indicators)``
fills log columns mostly with values *near* those terms (the values themselves, addresses just
inside and just outside each block, subdomains, parents and lookalikes, case and trailing-dot
variants, IPv4-mapped IPv6, Zeek's no-value markers, junk), so that matchers disagree quickly
if they disagree at all. ``render_pattern(terms)`` writes the STIX pattern a term set comes from.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Sequence

import orjson
import pyarrow as pa
from hypothesis import strategies as st

from entente.matching.model import (
    RECORD_COLUMNS,
    CompiledIndicator,
    FieldSpec,
    IndicatorSet,
    LogBatch,
    Term,
    TermOp,
    ValueKind,
)
from entente.matching.values import (
    normalize_domain,
    normalize_email,
    normalize_network,
    normalize_url,
)

__all__ = [
    "FIELDS",
    "JUNK",
    "indicator_sets",
    "log_batches",
    "near_values",
    "render_pattern",
    "terms",
]

# --- terms ------------------------------------------------------------------------------------
# Small pools, so that independently drawn values collide and blocks nest.
_V4_PREFIXES = ("10.0", "10.1", "192.168", "203.0")
_V6_PREFIXES = ("2001:db8::", "2001:db8:0:1::", "2001:db8:1::", "fe80::")
_OCTETS = st.sampled_from((0, 1, 2, 127, 128, 200, 254, 255)) | st.integers(0, 255)


@st.composite
def _ipv4(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(_V4_PREFIXES))
    return f"{prefix}.{draw(_OCTETS)}.{draw(_OCTETS)}"


@st.composite
def _ipv6(draw: st.DrawFn) -> str:
    base = int(ipaddress.IPv6Address(draw(st.sampled_from(_V6_PREFIXES))))
    low = draw(st.sampled_from((0, 1, 0xFFFF, 0x1_0000)) | st.integers(0, 2**64 - 1))
    return ipaddress.IPv6Address(base + low).compressed


def _block(address: str, length: int) -> str:
    block = normalize_network(f"{address}/{length}")
    assert block is not None
    return block


@st.composite
def _network(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        length = draw(st.sampled_from((0, 8, 16, 24, 31, 32)) | st.integers(0, 32))
        return _block(draw(_ipv4()), length)
    length = draw(st.sampled_from((0, 32, 48, 64, 127, 128)) | st.integers(0, 128))
    return _block(draw(_ipv6()), length)


_LABELS = ("evil", "notevil", "a", "www", "mail", "cdn-1", "_dmarc", "xn--mnchen-3ya")
_SUFFIXES = ("com", "co.uk", "uk", "example", "org")


@st.composite
def _domain(draw: st.DrawFn) -> str:
    labels = draw(st.lists(st.sampled_from(_LABELS), min_size=0, max_size=2))
    name = normalize_domain(".".join([*labels, draw(st.sampled_from(_SUFFIXES))]))
    assert name is not None
    return name


_PATHS = ("/", "/a", "/A", "/a?b=1", "/%7Ex", "/login.php?id=5&x=%2F")


@st.composite
def _url(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(("http", "https", "ftp")))
    host = draw(_domain() | _ipv4() | _ipv6().map(lambda a: f"[{a}]"))
    port = draw(st.sampled_from(("", "", ":8080", ":443")))
    url = normalize_url(f"{scheme}://{host}{port}{draw(st.sampled_from(_PATHS))}")
    assert url is not None
    return url


@st.composite
def _email(draw: st.DrawFn) -> str:
    local = draw(st.sampled_from(("bob", "alice.smith", "x+tag")))
    email = normalize_email(f"{local}@{draw(_domain())}")
    assert email is not None
    return email


def _hex(length: int) -> st.SearchStrategy[str]:
    pool = st.sampled_from(("0" * length, "f" * length, ("d41d8cd98f00b204e9800998ecf8427e" * 2)))
    drawn = st.binary(min_size=length // 2, max_size=length // 2).map(bytes.hex)
    return (pool.map(lambda h: h[:length].ljust(length, "0")) | drawn).map(str)


_JA4 = st.sampled_from(
    (
        "t13d1516h2_8daaf6152771_b0da82dd1658",
        "t13d1517h2_8daaf6152771_b1ff8ab2d16f",
        "q13d0310h3_55b375c5d22e_cd85d2d88918",
    )
)


def terms() -> st.SearchStrategy[Term]:
    """One term in normal form, of any kind and operator."""
    return st.one_of(
        _ipv4().map(lambda a: Term(ValueKind.IP, TermOp.EQUALS, a)),
        _ipv6().map(lambda a: Term(ValueKind.IP, TermOp.EQUALS, a)),
        _network().map(lambda n: Term(ValueKind.IP, TermOp.IN_NETWORK, n)),
        _domain().map(lambda d: Term(ValueKind.DOMAIN, TermOp.EQUALS, d)),
        _domain().map(lambda d: Term(ValueKind.DOMAIN, TermOp.SUBDOMAIN, d)),
        _url().map(lambda u: Term(ValueKind.URL, TermOp.EQUALS, u)),
        _email().map(lambda e: Term(ValueKind.EMAIL, TermOp.EQUALS, e)),
        _hex(32).map(lambda h: Term(ValueKind.MD5, TermOp.EQUALS, h)),
        _hex(40).map(lambda h: Term(ValueKind.SHA1, TermOp.EQUALS, h)),
        _hex(64).map(lambda h: Term(ValueKind.SHA256, TermOp.EQUALS, h)),
        _hex(32).map(lambda h: Term(ValueKind.JA3, TermOp.EQUALS, h)),
        _hex(32).map(lambda h: Term(ValueKind.JA3S, TermOp.EQUALS, h)),
        _JA4.map(lambda h: Term(ValueKind.JA4, TermOp.EQUALS, h)),
    )


# --- patterns ---------------------------------------------------------------------------------
_HASH_PATHS = {
    ValueKind.MD5: "file:hashes.MD5",
    ValueKind.SHA1: "file:hashes.'SHA-1'",
    ValueKind.SHA256: "file:hashes.'SHA-256'",
}
_OBJECT_TYPES = {
    ValueKind.DOMAIN: "domain-name",
    ValueKind.URL: "url",
    ValueKind.EMAIL: "email-addr",
    ValueKind.JA3: "x-ja3",
    ValueKind.JA3S: "x-ja3s",
    ValueKind.JA4: "x-ja4",
}


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _comparison(term: Term) -> str:
    if term.kind is ValueKind.IP:
        family = "ipv6-addr" if ":" in term.value else "ipv4-addr"
        op = "ISSUBSET" if term.op is TermOp.IN_NETWORK else "="
        return f"{family}:value {op} {_literal(term.value)}"
    if term.kind in _HASH_PATHS:
        return f"{_HASH_PATHS[term.kind]} = {_literal(term.value)}"
    path = f"{_OBJECT_TYPES[term.kind]}:value"
    if term.op is TermOp.SUBDOMAIN:
        return f"{path} LIKE {_literal('%.' + term.value)}"
    return f"{path} = {_literal(term.value)}"


def render_pattern(pattern_terms: Sequence[Term]) -> str:
    """A STIX pattern whose terms are ``pattern_terms``: one observation per term, ORed.

    A SUBDOMAIN term whose name has an ``_`` has no STIX spelling (``_`` is a LIKE wildcard,
    §9.5, with no escape); its ``LIKE`` is written anyway, and ``compile_pattern`` refuses it.
    """
    return " OR ".join(f"[{_comparison(term)}]" for term in pattern_terms)


# --- indicator sets ---------------------------------------------------------------------------
@st.composite
def _indicator_set(draw: st.DrawFn) -> IndicatorSet:
    pool = draw(st.lists(terms(), min_size=1, max_size=12, unique=True))
    count = draw(st.sampled_from((0, 1)) | st.integers(1, 8))
    indicators = []
    for i in range(count):
        chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
        indicators.append(
            CompiledIndicator(
                id=f"indicator--00000000-0000-4000-8000-{i:012d}",
                name=draw(st.none() | st.sampled_from(("bad thing", "c2", "ünïcode"))),
                labels=tuple(draw(st.lists(st.sampled_from(("c2", "phishing")), unique=True))),
                score=draw(st.none() | st.integers(0, 100)),
                terms=tuple(chosen),
            )
        )
    return IndicatorSet(tuple(indicators))


def indicator_sets() -> st.SearchStrategy[IndicatorSet]:
    """A random set of up to 8 compiled indicators over up to 12 overlapping terms."""
    return _indicator_set()


# --- log values -------------------------------------------------------------------------------
JUNK: tuple[str, ...] = (
    "",
    "-",
    "(empty)",
    " - ",
    "junk",
    "1.2.3",
    "::",
    "a..b",
    "ü.com",
    "http://",
    "@",
    "x@",
    "256.1.1.1",
    "010.0.0.1",
    "evil.com..",
    "fe80::1%eth0",
    "[::1",
    "T",
)


def _address_variants(address: str) -> list[str]:
    ip = ipaddress.ip_address(address)
    out = [address, address.upper(), f" {address}\t", ip.exploded]
    if ip.version == 4:
        out += [f"::ffff:{address}", f"::FFFF:{int(ip) >> 16:x}:{int(ip) & 0xFFFF:x}"]
        out += [f"0{address}", f"{address}:8080", f"{address}/32"]
    else:
        out += [f"[{address}]:443", f"[{address}]", f"{address}%eth0"]
    for delta in (-1, 1):
        with contextlib.suppress(ipaddress.AddressValueError):  # past the end of the space
            out.append(str(ip + delta))
    return out


def _network_variants(block: str) -> list[str]:
    net = ipaddress.ip_network(block)
    first, last = int(net.network_address), int(net.broadcast_address)
    family = ipaddress.IPv4Address if net.version == 4 else ipaddress.IPv6Address
    top = 2**32 - 1 if net.version == 4 else 2**128 - 1
    out: list[str] = []
    for n in (first, last, (first + last) // 2, first - 1, last + 1):
        if 0 <= n <= top:
            out += _address_variants(str(family(n)))[:6]
    return out


def _domain_variants(name: str) -> list[str]:
    parent = name.partition(".")[2]
    out = [name, f"www.{name}", f"a.b.{name}", f"not{name}", f"{name}.", name.upper()]
    out += [f"{name}.evil", f"x.{name}.", f"{name}:8080", f".{name}", f"{name}.."]
    if parent:
        out += [parent, f"{parent}."]
    if name.startswith("xn--") or ".xn--" in name:
        out.append(name.encode("ascii").decode("idna"))
    return out


def _url_variants(url: str) -> list[str]:
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    out = [url, f"{scheme.upper()}://{host.upper()}/{path}", f"{url}#frag", url + "x"]
    default = {"http": ":80", "https": ":443", "ftp": ":21"}.get(scheme, "")
    if ":" not in host.rpartition("]")[2]:
        out.append(f"{scheme}://{host}{default}{slash}{path}")
    if path == "":
        out.append(f"{scheme}://{host}")
    if path.startswith("?") or path == "":
        out.append(f"{scheme}://{host}{path}")
    out.append(f"{scheme}://{host}/{path.upper()}")
    return out


def _digest_variants(digest: str) -> list[str]:
    return [digest, digest.upper(), f" {digest} ", digest[:-1], digest + "0"]


def near_values(term: Term) -> list[str]:
    """Log texts near ``term``: itself, and variants that must or must not match it."""
    if term.kind is ValueKind.IP:
        if term.op is TermOp.IN_NETWORK:
            return _network_variants(term.value)
        return _address_variants(term.value)
    if term.kind is ValueKind.DOMAIN:
        return _domain_variants(term.value)
    if term.kind is ValueKind.URL:
        return _url_variants(term.value)
    if term.kind is ValueKind.EMAIL:
        return [term.value, term.value.upper(), f"Someone <{term.value}>", f"<{term.value}>."]
    return _digest_variants(term.value)


# Which term kinds a field of each kind is filled from (a HOST holds addresses and names).
_SOURCES: dict[ValueKind, frozenset[ValueKind]] = {
    kind: frozenset({kind}) for kind in ValueKind if kind is not ValueKind.HOST
} | {ValueKind.HOST: frozenset({ValueKind.IP, ValueKind.DOMAIN})}

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id.orig_h", ValueKind.IP),
    FieldSpec("id.resp_h", ValueKind.IP),
    FieldSpec("ips", ValueKind.IP, many=True),
    FieldSpec("query", ValueKind.DOMAIN),
    FieldSpec("server_name", ValueKind.DOMAIN),
    FieldSpec("answers", ValueKind.HOST, many=True),
    FieldSpec("host", ValueKind.HOST),
    FieldSpec("url", ValueKind.URL),
    FieldSpec("mailfrom", ValueKind.EMAIL),
    FieldSpec("rcptto", ValueKind.EMAIL, many=True),
    FieldSpec("md5", ValueKind.MD5),
    FieldSpec("sha1", ValueKind.SHA1),
    FieldSpec("sha256", ValueKind.SHA256),
    FieldSpec("hashes", ValueKind.SHA256, many=True),
    FieldSpec("ja3", ValueKind.JA3),
    FieldSpec("ja3s", ValueKind.JA3S),
    FieldSpec("ja4", ValueKind.JA4),
)
"""Every field a generated batch may have (a batch has a non-empty subset, in drawn order)."""


@st.composite
def _value(draw: st.DrawFn, kind: ValueKind, near: dict[ValueKind, list[str]]) -> str | None:
    own = [v for source in _SOURCES[kind] for v in near.get(source, [])]
    others = [v for values in near.values() for v in values]
    choice = draw(st.integers(0, 19))
    if own and choice < 13:
        return draw(st.sampled_from(own))
    if others and choice < 15:
        return draw(st.sampled_from(others))
    if choice < 16:
        return None
    if choice < 19:
        return draw(st.sampled_from(JUNK))
    return draw(st.text(max_size=12))


@st.composite
def _log_batch(draw: st.DrawFn, indicators: IndicatorSet) -> LogBatch:
    near: dict[ValueKind, list[str]] = {}
    for term in dict.fromkeys(t for i in indicators.indicators for t in i.terms):
        near.setdefault(term.kind, []).extend(near_values(term))
    # Mostly fields that can hold the set's terms, plus a few that cannot.
    relevant = [spec for spec in FIELDS if _SOURCES[spec.kind] & near.keys()] or list(FIELDS)
    chosen = draw(st.lists(st.sampled_from(relevant), min_size=1, max_size=4, unique=True))
    chosen += draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True))
    fields = tuple(dict.fromkeys(chosen))
    rows = draw(st.integers(0, 25))
    gaps = draw(st.lists(st.integers(1, 3), min_size=rows, max_size=rows))
    records = [sum(gaps[: i + 1]) for i in range(rows)]
    ts = draw(st.lists(st.none() | st.floats(0, 2e9), min_size=rows, max_size=rows))
    logs = draw(
        st.lists(
            st.sampled_from(("zeek.conn", "zeek.dns", "suricata.alert")),
            min_size=rows,
            max_size=rows,
        )
    )
    contexts = [
        None if draw(st.booleans()) else orjson.dumps({"uid": f"C{r}"}).decode() for r in records
    ]
    columns: list[pa.Array] = [
        pa.array(records, pa.int64()),
        pa.array(ts, pa.float64()),
        pa.array(logs, pa.string()),
        pa.array(contexts, pa.string()),
    ]
    for spec in fields:
        value = _value(spec.kind, near)
        if spec.many:
            cells = draw(
                st.lists(st.none() | st.lists(value, max_size=4), min_size=rows, max_size=rows)
            )
            columns.append(pa.array(cells, pa.list_(pa.string())))
        else:
            column = draw(st.lists(value, min_size=rows, max_size=rows))
            columns.append(pa.array(column, pa.string()))
    names = [*RECORD_COLUMNS, *(spec.name for spec in fields)]
    table = pa.RecordBatch.from_arrays(columns, names=names)
    source = draw(st.sampled_from(("logs/conn.log", "logs/dns.log")))
    return LogBatch(source=source, format="zeek-tsv", fields=fields, table=table)


def log_batches(indicators: IndicatorSet) -> st.SearchStrategy[LogBatch]:
    """A log batch of 0-25 records over 1-6 fields of ``FIELDS`` (mostly fields that can hold the
    set's terms), with values mostly near the terms of ``indicators`` (see :func:`near_values`),
    else nulls, :data:`JUNK` or any text."""
    return _log_batch(indicators)
