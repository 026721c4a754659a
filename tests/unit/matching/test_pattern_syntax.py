"""The STIX 2.1 pattern parser, checked against stix2-patterns' ANTLR parse tree (its twin)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.exceptions import ParseException
from stix2patterns.v21.pattern import Pattern

from entente.errors import InvalidPattern
from entente.matching.pattern_syntax import (
    Comparison,
    ComparisonAnd,
    ComparisonExpression,
    ComparisonOr,
    FollowedBy,
    Literal,
    Observation,
    ObservationAnd,
    ObservationExpression,
    ObservationOr,
    PathStep,
    Qualified,
    parse_pattern,
    render_path,
)

_INVALID = r"not a valid STIX 2\.1 pattern"

# --- the ANTLR tree, read into the same node types ----------------------------------------------


class _Grab:
    """A 'visitor' that hands back the parse tree itself (``Pattern.visit`` is public)."""

    def visit(self, tree: Any) -> Any:
        return tree


def _unquote(token: Any) -> str:
    return str(token.getText())[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _splice(node: type[Any], left: Any, right: Any) -> Any:
    operands: list[Any] = []
    for side in (left, right):
        operands.extend(side.operands if type(side) is node else [side])
    return node(tuple(operands))


def _literal(ctx: Any) -> Literal:
    """A primitiveLiteral or orderableLiteral context as a Literal."""
    if type(ctx).__name__ == "PrimitiveLiteralContext":
        if ctx.BoolLiteral() is not None:
            return Literal("bool", ctx.getText())
        ctx = ctx.orderableLiteral()
    for kind, getter in (
        ("int", "IntPosLiteral"),
        ("int", "IntNegLiteral"),
        ("float", "FloatPosLiteral"),
        ("float", "FloatNegLiteral"),
        ("binary", "BinaryLiteral"),
        ("hex", "HexLiteral"),
        ("timestamp", "TimestampLiteral"),
    ):
        if getattr(ctx, getter)() is not None:
            return Literal(kind, ctx.getText())
    return Literal("string", _unquote(ctx.StringLiteral()))


def _path_steps(ctx: Any) -> list[PathStep]:
    name = type(ctx).__name__
    if name == "PathStepContext":
        return [*_path_steps(ctx.objectPathComponent(0)), *_path_steps(ctx.objectPathComponent(1))]
    if name == "KeyPathStepContext":
        if ctx.StringLiteral() is not None:
            return [_unquote(ctx.StringLiteral())]
        return [ctx.IdentifierWithoutHyphen().getText()]
    if ctx.ASTERISK() is not None:
        return [None]
    return [int((ctx.IntPosLiteral() or ctx.IntNegLiteral()).getText())]


def _object_path(ctx: Any) -> tuple[str, tuple[PathStep, ...]]:
    first = ctx.firstPathComponent()
    steps: list[PathStep] = [
        _unquote(first.StringLiteral()) if first.StringLiteral() is not None else first.getText()
    ]
    if ctx.objectPathComponent() is not None:
        steps.extend(_path_steps(ctx.objectPathComponent()))
    return ctx.objectType().getText(), tuple(steps)


_PROP_OPERATORS = {
    "PropTestLikeContext": "LIKE",
    "PropTestRegexContext": "MATCHES",
    "PropTestIsSubsetContext": "ISSUBSET",
    "PropTestIsSupersetContext": "ISSUPERSET",
}


def _comparison(ctx: Any) -> ComparisonExpression:
    name = type(ctx).__name__
    if name == "ComparisonExpressionContext":
        if ctx.OR() is not None:
            left, right = (_comparison(ctx.comparisonExpression(i)) for i in (0, 1))
            return _splice(ComparisonOr, left, right)  # type: ignore[no-any-return]
        return _comparison(ctx.comparisonExpressionAnd())
    if name == "ComparisonExpressionAndContext":
        if ctx.AND() is not None:
            left, right = (_comparison(ctx.comparisonExpressionAnd(i)) for i in (0, 1))
            return _splice(ComparisonAnd, left, right)  # type: ignore[no-any-return]
        return _comparison(ctx.propTest())
    if name == "PropTestParenContext":
        return _comparison(ctx.comparisonExpression())
    object_type, path = _object_path(ctx.objectPath())
    negated = ctx.NOT() is not None
    text = ""
    if name == "PropTestExistsContext":
        return Comparison(object_type, path, "EXISTS", negated, None, text)
    value: Literal | tuple[Literal, ...]
    if name == "PropTestEqualContext":
        operator = "=" if ctx.EQ() is not None else "!="
        value = _literal(ctx.primitiveLiteral())
    elif name == "PropTestOrderContext":
        operator = next(op.getText() for op in (ctx.GT(), ctx.LT(), ctx.GE(), ctx.LE()) if op)
        value = _literal(ctx.orderableLiteral())
    elif name == "PropTestSetContext":
        operator = "IN"
        value = tuple(_literal(item) for item in ctx.setLiteral().primitiveLiteral())
    else:
        operator = _PROP_OPERATORS[name]
        value = Literal("string", _unquote(ctx.StringLiteral()))
    return Comparison(object_type, path, operator, negated, value, text)


def _observation(ctx: Any) -> ObservationExpression:
    name = type(ctx).__name__
    if name == "PatternContext":
        return _observation(ctx.observationExpressions())
    for rule, keyword, node, lower in (
        ("ObservationExpressionsContext", "FOLLOWEDBY", FollowedBy, "observationExpressionOr"),
        ("ObservationExpressionOrContext", "OR", ObservationOr, "observationExpressionAnd"),
        ("ObservationExpressionAndContext", "AND", ObservationAnd, "observationExpression"),
    ):
        if name == rule:
            if getattr(ctx, keyword)() is not None:
                same = getattr(ctx, rule[0].lower() + rule[1:].removesuffix("Context"))
                left, right = (_observation(same(i)) for i in (0, 1))
                return _splice(node, left, right)  # type: ignore[no-any-return]
            return _observation(getattr(ctx, lower)())
    if name == "ObservationExpressionSimpleContext":
        return Observation(_comparison(ctx.comparisonExpression()))
    if name == "ObservationExpressionCompoundContext":
        return _observation(ctx.observationExpressions())
    inner = _observation(ctx.observationExpression())
    if name == "ObservationExpressionWithinContext":
        q = ctx.withinQualifier()
        number = (q.IntPosLiteral() or q.FloatPosLiteral()).getText()
        return Qualified(inner, f"WITHIN {number} SECONDS")
    if name == "ObservationExpressionRepeatedContext":
        return Qualified(
            inner, f"REPEATS {ctx.repeatedQualifier().IntPosLiteral().getText()} TIMES"
        )
    q = ctx.startStopQualifier()
    start, stop = (q.TimestampLiteral(i).getText() for i in (0, 1))
    return Qualified(inner, f"START {start} STOP {stop}")


def antlr_tree(pattern: str) -> ObservationExpression:
    """``pattern`` parsed by stix2-patterns and read into this module's node types."""
    return _observation(Pattern(pattern).visit(_Grab()))


