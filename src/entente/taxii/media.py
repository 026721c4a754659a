"""TAXII 2.1 content negotiation (§1.6.8): the Accept header and POST Content-Type checks."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "STIX_MEDIA_TYPE",
    "TAXII_MEDIA_TYPE",
    "MediaRange",
    "is_acceptable_content_type",
    "negotiate",
    "parse_accept",
]

# §1.6.8.1 / §1.6.8.2: the TAXII media type with the version parameter of this specification.
TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"

# RFC 9110 §5.6.2 token characters.
_TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
_QVALUE_RE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One parsed media range: lower-cased type, subtype, parameters, and weight ``q``."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float = 1.0

    def specificity(self) -> tuple[int, int]:
        """RFC 9110 §12.5.1 precedence: type/subtype;params > type/subtype > type/* > */*."""
        if self.type == "*":
            level = 0
        elif self.subtype == "*":
            level = 1
        else:
            level = 2
        return level, len(self.params)

    def matches(self, offered: MediaRange) -> bool:
        """Whether this range covers the concrete ``offered`` media type."""
        if self.type not in ("*", offered.type) or self.subtype not in ("*", offered.subtype):
            return False
        have = dict(offered.params)
        # A range without a parameter matches any value of it: "application/taxii+json" with no
        # version means "the latest version the server supports" (§1.6.8.2), which is 2.1.
        return all(have.get(name) == value for name, value in self.params)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split on ``separator`` except inside RFC 9110 quoted-strings (§5.6.4)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str | None:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value if _TOKEN_RE.fullmatch(value) else None


def _parse_range(text: str, *, weighted: bool) -> MediaRange | None:
    """Parse one media range (RFC 9110 §12.5.1) or media type (§8.3.1); ``None`` if malformed."""
    head, *rest = _split_outside_quotes(text, ";")
    full = head.strip().lower()
    kind, slash, sub = full.partition("/")
    if not slash or not _TOKEN_RE.fullmatch(kind) or not _TOKEN_RE.fullmatch(sub):
        return None
    if kind == "*" and sub != "*":
        return None
    params: list[tuple[str, str]] = []
    q = 1.0
    for raw in rest:
        if not raw.strip():
            continue  # tolerate "a/b;;c=d" and a trailing ";"
        name, equals, value = raw.strip().partition("=")
        name = name.strip().lower()
        plain = _unquote(value.strip())
        if not equals or not _TOKEN_RE.fullmatch(name) or plain is None:
            return None
        if weighted and name == "q":
            if not _QVALUE_RE.fullmatch(plain):
                return None
            q = float(plain)
            continue
        # Parameter values are compared case-insensitively: "version" and "charset" both are.
        params.append((name, plain.lower()))
    return MediaRange(kind, sub, tuple(sorted(params)), q)


def parse_accept(header: str) -> tuple[MediaRange, ...]:
    """The well-formed media ranges of an Accept header; malformed members are skipped."""
    ranges = []
    for member in _split_outside_quotes(header, ","):
        if member.strip():
            parsed = _parse_range(member, weighted=True)
            if parsed is not None:
                ranges.append(parsed)
    return tuple(ranges)


def negotiate(accept_header: str | None, offered: str) -> str | None:
    """The media type to answer with (``offered``), or ``None`` for HTTP 406 Not Acceptable."""
    target = _parse_range(offered, weighted=False)
    if target is None or "*" in (target.type, target.subtype):
        raise ValueError(f"{offered!r} is not a concrete media type")
    # RFC 9110 §12.5.1: no Accept field means any media type is acceptable. An empty value is
    # treated the same (TAXII §3.1 makes clients send one, but refusing gains nothing).
    if accept_header is None or not accept_header.strip():
        return offered
    best: MediaRange | None = None
    for candidate in parse_accept(accept_header):
        if not candidate.matches(target):
            continue
        # The most specific matching range decides the weight; among equally specific ones the
        # highest weight wins. "q=0" means "not acceptable" (RFC 9110 §12.4.2).
        if best is None or (candidate.specificity(), candidate.q) > (best.specificity(), best.q):
            best = candidate
    if best is None or best.q <= 0:
        return None
    return offered


def is_acceptable_content_type(content_type: str | None, expected: str) -> bool:
    """Whether a POST body's Content-Type is ``expected`` (TAXII 2.1 §3.1, §5.5 → else 415)."""
    want = _parse_range(expected, weighted=False)
    if want is None:
        raise ValueError(f"{expected!r} is not a media type")
    if content_type is None or not content_type.strip() or "," in content_type:
        return False
    got = _parse_range(content_type, weighted=False)
    if got is None or (got.type, got.subtype) != (want.type, want.subtype):
        return False
    params = dict(got.params)
    wanted = dict(want.params)
    # §1.6.8.2: no version parameter means the latest version, 2.1; any other version is not.
    if "version" in params and params["version"] != wanted.get("version", params["version"]):
        return False
    # §1.6.7: TAXII is serialised as UTF-8 JSON, so the only acceptable charset is UTF-8.
    return params.get("charset", "utf-8") == "utf-8"
