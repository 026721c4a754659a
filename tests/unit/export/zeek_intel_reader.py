"""A reader of Zeek Intel files as Zeek's input framework ASCII reader reads them.

Zeek's reader (``input/readers/ascii``) skips empty lines and lines that start with ``#``,
except the ``#fields`` line, which names the tab-separated columns; a field that is exactly
``-`` is unset; string fields have their ``\\xHH`` escapes undone
(``util::get_unescaped_string``). Every data line must have as many fields as the header.
"""

from __future__ import annotations

import re

_ESCAPE_RE = re.compile(rb"\\x([0-9a-fA-F]{2})")


class IntelFormatError(ValueError):
    """A file Zeek's reader would refuse or misread."""


def _unescape(field: bytes) -> str:
    return _ESCAPE_RE.sub(lambda m: bytes([int(m.group(1), 16)]), field).decode("utf-8")


def read_intel(data: bytes) -> list[dict[str, str | None]]:
    """The entries of an intel file, each a mapping of column name to value (``None``: unset)."""
    fields: list[str] | None = None
    entries: list[dict[str, str | None]] = []
    for raw_line in data.split(b"\n"):
        line = raw_line.removesuffix(b"\r")
        if not line:
            continue
        if line.startswith(b"#"):
            if line.startswith(b"#fields\t"):
                if fields is not None:
                    raise IntelFormatError("a second #fields line")
                fields = line[len(b"#fields\t") :].decode("ascii").split("\t")
            continue
        if fields is None:
            raise IntelFormatError("a data line before the #fields line")
        values = line.split(b"\t")
        if len(values) != len(fields):
            raise IntelFormatError(f"{len(values)} fields, the header names {len(fields)}")
        pairs = zip(fields, values, strict=True)
        entries.append({name: None if raw == b"-" else _unescape(raw) for name, raw in pairs})
    if fields is None:
        raise IntelFormatError("no #fields line")
    return entries
