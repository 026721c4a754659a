"""What reading one log file found: its record count, malformed records and file problems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from entente.matching.model import Hit, Malformed

__all__ = ["MAX_EXAMPLES", "FileReport", "FileResult", "ReportBuilder"]

# Malformed records quoted per file (all are counted).
MAX_EXAMPLES: Final = 100


@dataclass(frozen=True, slots=True)
class FileReport:
    """One file's reading: records delivered, malformed records (counted, the first quoted).

    ``warnings`` are problems of the file rather than of a record: a damaged Zeek header, a
    truncated gzip stream, a CSV mapping column the header lacks; ``size_bytes`` is the size
    on disk (compressed when the file is).
    """

    source: str
    format: str
    records: int
    malformed: int
    examples: tuple[Malformed, ...]
    size_bytes: int
    warnings: tuple[Malformed, ...] = ()


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file read and matched elsewhere (a Spark executor): its report, its hits in the
    order the local engine gives them, and the last record position read (0 when none)."""

    report: FileReport
    hits: tuple[Hit, ...]
    last_record: int

    @property
    def source(self) -> str:
        """The file, as its report names it."""
        return self.report.source


def _line_order(malformed: Malformed) -> int:
    return -1 if malformed.line is None else malformed.line


class ReportBuilder:
    """The report of the file being read, filled in as batches go out."""

    def __init__(self, source: str, log_format: str, size_bytes: int) -> None:
        self.source = source
        self.format = log_format
        self.size_bytes = size_bytes
        self.records = 0
        self.malformed = 0
        self._examples: list[Malformed] = []
        self._warnings: list[Malformed] = []

    def bad(self, line: int | None, reason: str | Callable[[], str]) -> None:
        """Count a malformed record; quote it while fewer than ``MAX_EXAMPLES`` are quoted.

        ``reason`` may be a function, called only when the record is quoted.
        """
        self.malformed += 1
        if len(self._examples) < MAX_EXAMPLES:
            text = reason() if callable(reason) else reason
            self._examples.append(Malformed(self.source, line, text))

    def warn(self, line: int | None, reason: str) -> None:
        """Note a problem of the file (not of one record)."""
        if len(self._warnings) < MAX_EXAMPLES:
            self._warnings.append(Malformed(self.source, line, reason))

    def report(self) -> FileReport:
        """The report as it stands."""
        return FileReport(
            source=self.source,
            format=self.format,
            records=self.records,
            malformed=self.malformed,
            # Quoted in line order (the careful path reports unreadable lines per chunk).
            examples=tuple(sorted(self._examples, key=_line_order)),
            size_bytes=self.size_bytes,
            warnings=tuple(self._warnings),
        )
