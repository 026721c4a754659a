"""Local user accounts, the sans-IO part: TOTP, password hashing, sealing, lock-out, sessions.

Sealing covers the TOTP keys at rest and the ingest page's drafts in a form.

Values in, values out: nothing here reads the clock, the disk or the database; the users
service (``entente.services.users``) passes the time and the stored records in.
"""

from entente.accounts.credentials import (
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    check_password_rules,
    parse_username,
    username_key,
)
from entente.accounts.drafts import DRAFT_TTL_US, Draft, DraftSealer
from entente.accounts.lockout import LOCKOUT_US, MAX_FAILURES, is_locked
from entente.accounts.passwords import PasswordHasher, argon2id_hasher
from entente.accounts.sealing import TotpSealer
from entente.accounts.sessions import (
    ABSOLUTE_LIFETIME_US,
    IDLE_TIMEOUT_US,
    TOUCH_INTERVAL_US,
    SessionState,
    hash_session_token,
    new_session_token,
    session_state,
)
from entente.accounts.totp import (
    DIGITS,
    PERIOD_S,
    WINDOW_STEPS,
    hotp,
    new_totp_key,
    provisioning_uri,
    render_base32,
    time_step,
    totp_at,
    verify_totp,
)

__all__ = [
    "ABSOLUTE_LIFETIME_US",
    "DIGITS",
    "DRAFT_TTL_US",
    "IDLE_TIMEOUT_US",
    "LOCKOUT_US",
    "MAX_FAILURES",
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "PERIOD_S",
    "TOUCH_INTERVAL_US",
    "WINDOW_STEPS",
    "Draft",
    "DraftSealer",
    "PasswordHasher",
    "SessionState",
    "TotpSealer",
    "argon2id_hasher",
    "check_password_rules",
    "hash_session_token",
    "hotp",
    "is_locked",
    "new_session_token",
    "new_totp_key",
    "parse_username",
    "provisioning_uri",
    "render_base32",
    "session_state",
    "time_step",
    "totp_at",
    "username_key",
    "verify_totp",
]
