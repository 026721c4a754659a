"""The value index's keys: what each object version holds, in forms that make lookups ranges.

Pure functions, no I/O. ``index_entries`` turns one STIX object into ``(kind, key)`` pairs, one
per value occurrence; ``probes_for`` turns what an analyst typed into the key ranges to read.
Values are normalised by ``entente.matching.values`` and indicator patterns read by the
matcher's own compiler (``entente.matching.patterns``, its parser for the patterns it does not
deploy), so that a value is found in the form the matcher and the exporters use it.

Keys sort so that containment is one range scan (no pairs, no per-row arithmetic):

* ``ipv4``/``ipv6``: the address as fixed-width lower-case hex (8 or 32 digits); a CIDR block
  is its first address, ``/`` and the prefix length in three digits. The keys inside block B
  are ``hex(first(B))`` and those from ``hex(first(B)) + "/" + prefix(B)`` to
  ``hex(last(B)) + "~"`` (``/`` and hex digits sort before ``~``; a larger block starting at
  the same address has a smaller prefix, so it sorts before the range).
* ``domain``: labels reversed (``www.evil.com`` -> ``com.evil.www``); the strict subdomains
  of ``evil.com`` are the keys from ``com.evil.`` up to ``com.evil/`` (``/`` follows ``.``),
  and a ``LIKE '%.evil.com'`` pattern is the key ``com.evil.*``.
* ``url``, ``email``, ``ja3``, ``ja3s``, ``ja4``: the normal form; ``hash``: lower-case hex of
  any algorithm (STIX 2.1 §10.6; a digest's length tells MD5 from SHA-256 anyway).
* ``ref``: an id a sighting is of or names as observed data (correlation: "sightings of this
  indicator"); ``link``: any other id a top-level ``*_ref``/``*_refs`` property holds (a
  relationship's ends, a report's ``object_refs``, a sighting's ``where_sighted_refs``), but
  ``created_by_ref`` and ``object_marking_refs``: the graph's "objects that reference X"
  (``services.graph``) reads ``ref`` and ``link`` rows; ``name``: a lower-cased name or alias
  of an entity that analysts name (APT28 / Sofacy, "possibly the same").

Labels are not value rows: nearly every object carries one of a handful of labels, so they
would double the index for a filter the full-text index answers (``text_of`` puts the labels
first), with the exact label checked by the search service on the copy it shows.

The database compares keys bytewise (SQLite's BINARY, PostgreSQL ``COLLATE "C"``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from entente.errors import InvalidPattern
from entente.matching.model import TermOp, ValueKind
from entente.matching.pattern_syntax import (
    Comparison,
    ComparisonAnd,
    ComparisonOr,
    FollowedBy,
    Literal,
    Observation,
    ObservationAnd,
    ObservationExpression,
    ObservationOr,
    Qualified,
    parse_pattern,
)
from entente.matching.patterns import compile_pattern
from entente.matching.values import (
    normalize_domain,
    normalize_email,
    normalize_ip,
    normalize_network,
    normalize_url,
)
from entente.store.search_port import Probe

__all__ = [
    "NAMED_TYPES",
    "NOT_LINKS",
    "Probe",
    "domain_key",
    "index_entries",
    "ip_key",
    "network_key",
    "probes_for",
    "references_of",
    "render_key",
    "text_of",
    "tokens_of",
]

# Types whose name and aliases name one real-world entity that several sources describe under
# their own names (STIX 2.1 §4: threat-actor and intrusion-set ``aliases``; ATT&CK's
# ``x_mitre_aliases`` on malware and tool).
NAMED_TYPES = frozenset({"threat-actor", "intrusion-set", "malware", "tool", "campaign"})

# Reference properties that are no graph content: who made an object and how it is marked
# (STIX 2.1 §3.2). Nearly every object carries them, so indexing them would make a handful of
# identities and marking-definitions the largest keys of the index for a question ("what did
# this org create") the object table answers by its own column.
NOT_LINKS = frozenset({"created_by_ref", "object_marking_refs"})
# A STIX identifier (§2.9): type, "--", a UUID; the type is at most 250 characters.
_STIX_ID = re.compile(
    r"[a-z0-9][a-z0-9-]{0,249}--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}"
)

_SCO_VALUE_KINDS: Mapping[str, str] = {
    "ipv4-addr": "ip",
    "ipv6-addr": "ip",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
    "x-ja3": "ja3",
    "x-ja3s": "ja3s",
    "x-ja4": "ja4",
}
_HEX = re.compile(r"[0-9a-f]{16,128}")
# Tokens of the full-text index: runs of letters and digits, lower-cased. The SQLite FTS5
# unicode61 tokenizer and PostgreSQL's 'simple' configuration then see space-separated words
# they split no further, so both databases and the service's own re-check agree on words.
_TOKEN = re.compile(r"[^\W_]+")
# Longest text indexed per version (descriptions of real reports run to tens of kB).
MAX_TEXT = 32_768
# The pattern nearly every indicator has (one comparison of a value or a file hash with "=",
# STIX 2.1 §9.2), read without the pattern compiler; a literal with an escape (§9.3 ``\\'``)
# or any other form takes the compiler's path (``_reference_pattern_entries``).
_SIMPLE_PATTERN = re.compile(
    r"\[\s*(?P<type>ipv4-addr|ipv6-addr|domain-name|url|email-addr):value"
    r"\s*=\s*'(?P<value>[^'\\]*)'\s*\]"
    r"|\[\s*file:hashes\.(?:'(?P<qalg>[A-Za-z0-9-]+)'|(?P<alg>[A-Za-z0-9_]+))"
    r"\s*=\s*'(?P<digest>[0-9A-Fa-f]+)'\s*\]"
)


def ip_key(address: str) -> tuple[str, str] | None:
    """(``ipv4``|``ipv6``, fixed-width hex) of an address in any notation, or None."""
    canonical = normalize_ip(address)
    if canonical is None:
        return None
    if ":" not in canonical:  # a dotted quad, checked: four octets of 0-255
        a, b, c, d = map(int, canonical.split("."))
        return "ipv4", f"{a:02x}{b:02x}{c:02x}{d:02x}"
    ip = ipaddress.ip_address(canonical)
    if ip.version == 4:
        return "ipv4", f"{int(ip):08x}"
    return "ipv6", f"{int(ip):032x}"


def network_key(block: str) -> tuple[str, str] | None:
    """(kind, key) of a CIDR block (a /32 or /128 is its address), or None."""
    canonical = normalize_network(block)
    if canonical is None:
        return None
    net = ipaddress.ip_network(canonical)
    if net.prefixlen == net.max_prefixlen:
        return ip_key(str(net.network_address))
    width = 8 if net.version == 4 else 32
    kind = "ipv4" if net.version == 4 else "ipv6"
    return kind, f"{int(net.network_address):0{width}x}/{net.prefixlen:03d}"


def domain_key(name: str) -> str | None:
    """A domain's labels reversed (``www.evil.com`` -> ``com.evil.www``), or None."""
    domain = normalize_domain(name)
    if domain is None:
        return None
    return ".".join(reversed(domain.split(".")))


