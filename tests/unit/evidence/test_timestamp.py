"""RFC 3161 tokens from OpenSSL's TSA on loopback: what ``check_token`` accepts and refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.evidence.local_tsa import LocalTsa, make_tsa_certificates

from entente.errors import ConfigurationError, InvalidInput
from entente.evidence.timestamp import check_token, timestamp_request
from entente.evidence.tsa_client import HttpTimestamper

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tsa() -> Iterator[LocalTsa]:
    with LocalTsa() as running:
        yield running


def test_a_token_over_the_message_verifies_and_gives_its_time(tsa: LocalTsa) -> None:
    token = HttpTimestamper(tsa.url)(timestamp_request(b"the node's signature"))
    when = check_token(token, b"the node's signature", tsa.chain_pem)
    assert len(when) == 20
    assert when.endswith("Z")


def test_a_token_over_another_message_is_refused(tsa: LocalTsa) -> None:
    token = HttpTimestamper(tsa.url)(timestamp_request(b"one"))
    with pytest.raises(InvalidInput, match="does not verify"):
        check_token(token, b"another", tsa.chain_pem)


def test_a_token_checked_against_another_root_is_refused(tsa: LocalTsa, tmp_path: Path) -> None:
    token = HttpTimestamper(tsa.url)(timestamp_request(b"one"))
    with pytest.raises(InvalidInput, match="does not verify"):
        check_token(token, b"one", make_tsa_certificates(tmp_path, "Other"))


def test_no_root_and_garbage_are_refused(tsa: LocalTsa) -> None:
    token = HttpTimestamper(tsa.url)(timestamp_request(b"one"))
    tsa_only = tsa.chain_pem[: tsa.chain_pem.index(b"-----END CERTIFICATE-----") + 26]
    with pytest.raises(InvalidInput, match="no root certificate"):
        check_token(token, b"one", tsa_only)
    with pytest.raises(InvalidInput, match="not PEM"):
        check_token(token, b"one", b"junk")
    with pytest.raises(InvalidInput, match="TimeStampResp"):
        check_token(b"\x30\x03\x02\x01\x00", b"one", tsa.chain_pem)


def test_an_unreachable_or_failing_tsa_is_a_configuration_error(tsa: LocalTsa) -> None:
    with pytest.raises(ConfigurationError, match="HTTP 404"):
        HttpTimestamper(tsa.url + "missing", timeout=5)(timestamp_request(b"one"))
    # A query OpenSSL cannot read is answered with a TimeStampResp whose status is not
    # granted (RFC 3161 §2.4.2): no token, and check_token says so.
    refusal = HttpTimestamper(tsa.url, timeout=5)(b"not a TimeStampReq")
    with pytest.raises(InvalidInput, match="did not grant"):
        check_token(refusal, b"one", tsa.chain_pem)
    with pytest.raises(ConfigurationError, match="time-stamping authority"):
        HttpTimestamper("http://127.0.0.1:9/", timeout=2)(timestamp_request(b"one"))
