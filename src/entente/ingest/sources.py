"""Find input documents, recognise their format and open the matching reader.

Before any reader runs, ``open_document`` refuses what would only poison the store: a log
(Zeek, Suricata EVE, OCSF, Parquet, pcap, CSV flows: what was *seen*, not what is malicious; a
log ingested as a feed makes google.com an indicator), an empty file, a ``.json`` file that is
not JSON, and binary content. A feed in which no value is found stores nothing either: its
source identity is only stored ahead of its first indicator.

Free text (a threat report, an e-mail) is reviewed value by value when a reviewer is given
(``entente.ingest.review``): prose names benign and own addresses beside malicious ones, where
a feed's value lists (one value a line, the CSV layouts) are what their publisher chose to list.
"""

from __future__ import annotations

import enum
import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from entente.errors import InvalidInput, MalformedDocument, UnsupportedFormat
from entente.ingest.candidates import Candidate
from entente.ingest.feeds import FeedKind, read_feed, sniff_feed
from entente.ingest.misp import is_misp_document, read_misp
from entente.ingest.review import Verdict
from entente.ingest.stix_bundle import read_stix
from entente.ingest.values import TypedValue

__all__ = [
    "STDIN",
    "Document",
    "DocumentKind",
    "InputFormat",
    "LogRecogniser",
    "Reviewer",
    "discover",
    "open_document",
]

STDIN = "-"
_SNIFF = 16 * 1024
_CSV_FEEDS = frozenset(
    {FeedKind.URLHAUS_CSV, FeedKind.THREATFOX_CSV, FeedKind.FEODO_CSV, FeedKind.IPSUM}
)
_TEXT_FEEDS = frozenset({FeedKind.LINES, FeedKind.FREETEXT})
LogRecogniser = Callable[[bytes, str, bool], str | None]
Reviewer = Callable[[TypedValue], Verdict]
"""Judges each value found in free text (``entente.ingest.review.review_value``, bound to the
node's warninglists and own addresses)."""
"""Which log a document's first bytes, its name and whether they are all of it show, or None
(``entente.matching.detect.recognise_log``, passed in: ingest and matching are separate layers)."""

# What each log is called when ingest refuses it, by ``recognise_log``'s names.
_LOG_NAMES = {
    "zeek-tsv": "a Zeek log",
    "zeek-json": "a Zeek log (JSON)",
    "suricata-eve": "a Suricata EVE log",
    "ocsf": "an OCSF event log",
    "parquet": "a Parquet file (a log archive)",
    "csv-flows": "a CSV flow log",
    "pcap": "a packet capture",
}
# A UTF-8 sequence cut off by the sniff window is at most this many bytes from its end.
_UTF8_TAIL = 4
_FEED_SOURCE_NAMES = {
    FeedKind.URLHAUS_CSV: "abuse.ch URLhaus",
    FeedKind.THREATFOX_CSV: "abuse.ch ThreatFox",
    FeedKind.FEODO_CSV: "abuse.ch Feodo Tracker",
    FeedKind.IPSUM: "IPsum",
}


class InputFormat(enum.StrEnum):
    """Formats ``entente ingest --format`` accepts."""

    AUTO = "auto"
    STIX = "stix"
    MISP = "misp"
    CSV = "csv"
    TEXT = "text"


class DocumentKind(enum.StrEnum):
    """Whether a document is a file of objects made elsewhere or a feed Entente turns into STIX."""

    FILE = "file"
    FEED = "feed"


@dataclass(frozen=True, slots=True)
class Document:
    """One input document, opened: its reader's candidates and what it was taken for."""

    source: str
    format: InputFormat
    detail: str
    kind: DocumentKind
    source_name: str
    candidates: Iterator[Candidate]