def _term_entry(kind: ValueKind, op: TermOp, value: str) -> tuple[str, str] | None:
    if kind is ValueKind.IP:
        return network_key(value) if op is TermOp.IN_NETWORK else ip_key(value)
    if kind is ValueKind.DOMAIN:
        key = domain_key(value)
        if key is None:
            return None
        return "domain", (key + ".*" if op is TermOp.SUBDOMAIN else key)
    if kind in (ValueKind.MD5, ValueKind.SHA1, ValueKind.SHA256):
        return "hash", value
    return kind.value, value


def _value_entry(kind: str, text: str) -> tuple[str, str] | None:
    """The entry of one SCO ``value`` (or one pattern literal) of ``kind``."""
    if kind == "ip":
        return network_key(text) if "/" in text else ip_key(text)
    if kind == "domain":
        if text.startswith("%."):  # §9.5 LIKE '%.name': its strict subdomains
            key = domain_key(text[2:])
            return ("domain", key + ".*") if key is not None else None
        key = domain_key(text)
        return ("domain", key) if key is not None else None
    if kind == "url":
        url = normalize_url(text)
        return ("url", url) if url is not None else None
    if kind == "email":
        email = normalize_email(text)
        return ("email", email) if email is not None else None
    if kind == "hash":
        digest = text.strip().lower()
        return ("hash", digest) if _HEX.fullmatch(digest) else None
    value = text.strip().lower()
    return (kind, value) if value else None


def _comparisons(node: object) -> Iterator[Comparison]:
    """Every comparison of a parsed pattern, whatever joins them."""
    if isinstance(node, Comparison):
        yield node
    elif isinstance(node, ComparisonAnd | ComparisonOr):
        for operand in node.operands:
            yield from _comparisons(operand)
    elif isinstance(node, Observation):
        yield from _comparisons(node.comparison)
    elif isinstance(node, ObservationAnd | ObservationOr | FollowedBy):
        for child in node.operands:
            yield from _comparisons(child)
    elif isinstance(node, Qualified):
        yield from _comparisons(node.observation)


