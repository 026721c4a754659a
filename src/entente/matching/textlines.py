"""Lines and JSON array elements read in Python: the careful path behind the DuckDB scans.

DuckDB's scans stop at the first line they cannot read (invalid JSON, a line that is not
UTF-8, a truncated gzip stream). From the first line not yet delivered the reader falls back
to these iterators, which number every line exactly as DuckDB does (a line ends at ``\\n``,
``\\r\\n`` or a lone ``\\r``), say what is wrong with a line instead of stopping, and read a
truncated gzip stream up to where it breaks. Memory stays bounded: one line at a time, each
at most ``MAX_LINE_CHARS`` long.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

__all__ = ["MAX_LINE_CHARS", "Item", "iter_array", "iter_lines", "open_text"]

# The longest line (or array element) read; a longer one is reported and skipped.
MAX_LINE_CHARS: Final = 1 << 24
_READ_CHARS: Final = 1 << 20
_SURROGATES: Final = re.compile("[\udc80-\udcff]")
_BROKEN: Final = (EOFError, OSError, zlib.error, UnicodeError)
# A line of JSON white space only (RFC 8259 §2) is blank, as in the DuckDB queries.
_WHITE_SPACE: Final = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Item:
    """One line (or array element): its 1-based number, its text, or what is wrong with it."""

    number: int
    text: str | None
    problem: str | None = None


def open_text(path: str, *, gzip_stream: bool) -> IO[str]:
    """The file as text: UTF-8 (undecodable bytes kept as surrogates), universal newlines."""
    # 'utf-8-sig' drops a byte order mark, as DuckDB does; newline=None ends lines at \n,
    # \r\n and \r, as DuckDB's CSV scanner does.
    # The text wrapper owns the binary stream and closes it.
    if gzip_stream:
        return io.TextIOWrapper(
            gzip.open(path, "rb"),
            encoding="utf-8-sig",
            errors="surrogateescape",
            newline=None,
        )
    return io.TextIOWrapper(
        Path(path).open("rb"),
        encoding="utf-8-sig",
        errors="surrogateescape",
        newline=None,
    )


def iter_lines(
    path: str, *, gzip_stream: bool, start: int, broken: Callable[[str], None]
) -> Generator[Item, None, None]:
    """The non-blank lines after the first ``start``, numbered from 1 at the file's start.

    A line with undecodable bytes or longer than ``MAX_LINE_CHARS`` comes with its problem
    and no text. White-space-only lines are blank. When the stream breaks (truncated or
    corrupt gzip, an I/O error) ``broken`` is told why and the iteration ends.
    """
    number = 0
    try:
        with open_text(path, gzip_stream=gzip_stream) as handle:
            while True:
                line = handle.readline(MAX_LINE_CHARS + 1)
                if not line:
                    return
                number += 1
                if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                    _skip_rest_of_line(handle)
                    if number > start:
                        yield Item(number, None, f"line longer than {MAX_LINE_CHARS} characters")
                    continue
                if number <= start:
                    continue
                text = line.rstrip("\n")
                if not text.strip(_WHITE_SPACE):
                    continue
                if not text.isascii() and _SURROGATES.search(text):
                    yield Item(number, None, "not valid UTF-8")
                    continue
                yield Item(number, text)
    except _BROKEN as exc:
        broken(_broken_reason(exc, number, "lines"))


def iter_array(
    path: str, *, gzip_stream: bool, start: int, broken: Callable[[str], None]
) -> Generator[Item, None, None]:
    """The elements of the JSON array in the file after the first ``start``, numbered from 1.

    Each element comes as its JSON text. Past a syntax error nothing can be trusted: the error
    goes to ``broken`` (with the element's number) and the iteration ends.
    """
    decoder = json.JSONDecoder()
    index = 0
    try:
        with open_text(path, gzip_stream=gzip_stream) as handle:
            buffer = _Buffer(handle)
            if not buffer.expect("["):
                broken("not a JSON array")
                return
            if buffer.expect("]"):
                return
            while True:
                index += 1
                text = buffer.element(decoder)
                if text is None:
                    broken(f"invalid JSON in element {index}: {buffer.error}")
                    return
                if index <= start:
                    pass
                elif _SURROGATES.search(text):
                    yield Item(index, None, "not valid UTF-8")
                else:
                    yield Item(index, text)
                if buffer.expect(","):
                    continue
                if buffer.expect("]"):
                    return
                broken(f"expected ',' or ']' after element {index}")
                return
    except _BROKEN as exc:
        broken(_broken_reason(exc, index - 1, "elements"))


class _Buffer:
    """A window on a text stream that JSON elements are decoded from, refilled as needed."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self._text = ""
        self._pos = 0
        self._eof = False
        self.error = ""

    def skip_space(self) -> bool:
        """Skip white space; whether a character follows."""
        while True:
            while self._pos < len(self._text) and self._text[self._pos] in " \t\r\n":
                self._pos += 1
            if self._pos < len(self._text):
                return True
            if not self._fill():
                return False

    def expect(self, char: str) -> bool:
        """Skip white space; consume ``char`` if it comes next."""
        if self.skip_space() and self._text[self._pos] == char:
            self._pos += 1
            return True
        return False

    def element(self, decoder: json.JSONDecoder) -> str | None:
        """The next JSON value's text, or None (with ``error``) when it is invalid."""
        self.skip_space()
        while True:
            try:
                _, end = decoder.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as exc:
                # An element cut by the end of the window: read more and try again.
                if not self._eof and len(self._text) - self._pos <= MAX_LINE_CHARS:
                    self._fill()
                    continue
                self.error = exc.msg
                return None
            text = self._text[self._pos : end]
            self._pos = end
            return text

    def _fill(self) -> bool:
        if self._eof:
            return False
        block = self._handle.read(_READ_CHARS)
        if not block:
            self._eof = True
            return False
        self._text = self._text[self._pos :] + block
        self._pos = 0
        return True


def _skip_rest_of_line(handle: IO[str]) -> None:
    while True:
        rest = handle.readline(MAX_LINE_CHARS)
        if not rest or rest.endswith("\n"):
            return


def _broken_reason(exc: BaseException, count: int, unit: str) -> str:
    if isinstance(exc, EOFError):
        what = "the compressed stream ends early (truncated file)"
    elif isinstance(exc, gzip.BadGzipFile | zlib.error):
        what = f"the compressed stream is corrupt ({exc})"
    else:
        what = f"read error ({exc})"
    return f"{what} after {count} {unit}"
