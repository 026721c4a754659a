"""The system resolver adapter, on the one name every host resolves locally."""

from __future__ import annotations

from entente.abuse.dns import system_resolver


def test_localhost_resolves_to_a_loopback_address() -> None:
    found = system_resolver("localhost")
    assert found
    assert set(found) <= {"127.0.0.1", "::1"}


def test_a_name_that_cannot_be_encoded_does_not_resolve() -> None:
    assert system_resolver("a" * 64 + ".localhost") == ()