def discover(paths: Sequence[str]) -> Iterator[str]:
    """Expand directories (recursively, sorted, hidden entries skipped) into file paths.

    Raises ``InvalidInput`` for a path that does not exist, before anything is read.
    """
    for raw in paths:
        if raw == STDIN:
            continue
        if not Path(raw).exists():
            raise InvalidInput(f"{raw}: no such file or directory")
    for raw in paths:
        if raw == STDIN:
            yield STDIN
            continue
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name.lower() not in _NOT_INPUT:
                        yield str(Path(root) / name)
        else:
            yield str(path)


# Attribution and licence files that sit beside data in real collections.
_NOT_INPUT = frozenset({"sources.md", "license.txt", "license", "readme.md", "readme"})


def open_document(
    path: str,
    *,
    fmt: InputFormat,
    source_name: str | None,
    now: str,
    markings: Sequence[str],
    stdin: IO[bytes] | None = None,
    recognise_log: LogRecogniser | None = None,
    review: Reviewer | None = None,
    stdin_name: str = "<stdin>",
    review_lists: bool = False,
) -> Document:
    """Open ``path`` (or stdin for ``-``), recognise its format and start its reader.

    ``stdin_name`` is what stdin is called in messages and provenance (the web UI passes an
    upload's file name; a name ending in ``.json`` is held to being JSON, as a file's is).
    ``review_lists`` reviews the values of a one-value-a-line list as well: a list an analyst
    pastes into the web UI is no publisher's choice (module docstring), so its values are
    reviewed as free text's are.

    ``review`` judges each value of a document read as free text (``FeedKind.FREETEXT``);
    other documents are not reviewed (module docstring).

    Raises ``UnsupportedFormat`` for a log (told by ``recognise_log``) or binary content and
    ``InvalidInput`` for an empty file or a ``.json`` file that is not JSON (module docstring).
    """
    if path == STDIN:
        if stdin is None:
            raise InvalidInput("reading from stdin, but no stdin was given")
        stream: IO[bytes] = stdin if isinstance(stdin, io.BufferedReader) else _buffered(stdin)
        size: int | None = None
        display = stdin_name
    else:
        stream = Path(path).open("rb", buffering=2 * _SNIFF)  # noqa: SIM115 - closed by _closing
        size = Path(path).stat().st_size
        display = path
    head = _peek(stream)
    try:
        _refuse_non_documents(head, display, fmt, recognise_log)
    except InvalidInput:
        stream.close()
        raise
    text_head = head.decode("utf-8", errors="replace")
    first = text_head.lstrip("\ufeff \t\r\n")[:1]
    if fmt is InputFormat.AUTO:
        if first in ("{", "["):
            fmt = InputFormat.MISP if is_misp_document(head) else InputFormat.STIX
        else:
            fmt = InputFormat.TEXT
    if fmt is InputFormat.STIX:
        if markings:
            raise InvalidInput(
                "a TLP marking (--marking) applies to objects Entente builds (feeds, MISP "
                "events); "
                "STIX objects keep the markings their creator gave them"
            )
        return Document(
            display,
            fmt,
            "STIX 2.1",
            DocumentKind.FILE,
            source_name or display,
            _closing(read_stix(stream, source=display, size=size), stream),
        )
    if fmt is InputFormat.MISP:
        data = stream.read()
        stream.close()
        return Document(
            display,
            fmt,
            "MISP event",
            DocumentKind.FILE,
            source_name or display,
            read_misp(data, source=display, markings=markings),
        )
    kind = sniff_feed(text_head)
    allowed = _CSV_FEEDS | _TEXT_FEEDS if fmt is InputFormat.TEXT else _CSV_FEEDS
    if kind is None or kind not in allowed:
        stream.close()
        wanted = "a CSV feed" if fmt is InputFormat.CSV else "a text or CSV feed"
        raise UnsupportedFormat(f"{display}: not recognised as {wanted}")
    if fmt is InputFormat.TEXT and kind in _CSV_FEEDS:
        fmt = InputFormat.CSV
    name = source_name or _FEED_SOURCE_NAMES.get(kind) or Path(display).stem
    lines = _text_lines(stream)
    return Document(
        display,
        fmt,
        kind.value,
        DocumentKind.FEED,
        name,
        _closing(
            _identity_with_values(
                read_feed(
                    lines,
                    kind=kind,
                    source=display,
                    source_name=name,
                    now=now,
                    markings=markings,
                    review=review if _reviewed(kind, review_lists=review_lists) else None,
                ),
                display,
            ),
            stream,
        ),
    )


