"""The system resolver as a ``recheck.Resolver``: the addresses a name resolves to now."""

from __future__ import annotations

import socket

__all__ = ["system_resolver"]


def system_resolver(name: str) -> tuple[str, ...]:
    """A and AAAA addresses of ``name`` from the host's resolver; empty when it does not
    resolve (NXDOMAIN, no data, or no answer)."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))
