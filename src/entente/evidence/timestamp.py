"""RFC 3161 time-stamps over the node's signature: the request to send, the token to check.

The TimeStampReq (RFC 3161 §2.4.1) carries the SHA-256 imprint of the node's DSSE signature,
a nonce and ``certReq`` so the TSA includes its certificate. Checking (§2.4.2) is done by the
``rfc3161-client`` library: status granted, imprint equal to the signature's digest, the
token's CMS signature valid under the TSA certificate, which must chain to a root given in the
package and carry the critical timeStamping extended key usage (§2.3).
"""

from __future__ import annotations

import warnings

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from rfc3161_client import (
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from entente.errors import InvalidInput

__all__ = ["TIMESTAMP_QUERY", "TIMESTAMP_REPLY", "check_token", "timestamp_request"]

TIMESTAMP_QUERY = "application/timestamp-query"  # RFC 3161 §3.4
TIMESTAMP_REPLY = "application/timestamp-reply"


def timestamp_request(message: bytes) -> bytes:
    """The DER TimeStampReq for ``message`` (hashed with SHA-256, nonce, certReq)."""
    return TimestampRequestBuilder().data(message).nonce(nonce=True).build().as_bytes()


def check_token(response: bytes, message: bytes, chain_pem: bytes) -> str:
    """The token's genTime (RFC 3339) if ``response`` time-stamps ``message``; else raise.

    ``chain_pem`` holds the TSA's certificates: self-signed ones are the roots, the others
    intermediates (the TSA's own certificate travels in the token, RFC 3161 §2.4.1 certReq).
    """
    try:
        with warnings.catch_warnings():
            # A certificate that breaks RFC 5280 (say, a serial that is not positive) is
            # refused now, not merely warned about.
            warnings.simplefilter("error", CryptographyDeprecationWarning)
            certificates = x509.load_pem_x509_certificates(chain_pem)
    except (ValueError, x509.InvalidVersion, CryptographyDeprecationWarning) as exc:
        raise InvalidInput(f"the TSA certificates are not PEM: {exc}") from exc
    try:
        token = decode_timestamp_response(response)
    except (ValueError, x509.InvalidVersion) as exc:
        raise InvalidInput(f"not an RFC 3161 TimeStampResp: {exc}") from exc
    # The library parses lazily: a damaged certificate or token can raise ValueError at any
    # step below, and each is the input's fault.
    try:
        if token.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
            # RFC 3161 §2.4.2: any other status carries no token.
            raise InvalidInput(f"the TSA did not grant a timestamp (PKIStatus {token.status})")
        builder = VerifierBuilder()
        roots = [cert for cert in certificates if cert.issuer == cert.subject]
        if not roots:
            raise InvalidInput("no root certificate for the TSA in the package")
        for certificate in certificates:
            if certificate.issuer == certificate.subject:
                builder = builder.add_root_certificate(certificate)
            else:
                builder = builder.add_intermediate_certificate(certificate)
        builder.build().verify_message(token, message)
        return token.tst_info.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    except (VerificationError, ValueError, x509.InvalidVersion) as exc:
        raise InvalidInput(f"the timestamp token does not verify: {exc}") from exc
