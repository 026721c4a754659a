"""Stateless encrypted ``next`` cursors (TAXII 2.1 §3.4 next, §3.5) over date_added."""

from __future__ import annotations

import base64
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entente.errors import ConfigurationError
from entente.store.records import ObjectQuery, Page, Provenance, SourceKind, StoredVersion
from entente.taxii.cursors import decode_cursor, encode_cursor, fingerprint, next_token
from entente.taxii.params import ObjectFilters, parse_object_filters
from entente.taxii.problems import InvalidParameter

SECRET = b"0123456789abcdef-node-secret"
FP = fingerprint(ObjectFilters())
_int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(_int64)
def test_taxii_cursors_round_trip(after_us: int) -> None:
    token = encode_cursor(after_us, FP, SECRET)
    assert decode_cursor(token, SECRET, FP) == after_us


@given(_int64, st.data())
def test_taxii_cursors_any_bit_flip_of_the_payload_is_rejected(
    after_us: int, data: st.DataObject
) -> None:
    raw = bytearray(base64.urlsafe_b64decode(encode_cursor(after_us, FP, SECRET)))
    bit = data.draw(st.integers(min_value=0, max_value=len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidParameter):
        decode_cursor(base64.urlsafe_b64encode(bytes(raw)).decode(), SECRET, FP)


@given(_int64, st.data())
def test_taxii_cursors_any_bit_flip_of_the_token_text_is_rejected(
    after_us: int, data: st.DataObject
) -> None:
    token = bytearray(encode_cursor(after_us, FP, SECRET).encode())
    bit = data.draw(st.integers(min_value=0, max_value=len(token) * 8 - 1))
    token[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidParameter):
        decode_cursor(token.decode("latin-1"), SECRET, FP)


def test_taxii_cursors_are_opaque_url_safe_and_never_repeat() -> None:
    token = encode_cursor(1_700_000_000_123_456, FP, SECRET)
    assert len(token) == 52
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    # A fresh nonce each time: two cursors for one position are unrelated strings. No clock
    # inside: both work forever.
    again = encode_cursor(1_700_000_000_123_456, FP, SECRET)
    assert again != token
    assert decode_cursor(token, SECRET, FP) == decode_cursor(again, SECRET, FP)


@given(_int64)
def test_taxii_cursors_reveal_no_date(after_us: int) -> None:
    """The instant is encrypted: it is in no cursor in any of its plain encodings."""
    raw = base64.urlsafe_b64decode(encode_cursor(after_us, FP, SECRET))
    for width in (8, 7, 6):
        try:
            plain = after_us.to_bytes(width, "big", signed=True)
        except OverflowError:
            continue
        assert plain not in raw
        assert plain[::-1] not in raw
    digits = str(after_us).encode()
    # A short decimal (an instant near the epoch) is a byte or two that random ciphertext
    # holds by chance; from six digits on, a match would be the clear text.
    if len(digits) >= 6:
        assert digits not in raw


def test_taxii_cursors_of_the_old_signed_format_are_refused_clearly() -> None:
    # Version 1: base64url(version || after_us || HMAC-SHA256[:24]); its date in clear text.
    payload = bytes([1]) + (1_700_000_000_000_000).to_bytes(8, "big", signed=True)
    mac = hmac.new(SECRET, b"entente/taxii/next-cursor\x00" + payload + FP.encode(), "sha256")
    old = base64.urlsafe_b64encode(payload + mac.digest()[:24]).decode()
    with pytest.raises(InvalidParameter, match="repeat the original query") as caught:
        decode_cursor(old, SECRET, FP)
    assert caught.value.parameter == "next"


def test_taxii_cursors_used_with_other_filters_are_rejected() -> None:
    token = encode_cursor(5, FP, SECRET)
    other = fingerprint(parse_object_filters([("match[type]", "indicator")]))
    with pytest.raises(InvalidParameter, match="these filters") as caught:
        decode_cursor(token, SECRET, other)
    assert caught.value.parameter == "next"


def test_taxii_cursors_from_another_node_are_rejected() -> None:
    token = encode_cursor(5, FP, b"another-node-secret-value")
    with pytest.raises(InvalidParameter):
        decode_cursor(token, SECRET, FP)


@pytest.mark.parametrize(
    "token", ["", "abc", "A" * 44, "!" * 44, "A" * 43 + "=", "A" * 52, "A" * 51 + "=", "A" * 4000]
)
def test_taxii_cursors_malformed_tokens_are_invalid_parameter(token: str) -> None:
    with pytest.raises(InvalidParameter):
        decode_cursor(token, SECRET, FP)


def test_taxii_cursors_need_a_real_secret() -> None:
    with pytest.raises(ConfigurationError):
        encode_cursor(1, FP, b"short")
    with pytest.raises(ConfigurationError):
        decode_cursor("x", b"short", FP)


def test_taxii_cursors_fingerprint_ignores_order_limit_and_next_but_not_filters() -> None:
    a = parse_object_filters([("match[type]", "indicator,malware"), ("limit", "5")])
    b = parse_object_filters([("match[type]", "malware,indicator"), ("next", "zz")])
    c = parse_object_filters([("match[type]", "malware")])
    d = parse_object_filters([("added_after", "2016-01-01T00:00:00Z")])
    assert fingerprint(a) == fingerprint(b)
    assert len({fingerprint(a), fingerprint(c), fingerprint(d), FP}) == 4
    assert fingerprint(a, "collection-1/objects") != fingerprint(a, "collection-2/objects")


# --- paging through a fake store with nothing but the cursor -------------------------------


def _version(n: int) -> StoredVersion:
    object_id = f"indicator--00000000-0000-4000-8000-{n:012d}"
    return StoredVersion(
        id=object_id,
        type="indicator",
        spec_version="2.1",
        version="",
        created=None,
        modified=None,
        created_by_ref=None,
        revoked=False,
        marking_refs=(),
        raw_json=b'{"id": "%s"}' % object_id.encode(),
        date_added_us=1_000_000 + n * 7,
        provenance=Provenance(SourceKind.USER, "test", "alice"),
    )


STORE = tuple(_version(n) for n in range(23))


def _fake_query(query: ObjectQuery) -> Page:
    """What the store promises: ascending date_added, strictly after the cursor, ``limit``."""
    after = query.after_cursor if query.after_cursor is not None else -(2**63)
    rest = [v for v in STORE if v.date_added_us > after]
    items = tuple(rest[: query.limit])
    more = len(rest) > query.limit
    return Page(items, items[-1].date_added_us if more else None)


def test_taxii_cursors_page_through_everything_exactly_once() -> None:
    seen: list[str] = []
    token: str | None = None
    requests = 0
    while True:
        params = [("limit", "5")] + ([("next", token)] if token else [])
        filters = parse_object_filters(params)
        fp = fingerprint(filters, "c1/objects")
        after = decode_cursor(filters.next, SECRET, fp) if filters.next else None
        page = _fake_query(filters.to_query(100, 1000, after))
        seen.extend(item.id for item in page.items)
        requests += 1
        token = next_token(page, SECRET, fp)
        if token is None:
            break
    assert seen == [v.id for v in STORE]
    assert requests == 5


def test_taxii_cursors_next_token_is_none_on_the_last_page() -> None:
    assert next_token(Page((), None), SECRET, FP) is None