def _reviewed(kind: FeedKind, *, review_lists: bool) -> bool:
    """Whether the values of a feed of ``kind`` are reviewed (module docstring)."""
    return kind is FeedKind.FREETEXT or (review_lists and kind is FeedKind.LINES)


def _refuse_non_documents(
    head: bytes, display: str, fmt: InputFormat, recognise_log: LogRecogniser | None
) -> None:
    """Raise when the first bytes show a log, nothing, binary content or a .json that is not."""
    complete = len(head) < _SNIFF
    if not head.removeprefix(b"\xef\xbb\xbf").strip():
        raise InvalidInput(f"{display}: empty file, nothing to ingest")
    if recognise_log is not None and (log := recognise_log(head, display, complete)) is not None:
        what = _LOG_NAMES.get(log, f"a {log} log")
        raise UnsupportedFormat(
            f"{display}: this is {what}; use entente match (ingest stores indicators, and a "
            "log's addresses and names are what was seen, not what is malicious)"
        )
    if _is_binary(head, complete=complete):
        raise UnsupportedFormat(
            f"{display}: binary content (not UTF-8 text); entente ingest reads STIX and MISP "
            "JSON, CSV feeds and text"
        )
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")[:1]
    if fmt is InputFormat.AUTO and display.lower().endswith(".json") and first not in "{[":
        shown = head.decode("utf-8", errors="replace").strip()[:40]
        raise MalformedDocument(
            f"{display}: named .json but not JSON (it starts with {shown!r}); "
            "pass --format text to read it as text"
        )


def _is_binary(head: bytes, *, complete: bool) -> bool:
    """NUL bytes or bytes that are not UTF-8 (a sequence cut off at the window's end aside)."""
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return complete or exc.start < len(head) - _UTF8_TAIL
    return False


def _identity_with_values(candidates: Iterator[Candidate], source: str) -> Iterator[Candidate]:
    """A feed's candidates with its source identity held back until its first indicator.

    A feed in which no value was found would otherwise store an identity that nothing refers
    to (a "phantom" source); it is reported as a rejection instead, so that the run says why
    nothing was stored. A feed whose values the review left out, every one, is no rejection:
    the values were found, and the summary counts them as left out.
    """
    header: Candidate | None = None
    found = left_out = False
    for candidate in candidates:
        left_out = left_out or candidate.left_out
        if candidate.position == "header" and not found and header is None:
            header = candidate
            continue
        if candidate.data is not None and header is not None:
            yield header
            header = None
        found = found or candidate.data is not None
        yield candidate
    if not found and not left_out:
        yield Candidate(
            source=source,
            position="",
            data=None,
            error="no indicator value (address, domain, URL, hash, email) found: nothing stored",
        )


def _buffered(stream: IO[bytes]) -> IO[bytes]:
    """Read the whole of a stream that cannot peek (tests pass BytesIO) into one that can."""
    return io.BufferedReader(io.BytesIO(stream.read()), 2 * _SNIFF)


def _peek(stream: IO[bytes]) -> bytes:
    if isinstance(stream, io.BufferedReader):
        return stream.peek(_SNIFF)[:_SNIFF]
    position = stream.tell()
    head = stream.read(_SNIFF)
    stream.seek(position)
    return head


def _text_lines(stream: IO[bytes]) -> Iterator[str]:
    with io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="") as text:
        for line in text:
            yield line.rstrip("\r\n")


def _closing(candidates: Iterator[Candidate], stream: IO[bytes]) -> Iterator[Candidate]:
    try:
        yield from candidates
    finally:
        stream.close()
