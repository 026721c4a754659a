"""API token use cases against the SQL adapter: issue, authenticate, revoke, list."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from entente.clock import FixedClock
from entente.errors import AuthenticationFailed, InvalidInput, ObjectNotFound
from entente.services import (
    ROLES,
    TokenUseRecorder,
    authenticate,
    create_token,
    list_tokens,
    org_identity_id,
    revoke_token,
)
from entente.stix import deterministic_id, is_valid_id
from entente.store import TokenStatus
from entente.store.schema import api_tokens
from entente.store.sql import SqlStore, open_store
from entente.store.sql_tokens import SqlTokenStore

DAY_US = 86_400 * 1_000_000


@pytest.fixture
def clock() -> FixedClock:
    """A clock that stands still unless a test moves it."""
    return FixedClock()


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[SqlStore]:
    """A fresh SQLite store."""
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", clock)
    yield opened
    opened.close()


@pytest.fixture
def tokens(store: SqlStore, clock: FixedClock) -> SqlTokenStore:
    """Its token store."""
    return SqlTokenStore(store.engine, clock)


def test_create_returns_the_token_and_a_secret_in_the_documented_shape(
    tokens: SqlTokenStore, clock: FixedClock
) -> None:
    token, secret = create_token(tokens, clock, org_name="ACME", role="analyst")
    assert re.fullmatch(r"tok_[0-9a-f]{12}", token.token_id)
    assert re.fullmatch(rf"ent_{token.token_id}_[A-Za-z0-9_-]{{43}}", secret)
    assert token.org == deterministic_id("identity", "org", "ACME") == org_identity_id("ACME")
    assert is_valid_id(token.org, "identity")
    assert (token.org_name, token.role, token.name) == ("ACME", "analyst", "analyst@ACME")
    assert (token.created_us, token.expires_us) == (clock.now_us(), None)
    assert tokens.get_by_id(token.token_id) == token


def test_the_secret_is_never_stored_only_its_sha256(
    store: SqlStore, tokens: SqlTokenStore, clock: FixedClock
) -> None:
    token, secret = create_token(tokens, clock, org_name="ACME", role="admin", name="ci")
    random_part = secret.split("_", 3)[3]
    with store.engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(select(api_tokens))]
    [row] = rows
    assert hashlib.sha256(secret.encode()).hexdigest() in row
    for value in row:
        assert secret not in str(value)
        assert random_part not in str(value)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_two_tokens_get_different_ids_and_secrets(tokens: SqlTokenStore, clock: FixedClock) -> None:
    first, first_secret = create_token(tokens, clock, org_name="ACME", role="reader")
    second, second_secret = create_token(tokens, clock, org_name="ACME", role="reader")
    assert first.token_id != second.token_id
    assert first_secret != second_secret


def test_randomness_can_be_injected(tokens: SqlTokenStore, clock: FixedClock) -> None:
    token, secret = create_token(
        tokens, clock, org_name="ACME", role="reader", token_bytes=lambda n: b"\xff" * n
    )
    assert token.token_id == "tok_ffffffffffff"
    assert secret == "ent_tok_ffffffffffff_" + "_" * 42 + "8"


def test_authenticate_returns_the_token_and_notes_its_use_without_writing(
    tokens: SqlTokenStore, clock: FixedClock
) -> None:
    token, secret = create_token(tokens, clock, org_name="ACME", role="partner")
    clock.advance(1_000)
    uses = TokenUseRecorder(tokens)
    found = authenticate(tokens, clock, secret, uses)
    assert found.token_id == token.token_id
    assert found.role == "partner"
    assert uses.pending() == {token.token_id: clock.now_us()}
    stored = tokens.get_by_id(token.token_id)
    assert stored is not None and stored.last_used_us is None  # nothing written yet
    assert uses.flush() == 1
    stored = tokens.get_by_id(token.token_id)
    assert stored is not None and stored.last_used_us == clock.now_us()


def test_an_expired_token_fails_from_its_expiry_on(
    tokens: SqlTokenStore, clock: FixedClock
) -> None:
    token, secret = create_token(tokens, clock, org_name="ACME", role="reader", expires_days=2)
    assert token.expires_us == clock.now_us() + 2 * DAY_US
    clock.advance(2 * DAY_US - 1)
    authenticate(tokens, clock, secret)
    clock.advance(1)
    with pytest.raises(AuthenticationFailed, match="expired"):
        authenticate(tokens, clock, secret)
    assert [t.status_at(clock.now_us()) for t in list_tokens(tokens)] == [TokenStatus.EXPIRED]


def test_a_revoked_token_fails(tokens: SqlTokenStore, clock: FixedClock) -> None:
    token, secret = create_token(tokens, clock, org_name="ACME", role="reader")
    authenticate(tokens, clock, secret)
    revoked = revoke_token(tokens, token.token_id)
    assert revoked.revoked_us == clock.now_us()
    with pytest.raises(AuthenticationFailed, match="revoked"):
        authenticate(tokens, clock, secret)


def test_a_tampered_secret_fails(tokens: SqlTokenStore, clock: FixedClock) -> None:
    _, secret = create_token(tokens, clock, org_name="ACME", role="reader")
    last = secret[-1]
    tampered = secret[:-1] + ("A" if last != "A" else "B")
    with pytest.raises(AuthenticationFailed, match="invalid"):
        authenticate(tokens, clock, tampered)


def test_a_secret_under_another_tokens_id_fails(tokens: SqlTokenStore, clock: FixedClock) -> None:
    first, first_secret = create_token(tokens, clock, org_name="ACME", role="reader")
    second, _ = create_token(tokens, clock, org_name="ACME", role="admin")
    swapped = first_secret.replace(first.token_id, second.token_id)
    with pytest.raises(AuthenticationFailed, match="invalid"):
        authenticate(tokens, clock, swapped)


def test_an_unknown_token_id_fails(tokens: SqlTokenStore, clock: FixedClock) -> None:
    with pytest.raises(AuthenticationFailed, match="invalid"):
        authenticate(tokens, clock, "ent_tok_000000000000_" + "A" * 43)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: "xyz_" + s.removeprefix("ent_"),  # wrong prefix
        lambda s: s.removeprefix("ent_"),  # no prefix
        lambda s: "Bearer " + s,
        lambda s: s + "A",  # too long
        lambda s: s[:-1],  # too short
        lambda s: s.replace("tok_", "tik_"),
        lambda s: s.upper(),
        lambda s: "",
    ],
)
def test_a_malformed_secret_fails(
    tokens: SqlTokenStore, clock: FixedClock, mangle: Callable[[str], str]
) -> None:
    _, secret = create_token(tokens, clock, org_name="ACME", role="reader")
    with pytest.raises(AuthenticationFailed):
        authenticate(tokens, clock, mangle(secret))


def test_a_failed_authentication_records_no_use(tokens: SqlTokenStore, clock: FixedClock) -> None:
    token, secret = create_token(tokens, clock, org_name="ACME", role="reader")
    uses = TokenUseRecorder(tokens)
    with pytest.raises(AuthenticationFailed):
        authenticate(tokens, clock, secret[:-1] + ("A" if secret[-1] != "A" else "B"), uses)
    revoke_token(tokens, token.token_id)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        authenticate(tokens, clock, secret, uses)
    assert uses.pending() == {}
    stored = tokens.get_by_id(token.token_id)
    assert stored is not None and stored.last_used_us is None


@pytest.mark.parametrize("role", ROLES)
def test_every_documented_role_is_accepted(
    tokens: SqlTokenStore, clock: FixedClock, role: str
) -> None:
    assert create_token(tokens, clock, org_name="ACME", role=role)[0].role == role


def test_an_unknown_role_is_refused_naming_the_allowed_ones(
    tokens: SqlTokenStore, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput, match="admin, analyst, reader, partner"):
        create_token(tokens, clock, org_name="ACME", role="root")
    assert list_tokens(tokens) == []


def test_an_empty_org_or_a_non_positive_expiry_is_refused(
    tokens: SqlTokenStore, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput, match="org"):
        create_token(tokens, clock, org_name="  ", role="reader")
    with pytest.raises(InvalidInput, match="expiry"):
        create_token(tokens, clock, org_name="ACME", role="reader", expires_days=0)
    assert list_tokens(tokens) == []


def test_revoking_an_unknown_token_is_not_found(tokens: SqlTokenStore) -> None:
    with pytest.raises(ObjectNotFound):
        revoke_token(tokens, "tok_000000000000")


def test_list_shows_every_token_with_its_status(tokens: SqlTokenStore, clock: FixedClock) -> None:
    active, _ = create_token(tokens, clock, org_name="ACME", role="reader")
    clock.advance(1)
    revoked, _ = create_token(tokens, clock, org_name="ACME", role="reader")
    revoke_token(tokens, revoked.token_id)
    listed = list_tokens(tokens)
    assert [t.token_id for t in listed] == [active.token_id, revoked.token_id]
    assert [t.status_at(clock.now_us()) for t in listed] == [
        TokenStatus.ACTIVE,
        TokenStatus.REVOKED,
    ]
