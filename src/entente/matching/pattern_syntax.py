"""STIX 2.1 patterning syntax (§9): a small recursive-descent parser into an expression tree.

The grammar is the normative ANTLR grammar that stix2-patterns ships (``STIXPattern.g4``);
this parser builds the same structure about eight times faster, which matters when a whole
indicator set is compiled. It checks syntax only: semantic checks (hash lengths, timestamp
ranges, ...) stay with ``entente.stix.patterns.validate_pattern``, which callers run first.

Operators bind as in the grammar: ``FOLLOWEDBY`` loosest, then ``OR``, then ``AND``, each
left-associative; qualifiers bind tighter than any operator. Chains of one associative operator
are flattened (``a AND b AND c`` is one node with three operands) and parentheses leave no node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NoReturn

from entente.errors import InvalidPattern

__all__ = [
    "Comparison",
    "ComparisonAnd",
    "ComparisonExpression",
    "ComparisonOr",
    "FollowedBy",
    "Literal",
    "Observation",
    "ObservationAnd",
    "ObservationExpression",
    "ObservationOr",
    "PathStep",
    "Qualified",
    "parse_pattern",
    "render_path",
]


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant (§9.2): ``kind`` is string, int, float, bool, binary, hex or timestamp.

    ``value`` is the unescaped content for a string (``'it\\'s'`` -> ``it's``) and the text as
    written for every other kind (``h'ff'``, ``t'2020-01-01T00:00:00Z'``, ``-3``, ``true``).
    """

    kind: str
    value: str


