"""Partner cards: made, self-signed (Ed25519 over RFC 8785 JSON), parsed and checked."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.errors import InvalidInput, SignatureError
from entente.federation import (
    PartnerCard,
    card_document,
    encode_base64url,
    generate_key,
    make_card,
    parse_card,
)
from entente.stix import canonical_json

ORG_ID = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
KEY = generate_key()


def _card(**changes: str) -> PartnerCard:
    fields = {
        "org_name": "CERT Example",
        "org_id": ORG_ID,
        "taxii_url": "https://node.cert.example/taxii2/",
        "api_root": "https://node.cert.example/taxii2/api/",
    } | changes
    return make_card(public_key=KEY.public_key, **fields)


def _document(**changes: Any) -> dict[str, Any]:
    document = card_document(_card(), KEY)
    for name, value in changes.items():
        if value is _DROP:
            del document[name]
        else:
            document[name] = value
    return document


_DROP = object()


def test_card_document_round_trips() -> None:
    card = _card()
    document = card_document(card, KEY)
    assert set(document) == {
        "entente_partner_card",
        "org_name",
        "org_id",
        "public_key",
        "taxii_url",
        "api_root",
        "signature",
    }
    assert document["entente_partner_card"] == 1
    assert document["public_key"] == KEY.public_key_text
    assert parse_card(document) == card


def test_the_document_survives_json_text_in_any_key_order() -> None:
    document = card_document(_card(), KEY)
    text = json.dumps(dict(reversed(list(document.items()))), indent=2)
    assert parse_card(json.loads(text)) == _card()


def test_the_signature_is_ed25519_over_the_canonical_json_without_it() -> None:
    document = card_document(_card(), KEY)
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    assert document["signature"] == encode_base64url(KEY.sign(canonical_json(unsigned)))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("org_name", "CERT Examp1e"),
        ("org_id", "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
        ("taxii_url", "https://evil.example/taxii2/"),
        ("api_root", "https://node.cert.example/taxii2/other/"),
    ],
)
def test_a_tampered_card_fails_its_self_signature(name: str, value: str) -> None:
    with pytest.raises(SignatureError, match="does not verify") as caught:
        parse_card(_document(**{name: value}))
    assert caught.value.field == "signature"


def test_a_swapped_public_key_fails_the_self_signature() -> None:
    # An attacker substitutes their key but cannot re-sign with the original one.
    with pytest.raises(SignatureError):
        parse_card(_document(public_key=generate_key().public_key_text))


def test_a_card_re_signed_by_another_key_is_valid_but_names_that_key() -> None:
    # The self-signature proves possession only; trust in the key comes from the exchange.
    other = generate_key()
    card = make_card(
        org_name="CERT Example",
        org_id=ORG_ID,
        public_key=other.public_key,
        taxii_url="https://node.cert.example/taxii2/",
        api_root="https://node.cert.example/taxii2/api/",
    )
    assert parse_card(card_document(card, other)).public_key == other.public_key_text


def test_card_document_refuses_a_key_that_is_not_the_cards() -> None:
    with pytest.raises(InvalidInput, match="public_key"):
        card_document(_card(), generate_key())


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"entente_partner_card": _DROP}, "entente_partner_card", "not an Entente partner card"),
        ({"entente_partner_card": True}, "entente_partner_card", "not an Entente partner card"),
        ({"entente_partner_card": "1"}, "entente_partner_card", "not an Entente partner card"),
        ({"entente_partner_card": 2}, "entente_partner_card", "version 2 is not supported"),
        ({"x_extra": "1"}, "x_extra", "not a member"),
        ({"org_name": _DROP}, "org_name", "is required"),
        ({"org_name": 7}, "org_name", "not a int"),
        ({"org_name": "   "}, "org_name", "blank"),
        ({"org_name": "A\nB"}, "org_name", "control characters"),
        ({"org_name": "A" * 257}, "org_name", "at most 256"),
        ({"org_id": "identity--x"}, "org_id", "not an identity id"),
        ({"org_id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "org_id", "identity id"),
        ({"public_key": "ssh-ed25519 AAAA"}, "public_key", "must start with 'ed25519:'"),
        ({"public_key": "ed25519:AAAA"}, "public_key", "holds 3 bytes"),
        ({"taxii_url": "ftp://node.example/"}, "taxii_url", "absolute http"),
        ({"taxii_url": "/taxii2/"}, "taxii_url", "absolute http"),
        ({"taxii_url": "https:///taxii2/"}, "taxii_url", "with a host"),
        ({"taxii_url": "https://u:p@node.example/"}, "taxii_url", "credentials"),
        ({"taxii_url": "https://node.example/#x"}, "taxii_url", "fragment"),
        ({"taxii_url": "https://node.example:99999/"}, "taxii_url", "not a URL"),
        ({"taxii_url": "https://node.example:0/"}, "taxii_url", "port 0"),
        ({"taxii_url": "https://node.example/a b/"}, "taxii_url", "not a URL"),
        ({"api_root": "node.example/api/"}, "api_root", "absolute http"),
        ({"api_root": None}, "api_root", "not a NoneType"),
        ({"signature": _DROP}, "signature", "is required"),
        ({"signature": "AAAA"}, "signature", "64-byte"),
        ({"signature": encode_base64url(bytes(64)) + "="}, "signature", "64-byte"),
    ],
)
def test_each_field_is_validated_with_its_name(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        parse_card(_document(**changes))
    assert not isinstance(caught.value, SignatureError)
    assert str(caught.value).startswith(f"partner card {field}: ")


@pytest.mark.parametrize("data", [None, [], "card", 1])
def test_a_card_must_be_a_json_object(data: Any) -> None:
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        parse_card(data)


def test_make_card_validates_its_fields() -> None:
    with pytest.raises(InvalidInput, match="partner card org_id"):
        _card(org_id="identity--nope")
    with pytest.raises(InvalidInput, match="partner card api_root"):
        _card(api_root="mailto:x@example.org")


def test_card_document_validates_a_card_built_directly() -> None:
    card = PartnerCard("Org", "not-an-id", KEY.public_key_text, "https://a.example/", "x")
    with pytest.raises(InvalidInput, match="org_id"):
        card_document(card, KEY)


def test_http_and_ip_hosts_are_accepted() -> None:
    card = _card(taxii_url="http://127.0.0.1:8000/taxii2/", api_root="http://[::1]:8000/api/")
    assert parse_card(card_document(card, KEY)) == card


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and s.isprintable()))
def test_any_printable_org_name_round_trips(name: str) -> None:
    card = _card(org_name=name)
    document = card_document(card, KEY)
    assert parse_card(copy.deepcopy(document)) == card