def _comparison_kind(c: Comparison) -> str | None:
    if c.path == ("value",) and c.object_type in _SCO_VALUE_KINDS:
        return _SCO_VALUE_KINDS[c.object_type]
    if c.object_type == "file" and len(c.path) == 2 and c.path[0] == "hashes":
        return "hash"
    return None


def _pattern_entries(pattern: str) -> Iterator[tuple[str, str]]:
    """Values a STIX pattern names (as ``_reference_pattern_entries``, faster for the common
    single-comparison form: the index is written on every ingest)."""
    simple = _SIMPLE_PATTERN.fullmatch(pattern)
    if simple is None:
        yield from _reference_pattern_entries(pattern)
        return
    sco = simple["type"]
    entry = (
        _value_entry("hash", simple["digest"])
        if sco is None
        else _value_entry(_SCO_VALUE_KINDS[sco], simple["value"])
    )
    if entry is not None:
        yield entry
        return
    # A literal the index cannot key (a bad address, a short digest): the compiler decides.
    yield from _reference_pattern_entries(pattern)


def _reference_pattern_entries(pattern: str) -> Iterator[tuple[str, str]]:
    """Values a STIX pattern names: the matcher's terms, else every positive comparison.

    A pattern the matcher does not deploy (a MISP file object's ``name AND hash``, a
    FOLLOWEDBY) still names values an analyst searches for; its comparisons of a value or a
    hash with ``=``, ``IN``, ``ISSUBSET`` or ``LIKE`` are indexed (§9.5), negated ones not.
    """
    verdict = compile_pattern(pattern)
    if verdict.deployable:
        for term in verdict.terms:
            entry = _term_entry(term.kind, term.op, term.value)
            if entry is not None:
                yield entry
        return
    try:
        tree: ObservationExpression = parse_pattern(pattern)
    except InvalidPattern:
        return
    for c in _comparisons(tree):
        kind = _comparison_kind(c)
        if kind is None or c.negated or c.operator not in ("=", "IN", "ISSUBSET", "LIKE"):
            continue
        literals = c.value if isinstance(c.value, tuple) else (c.value,)
        for literal in literals:
            if isinstance(literal, Literal) and literal.kind == "string":
                entry = _value_entry(kind, literal.value)
                if entry is not None:
                    yield entry


