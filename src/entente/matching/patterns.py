"""STIX 2.1 patterns (§9) compiled into the terms the matcher evaluates, or refused with why.

The matcher looks at one log value at a time, so it deploys exactly the patterns that mean
"this value is one of these": an ``OR`` of observations, each an ``OR`` of comparisons, each
comparison one of

* ``ipv4-addr:value`` / ``ipv6-addr:value`` with ``=``, ``IN`` or ``ISSUBSET``: an address
  (IP EQUALS) or a CIDR block (IP IN_NETWORK; §6.13 allows a CIDR block as the value, and §9.5
  ``ISSUBSET`` means "inside the block"); a /32 or /128 block is its address;
* ``domain-name:value`` with ``=``, ``IN``, or ``LIKE '%.example.com'`` (strict subdomains);
* ``url:value``, ``email-addr:value`` with ``=`` or ``IN``;
* ``file:hashes.MD5``, ``file:hashes.'SHA-1'``, ``file:hashes.'SHA-256'`` (hash names compared
  case-insensitively, with or without the hyphen, §10.6 hashing-algorithm-ov) with ``=``/``IN``;
* ``x-ja3:value``, ``x-ja3s:value``, ``x-ja4:value`` with ``=``/``IN``: Entente's custom SCO
  types (§11.1) for TLS client and server fingerprints (JA3, JA3S: 32 hex digits; JA4 text).

``AND`` is deployable only when every operand is the same comparison (``a AND a`` is ``a``).
Everything else (``FOLLOWEDBY``, ``AND`` of different comparisons or of observations,
qualifiers, negation, ordering, ``MATCHES``, ``EXISTS``, ``ISSUPERSET``, other object paths,
non-string literals, values that do not normalise or that logs use for "no value") is
refused with a reason naming the construct, so an indicator is never silently ignored.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from entente.errors import InvalidPattern
from entente.matching.model import Term, TermOp, ValueKind
from entente.matching.pattern_syntax import (
    Comparison,
    ComparisonExpression,
    ComparisonOr,
    FollowedBy,
    Observation,
    ObservationAnd,
    ObservationExpression,
    ObservationOr,
    parse_pattern,
    render_path,
)
from entente.matching.values import (
    NO_VALUE,
    normalize_digest,
    normalize_domain,
    normalize_email,
    normalize_ip,
    normalize_network,
    normalize_url,
)
from entente.stix.patterns import validate_pattern

__all__ = ["PatternVerdict", "compile_pattern", "compile_pattern_reference"]


@dataclass(frozen=True, slots=True)
class PatternVerdict:
    """What the matcher makes of a pattern: its terms, or (``reason`` set) why it cannot be
    deployed, with no terms."""

    terms: tuple[Term, ...]
    reason: str | None = None

    @property
    def deployable(self) -> bool:
        """Whether the pattern compiled to terms."""
        return self.reason is None


def _refuse(reason: str) -> PatternVerdict:
    return PatternVerdict((), reason)


# Object types whose ``value`` property the matcher reads (§6), with the kind of their terms.
_VALUE_KINDS: Mapping[str, ValueKind] = MappingProxyType(
    {
        "ipv4-addr": ValueKind.IP,
        "ipv6-addr": ValueKind.IP,
        "domain-name": ValueKind.DOMAIN,
        "url": ValueKind.URL,
        "email-addr": ValueKind.EMAIL,
        "x-ja3": ValueKind.JA3,
        "x-ja3s": ValueKind.JA3S,
        "x-ja4": ValueKind.JA4,
    }
)
# §10.6 hashing-algorithm-ov names, upper-cased with hyphens removed ("SHA-256" and "sha256"
# are the same key, as stix2-patterns treats them).
_HASH_KINDS: Mapping[str, ValueKind] = MappingProxyType(
    {"MD5": ValueKind.MD5, "SHA1": ValueKind.SHA1, "SHA256": ValueKind.SHA256}
)
_OPERATORS: Mapping[ValueKind, tuple[str, ...]] = MappingProxyType(
    {ValueKind.IP: ("=", "IN", "ISSUBSET"), ValueKind.DOMAIN: ("=", "IN", "LIKE")}
)
_DEFAULT_OPERATORS = ("=", "IN")
_HEX_DIGITS: Mapping[ValueKind, int] = MappingProxyType(
    {
        ValueKind.MD5: 32,
        ValueKind.SHA1: 40,
        ValueKind.SHA256: 64,
        ValueKind.JA3: 32,
        ValueKind.JA3S: 32,
    }
)
_SINGLE = "the matcher evaluates single observations only"


# The shape of almost every indicator a feed or a partner sends: one observation holding one
# comparison of a plain literal (no escapes) on a path the matcher reads, with an operator it
# deploys for that path. Such a pattern is valid STIX (§9) whenever its literal normalises;
# every other pattern, and every literal that does not normalise, goes to the parser.
_WS = "[ \t\r\n]*"
_SIMPLE = re.compile(
    rf"\[{_WS}(?:(?P<type>ipv4-addr|ipv6-addr|domain-name|url|email-addr|x-ja3s?|x-ja4):value"
    rf"{_WS}(?P<op>=|ISSUBSET|LIKE)|file:hashes\.(?P<hash>MD5|SHA1|SHA256|'SHA-1'|'SHA-256'|"
    rf"'MD5'|'SHA1'|'SHA256'){_WS}=){_WS}'(?P<text>[^'\\]*)'{_WS}\]"
)
_HASH_PATHS: Mapping[str, ValueKind] = MappingProxyType(
    {
        name: _HASH_KINDS[name.strip("'").replace("-", "")]
        for name in ("MD5", "SHA1", "SHA256", "'SHA-1'", "'SHA-256'", "'MD5'", "'SHA1'", "'SHA256'")
    }
)


def _compile_simple(pattern: str) -> PatternVerdict | None:
    """The verdict for a pattern of the simple shape above with a literal that normalises;
    ``None`` for anything else (the parser decides those)."""
    m = _SIMPLE.fullmatch(pattern)
    if m is None:
        return None
    text = m.group("text")
    if text != text.strip() or text in NO_VALUE:
        return None
    hash_path = m.group("hash")
    if hash_path is not None:
        kind = _HASH_PATHS[hash_path]
        digest = normalize_digest(kind, text)
        return PatternVerdict((Term(kind, TermOp.EQUALS, digest),)) if digest else None
    object_type, op = m.group("type"), m.group("op")
    kind = _VALUE_KINDS[object_type]
    verdict: PatternVerdict | None
    if kind is ValueKind.IP:
        if op == "LIKE":
            return None
        verdict = _ip_term(object_type == "ipv6-addr", f"{object_type}:value", text)
    elif kind is ValueKind.DOMAIN:
        if op == "ISSUBSET":
            return None
        verdict = _domain_term(op == "LIKE", f"{object_type}:value", text)
    elif op != "=":
        return None
    elif kind is ValueKind.URL:
        url = normalize_url(text)
        verdict = PatternVerdict((Term(kind, TermOp.EQUALS, url),)) if url else None
    elif kind is ValueKind.EMAIL:
        email = normalize_email(text)
        verdict = PatternVerdict((Term(kind, TermOp.EQUALS, email),)) if email else None
    else:
        digest = normalize_digest(kind, text)
        verdict = PatternVerdict((Term(kind, TermOp.EQUALS, digest),)) if digest else None
    return verdict if verdict is not None and verdict.reason is None else None


def compile_pattern(pattern: str) -> PatternVerdict:
    """The terms of a STIX 2.1 pattern, deduplicated in order of appearance, or the reason the
    matcher cannot evaluate it (an invalid pattern, or a construct outside the subset above).

    Simple patterns take a fast path; :func:`compile_pattern_reference` is its twin."""
    verdict = _compile_simple(pattern)
    return verdict if verdict is not None else compile_pattern_reference(pattern)


def compile_pattern_reference(pattern: str) -> PatternVerdict:
    """:func:`compile_pattern` through the full parser only (validation, then the tree)."""
    try:
        validate_pattern(pattern)
        tree = parse_pattern(pattern)
    except InvalidPattern as exc:
        return _refuse(f"pattern {exc.reason}")
    verdict = _observation_terms(tree)
    if verdict.reason is not None:
        return verdict
    if not verdict.terms:
        return _refuse("the pattern matches no value: every IN set in it is empty")
    return PatternVerdict(tuple(dict.fromkeys(verdict.terms)))


def _union(verdicts: Iterable[PatternVerdict]) -> PatternVerdict:
    """``OR``: all operands' terms; the first refusal refuses the whole."""
    terms: list[Term] = []
    for verdict in verdicts:
        if verdict.reason is not None:
            return verdict
        terms.extend(verdict.terms)
    return PatternVerdict(tuple(terms))