# A path step (§9.4): a property name, a list index, or None for the "[*]" wildcard index.
PathStep = str | int | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison expression (§9.5) inside an observation.

    ``operator`` is one of ``= != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET EXISTS``
    (``==`` is read as ``=`` and ``<>`` as ``!=``); ``negated`` is a leading ``NOT``;
    ``value`` is a literal, a tuple of literals for ``IN``, or ``None`` for ``EXISTS``.
    ``text`` is the comparison as written (for messages; not part of equality).
    """

    object_type: str
    path: tuple[PathStep, ...]
    operator: str
    negated: bool
    value: Literal | tuple[Literal, ...] | None
    text: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ComparisonAnd:
    """Comparisons joined by ``AND``: all must hold for one observed object (§9.6)."""

    operands: tuple[ComparisonExpression, ...]


@dataclass(frozen=True, slots=True)
class ComparisonOr:
    """Comparisons joined by ``OR``: one must hold (§9.6)."""

    operands: tuple[ComparisonExpression, ...]


ComparisonExpression = Comparison | ComparisonAnd | ComparisonOr


@dataclass(frozen=True, slots=True)
class Observation:
    """An observation expression ``[ ... ]`` (§9.6)."""

    comparison: ComparisonExpression


@dataclass(frozen=True, slots=True)
class ObservationAnd:
    """Observation expressions joined by ``AND``: each matched by a different observation."""

    operands: tuple[ObservationExpression, ...]


@dataclass(frozen=True, slots=True)
class ObservationOr:
    """Observation expressions joined by ``OR``."""

    operands: tuple[ObservationExpression, ...]


@dataclass(frozen=True, slots=True)
class FollowedBy:
    """Observation expressions joined by ``FOLLOWEDBY``: matched in this order in time."""

    operands: tuple[ObservationExpression, ...]


@dataclass(frozen=True, slots=True)
class Qualified:
    """An observation expression with a qualifier (§9.7): ``qualifier`` is its normalised text,
    ``WITHIN 300 SECONDS``, ``REPEATS 5 TIMES`` or ``START t'...' STOP t'...'``."""

    observation: ObservationExpression
    qualifier: str


ObservationExpression = Observation | ObservationAnd | ObservationOr | FollowedBy | Qualified

# --- lexer ------------------------------------------------------------------------------------
# Token rules of STIXPattern.g4. ANTLR takes the longest match and, on a tie, the rule defined
# first; alternatives are ordered so that Python's leftmost-alternative regex gives the same
# token (a timestamp, hex or binary literal before the identifier "t", "h" or "b"; a float
# before an int; "==" before "=").
_WS_CHARS = (
    " \t\r\n\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_B64 = "[A-Za-z0-9+/]"
_TOKEN_RE = re.compile(
    rf"(?P<skip>[{_WS_CHARS}]+|/\*.*?\*/|//[^\r\n]*)"
    r"|(?P<timestamp>t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z')"
    r"|(?P<hex>h'(?:[A-Fa-f0-9]{2})*')"
    rf"|(?P<binary>b'(?:{_B64}{{4}})*(?:{_B64}{{4}}|{_B64}{{3}}=|{_B64}{{2}}==)')"
    r"|(?P<string>'(?:[^'\\]|\\['\\])*')"
    r"|(?P<float>[+-]?[0-9]*\.[0-9]+)"
    r"|(?P<int>[+-]?(?:0|[1-9][0-9]*))"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<op>==|!=|<>|<=|>=|[=<>()\[\],:.*])",
    re.DOTALL,
)
_KEYWORDS = frozenset(
    {
        "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS",
        "LAST", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS", "TIMES",
    }
)  # fmt: skip
_IDENT_WITHOUT_HYPHEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS: Mapping[str, str] = MappingProxyType(
    {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
)
# §9.2 literal kinds; booleans are not orderable (the grammar's orderableLiteral).
_ORDERABLE_KINDS = frozenset({"string", "int", "float", "hex", "binary", "timestamp"})
_LITERAL_KINDS = _ORDERABLE_KINDS | {"bool"}
_STRING_OPERATORS = frozenset({"LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # a _TOKEN_RE group name, "keyword", "bool" or "end"
    text: str
    start: int
    end: int


def _tokens(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(pattern):
        m = _TOKEN_RE.match(pattern, pos)
        if m is None:
            raise InvalidPattern(
                f"is not a valid STIX 2.1 pattern (§9): unexpected {pattern[pos]!r} at {pos}",
                "pattern",
            )
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "word":
            if text in _KEYWORDS:
                kind = "keyword"
            elif text in ("true", "false"):
                kind = "bool"
        if kind != "skip":
            tokens.append(_Token(kind, text, m.start(), m.end()))
        pos = m.end()
    tokens.append(_Token("end", "", len(pattern), len(pattern)))
    return tokens


def _unquote(literal: str) -> str:
    # §9.2: inside a string literal only \' and \\ are escapes.
    return re.sub(r"\\(['\\])", r"\1", literal[1:-1])


# --- parser -----------------------------------------------------------------------------------
class _Parser:
    """Recursive descent over the token list, one method per grammar rule."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.tokens = _tokens(pattern)
        self.pos = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.tokens[self.pos]
        return token.kind == kind and (text is None or token.text == text)

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str, text: str | None = None) -> _Token:
        if not self.at(kind, text):
            self.fail(text if text is not None else kind)
        return self.take()

    def fail(self, wanted: str) -> NoReturn:
        token = self.peek()
        found = repr(token.text) if token.kind != "end" else "the end"
        raise InvalidPattern(
            f"is not a valid STIX 2.1 pattern (§9): expected {wanted} at {token.start}, "
            f"found {found}",
            "pattern",
        )

    def pattern_rule(self) -> ObservationExpression:
        tree = self.observation_expressions()
        self.expect("end")
        return tree

    def observation_expressions(self) -> ObservationExpression:
        operands = [self.observation_or()]
        while self.at("keyword", "FOLLOWEDBY"):
            self.take()
            operands.append(self.observation_or())
        return _join_observations(FollowedBy, operands)

    def observation_or(self) -> ObservationExpression:
        operands = [self.observation_and()]
        while self.at("keyword", "OR"):
            self.take()
            operands.append(self.observation_and())
        return _join_observations(ObservationOr, operands)

    def observation_and(self) -> ObservationExpression:
        operands = [self.observation()]
        while self.at("keyword", "AND"):
            self.take()
            operands.append(self.observation())
        return _join_observations(ObservationAnd, operands)

    def observation(self) -> ObservationExpression:
        tree: ObservationExpression
        if self.at("op", "["):
            self.take()
            tree = Observation(self.comparison_or())
            self.expect("op", "]")
        else:
            self.expect("op", "(")
            tree = self.observation_expressions()
            self.expect("op", ")")
        while True:
            if self.at("keyword", "WITHIN"):
                self.take()
                if not (self.at("int") or self.at("float")) or self.peek().text.startswith("-"):
                    self.fail("a positive number")
                number = self.take().text
                self.expect("keyword", "SECONDS")
                tree = Qualified(tree, f"WITHIN {number} SECONDS")
            elif self.at("keyword", "REPEATS"):
                self.take()
                if self.peek().text.startswith("-"):
                    self.fail("a positive integer")
                count = self.expect("int").text
                self.expect("keyword", "TIMES")
                tree = Qualified(tree, f"REPEATS {count} TIMES")
            elif self.at("keyword", "START"):
                self.take()
                start = self.expect("timestamp").text
                self.expect("keyword", "STOP")
                stop = self.expect("timestamp").text
                tree = Qualified(tree, f"START {start} STOP {stop}")
            else:
                return tree

    def comparison_or(self) -> ComparisonExpression:
        operands = [self.comparison_and()]
        while self.at("keyword", "OR"):
            self.take()
            operands.append(self.comparison_and())
        return _join_comparisons(ComparisonOr, operands)

    def comparison_and(self) -> ComparisonExpression:
        operands = [self.prop_test()]
        while self.at("keyword", "AND"):
            self.take()
            operands.append(self.prop_test())
        return _join_comparisons(ComparisonAnd, operands)

    def prop_test(self) -> ComparisonExpression:
        start = self.peek().start
        if self.at("op", "("):
            self.take()
            inner = self.comparison_or()
            self.expect("op", ")")
            return inner
        following = self.tokens[self.pos + 1] if self.at("keyword", "NOT") else self.peek()
        if following.kind == "keyword" and following.text == "EXISTS":
            # STIX 2.1 grammar: NOT? EXISTS objectPath
            negated = self.at("keyword", "NOT")
            if negated:
                self.take()
            self.take()
            object_type, path = self.object_path()
            text = self.pattern[start : self.tokens[self.pos - 1].end]
            return Comparison(object_type, path, "EXISTS", negated, None, text)
        object_type, path = self.object_path()
        negated = self.at("keyword", "NOT")
        if negated:
            self.take()
        token = self.peek()
        value: Literal | tuple[Literal, ...]
        if token.kind == "op" and token.text in _OPERATORS:
            operator = _OPERATORS[self.take().text]
            value = self.literal(allow_bool=operator in ("=", "!="))
        elif token.kind == "keyword" and token.text == "IN":
            operator = self.take().text
            value = self.set_literal()
        elif token.kind == "keyword" and token.text in _STRING_OPERATORS:
            operator = self.take().text
            value = Literal("string", _unquote(self.expect("string").text))
        else:
            self.fail("a comparison operator")
        text = self.pattern[start : self.tokens[self.pos - 1].end]
        return Comparison(object_type, path, operator, negated, value, text)

    def object_path(self) -> tuple[str, tuple[PathStep, ...]]:
        object_type = self.expect("word").text
        self.expect("op", ":")
        path: list[PathStep] = [self.property_name()]
        while True:
            if self.at("op", "."):
                self.take()
                path.append(self.property_name())
            elif self.at("op", "["):
                self.take()
                if self.at("op", "*"):
                    self.take()
                    path.append(None)
                else:
                    path.append(int(self.expect("int").text))
                self.expect("op", "]")
            else:
                return object_type, tuple(path)

    def property_name(self) -> str:
        # §9.4: a property name is an identifier without hyphens, or a quoted string.
        if self.at("string"):
            return _unquote(self.take().text)
        token = self.expect("word")
        if _IDENT_WITHOUT_HYPHEN.fullmatch(token.text) is None:
            self.pos -= 1
            self.fail("a property name without '-' (quote it)")
        return token.text

    def literal(self, *, allow_bool: bool) -> Literal:
        token = self.peek()
        kinds = _LITERAL_KINDS if allow_bool else _ORDERABLE_KINDS
        if token.kind not in kinds:
            self.fail("a literal")
        self.take()
        text = _unquote(token.text) if token.kind == "string" else token.text
        return Literal(token.kind, text)

    def set_literal(self) -> tuple[Literal, ...]:
        self.expect("op", "(")
        items: list[Literal] = []
        if not self.at("op", ")"):
            items.append(self.literal(allow_bool=True))
            while self.at("op", ","):
                self.take()
                items.append(self.literal(allow_bool=True))
        self.expect("op", ")")
        return tuple(items)


