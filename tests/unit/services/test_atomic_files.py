"""State files are replaced whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.errors import StorageError
from entente.services.atomic_files import write_atomically


def test_a_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "state" / "hunt.json"
    write_atomically(path, b"one", "the hunt state")
    write_atomically(path, b"two", "the hunt state")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["hunt.json"]


def test_a_failed_write_keeps_the_old_file_and_says_what_failed(tmp_path: Path) -> None:
    path = tmp_path / "hunt.json"
    write_atomically(path, b"old", "the hunt state")
    blocker = tmp_path / "hunt.json.d"
    blocker.write_text("a file where a directory is needed")
    with pytest.raises(StorageError, match="cannot write the hunt state"):
        write_atomically(blocker / "x.json", b"new", "the hunt state")
    assert path.read_bytes() == b"old"
