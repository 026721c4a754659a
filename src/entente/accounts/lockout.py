"""Lock-out after repeated failed logins (OWASP Authentication Cheat Sheet, "Account Lockout").

Five failures in a row lock an account for fifteen minutes. The TOTP code alone has 10^6
values, three of them valid at a time (±1 step): without a limit, an attacker who holds the
password guesses the code in about 330,000 tries, which a few hours of requests reach. With
five tries per fifteen minutes that is about 2 million minutes (two years) on average, while a
user who mistypes is held up for a quarter of an hour at most and the lock ends by itself
(a permanent lock would let anyone who knows a username shut its owner out for good; NIST
SP 800-63B §5.2.2 limits failed attempts without requiring a permanent lock). A success
resets the count.
"""

from __future__ import annotations

__all__ = ["LOCKOUT_US", "MAX_FAILURES", "is_locked"]

MAX_FAILURES = 5
LOCKOUT_US = 15 * 60 * 1_000_000


def is_locked(locked_until_us: int | None, now_us: int) -> bool:
    """Whether an account locked until ``locked_until_us`` is still locked at ``now_us``."""
    return locked_until_us is not None and now_us < locked_until_us