# Chains of one operator are spliced into one node: the operators are associative, and a flat
# tree is what the compiler and the tests compare.
def _join_observations(
    node: type[ObservationAnd] | type[ObservationOr] | type[FollowedBy],
    operands: list[ObservationExpression],
) -> ObservationExpression:
    if len(operands) == 1:
        return operands[0]
    flat: list[ObservationExpression] = []
    for operand in operands:
        if isinstance(operand, node):
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return node(tuple(flat))


def _join_comparisons(
    node: type[ComparisonAnd] | type[ComparisonOr], operands: list[ComparisonExpression]
) -> ComparisonExpression:
    if len(operands) == 1:
        return operands[0]
    flat: list[ComparisonExpression] = []
    for operand in operands:
        if isinstance(operand, node):
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return node(tuple(flat))


def parse_pattern(pattern: str) -> ObservationExpression:
    """Parse a STIX 2.1 pattern (§9) into its expression tree; raise ``InvalidPattern`` on a
    syntax error."""
    return _Parser(pattern).pattern_rule()


def render_path(object_type: str, path: tuple[PathStep, ...]) -> str:
    """An object path as STIX writes it (§9.4): ``file:hashes.'SHA-256'``, ``x:refs[*].value``."""
    parts = [object_type, ":"]
    for i, step in enumerate(path):
        if step is None:
            parts.append("[*]")
        elif isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            if i:
                parts.append(".")
            if _IDENT_WITHOUT_HYPHEN.fullmatch(step) and step not in _KEYWORDS:
                parts.append(step)
            else:
                parts.append("'" + step.replace("\\", "\\\\").replace("'", "\\'") + "'")
    return "".join(parts)