def _observation_terms(node: ObservationExpression) -> PatternVerdict:
    if isinstance(node, Observation):
        return _comparison_terms(node.comparison)
    if isinstance(node, ObservationOr):
        return _union(_observation_terms(operand) for operand in node.operands)
    if isinstance(node, ObservationAnd):
        # §9.6: each operand of an observation AND must match a different observation.
        return _refuse(f"AND joins observations; {_SINGLE}")
    if isinstance(node, FollowedBy):
        return _refuse(f"FOLLOWEDBY joins observations; {_SINGLE}")
    # §9.7 qualifiers constrain several observations (REPEATS, WITHIN) or their time window.
    return _refuse(
        f"qualifier {node.qualifier} constrains observations in time or number; {_SINGLE}, "
        "each record on its own"
    )


def _leaf_paths(node: ComparisonExpression) -> list[str]:
    if isinstance(node, Comparison):
        return [render_path(node.object_type, node.path)]
    return [path for operand in node.operands for path in _leaf_paths(operand)]


def _comparison_terms(node: ComparisonExpression) -> PatternVerdict:
    if isinstance(node, Comparison):
        return _single_terms(node)
    if isinstance(node, ComparisonOr):
        return _union(_comparison_terms(operand) for operand in node.operands)
    first = node.operands[0]
    if all(operand == first for operand in node.operands):
        return _comparison_terms(first)  # "a AND a" is "a"
    # §9.6: AND inside an observation requires every comparison to hold for one object.
    return _refuse(
        f"AND across comparisons of one observation ({' AND '.join(_leaf_paths(node))}): "
        "the matcher tests one value at a time, not combinations of properties"
    )


