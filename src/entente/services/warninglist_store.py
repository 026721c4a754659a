"""The node's warninglists on disk: imported lists, the shipped defaults, and allowed values.

Layout under ``$ENTENTE_HOME``:

- ``warninglists/<name>.json``: each imported list, checked (``parse_warninglist``) and
  written again as a MISP warninglist document. ``<name>`` comes from the file: its stem, or
  for MISP's ``lists/<name>/list.json`` layout the directory's name, reduced to
  ``[a-z0-9._-]``. Importing a list of the same name again replaces it.
- ``warninglist-allow.json``: the operator's allowed values (exact normalised values that no
  warninglist catches), a sorted JSON array.

Every write is atomic (a temporary file in the same directory, fsync, rename), so a reader
never sees half a list. The shipped defaults (``default_warninglists``) apply unless the
``default_warninglists`` setting turns them off; an imported list with the same ``name`` as a
default replaces that default (it is the newer copy of the same list).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

from entente.errors import InvalidInput, StorageError
from entente.scoring import (
    Warninglist,
    WarninglistHit,
    WarninglistSet,
    default_warninglists,
    load_warninglists,
)
from entente.services.atomic_files import write_atomically

__all__ = [
    "ALLOW_FILE",
    "WARNINGLIST_DIR",
    "ImportReport",
    "Imported",
    "ListedWarninglist",
    "WarninglistStore",
    "safe_name",
]

WARNINGLIST_DIR: Final = "warninglists"
ALLOW_FILE: Final = "warninglist-allow.json"
# MISP's repository keeps each list as lists/<name>/list.json (misp-warninglists README).
_MISP_FILE: Final = "list.json"
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_MAX_NAME: Final = 100


def safe_name(path: Path) -> str:
    """The file name (without ``.json``) an imported list is stored under."""
    stem = path.parent.name if path.name == _MISP_FILE and path.parent.name else path.stem
    name = _UNSAFE.sub("-", stem.lower()).strip("-.")[:_MAX_NAME]
    return name or "warninglist"


@dataclass(frozen=True, slots=True)
class Imported:
    """One list imported: where it came from, the name it is stored under, and the list."""

    path: str
    stored_as: str
    warninglist: Warninglist
    replaced: bool  # a list was stored under that name before


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: the lists stored, and each file refused with the reason."""

    imported: tuple[Imported, ...]
    errors: tuple[tuple[str, str], ...]  # (path, reason)


@dataclass(frozen=True, slots=True)
class ListedWarninglist:
    """A list in force: the list, ``default`` or ``imported``, and its stored name."""

    warninglist: Warninglist
    origin: str
    stored_as: str | None = None

    def to_json(self) -> dict[str, object]:
        """The list's summary with its origin (``warninglist list --json``)."""
        return {
            **self.warninglist.to_json(),
            "origin": self.origin,
            "stored_as": self.stored_as,
        }


def _write_atomically(path: Path, data: bytes) -> None:
    write_atomically(path, data, "the warninglist file")


def _expand(path: Path) -> list[Path]:
    """The files an import path names: itself, or a directory's lists (as
    ``load_warninglists`` reads a directory: its ``list.json`` files if any, else every
    ``*.json``)."""
    if not path.is_dir():
        return [path]
    found = sorted(p for p in path.rglob("*.json") if p.is_file())
    misp = [p for p in found if p.name == _MISP_FILE]
    return misp or found


