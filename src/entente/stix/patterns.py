"""STIX 2.1 pattern validation (§9): a fast recogniser for simple patterns over stix2-patterns."""

from __future__ import annotations

import re

from stix2patterns.v21.object_validator import HASHES_REGEX

from entente.errors import InvalidPattern

__all__ = ["validate_pattern", "validate_pattern_reference"]

# The fast path below accepts only a strict subset of the §9 grammar, chosen so that every
# pattern it accepts is also accepted by stix2-patterns (the reference). Anything else, and any
# rejection, is handed to the reference, so both functions always give the same verdict.
#
# Subset: observation expressions "[ comparison (AND|OR comparison)* ]" joined by AND, OR or
# FOLLOWEDBY; comparisons "type:path op literal" with op in = != < <= > >= IN NOT IN LIKE
# ISSUBSET ISSUPERSET; literals strings, ints, floats, booleans. No qualifiers, parentheses,
# MATCHES, EXISTS, comments, t''/h''/b'' literals; whitespace is ASCII space/tab/CR/LF and is
# required around the AND/OR/FOLLOWEDBY keywords.

# §9.1: keywords are upper case; "true"/"false" are boolean literal tokens. An identifier equal
# to one of these lexes as the keyword, so the fast path leaves such paths to the reference.
_KEYWORD = (
    r"(?:AND|OR|NOT|FOLLOWEDBY|LIKE|MATCHES|ISSUPERSET|ISSUBSET|EXISTS|LAST|IN|START|STOP"
    r"|SECONDS|WITHIN|REPEATS|TIMES|true|false)"
)
_WS = r"[ \t\r\n]*+"
_STR = r"'(?:[^'\\]++|\\['\\])*+'"
_IDENT = rf"(?!{_KEYWORD}(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]*+"
_TYPE = rf"(?!{_KEYWORD}(?![A-Za-z0-9_-]))[a-z][a-z0-9]*+(?:-[a-z0-9]++)*+(?![A-Za-z0-9_-])"
_STEP = rf"(?:\.(?:{_IDENT}|{_STR})|\[(?:\*|0|[1-9][0-9]*+)\])"
_NUM = r"-?(?:[0-9]++\.[0-9]++|0|[1-9][0-9]*+)(?![0-9A-Za-z_.'])"
_BOOL = r"(?:true|false)(?![A-Za-z0-9_])"
_PRIM = rf"(?:{_STR}|{_NUM}|{_BOOL})"
_SET = rf"\({_WS}(?:{_PRIM}(?:{_WS},{_WS}{_PRIM})*+{_WS})?\)"
_KW_END = r"(?![A-Za-z0-9_])"

_COMPARISON = re.compile(
    rf"(?P<path>{_TYPE}:(?:{_IDENT}|{_STR}){_STEP}*+){_WS}"
    rf"(?:(?P<eq>!?=){_WS}(?P<eqv>{_PRIM})"
    rf"|(?P<ord>[<>]=?){_WS}(?P<ordv>{_STR}|{_NUM})"
    rf"|(?P<set>(?:NOT[ \t\r\n]++)?IN{_KW_END}){_WS}(?P<setv>{_SET})"
    rf"|(?P<str>(?:NOT[ \t\r\n]++)?(?:LIKE|ISSUBSET|ISSUPERSET){_KW_END}){_WS}(?P<strv>{_STR}))"
)
_OPEN = re.compile(rf"{_WS}\[{_WS}")
_COMPARISON_JOIN = re.compile(r"[ \t\r\n]++(?:AND|OR)[ \t\r\n]++")
_CLOSE = re.compile(rf"{_WS}\]{_WS}")
_OBSERVATION_JOIN = re.compile(r"(?<=[ \t\r\n])(?:AND|OR|FOLLOWEDBY)(?=[ \t\r\n\[])")
_PATH_PART = re.compile(rf"(?:^{_TYPE}:)?(?:\.?({_IDENT}|{_STR})|\[([^\]]*)\])")
_SET_ITEM = re.compile(_PRIM)


def _unquote(literal: str) -> str:
    # The same unescaping, in the same order, as stix2patterns' inspector.
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _hash_check_passes(path: str, value: str, is_set: bool) -> bool:
    """Mirror stix2-patterns' hash-value check (v21/object_validator.py); ``False`` = unsure."""
    parts: list[str | None] = []
    for m in _PATH_PART.finditer(path):
        name = m.group(1)
        if name is None:
            parts.append(None)  # a list index
        else:
            parts.append(_unquote(name) if name.startswith("'") else name)
    if "hashes" not in parts:
        return True
    selector = parts[-1]
    if selector is None:
        return False  # the reference treats "hashes[n]" oddly; let it decide
    hash_type = selector.upper().replace("-", "").replace("'", "")
    if hash_type not in HASHES_REGEX:
        return True
    # The reference checks the literal's source text (whitespace removed, quotes dropped).
    text = "(" + ",".join(_SET_ITEM.findall(value)) + ")" if is_set else value
    return re.match(HASHES_REGEX[hash_type][0], text.replace("'", "")) is not None


def _fast_accepts(pattern: str) -> bool:
    """Whether ``pattern`` is in the simple subset and certainly valid (else: ask the reference)."""
    pos = 0
    end = len(pattern)
    while True:
        m = _OPEN.match(pattern, pos)
        if m is None:
            return False
        pos = m.end()
        while True:
            c = _COMPARISON.match(pattern, pos)
            if c is None:
                return False
            if "hashes" in c.group("path"):
                value = c.group("eqv") or c.group("ordv") or c.group("setv") or c.group("strv")
                if not _hash_check_passes(c.group("path"), value, c.group("setv") is not None):
                    return False
            pos = c.end()
            j = _COMPARISON_JOIN.match(pattern, pos)
            if j is None:
                break
            pos = j.end()
        m = _CLOSE.match(pattern, pos)
        if m is None:
            return False
        pos = m.end()
        if pos == end:
            return True
        j = _OBSERVATION_JOIN.match(pattern, pos)
        if j is None:
            return False
        pos = j.end()


def validate_pattern(pattern: str) -> None:
    """Validate a STIX 2.1 pattern, fast for simple ones; raise ``InvalidPattern`` if invalid."""
    if _fast_accepts(pattern):
        return
    validate_pattern_reference(pattern)


def validate_pattern_reference(pattern: str) -> None:
    """Validate a STIX 2.1 pattern with stix2-patterns only (the slow, readable twin)."""
    received: object = pattern  # callers may hand us raw JSON values
    if not isinstance(received, str):
        raise InvalidPattern(f"must be a string, not {type(received).__name__}", "pattern")
    if not pattern.strip():
        raise InvalidPattern("is empty; a STIX pattern needs at least one '[...]'", "pattern")
    # Imported here: the validator loads an ANTLR parser (a tenth of a second at start-up)
    # that most patterns never need (they take the fast path).
    from stix2patterns.validator import run_validator

    try:
        errors: list[str] = run_validator(pattern, "2.1")
    except Exception as exc:  # the library crashes on a few malformed inputs ("x[-1]")
        raise InvalidPattern(
            f"is not a valid STIX 2.1 pattern (§9): the validator failed ({exc!r})", "pattern"
        ) from exc
    if errors:
        reason = errors[0].removeprefix("FAIL: ")
        raise InvalidPattern(f"is not a valid STIX 2.1 pattern (§9): {reason}", "pattern")