# --- pattern text generator ----------------------------------------------------------------------
_WS = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u3000", "\xa0", " /* note */ ", " // c\n"])
_PATHS = st.sampled_from(
    [
        "ipv4-addr:value",
        "file:hashes.MD5",
        "file:hashes.'SHA-256'",
        "network-traffic:dst_ref.value",
        "x-custom:'quoted key'.sub[0]",
        "email-message:to_refs[*].value",
        "a:b[-1]",
        "x_y:z[+2].'it\\'s'",
        "file:extensions.'windows-pebinary-ext'.sections[*].entropy",
        "t:h",
        "domain-name:'value'",
    ]
)
_STRINGS = st.sampled_from(["'a'", "'it\\'s'", "'back\\\\slash'", "''", "'%.evil.com'", "'x y'"])
_ORDERABLE = _STRINGS | st.sampled_from(
    [
        "5",
        "-5",
        "+5",
        "0",
        "1.5",
        "-.5",
        "+0.25",
        "h'00ff'",
        "h''",
        "b'AAAA'",
        "b'AAA='",
        "b'AA=='",
        "t'2020-01-01T00:00:00Z'",
        "t'2020-12-31T23:59:60.123Z'",
    ]
)
_PRIMITIVE = _ORDERABLE | st.sampled_from(["true", "false"])
_NOT = st.sampled_from(["", "NOT "])


