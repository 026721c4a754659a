"""Usernames and the rules a new password must meet."""

from __future__ import annotations

import re

from entente.errors import InvalidInput

__all__ = [
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "check_password_rules",
    "parse_username",
    "username_key",
]

# ASCII letters, digits and . _ @ - only: a Unicode name could have look-alikes ("аdmin" with a
# Cyrillic а) that case-folding does not merge, and case-insensitive uniqueness is then one
# ``lower()`` that every database agrees with.
_USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# NIST SP 800-63B-4 §3.1.1.2: at least 8 characters where the password is one factor of two
# (TOTP is the other); 12 leaves margin. Long passphrases are welcome, but a cap keeps a
# megabyte "password" from costing a hash of that size.
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024


def parse_username(text: str) -> str:
    """``text`` as a username (kept as typed); ``InvalidInput`` if it is not one."""
    username = text.strip()
    if not _USERNAME_RE.fullmatch(username):
        raise InvalidInput(
            f"not a username: {text!r} (1 to 64 of A-Z a-z 0-9 . _ @ -, starting with a "
            "letter or digit)"
        )
    return username


def username_key(username: str) -> str:
    """What two usernames are compared by: ``Alice`` and ``alice`` are one account."""
    return username.strip().lower()


def check_password_rules(password: str) -> None:
    """Raise ``InvalidInput`` unless ``password`` has 12 to 1024 characters."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD_CHARS} characters")
