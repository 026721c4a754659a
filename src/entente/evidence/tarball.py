"""A deterministic tar: the same files give the same bytes, on any machine, at any time.

POSIX ustar (POSIX.1-1988 as kept in POSIX.1-2001 ``pax`` §ustar Interchange Format): names
sorted, mtime, uid, gid and owner names fixed, mode 0644, no pax headers (so no access or change
times). Names are plain relative paths: no ``..``, no absolute paths, no links.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping

from entente.errors import MalformedDocument

__all__ = ["MTIME", "read_tar", "write_tar"]

MTIME = 0  # 1970-01-01: no clock reading in the bytes
_MAX_FILES = 10_000


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def write_tar(files: Mapping[str, bytes]) -> bytes:
    """The ustar archive of ``files`` (name -> content), names sorted."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            if not _safe_name(name):
                raise MalformedDocument(f"{name!r} is not a plain relative path")
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def read_tar(data: bytes) -> dict[str, bytes]:
    """The regular files of a tar; anything else (links, devices, odd names) is refused."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for info in tar:
                if len(files) >= _MAX_FILES:
                    raise MalformedDocument(f"more than {_MAX_FILES} files")
                if not info.isreg() or not _safe_name(info.name):
                    raise MalformedDocument(f"{info.name!r} is not a plain file")
                if info.name in files:
                    raise MalformedDocument(f"{info.name!r} is in the archive twice")
                member = tar.extractfile(info)
                if member is None:
                    raise MalformedDocument(f"{info.name!r} cannot be read")
                files[info.name] = member.read()
    except (tarfile.TarError, EOFError) as exc:
        raise MalformedDocument(f"not a readable tar archive: {exc}") from exc
    return files
