"""Password hashes: Argon2id (RFC 9106) through argon2-cffi, its only adapter in Entente.

The parameters are RFC 9106 §4's second recommended option, for memory-constrained
environments (Argon2id, t=3 passes, m=64 MiB, p=4 lanes, 16-byte salt, 32-byte tag): 0.2 s
per verification on the 2-CPU build machine, paid once per sign-in. The PHC string stored
carries its parameters, so hashes made under older ones still verify and are re-hashed at the
next successful login (``needs_rehash``).
"""

from __future__ import annotations

from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordHasher", "argon2id_hasher"]


@dataclass(frozen=True, slots=True)
class PasswordHasher:
    """Argon2id with fixed parameters: ``hash``, ``verify`` and ``needs_rehash``."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4

    def _hasher(self) -> argon2.PasswordHasher:
        return argon2.PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        """The PHC string (``$argon2id$v=19$m=...``) of ``password`` with a fresh salt."""
        return self._hasher().hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """Whether ``password`` is the one ``stored`` was made from; a malformed hash is False.

        argon2-cffi compares the tags in constant time.
        """
        try:
            return self._hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than these."""
        try:
            return self._hasher().check_needs_rehash(stored)
        except InvalidHashError:
            return True


def argon2id_hasher() -> PasswordHasher:
    """The hasher a node uses (RFC 9106 §4 second recommended option; ADR 0009)."""
    return PasswordHasher()