def _sco_entries(obj: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    kind = _SCO_VALUE_KINDS.get(str(obj.get("type")))
    value = obj.get("value")
    if kind is not None and isinstance(value, str):
        entry = _value_entry(kind, value)
        if entry is not None:
            yield entry
    hashes = obj.get("hashes")
    if isinstance(hashes, Mapping):
        for digest in hashes.values():
            if isinstance(digest, str):
                entry = _value_entry("hash", digest)
                if entry is not None:
                    yield entry


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _names(obj: Mapping[str, Any]) -> list[str]:
    return [
        *_strings(obj.get("name")),
        *_strings(obj.get("aliases")),
        *_strings(obj.get("x_mitre_aliases")),
    ]


def references_of(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(property, id)`` of each id a top-level ``*_ref``/``*_refs`` property of ``obj`` holds
    (STIX 2.1 §3.1: reference properties end so), in property order, but ``NOT_LINKS``.

    Only the top level: references nested in extensions or embedded objects name parts of
    the object (an e-mail's body parts), not other objects an analyst follows.
    """
    found: list[tuple[str, str]] = []
    for prop, value in obj.items():
        if not prop.endswith(("_ref", "_refs")) or prop in NOT_LINKS:
            continue
        for ref in _strings(value):
            if _STIX_ID.fullmatch(ref):
                found.append((prop, ref))
    return found


def _links(obj: Mapping[str, Any], found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``link`` entries of the references of ``obj`` that no ``ref`` entry holds already."""
    refs = {key for kind, key in found if kind == "ref"}
    return [("link", ref) for _, ref in references_of(obj) if ref not in refs]


def index_entries(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(kind, key)`` value occurrences of one STIX object, each once."""
    found: list[tuple[str, str]] = []
    kind = obj.get("type")
    pattern = obj.get("pattern")
    linked = False
    if kind == "indicator" and isinstance(pattern, str) and obj.get("pattern_type") == "stix":
        found.extend(_pattern_entries(pattern))
        links = _links(obj, found)
        if len(found) < 2 and not links:  # nearly every indicator: one value, no reference
            return found
        found.extend(links)
        linked = True
    elif kind == "observed-data":
        embedded = obj.get("objects")  # §4.13: deprecated, still sent by many producers
        if isinstance(embedded, Mapping):
            for sco in embedded.values():
                if isinstance(sco, Mapping):
                    found.extend(_sco_entries(sco))
        found.extend(("ref", ref) for ref in _strings(obj.get("object_refs")))
    elif kind == "sighting":
        found.extend(("ref", ref) for ref in _strings(obj.get("sighting_of_ref")))
        found.extend(("ref", ref) for ref in _strings(obj.get("observed_data_refs")))
    else:
        found.extend(_sco_entries(obj))
    if not linked:
        found.extend(_links(obj, found))
    if kind in NAMED_TYPES:
        found.extend(("name", name.strip().casefold()) for name in _names(obj) if name.strip())
    return list(dict.fromkeys(found))


def tokens_of(text: str) -> list[str]:
    """The words of ``text`` as the full-text index holds them (lower-case letters, digits)."""
    return _TOKEN.findall(text.casefold())


def text_of(obj: Mapping[str, Any]) -> str:
    """What full-text search reads of an object: labels, name, aliases, description.

    Labels come first so that a long description cut at ``MAX_TEXT`` never hides them from
    the label filter (``store.sql_search``).
    """
    parts = [*_strings(obj.get("labels")), *_names(obj), *_strings(obj.get("description"))]
    return " ".join(tokens_of(" ".join(parts)[:MAX_TEXT]))


def _domain_probes(name: str) -> list[Probe]:
    key = domain_key(name)
    if key is None:
        return []
    probes = [Probe("domain", key, key), Probe("domain", key + ".", key + "/")]
    # LIKE '%.parent' patterns of every parent name cover it too.
    labels = key.split(".")
    probes.extend(
        Probe("domain", ".".join(labels[:n]) + ".*", ".".join(labels[:n]) + ".*")
        for n in range(1, len(labels))
    )
    return probes


def _ip_probes(text: str) -> list[Probe]:
    entry = ip_key(text)
    if entry is None:
        return []
    kind, key = entry
    bits = len(key) * 4
    value = int(key, 16)
    probes = [Probe(kind, key, key)]
    # Every CIDR block that contains the address: one key per prefix length.
    for prefix in range(bits):
        start = value >> (bits - prefix) << (bits - prefix) if prefix else 0
        block = f"{start:0{len(key)}x}/{prefix:03d}"
        probes.append(Probe(kind, block, block))
    return probes


def probes_for(text: str) -> list[Probe]:
    """The key ranges to read for a value an analyst typed, or [] if it is no value.

    An address finds itself and the blocks that contain it; a block every address and block
    inside it; a domain itself, its subdomains and the ``LIKE '%.parent'`` patterns over it;
    a URL, an e-mail address, a hash (any algorithm) itself.
    """
    value = text.strip()
    if not value:
        return []
    if "/" in value and "://" not in value:
        block = normalize_network(value)
        if block is None:
            return []
        net = ipaddress.ip_network(block)
        width = 8 if net.version == 4 else 32
        kind = "ipv4" if net.version == 4 else "ipv6"
        first = f"{int(net.network_address):0{width}x}"
        high = f"{int(net.broadcast_address):0{width}x}~"
        # The first address itself, then the blocks from the first address with a prefix at
        # least as long (zero-padded, so they sort by prefix) up to the last address: a
        # shorter block that starts at the same address is larger and is left out. No other
        # block can start inside the range and be larger (CIDR blocks are aligned).
        return [Probe(kind, first, first), Probe(kind, f"{first}/{net.prefixlen:03d}", high)]
    if normalize_ip(value) is not None:
        return _ip_probes(value)
    if "://" in value:
        url = normalize_url(value)
        return [Probe("url", url, url)] if url is not None else []
    if "@" in value:
        email = normalize_email(value)
        return [Probe("email", email, email)] if email is not None else []
    digest = value.lower()
    if _HEX.fullmatch(digest) and len(digest) in (32, 40, 56, 64, 96, 128):
        probes = [Probe("hash", digest, digest)]
        if len(digest) == 32:  # MD5, or a JA3/JA3S fingerprint (also 32 hex digits)
            probes += [Probe("ja3", digest, digest), Probe("ja3s", digest, digest)]
        return probes
    return _domain_probes(value)


def render_key(kind: str, key: str) -> str:
    """A value-index key as an analyst writes the value (the inverse of the key forms)."""
    if kind in ("ipv4", "ipv6"):
        digits, slash, prefix = key.partition("/")
        number = int(digits, 16)
        address = ipaddress.IPv4Address(number) if kind == "ipv4" else ipaddress.IPv6Address(number)
        return f"{address.compressed}{slash}{int(prefix) if slash else ''}"
    if kind == "domain":
        labels = key.split(".")
        if labels[-1] == "*":
            return "*." + ".".join(reversed(labels[:-1]))
        return ".".join(reversed(labels))
    return key