@st.composite
def _comparison_text(draw: st.DrawFn) -> str:
    path, ws = draw(_PATHS), draw(_WS)
    shape = draw(st.integers(0, 4))
    if shape == 0:
        return f"{draw(_NOT)}EXISTS{ws}{path}"
    if shape == 1:
        op = draw(st.sampled_from(["=", "==", "!=", "<>"]))
        return f"{path}{ws}{draw(_NOT)}{op}{ws}{draw(_PRIMITIVE)}"
    if shape == 2:
        op = draw(st.sampled_from(["<", "<=", ">", ">="]))
        return f"{path}{ws}{draw(_NOT)}{op}{ws}{draw(_ORDERABLE)}"
    if shape == 3:
        items = draw(st.lists(_PRIMITIVE, max_size=3))
        return f"{path}{ws}{draw(_NOT)}IN{ws}({','.join(items)})"
    op = draw(st.sampled_from(["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"]))
    return f"{path}{ws}{draw(_NOT)}{op}{ws}{draw(_STRINGS)}"


def _joined(
    inner: st.SearchStrategy[str], keywords: list[str], brackets: tuple[str, str] = ("(", ")")
) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, _WS, st.sampled_from(keywords), _WS, inner).map("".join),
        inner.map(lambda text: f"{brackets[0]}{text}{brackets[1]}"),
    )


_COMPARISONS = st.recursive(
    _comparison_text(), lambda inner: _joined(inner, ["AND", "OR"]), max_leaves=5
)
_QUALIFIERS = st.sampled_from(
    [
        "WITHIN 5 SECONDS",
        "WITHIN 2.5 SECONDS",
        "REPEATS 3 TIMES",
        "START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00.5Z'",
    ]
)
_OBSERVATIONS = st.recursive(
    _COMPARISONS.map(lambda c: f"[{c}]"),
    lambda inner: (
        _joined(inner, ["AND", "OR", "FOLLOWEDBY"])
        | st.tuples(inner, _WS, _QUALIFIERS).map("".join)
    ),
    max_leaves=5,
)


@settings(max_examples=150, deadline=None)
@given(_OBSERVATIONS)
def test_the_parser_builds_the_tree_the_antlr_grammar_builds(pattern: str) -> None:
    assert parse_pattern(pattern) == antlr_tree(pattern)


@settings(max_examples=150, deadline=None)
@given(_OBSERVATIONS, st.data())
def test_the_parser_rejects_what_the_antlr_grammar_rejects(
    pattern: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(pattern) - 1))
    cut = data.draw(st.integers(1, 3))
    extra = data.draw(st.sampled_from(["", "[", "]", "(", ")", "'", " AND ", ":", ".", "-", "="]))
    mutated = pattern[:at] + extra + pattern[at + cut :]
    try:
        expected: ObservationExpression | None = antlr_tree(mutated)
    except ParseException:
        expected = None
    if expected is None:
        with pytest.raises(InvalidPattern, match=_INVALID):
            parse_pattern(mutated)
    else:
        assert parse_pattern(mutated) == expected


def _eq(path: str, value: str) -> Comparison:
    object_type, _, prop = path.partition(":")
    return Comparison(object_type, (prop,), "=", False, Literal("string", value))


A, B, C = _eq("a:x", "1"), _eq("b:x", "2"), _eq("c:x", "3")


