"""What ``entente hunt`` has hunted: a small JSON file in the node's home.

The state is written atomically (a temporary file in the same directory, fsynced, renamed over
the old one), so a crash leaves the old state or the new one, never half of either::

    {"format": "entente-hunt-state", "version": 1,
     "digest_sets": {"<set id>": ["<indicator digest>", ...]},
     "files": {"/abs/path.log": {"size": 123, "mtime_ns": 1, "prefix": "<sha256>",
                                 "last_record": 40, "hunted": "<set id>"}}}

An indicator's digest is a SHA-256 (128 bits kept) of its id and its compiled terms; a digest
set is addressed by a hash of its sorted digests, so files hunted with the same indicators
share one set and the file stays small. ``prefix`` hashes 16 blocks of 4 KiB spread over the
file's extent at ``size`` (the first and last among them): a file whose old extent still
hashes the same has only grown. How
the service uses all this is in ``entente.services.matching``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from entente.errors import StorageError
from entente.matching.model import CompiledIndicator
from entente.services.atomic_files import write_atomically

__all__ = [
    "FileState",
    "HuntState",
    "digest_set_id",
    "forget_gone",
    "indicator_digest",
    "load_state",
    "prefix_hash",
    "save_state",
]

_STATE_FORMAT: Final = "entente-hunt-state"
_STATE_VERSION: Final = 1
# Blocks (of this many bytes) hashed over a file's old extent to tell growth from a rewrite.
_PREFIX_BLOCK: Final = 4096
_PREFIX_BLOCKS: Final = 16


@dataclass(slots=True)
class FileState:
    """One hunted file: its size and mtime then, and what it was hunted with up to where."""

    size: int
    mtime_ns: int
    # ``prefix_hash`` of the file at ``size``.
    prefix: str
    # The last record position read, and the id of the digest set it was hunted with.
    last_record: int
    hunted: str

    def to_json(self) -> dict[str, Any]:
        """The entry as the state file holds it."""
        return {
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "prefix": self.prefix,
            "last_record": self.last_record,
            "hunted": self.hunted,
        }


@dataclass(slots=True)
class HuntState:
    """Every hunted file by absolute path, and the digest sets they refer to by id."""

    digest_sets: dict[str, frozenset[str]] = field(default_factory=dict)
    files: dict[str, FileState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The state file's document."""
        return {
            "format": _STATE_FORMAT,
            "version": _STATE_VERSION,
            "digest_sets": {k: sorted(v) for k, v in sorted(self.digest_sets.items())},
            "files": {k: v.to_json() for k, v in sorted(self.files.items())},
        }


def indicator_digest(indicator: CompiledIndicator) -> str:
    """What an indicator matches, as a digest: its id and its sorted terms."""
    terms = sorted([t.kind.value, t.op.value, t.value] for t in indicator.terms)
    return hashlib.sha256(orjson.dumps([indicator.id, terms])).hexdigest()[:32]


def digest_set_id(digests: Iterable[str]) -> str:
    """A content address for a set of digests."""
    return hashlib.sha256("\n".join(sorted(digests)).encode("ascii")).hexdigest()[:16]


def prefix_hash(path: str, size: int) -> str:
    """SHA-256 of ``_PREFIX_BLOCKS`` blocks spread evenly over the file's first ``size`` bytes.

    The first and the last block are always among them, and a file up to 64 KiB is hashed
    whole: a rewrite that keeps the size and every sampled block of a larger file reads as
    growth (log writers and rotation change the first lines, which carry the time).
    """
    digest = hashlib.sha256(size.to_bytes(8, "big"))
    last = max(0, size - _PREFIX_BLOCK)
    starts = sorted({last * i // (_PREFIX_BLOCKS - 1) for i in range(_PREFIX_BLOCKS)})
    try:
        with Path(path).open("rb") as handle:
            for start in starts:
                handle.seek(start)
                digest.update(handle.read(min(_PREFIX_BLOCK, size - start)))
    except OSError:
        return ""
    return digest.hexdigest()


def forget_gone(state: HuntState, hunted: set[str]) -> None:
    """Drop entries of files gone from disk, and digest sets no entry refers to."""
    for path in [p for p in state.files if p not in hunted and not Path(p).exists()]:
        del state.files[path]
    used = {entry.hunted for entry in state.files.values()}
    for set_id in [s for s in state.digest_sets if s not in used]:
        del state.digest_sets[set_id]


def load_state(path: Path) -> HuntState:
    """The hunt state, or an empty one if there is none yet."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return HuntState()
    except (OSError, orjson.JSONDecodeError) as exc:
        raise StorageError(f"cannot read the hunt state {path}: {exc}") from exc
    try:
        if data.get("format") != _STATE_FORMAT or data.get("version") != _STATE_VERSION:
            raise ValueError("not an Entente hunt state of version 1")
        sets = {str(k): frozenset(str(d) for d in v) for k, v in data["digest_sets"].items()}
        files = {
            str(k): FileState(
                size=int(v["size"]),
                mtime_ns=int(v["mtime_ns"]),
                prefix=str(v["prefix"]),
                last_record=int(v["last_record"]),
                hunted=str(v["hunted"]),
            )
            for k, v in data["files"].items()
        }
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise StorageError(
            f"the hunt state {path} is damaged ({exc}); remove it to hunt the whole archive again"
        ) from exc
    return HuntState(sets, files)


def save_state(path: Path, state: HuntState) -> None:
    """Write the state atomically: a temporary file in the same directory, then a rename."""
    data = orjson.dumps(state.to_json(), option=orjson.OPT_INDENT_2)
    write_atomically(path, data, "the hunt state")
