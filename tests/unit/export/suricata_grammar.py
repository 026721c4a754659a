"""A strict reader of the Suricata rules Entente writes, and the checks they must pass.

The grammar is Suricata's (docs, "Rules format"): ``action proto src sport dir dst dport
(options)``, each option ``name;`` or ``name:value;``, a value ending at the first ``;`` not
escaped by ``\\`` (Suricata splits options that way, quotes or not). The reader is stricter
than Suricata where Entente has a rule of its own: only the keywords Entente uses, content and
msg escapes limited to ``\\"``, ``\\;``, ``\\\\`` and ``\\:``, addresses that are IPs, CIDR
blocks (host bits clear), lists of them, ``any`` or ``$VARIABLES``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

ACTIONS = frozenset({"alert", "drop", "reject", "pass"})
PROTOCOLS = frozenset({"ip", "tcp", "udp", "dns", "tls", "http", "smtp", "ftp-data", "smb", "nfs"})
STICKY_BUFFERS = frozenset(
    {"dns.query", "tls.sni", "http.host", "http.uri.raw", "ja3.hash", "ja3s.hash"}
)
TRANSFORMS = frozenset({"to_lowercase", "pcrexform"})
CONTENT_MODIFIERS = frozenset({"nocase", "startswith", "endswith"})
OTHER_OPTIONS = frozenset(
    {"msg", "classtype", "priority", "sid", "rev", "metadata", "dataset"}
    | {"filemd5", "filesha1", "filesha256"}
)
KNOWN = STICKY_BUFFERS | TRANSFORMS | CONTENT_MODIFIERS | OTHER_OPTIONS | {"content"}
_HEADER_RE = re.compile(
    r"(?P<action>[a-z]+) (?P<proto>[a-z0-9-]+) (?P<src>\S+) (?P<sport>\S+) (?P<dir>->|<>) "
    r"(?P<dst>\S+) (?P<dport>\S+) \((?P<options>.*)\)"
)
_NAME_RE = re.compile(r"[a-z0-9_.]+")
_VARIABLE_RE = re.compile(r"\$[A-Z_]+")
_STRICT_ESCAPES = frozenset('";\\:')
MAX_RULE_LENGTH = 8191  # DETECT_MAX_RULE_SIZE (8192) with its terminating NUL


class RuleSyntaxError(ValueError):
    """A rule line that the grammar (or one of Entente's checks) refuses."""


@dataclass(frozen=True)
class Rule:
    """One parsed rule: its header fields and its options in order, values as written."""

    line: str
    action: str
    proto: str
    src: str
    sport: str
    direction: str
    dst: str
    dport: str
    options: tuple[tuple[str, str | None], ...]

    def values(self, name: str) -> list[str | None]:
        """The values of every ``name`` option, in order."""
        return [value for key, value in self.options if key == name]

    def one(self, name: str) -> str:
        """The value of the one ``name`` option (an error unless there is exactly one)."""
        values = self.values(name)
        if len(values) != 1 or values[0] is None:
            raise RuleSyntaxError(f"{name} must appear once with a value: {self.line}")
        return values[0]

    @property
    def sid(self) -> int:
        return int(self.one("sid"))

    @property
    def rev(self) -> int:
        return int(self.one("rev"))

    @property
    def msg(self) -> str:
        return unquote(self.one("msg")).decode("ascii")

    @property
    def metadata(self) -> dict[str, str]:
        pairs = {}
        for entry in self.one("metadata").split(","):
            key, _, value = entry.strip().partition(" ")
            pairs[key] = value
        return pairs

    def chain(self) -> list[tuple[str, str | None]]:
        """The detection options (sticky buffers, transforms, content and its modifiers,
        dataset and file keywords) in order, content decoded to text."""
        chain: list[tuple[str, str | None]] = []
        for key, value in self.options:
            if key in OTHER_OPTIONS - {"dataset", "filemd5", "filesha1", "filesha256"}:
                continue
            if key == "content" and value is not None:
                chain.append((key, decode_content(value).decode("utf-8")))
            else:
                chain.append((key, value))
        return chain


def _split_options(text: str, line: str) -> tuple[tuple[str, str | None], ...]:
    options: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] == " ":
            i += 1
        if i == n:
            break
        m = _NAME_RE.match(text, i)
        if m is None:
            raise RuleSyntaxError(f"bad option name at {text[i : i + 20]!r}: {line}")
        name, i = m.group(), m.end()
        if i < n and text[i] == ";":
            options.append((name, None))
            i += 1
            continue
        if i >= n or text[i] != ":":
            raise RuleSyntaxError(f"option {name} is not followed by ';' or ':': {line}")
        i += 1
        start, quoted = i, False
        while i < n and text[i] != ";":
            char = text[i]
            if char == "\\":
                i += 2
                continue
            if char == '"':
                quoted = not quoted
            i += 1
        if i >= n:
            raise RuleSyntaxError(f"option {name} does not end with ';': {line}")
        if quoted:
            raise RuleSyntaxError(f"an unescaped ';' inside the quotes of {name}: {line}")
        options.append((name, text[start:i].strip()))
        i += 1
    return tuple(options)


def parse_rule(line: str) -> Rule:
    """Parse one rule line (without its line break)."""
    m = _HEADER_RE.fullmatch(line)
    if m is None:
        raise RuleSyntaxError(f"not action proto src sport dir dst dport (options): {line}")
    rule = Rule(
        line=line,
        action=m["action"],
        proto=m["proto"],
        src=m["src"],
        sport=m["sport"],
        direction=m["dir"],
        dst=m["dst"],
        dport=m["dport"],
        options=_split_options(m["options"], line),
    )
    _check(rule)
    return rule