@pytest.mark.parametrize(
    ("pattern", "tree"),
    [
        ("[a:x='1']", Observation(A)),
        (
            "[a:x = '1' OR b:x = '2' AND c:x = '3']",
            Observation(ComparisonOr((A, ComparisonAnd((B, C))))),
        ),
        (
            "[(a:x = '1' OR b:x = '2') AND c:x = '3']",
            Observation(ComparisonAnd((ComparisonOr((A, B)), C))),
        ),
        ("[a:x = '1' OR (b:x = '2' OR c:x = '3')]", Observation(ComparisonOr((A, B, C)))),
        (
            "[a:x='1'] OR [b:x='2'] AND [c:x='3']",
            ObservationOr((Observation(A), ObservationAnd((Observation(B), Observation(C))))),
        ),
        (
            "[a:x='1'] FOLLOWEDBY [b:x='2'] OR [c:x='3']",
            FollowedBy((Observation(A), ObservationOr((Observation(B), Observation(C))))),
        ),
        (
            "([a:x='1'] OR [b:x='2']) WITHIN 5 SECONDS",
            Qualified(ObservationOr((Observation(A), Observation(B))), "WITHIN 5 SECONDS"),
        ),
        (
            "[a:x='1'] OR [b:x='2'] REPEATS 2 TIMES",
            ObservationOr((Observation(A), Qualified(Observation(B), "REPEATS 2 TIMES"))),
        ),
    ],
)
def test_operators_bind_as_the_grammar_says(pattern: str, tree: ObservationExpression) -> None:
    assert parse_pattern(pattern) == tree


def test_a_comparison_keeps_its_text_and_reads_escapes_and_aliases() -> None:
    tree = parse_pattern("[ file:hashes.'SHA-256' == 'it\\'s'  ] ")
    assert tree == Observation(
        Comparison("file", ("hashes", "SHA-256"), "=", False, Literal("string", "it's"))
    )
    assert isinstance(tree, Observation) and isinstance(tree.comparison, Comparison)
    assert tree.comparison.text == "file:hashes.'SHA-256' == 'it\\'s'"
    assert parse_pattern("[a:x <> 5]") == Observation(
        Comparison("a", ("x",), "!=", False, Literal("int", "5"))
    )
    assert parse_pattern("[a:x NOT IN ()]") == Observation(Comparison("a", ("x",), "IN", True, ()))


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "[]",
        "[a:x = '1'",
        "a:x = '1'",
        "[a:x = '1'] AND",
        "[a:x = '1' AND]",
        "[a:x LIKE 5]",
        "[a:x < true]",
        "[a:x-y = '1']",
        "[a:x = 'unterminated]",
        "[a:x = '1'] WITHIN -5 SECONDS",
        "[a:x = '1'] REPEATS 1.5 TIMES",
        "[a:x = '1'] START t'2020-01-01T00:00:00Z'",
        "[AND:x = '1']",
        "[a:x = '1'] # comment",
    ],
)
def test_syntax_errors_raise_invalid_pattern(pattern: str) -> None:
    with pytest.raises(InvalidPattern, match=_INVALID):
        parse_pattern(pattern)
    with pytest.raises(ParseException):
        antlr_tree(pattern)


@pytest.mark.parametrize(
    ("object_type", "path", "text"),
    [
        ("ipv4-addr", ("value",), "ipv4-addr:value"),
        ("file", ("hashes", "SHA-256"), "file:hashes.'SHA-256'"),
        ("x", ("refs", None, "value", 2), "x:refs[*].value[2]"),
        ("x", ("it's", "AND"), "x:'it\\'s'.'AND'"),
    ],
)
def test_render_path(object_type: str, path: tuple[PathStep, ...], text: str) -> None:
    assert render_path(object_type, path) == text
    tree = parse_pattern(f"[{text} = 'v']")
    assert isinstance(tree, Observation) and isinstance(tree.comparison, Comparison)
    assert tree.comparison.path == path
