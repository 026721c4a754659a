"""Warninglists read from files: the operator's (``load_warninglists``) and the shipped defaults.

The defaults live in ``default_warninglists/`` beside this module (package data, read with
``importlib.resources``); ``default_warninglists/SOURCES.md`` says where each file comes from
and which ones are reduced subsets of the upstream list.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Final

import orjson

from entente.errors import InvalidInput, MalformedDocument
from entente.scoring.warninglists import Warninglist, parse_warninglist

__all__ = ["DEFAULT_WARNINGLISTS_SOURCE", "default_warninglists", "load_warninglists"]

DEFAULT_WARNINGLISTS_SOURCE: Final = "entente:default_warninglists"
"""The ``source`` prefix of the shipped lists (``entente:default_warninglists/rfc1918.json``)."""

# MISP's layout (misp-warninglists ``lists/<name>/list.json``): when a directory holds files
# of that name, those are the lists and other JSON beside them (``schema.json``, helper files
# such as ``lists/disposable-email/lists.json``) is not read.
_MISP_FILE: Final = "list.json"


def _files_in(directory: Path) -> list[Path]:
    found = sorted(p for p in directory.rglob("*.json") if p.is_file())
    misp = [p for p in found if p.name == _MISP_FILE]
    return misp or found


def _parse_bytes(raw: bytes, source: str) -> Warninglist:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedDocument(f"{source}: not valid JSON: {exc}") from exc
    return parse_warninglist(data, source)


def load_warninglists(paths: Sequence[Path]) -> list[Warninglist]:
    """Read warninglists from files and directories, in the order given.

    A directory is searched recursively for ``*.json`` (sorted by path); when it holds
    ``list.json`` files (MISP's ``lists/<name>/list.json`` layout) only those are read. Each
    list's ``source`` is its path. Raises ``InvalidInput`` for a path that cannot be read,
    and what :func:`~entente.scoring.warninglists.parse_warninglist` raises for a bad list.
    """
    lists: list[Warninglist] = []
    for path in paths:
        if path.is_dir():
            files = _files_in(path)
            if not files:
                raise InvalidInput(f"{path}: no *.json warninglist files in this directory")
        else:
            files = [path]
        for file in files:
            try:
                raw = file.read_bytes()
            except OSError as exc:
                raise InvalidInput(f"{file}: cannot read: {exc.strerror or exc}") from exc
            lists.append(_parse_bytes(raw, str(file)))
    return lists


def default_warninglists() -> list[Warninglist]:
    """The shipped lists (RFC 1918, RFC 5735, RFC 6598, RFC 6761 and its localhost names, IPv6
    special-purpose blocks, multicast, public DNS resolvers v4 and v6, top domains, empty-file
    hashes), in file-name order."""
    directory = resources.files("entente.scoring").joinpath("default_warninglists")
    files = sorted(
        (f for f in directory.iterdir() if f.name.endswith(".json")), key=lambda f: f.name
    )
    return [_parse_bytes(f.read_bytes(), f"{DEFAULT_WARNINGLISTS_SOURCE}/{f.name}") for f in files]
