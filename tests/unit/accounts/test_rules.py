"""Lock-out and session rules: pure functions of the time."""

from __future__ import annotations

from entente.accounts import (
    ABSOLUTE_LIFETIME_US,
    IDLE_TIMEOUT_US,
    SessionState,
    hash_session_token,
    is_locked,
    new_session_token,
    session_state,
)


def test_a_lock_holds_until_its_end_and_not_after() -> None:
    assert is_locked(100, 99)
    assert not is_locked(100, 100)
    assert not is_locked(None, 5)


def test_a_session_is_idle_after_30_minutes_and_expired_after_12_hours() -> None:
    start = 1_000
    expires = start + ABSOLUTE_LIFETIME_US
    assert session_state(last_seen_us=start, expires_us=expires, now_us=start) is (
        SessionState.ACTIVE
    )
    idle_at = start + IDLE_TIMEOUT_US
    assert session_state(last_seen_us=start, expires_us=expires, now_us=idle_at - 1) is (
        SessionState.ACTIVE
    )
    assert session_state(last_seen_us=start, expires_us=expires, now_us=idle_at) is (
        SessionState.IDLE
    )
    # Seen a minute ago, but past the absolute lifetime: expired all the same.
    late = expires + 1
    assert session_state(last_seen_us=late - 60_000_000, expires_us=expires, now_us=late) is (
        SessionState.EXPIRED
    )


def test_session_tokens_carry_32_random_bytes_and_are_stored_hashed() -> None:
    token = new_session_token(lambda n: bytes(range(n)))
    assert len(token) == 43
    assert hash_session_token(token) != token
    assert len(hash_session_token(token)) == 64