def _single_terms(c: Comparison) -> PatternVerdict:
    where = render_path(c.object_type, c.path)
    if c.operator == "EXISTS":
        return _refuse(f"EXISTS is not evaluated ({c.text})")
    if c.negated or c.operator == "!=":
        op = f"NOT {c.operator}" if c.negated else c.operator
        return _refuse(
            f"negated comparison {op} ({c.text}): the matcher finds values that are present, "
            "not values that are absent"
        )
    if c.operator in ("<", "<=", ">", ">="):
        return _refuse(f"ordering comparison {c.operator} is not evaluated ({c.text})")
    if c.operator == "MATCHES":
        return _refuse(f"MATCHES (regular expression) is not evaluated ({c.text})")
    if c.operator == "ISSUPERSET":
        return _refuse(f"ISSUPERSET is not evaluated ({c.text})")
    kind = _path_kind(c)
    if not isinstance(kind, ValueKind):  # ValueKind is a str too: test for it, not for str
        return _refuse(kind)
    allowed = _OPERATORS.get(kind, _DEFAULT_OPERATORS)
    if c.operator not in allowed:
        return _refuse(
            f"{c.operator} on {where} is not evaluated ({c.text}); the matcher evaluates "
            f"{', '.join(allowed)} there"
        )
    if c.value is None:  # only EXISTS has no literal, and it was refused above
        return _refuse(f"{c.text} has no value to compare")
    literals = c.value if isinstance(c.value, tuple) else (c.value,)
    terms: list[Term] = []
    for literal in literals:
        if literal.kind != "string":
            return _refuse(
                f"{where} compared with the {literal.kind} literal {literal.value} ({c.text}); "
                "its values are strings"
            )
        verdict = _value_term(kind, c, literal.value)
        if verdict.reason is not None:
            return verdict
        terms.extend(verdict.terms)
    return PatternVerdict(tuple(terms))


