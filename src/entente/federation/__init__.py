"""Federation: node keys (Ed25519), signed provenance (per object or in signed batches), cards.

Sync and the inbound screen live in their own modules (``entente.federation.inbound``); this
package's public surface is what other packages import from here (conventions §3).
"""

from __future__ import annotations

from entente.federation.cards import (
    CARD_VERSION,
    PartnerCard,
    card_document,
    make_card,
    parse_card,
)
from entente.federation.keys import (
    PUBLIC_KEY_PREFIX,
    NodeKey,
    PublicKey,
    decode_base64url,
    encode_base64url,
    generate_key,
    load_or_create_key,
    parse_public_key,
)
from entente.federation.signatures import (
    ALGORITHM,
    BATCH_STATEMENT,
    CANONICALIZATION,
    EXTENSION_ID,
    SIGNING_IDENTITY_ID,
    BatchProof,
    DerivedFrom,
    SignatureInfo,
    VerifiedRoots,
    batch_statement,
    derived_from_of,
    extension_definition,
    sign_batch,
    sign_object,
    signature_info,
    signing_identity,
    verify_object,
)

__all__ = [
    "ALGORITHM",
    "BATCH_STATEMENT",
    "CANONICALIZATION",
    "CARD_VERSION",
    "EXTENSION_ID",
    "PUBLIC_KEY_PREFIX",
    "SIGNING_IDENTITY_ID",
    "BatchProof",
    "DerivedFrom",
    "NodeKey",
    "PartnerCard",
    "PublicKey",
    "SignatureInfo",
    "VerifiedRoots",
    "batch_statement",
    "card_document",
    "decode_base64url",
    "derived_from_of",
    "encode_base64url",
    "extension_definition",
    "generate_key",
    "load_or_create_key",
    "make_card",
    "parse_card",
    "parse_public_key",
    "sign_batch",
    "sign_object",
    "signature_info",
    "signing_identity",
    "verify_object",
]
