"""RFC 6238 TOTP against the RFC's own Appendix B test vectors, and Key URIs."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from entente.accounts import hotp, provisioning_uri, render_base32, totp_at, verify_totp

# RFC 6238 Appendix B: the seeds are the ASCII digits "1234567890" repeated to the hash's
# block of key material (20, 32 and 64 bytes), 8-digit codes, T0 = 0, X = 30.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
APPENDIX_B = [
    (59, "0000000000000001", "94287082", "46119246", "90693936"),
    (1111111109, "00000000023523EC", "07081804", "68084774", "25091201"),
    (1111111111, "00000000023523ED", "14050471", "67062674", "99943326"),
    (1234567890, "000000000273EF07", "89005924", "91819424", "93441116"),
    (2000000000, "0000000003F940AA", "69279037", "90698825", "38618901"),
    (20000000000, "0000000027BC86AA", "65353130", "77737706", "47863826"),
]

# RFC 4226 Appendix D: HOTP values of counters 0..9 for the 20-byte seed, 6 digits.
RFC4226_D = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
             "399871", "520489"]  # fmt: skip


@pytest.mark.parametrize(("unix_s", "step_hex", "sha1", "sha256", "sha512"), APPENDIX_B)
def test_totp_matches_rfc6238_appendix_b(
    unix_s: int, step_hex: str, sha1: str, sha256: str, sha512: str
) -> None:
    assert unix_s // 30 == int(step_hex, 16)
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp_at(SEEDS[algorithm], unix_s, digits=8, algorithm=algorithm) == expected


def test_hotp_matches_rfc4226_appendix_d() -> None:
    assert [hotp(SEEDS["sha1"], counter) for counter in range(10)] == RFC4226_D


def test_a_six_digit_code_is_the_last_six_digits_of_the_eight() -> None:
    # Both truncate the same 31-bit number (RFC 4226 §5.3), modulo 10^6 and 10^8.
    assert totp_at(SEEDS["sha1"], 59) == "287082"


def test_verify_accepts_the_current_step_and_one_either_side_only() -> None:
    key = SEEDS["sha1"]
    now = 1111111111  # step 37037037
    step = now // 30
    for offset in (-1, 0, 1):
        assert verify_totp(key, hotp(key, step + offset), now, last_step=None) == step + offset
    for offset in (-2, 2):
        assert verify_totp(key, hotp(key, step + offset), now, last_step=None) is None


def test_verify_refuses_a_step_at_or_before_the_last_accepted() -> None:
    key = SEEDS["sha1"]
    now = 1234567890
    step = now // 30
    code = hotp(key, step)
    assert verify_totp(key, code, now, last_step=step - 1) == step
    assert verify_totp(key, code, now, last_step=step) is None
    assert verify_totp(key, hotp(key, step - 1), now, last_step=step - 1) is None


def test_verify_ignores_spaces_and_refuses_junk() -> None:
    key = SEEDS["sha1"]
    now = 1234567890
    code = hotp(key, now // 30)
    assert verify_totp(key, f" {code[:3]} {code[3:]} ", now, last_step=None) == now // 30
    for junk in ("", "12345", "1234567", "abcdef", "٣٣٣٣٣٣", code + "0"):
        assert verify_totp(key, junk, now, last_step=None) is None


def test_provisioning_uri_follows_the_key_uri_format() -> None:
    key = SEEDS["sha1"]
    uri = provisioning_uri(key, "alice@cert.example", "Entente CERT:X")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    issuer, account = parts.path.removeprefix("/").split(":")
    assert (unquote(issuer), unquote(account)) == ("Entente CERT:X", "alice@cert.example")
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert query == {
        "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "issuer": "Entente CERT:X",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
    assert base64.b32decode(query["secret"]) == key


def test_base32_has_no_padding() -> None:
    assert render_base32(b"\x00" * 16) == "A" * 26