class WarninglistStore:
    """The warninglists of one node home; see the module docstring."""

    def __init__(
        self,
        directory: Path,
        allow_path: Path,
        *,
        defaults: bool = True,
        default_lists: Callable[[], Sequence[Warninglist]] = default_warninglists,
    ) -> None:
        self._directory = directory
        self._allow_path = allow_path
        self._defaults = defaults
        self._default_lists = default_lists
        self._cached: tuple[tuple[object, ...], WarninglistSet] | None = None

    @classmethod
    def in_home(cls, home: Path, *, defaults: bool = True) -> WarninglistStore:
        """The store at its usual place in a node home (``warninglists/``, the allow file)."""
        return cls(home / WARNINGLIST_DIR, home / ALLOW_FILE, defaults=defaults)

    @property
    def directory(self) -> Path:
        """Where imported lists are stored."""
        return self._directory

    @property
    def allow_path(self) -> Path:
        """Where the allowed values are stored."""
        return self._allow_path

    @property
    def defaults_enabled(self) -> bool:
        """Whether the shipped lists apply."""
        return self._defaults

    # -- imported lists -----------------------------------------------------------------------

    def import_paths(self, paths: Iterable[Path]) -> ImportReport:
        """Check and store the lists in ``paths`` (files or directories); a bad file is
        reported with the reason and the others are still imported."""
        imported: list[Imported] = []
        errors: list[tuple[str, str]] = []
        for path in paths:
            if not path.exists():
                errors.append((str(path), "no such file or directory"))
                continue
            files = _expand(path)
            if not files:
                errors.append((str(path), "no *.json warninglist files in this directory"))
            for file in files:
                try:
                    [warninglist] = load_warninglists([file])
                except InvalidInput as exc:
                    errors.append((str(file), _without_prefix(str(exc), str(file))))
                    continue
                name = safe_name(file)
                target = self._directory / f"{name}.json"
                replaced = target.exists()
                document = orjson.dumps(warninglist.to_document(), option=orjson.OPT_INDENT_2)
                _write_atomically(target, document + b"\n")
                imported.append(Imported(str(file), name, warninglist, replaced))
        return ImportReport(tuple(imported), tuple(errors))

    def imported(self) -> list[ListedWarninglist]:
        """The imported lists, by stored name."""
        files = sorted(self._directory.glob("*.json")) if self._directory.is_dir() else []
        listed = []
        for file in files:
            try:
                [warninglist] = load_warninglists([file])
            except InvalidInput as exc:
                raise StorageError(
                    f"the stored warninglist {file} is damaged ({exc}); import it again"
                ) from exc
            listed.append(ListedWarninglist(warninglist, "imported", file.stem))
        return listed

    def remove(self, stored_as: str) -> bool:
        """Remove an imported list by its stored name; whether there was one."""
        target = self._directory / f"{safe_name(Path(stored_as + '.json'))}.json"
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"cannot remove {target}: {exc}") from exc
        return True

    def lists(self) -> list[ListedWarninglist]:
        """Every list in force: the defaults (unless turned off, or replaced by an imported
        list of the same name), then the imported ones."""
        imported = self.imported()
        names = {item.warninglist.name for item in imported}
        defaults = (
            [
                ListedWarninglist(wl, "default")
                for wl in self._default_lists()
                if wl.name not in names
            ]
            if self._defaults
            else []
        )
        return defaults + imported

    # -- allowed values -----------------------------------------------------------------------

    def allowed(self) -> frozenset[str]:
        """The operator's allowed values."""
        try:
            data = orjson.loads(self._allow_path.read_bytes())
        except FileNotFoundError:
            return frozenset()
        except (OSError, orjson.JSONDecodeError) as exc:
            raise StorageError(f"cannot read {self._allow_path}: {exc}") from exc
        if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
            raise StorageError(f"{self._allow_path} is not a JSON array of strings")
        return frozenset(data)

    def allow(self, value: str) -> bool:
        """Allow ``value`` (normalised); whether it was not allowed before."""
        current = self.allowed()
        if value in current:
            return False
        self._write_allowed(current | {value})
        return True

    def disallow(self, value: str) -> bool:
        """Stop allowing ``value``; whether it was allowed."""
        current = self.allowed()
        if value not in current:
            return False
        self._write_allowed(current - {value})
        return True

    def _write_allowed(self, values: frozenset[str]) -> None:
        data = orjson.dumps(sorted(values), option=orjson.OPT_INDENT_2) + b"\n"
        _write_atomically(self._allow_path, data)

    # -- the set in force ---------------------------------------------------------------------

    def current(self) -> WarninglistSet:
        """The lists in force with the allowed values, built once per change on disk.

        Building a set of the public-DNS list takes a noticeable moment, and the HTTP feeds
        ask for it on every request: the set is kept until a stored file changes (its name,
        size or modification time).
        """
        signature = self._signature()
        if self._cached is not None and self._cached[0] == signature:
            return self._cached[1]
        built = WarninglistSet((item.warninglist for item in self.lists()), self.allowed())
        self._cached = (signature, built)
        return built

    def check(self, kind: str, op: str, value: str) -> tuple[WarninglistHit | None, bool]:
        """The entry that names a value, allowed or not, and whether it is allowed (so that
        an allowed value still shows why it needed allowing)."""
        allowed = value in self.allowed()
        if not allowed:
            return self.current().match(kind, op, value), False
        lists = WarninglistSet(item.warninglist for item in self.lists())
        return lists.match(kind, op, value), True

    def _signature(self) -> tuple[object, ...]:
        files = sorted(self._directory.glob("*.json")) if self._directory.is_dir() else []
        files.append(self._allow_path)
        parts: list[object] = [self._defaults]
        for file in files:
            try:
                stat = file.stat()
            except FileNotFoundError:
                parts.append((file.name, None))
                continue
            parts.append((file.name, stat.st_size, stat.st_mtime_ns))
        return tuple(parts)


def _without_prefix(message: str, source: str) -> str:
    """A parser message without the path it starts with (the report names the path)."""
    return message.removeprefix(f"{source}: ")
