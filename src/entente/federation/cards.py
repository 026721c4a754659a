"""Partner cards: the self-signed document a node hands to partners out of band.

A card names the org (its STIX identity), the node's Ed25519 public key and its TAXII 2.1
endpoints. It is signed with the key it carries, over the RFC 8785 canonical JSON of the card
without its ``signature`` member: a card altered after it was made no longer verifies. The
self-signature proves only possession of the key; whom the key belongs to is established by the
out-of-band exchange (compare the ``public_key`` with the partner's by voice or in person).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from entente.errors import InvalidInput, SignatureError
from entente.federation.keys import (
    NodeKey,
    PublicKey,
    decode_base64url,
    encode_base64url,
    parse_public_key,
)
from entente.stix import canonical_json, is_valid_id

__all__ = ["CARD_VERSION", "PartnerCard", "card_document", "make_card", "parse_card"]

CARD_VERSION = 1
"""The value of ``entente_partner_card``: the version of this document format."""

_FIELDS = ("org_name", "org_id", "public_key", "taxii_url", "api_root")
_MEMBERS = frozenset({"entente_partner_card", *_FIELDS, "signature"})
_MAX_NAME = 256
_MAX_URL = 2048
_SIGNATURE_SIZE = 64  # RFC 8032 §5.1.6


@dataclass(frozen=True, slots=True)
class PartnerCard:
    """A partner node as its card describes it."""

    org_name: str
    org_id: str  # the org's STIX identity id
    public_key: str  # ``ed25519:<base64url>`` (see ``entente.federation.keys``)
    taxii_url: str  # the TAXII 2.1 discovery URL (§4.1), http or https
    api_root: str  # the URL of the API root to read from and write to (§4.2)


def _fail(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"partner card {field}: {reason}")


def _text(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str):
        kind = "missing" if field not in data else f"a {type(value).__name__}"
        raise _fail(field, f"is required: a string, not {kind}")
    return value


def _check_name(value: str) -> None:
    if not value.strip():
        raise _fail("org_name", "must not be blank")
    if len(value) > _MAX_NAME:
        raise _fail("org_name", f"must be at most {_MAX_NAME} characters")
    if not value.isprintable():
        raise _fail("org_name", "must not contain control characters")


def _check_url(field: str, value: str) -> None:
    if len(value) > _MAX_URL or not value.isprintable() or " " in value:
        raise _fail(field, f"{value[:80]!r} is not a URL")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on an out-of-range or non-numeric port
    except ValueError as exc:
        raise _fail(field, f"{value!r} is not a URL: {exc}") from exc
    if port == 0:
        raise _fail(field, f"{value!r}: port 0 cannot be connected to")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _fail(field, f"{value!r} must be an absolute http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        # A card is handed around and kept: credentials never belong in it.
        raise _fail(field, "must not contain credentials (user:password@)")
    if parts.fragment:
        raise _fail(field, "must not have a #fragment (TAXII 2.1 endpoints are plain URLs)")


def _checked(card: PartnerCard) -> PublicKey:
    """Validate every field of ``card``; its parsed public key."""
    _check_name(card.org_name)
    if not is_valid_id(card.org_id, "identity"):
        raise _fail("org_id", f"{card.org_id!r} is not an identity id (STIX 2.1 §2.9)")
    try:
        key = parse_public_key(card.public_key)
    except InvalidInput as exc:
        raise _fail("public_key", str(exc)) from exc
    _check_url("taxii_url", card.taxii_url)
    _check_url("api_root", card.api_root)
    return key


def _unsigned(card: PartnerCard) -> dict[str, Any]:
    return {
        "entente_partner_card": CARD_VERSION,
        "org_name": card.org_name,
        "org_id": card.org_id,
        "public_key": card.public_key,
        "taxii_url": card.taxii_url,
        "api_root": card.api_root,
    }


def make_card(
    *, org_name: str, org_id: str, public_key: PublicKey, taxii_url: str, api_root: str
) -> PartnerCard:
    """A validated card; ``InvalidInput`` names the field that is wrong."""
    card = PartnerCard(org_name, org_id, public_key.text, taxii_url, api_root)
    _checked(card)
    return card


def card_document(card: PartnerCard, key: NodeKey) -> dict[str, Any]:
    """The card as JSON, self-signed with ``key``, which must be the key the card names."""
    if _checked(card) != key.public_key:
        raise _fail("public_key", "is not the public key of the signing key")
    document = _unsigned(card)
    # Ed25519 (RFC 8032) over the RFC 8785 canonical JSON of the card without "signature".
    document["signature"] = encode_base64url(key.sign(canonical_json(document)))
    return document


def parse_card(data: Any) -> PartnerCard:
    """The card in a JSON document; ``InvalidInput`` or ``SignatureError`` if it is not valid."""
    if not isinstance(data, dict):
        raise InvalidInput(f"a partner card must be a JSON object, not {type(data).__name__}")
    version = data.get("entente_partner_card")
    if type(version) is not int:
        raise _fail("entente_partner_card", "is required: this is not an Entente partner card")
    if version != CARD_VERSION:
        raise _fail(
            "entente_partner_card", f"version {version} is not supported (only {CARD_VERSION})"
        )
    unknown = sorted(str(name) for name in set(data) - _MEMBERS)
    if unknown:
        # Every member is signed; one this version does not define would go unchecked.
        raise _fail(unknown[0], "is not a member of a version 1 card")
    card = PartnerCard(*(_text(data, field) for field in _FIELDS))
    key = _checked(card)
    signature = decode_base64url(_text(data, "signature"))
    if signature is None or len(signature) != _SIGNATURE_SIZE:
        raise _fail(
            "signature",
            "must be a 64-byte Ed25519 signature (RFC 8032 §5.1.6) in base64url without padding",
        )
    if not key.verify(signature, canonical_json(_unsigned(card))):
        raise SignatureError(
            f"the card's self-signature does not verify under its public_key {card.public_key}: "
            "the card was altered after it was signed",
            "signature",
        )
    return card