def parse_rules(text: str) -> list[Rule]:
    """Every rule of a rules file; comment and blank lines skipped."""
    return [
        parse_rule(line)
        for line in text.split("\n")
        if line.strip() and not line.lstrip().startswith("#")
    ]


def unquote(value: str) -> bytes:
    """A quoted ``msg`` or ``content`` value's text with Suricata's escapes undone; only the
    four escapes Suricata documents are accepted."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        raise RuleSyntaxError(f"not a quoted string: {value!r}")
    out = bytearray()
    i, inner = 0, value[1:-1]
    while i < len(inner):
        char = inner[i]
        if char == "\\":
            if i + 1 >= len(inner) or inner[i + 1] not in _STRICT_ESCAPES:
                raise RuleSyntaxError(f"unsupported escape in {value!r}")
            out += inner[i + 1].encode("ascii")
            i += 2
            continue
        if char in '";':
            raise RuleSyntaxError(f"unescaped {char!r} in {value!r}")
        out += char.encode("utf-8")
        i += 1
    return bytes(out)


def decode_content(value: str) -> bytes:
    """A ``content`` value as the bytes it matches: escapes undone, ``|HH HH|`` as bytes."""
    text = unquote(value)
    out = bytearray()
    parts = text.split(b"|")
    if len(parts) % 2 == 0:
        raise RuleSyntaxError(f"unbalanced '|' in content {value!r}")
    for index, part in enumerate(parts):
        if index % 2 == 0:
            if b":" in part:  # Suricata docs: ':' must be written as |3A| in content
                raise RuleSyntaxError(f"raw ':' in content {value!r}")
            out += part
            continue
        pairs = part.split(b" ")
        if not part or any(re.fullmatch(rb"[0-9A-Fa-f]{2}", pair) is None for pair in pairs):
            raise RuleSyntaxError(f"bad hex in content {value!r}")
        out += bytes(int(pair, 16) for pair in pairs)
    return bytes(out)


def _address(text: str) -> None:
    if text == "any" or _VARIABLE_RE.fullmatch(text):
        return
    if text.startswith("[") and text.endswith("]"):
        entries = text[1:-1].split(",")
        if not entries or "" in entries:
            raise RuleSyntaxError(f"empty entry in address list {text[:80]!r}")
        for entry in entries:
            _address(entry.removeprefix("!"))
        return
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=True)
        else:
            ipaddress.ip_address(text)
    except ValueError as exc:
        raise RuleSyntaxError(f"not an address, block, list or variable: {text!r}") from exc


def _port(text: str) -> None:
    if text == "any":
        return
    if not text.isdigit() or not 0 < int(text) <= 65535:
        raise RuleSyntaxError(f"not a port: {text!r}")


def _check(rule: Rule) -> None:
    """Entente's own checks on one rule (beyond the grammar)."""
    if len(rule.line) + 1 > MAX_RULE_LENGTH:
        raise RuleSyntaxError(f"rule over {MAX_RULE_LENGTH} bytes")
    if rule.action not in ACTIONS or rule.proto not in PROTOCOLS:
        raise RuleSyntaxError(f"unknown action or protocol: {rule.line}")
    _address(rule.src)
    _address(rule.dst)
    _port(rule.sport)
    _port(rule.dport)
    for name, _ in rule.options:
        if name not in KNOWN:
            raise RuleSyntaxError(f"unknown keyword {name}: {rule.line}")
    if rule.options[0][0] != "msg":
        raise RuleSyntaxError(f"msg must come first: {rule.line}")
    _ = rule.msg  # decodes, with only Suricata's escapes
    if not 1 <= rule.sid <= 2**32 - 1 or not 1 <= rule.rev <= 2**32 - 1:
        raise RuleSyntaxError(f"sid and rev must be 1 .. 2**32-1: {rule.line}")
    rule.one("classtype")
    _ = rule.metadata
    buffer: str | None = None
    last: str | None = None
    for name, value in rule.options:
        if name in STICKY_BUFFERS:
            if value is not None:
                raise RuleSyntaxError(f"sticky buffer {name} takes no value")
            buffer = name
        elif name in TRANSFORMS:
            if buffer is None:
                raise RuleSyntaxError(f"transform {name} without a sticky buffer")
            if name == "pcrexform" and (value is None or not value.startswith('"')):
                raise RuleSyntaxError("pcrexform needs a quoted regex")
        elif name == "content":
            if value is None:
                raise RuleSyntaxError("content needs a value")
            content = decode_content(value)
            if not content:
                raise RuleSyntaxError("empty content")
            if buffer == "http.host" and content.lower() != content:
                raise RuleSyntaxError("http.host content must be lower-case")
        elif name in CONTENT_MODIFIERS:
            if last not in ("content", *CONTENT_MODIFIERS) or value is not None:
                raise RuleSyntaxError(f"{name} must follow a content: {rule.line}")
            if name == "nocase" and buffer == "http.host":
                raise RuleSyntaxError("Suricata forbids nocase with http.host")
        elif name == "dataset":
            if buffer is None or value is None:
                raise RuleSyntaxError("dataset needs a sticky buffer and a value")
            parts = [part.strip() for part in value.split(",")]
            if parts[0] != "isset" or "type string" not in parts:
                raise RuleSyntaxError(f"unexpected dataset options {value!r}")
        last = name


def check_rules(rules: Iterable[Rule]) -> None:
    """Checks across rules: sids unique."""
    seen: dict[int, str] = {}
    for rule in rules:
        if rule.sid in seen:
            raise RuleSyntaxError(f"sid {rule.sid} used twice:\n{seen[rule.sid]}\n{rule.line}")
        seen[rule.sid] = rule.line
