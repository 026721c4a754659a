"""Authentication: a Bearer API token, or HTTP Basic whose password is the token secret."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from fastapi import Request

from entente.bootstrap import Node
from entente.errors import AuthenticationFailed
from entente.services import TokenUseRecorder, authenticate, principal_of
from entente.sharing import Principal

__all__ = ["credential_of", "principal_resolver"]


def credential_of(authorization: str | None) -> str:
    """The token secret in an Authorization header (RFC 6750 Bearer or RFC 7617 Basic)."""
    if not authorization:
        raise AuthenticationFailed("no credentials")
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed("malformed Basic credentials") from None
        _, colon, password = decoded.partition(":")
        if colon and password:
            return password
    raise AuthenticationFailed("unsupported credentials")


def principal_resolver(node: Node, uses: TokenUseRecorder) -> Callable[[Request], Principal]:
    """A dependency that authenticates a request from its headers, before any body is read.

    It only reads: the token's use is noted in ``uses``, which writes it later.
    """

    def resolve(request: Request) -> Principal:
        secret = credential_of(request.headers.get("authorization"))
        return principal_of(authenticate(node.tokens, node.clock, secret, uses))

    return resolve
