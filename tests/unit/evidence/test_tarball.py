"""The deterministic tar: fixed headers, sorted names, strict reading."""

from __future__ import annotations

import io
import tarfile

import pytest

from entente.errors import MalformedDocument
from entente.evidence.tarball import read_tar, write_tar


def test_the_same_files_in_any_order_give_the_same_bytes() -> None:
    one = write_tar({"b/2.txt": b"two", "a.txt": b"one"})
    other = write_tar({"a.txt": b"one", "b/2.txt": b"two"})
    assert one == other
    assert read_tar(one) == {"a.txt": b"one", "b/2.txt": b"two"}


@pytest.mark.parametrize("name", ["/etc/passwd", "../up", "a/../b", "", "a//b"])
def test_unsafe_names_are_refused_on_writing(name: str) -> None:
    with pytest.raises(MalformedDocument):
        write_tar({name: b"x"})


def test_links_and_duplicates_are_refused_on_reading() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(MalformedDocument, match="not a plain file"):
        read_tar(out.getvalue())
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for _ in range(2):
            info = tarfile.TarInfo("twice")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(MalformedDocument, match="twice"):
        read_tar(out.getvalue())


def test_garbage_is_not_a_tar() -> None:
    with pytest.raises(MalformedDocument):
        read_tar(b"\x01" * 1024)
