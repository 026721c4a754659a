"""Time-based one-time passwords: RFC 6238 over RFC 4226 HOTP, and otpauth:// provisioning URIs.

What a node accepts: HMAC-SHA1, 30-second steps counted from the Unix epoch, 6 digits, the
current step and one either side (RFC 6238 §5.2 "at most one time step" of network delay and
clock drift), and never a step at or before the last one accepted (§5.2: "the verifier MUST
NOT accept the second attempt of the OTP after the successful validation"). SHA-1 and six
digits are what authenticator apps implement everywhere; RFC 4226 §B.2 / RFC 6238 §1.2 show
HMAC-SHA1's known weaknesses do not apply to HOTP. ``hotp`` also takes SHA-256 and SHA-512
so that every RFC 6238 Appendix B vector can be checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import quote, urlencode

__all__ = [
    "DIGITS",
    "KEY_BYTES",
    "PERIOD_S",
    "WINDOW_STEPS",
    "hotp",
    "new_totp_key",
    "provisioning_uri",
    "render_base32",
    "time_step",
    "totp_at",
    "verify_totp",
]

PERIOD_S = 30  # RFC 6238 §5.2: "We RECOMMEND a default time-step size of 30 seconds"
DIGITS = 6
WINDOW_STEPS = 1
# RFC 4226 §4 R6: the shared secret is at least 128 bits, 160 recommended (the SHA-1 block).
KEY_BYTES = 20
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """The RFC 4226 §5.3 HOTP value of ``counter`` under ``key``, zero-padded to ``digits``."""
    if not 0 <= counter < 2**64:
        raise ValueError("the HOTP counter is an unsigned 64-bit integer (RFC 4226 §5.1)")
    if not 6 <= digits <= 10:
        raise ValueError("HOTP values have 6 to 10 digits (RFC 4226 §5.3, R4)")
    digest = hmac.new(key, counter.to_bytes(8, "big"), _ALGORITHMS[algorithm]).digest()
    # Dynamic truncation (RFC 4226 §5.4): the low nibble of the last byte picks 4 bytes.
    offset = digest[-1] & 0x0F
    binary = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFF_FFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(unix_s: int, *, period_s: int = PERIOD_S) -> int:
    """RFC 6238 §4.2 ``T = floor((Current Unix time - T0) / X)`` with T0 = 0."""
    return unix_s // period_s


def totp_at(
    key: bytes,
    unix_s: int,
    *,
    digits: int = DIGITS,
    algorithm: str = "sha1",
    period_s: int = PERIOD_S,
) -> str:
    """The TOTP value at Unix time ``unix_s`` (RFC 6238 §4.2)."""
    return hotp(key, time_step(unix_s, period_s=period_s), digits=digits, algorithm=algorithm)


def verify_totp(key: bytes, code: str, unix_s: int, *, last_step: int | None) -> int | None:
    """The time step ``code`` is valid for, within ±``WINDOW_STEPS`` of now and after
    ``last_step``; ``None`` if there is none.

    Every candidate step is computed and compared in constant time (no early exit), so the
    answer's timing does not tell which step, if any, matched.
    """
    code = code.strip().replace(" ", "")
    current = time_step(unix_s)
    matched: int | None = None
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        expected = hotp(key, step) if step >= 0 else ""
        # compare_digest on ASCII str; a non-ASCII code cannot match and must not raise.
        same = hmac.compare_digest(expected.encode("ascii"), code.encode("utf-8", errors="replace"))
        if same and (last_step is None or step > last_step) and matched is None:
            matched = step
    return matched


def new_totp_key(random_bytes: Callable[[int], bytes]) -> bytes:
    """A fresh shared secret of ``KEY_BYTES`` bytes from ``random_bytes``."""
    return random_bytes(KEY_BYTES)


def render_base32(key: bytes) -> str:
    """``key`` in RFC 4648 §6 base32 without padding: what authenticator apps take."""
    return base64.b32encode(key).decode("ascii").rstrip("=")


def provisioning_uri(key: bytes, account: str, issuer: str) -> str:
    """The Key URI for ``account`` at ``issuer`` that an authenticator app scans.

    Key URI format (google-authenticator wiki, "Key Uri Format"):
    ``otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30``.
    The label is percent-encoded (a ``:`` inside the issuer or account would split it
    elsewhere, so it is encoded too); the issuer parameter repeats the label's prefix, as the
    format recommends.
    """
    label = quote(issuer, safe="") + ":" + quote(account, safe="")
    query = urlencode(
        {
            "secret": render_base32(key),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": str(DIGITS),
            "period": str(PERIOD_S),
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
