"""Argon2id password hashes (RFC 9106) and the rules for new passwords and usernames."""

from __future__ import annotations

import pytest

from entente.accounts import (
    PasswordHasher,
    argon2id_hasher,
    check_password_rules,
    parse_username,
    username_key,
)
from entente.errors import InvalidInput

CHEAP = PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1)


def test_the_node_hasher_uses_rfc9106_second_recommended_parameters() -> None:
    stored = argon2id_hasher().hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_verifies_its_password_only() -> None:
    stored = CHEAP.hash("correct horse battery")
    assert CHEAP.verify(stored, "correct horse battery")
    assert not CHEAP.verify(stored, "correct horse battery ")
    assert not CHEAP.verify("not a hash", "correct horse battery")
    # Salted: the same password hashes differently each time.
    assert CHEAP.hash("correct horse battery") != stored


def test_a_hash_made_with_other_parameters_still_verifies_and_needs_rehash() -> None:
    stored = CHEAP.hash("correct horse battery")
    node = argon2id_hasher()
    assert node.verify(stored, "correct horse battery")
    assert node.needs_rehash(stored)
    assert not CHEAP.needs_rehash(stored)
    assert node.needs_rehash("garbage")


def test_passwords_need_12_to_1024_characters() -> None:
    check_password_rules("x" * 12)
    check_password_rules("x" * 1024)
    with pytest.raises(InvalidInput, match="at least 12"):
        check_password_rules("x" * 11)
    with pytest.raises(InvalidInput, match="at most 1024"):
        check_password_rules("x" * 1025)


def test_usernames_are_ascii_and_compare_without_case() -> None:
    assert parse_username(" Alice.B@cert-x ") == "Alice.B@cert-x"
    assert username_key("Alice") == username_key("ALICE") == "alice"
    for bad in ("", "-alice", "a" * 65, "аlice", "al ice", "al:ice"):
        with pytest.raises(InvalidInput):
            parse_username(bad)