def _path_kind(c: Comparison) -> ValueKind | str:
    """The kind of value an object path holds, or the reason the matcher does not read it."""
    where = render_path(c.object_type, c.path)
    if c.path == ("value",) and c.object_type in _VALUE_KINDS:
        return _VALUE_KINDS[c.object_type]
    if c.object_type == "file" and len(c.path) == 2 and c.path[0] == "hashes":
        name = c.path[1]
        if isinstance(name, str):
            kind = _HASH_KINDS.get(name.upper().replace("-", ""))
            if kind is not None:
                return kind
            return (
                f"{where}: {name} hashes are not matched; the matcher reads MD5, SHA-1 and SHA-256"
            )
    return f"unsupported object path {where}"


def _value_term(kind: ValueKind, c: Comparison, text: str) -> PatternVerdict:
    """The term for one literal compared with ``=``, ``IN`` (each element), ``ISSUBSET`` or
    ``LIKE``; ``c`` gives the path and operator."""
    where = render_path(c.object_type, c.path)
    if text.strip() in NO_VALUE:
        # A log value "-" or "(empty)" is no value (Zeek's markers), so this term never matches.
        return _refuse(f"{where} {text!r} is a no-value marker in logs and never matches")
    if kind is ValueKind.IP:
        return _ip_term(c.object_type == "ipv6-addr", where, text)
    if kind is ValueKind.DOMAIN:
        return _domain_term(c.operator == "LIKE", where, text)
    if kind is ValueKind.URL:
        url = normalize_url(text)
        if url is None:
            return _refuse(f"{where} {text!r} is not an absolute URL (scheme://host...)")
        return PatternVerdict((Term(kind, TermOp.EQUALS, url),))
    if kind is ValueKind.EMAIL:
        email = normalize_email(text)
        if email is None:
            return _refuse(f"{where} {text!r} is not an email address (one '@', text each side)")
        return PatternVerdict((Term(kind, TermOp.EQUALS, email),))
    digest = normalize_digest(kind, text)
    if digest is None:
        shape = f"{_HEX_DIGITS[kind]} hexadecimal digits" if kind in _HEX_DIGITS else "non-empty"
        return _refuse(f"{where} {text!r} is not a {kind.name} value ({shape})")
    return PatternVerdict((Term(kind, TermOp.EQUALS, digest),))


def _ip_term(v6: bool, where: str, text: str) -> PatternVerdict:
    family, other = ("IPv6", "IPv4") if v6 else ("IPv4", "IPv6")
    address = text.partition("/")[0]
    if (":" in address) != v6:
        # §6.13 and §6.14: ipv4-addr holds IPv4 only, ipv6-addr IPv6 only.
        return _refuse(f"{where} {text!r} is an {other} value; {where} holds {family} only")
    if "/" not in text:
        ip = normalize_ip(text)
        if ip is None:
            return _refuse(f"{where} {text!r} is not an {family} address or CIDR block")
        return PatternVerdict((Term(ValueKind.IP, TermOp.EQUALS, ip),))
    block = normalize_network(text)
    if block is None:
        return _refuse(f"{where} {text!r} is not an {family} address or CIDR block")
    network = ipaddress.ip_network(block)
    if network.prefixlen == network.max_prefixlen:  # a /32 or /128 is one address
        return PatternVerdict((Term(ValueKind.IP, TermOp.EQUALS, str(network.network_address)),))
    return PatternVerdict((Term(ValueKind.IP, TermOp.IN_NETWORK, block),))


def _domain_term(like: bool, where: str, text: str) -> PatternVerdict:
    op = TermOp.EQUALS
    name = text
    if like and ("%" in text or "_" in text):
        # §9.5 LIKE: "%" is any run of characters, "_" one character. Only "%." and a literal
        # name after it (every strict subdomain of that name) is a value set the matcher has.
        rest = text[2:]
        if not text.startswith("%.") or "%" in rest or "_" in rest:
            return _refuse(
                f"LIKE {text!r} on {where} is not evaluated: only '%.' followed by a name "
                "(its strict subdomains), or a name without wildcards, is"
            )
        op, name = TermOp.SUBDOMAIN, rest
    domain = normalize_domain(name)
    if domain is None:
        return _refuse(f"{where} {text!r} is not a domain name")
    return PatternVerdict((Term(ValueKind.DOMAIN, op, domain),))
