"""The users service over the real SQL stores: logins, lock-out, replay and sessions."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from entente.accounts import IDLE_TIMEOUT_US, PasswordHasher, TotpSealer, totp_at
from entente.clock import FixedClock
from entente.errors import AuthenticationFailed, InvalidInput, ObjectNotFound
from entente.services.users import LOGIN_FAILED, Enrolment, UserService
from entente.store.sql import SqlStore, open_store
from entente.store.sql_users import SqlSessionStore, SqlUserStore

PASSWORD = "correct horse battery"
SECRET = b"0123456789abcdef0123456789abcdef"
# Cheap parameters for speed; the node's own are tested in tests/unit/accounts.
CHEAP = PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'entente.db'}", FixedClock())
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def service(store: SqlStore, clock: FixedClock) -> UserService:
    return UserService(
        users=SqlUserStore(store.engine),
        sessions=SqlSessionStore(store.engine),
        clock=clock,
        sealer=TotpSealer(SECRET),
        hasher=CHEAP,
        issuer="CERT-X",
    )


def code_now(enrolment: Enrolment, clock: FixedClock) -> str:
    """The code the user's authenticator app shows now."""
    key = base64.b32decode(enrolment.secret + "=" * (-len(enrolment.secret) % 8))
    return totp_at(key, clock.now_us() // 1_000_000)


def next_step(clock: FixedClock) -> None:
    clock.advance(30_000_000)


def test_add_returns_the_key_once_and_stores_it_sealed(service: UserService) -> None:
    enrolment = service.add_user("Alice", org_name="ACME", role="analyst", password=PASSWORD)
    assert enrolment.uri.startswith("otpauth://totp/CERT-X:Alice?secret=" + enrolment.secret)
    stored = service.get_user("alice")
    assert base64.b32decode(enrolment.secret) not in stored.totp_sealed
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


def test_add_refuses_bad_input(service: UserService) -> None:
    service.add_user("alice", org_name="ACME", role="analyst", password=PASSWORD)
    for username, org, role, password in (
        ("ALICE", "ACME", "analyst", PASSWORD),
        ("bob", " ", "analyst", PASSWORD),
        ("bob", "ACME", "root", PASSWORD),
        ("bob", "ACME", "reader", "short"),
        ("b ob", "ACME", "reader", PASSWORD),
    ):
        with pytest.raises(InvalidInput):
            service.add_user(username, org_name=org, role=role, password=password)


def test_a_user_reads_as_an_individual_principal_of_its_org_and_role(
    service: UserService, clock: FixedClock
) -> None:
    enrolment = service.add_user("Alice", org_name="ACME", role="reader", password=PASSWORD)
    started = service.sign_in("alice", PASSWORD, code_now(enrolment, clock))
    principal = service.session_of(started.token).principal
    assert principal.is_individual
    assert (principal.org, principal.role.value) == (enrolment.user.org, "reader")
    assert principal.id == "user:alice"


def test_every_failure_is_the_same_answer(service: UserService, clock: FixedClock) -> None:
    enrolment = service.add_user("alice", org_name="ACME", role="analyst", password=PASSWORD)
    service.add_user("bob", org_name="ACME", role="analyst", password=PASSWORD)
    service.disable("bob")
    code = code_now(enrolment, clock)
    attempts = [
        ("nobody", PASSWORD, code),
        ("alice", PASSWORD + "x", code),
        ("alice", PASSWORD, "000000" if code != "000000" else "111111"),
        ("bob", PASSWORD, code),
        ("x" * 500, PASSWORD, code),
    ]
    for username, password, attempt in attempts:
        with pytest.raises(AuthenticationFailed) as failed:
            service.verify_login(username, password, attempt)
        assert str(failed.value) == LOGIN_FAILED


def test_a_code_is_accepted_once(service: UserService, clock: FixedClock) -> None:
    enrolment = service.add_user("alice", org_name="ACME", role="analyst", password=PASSWORD)
    code = code_now(enrolment, clock)
    service.verify_login("alice", PASSWORD, code)
    with pytest.raises(AuthenticationFailed):
        service.verify_login("alice", PASSWORD, code)
    # Still inside the ±1 window, but the step was spent (RFC 6238 §5.2).
    clock.advance(20_000_000)
    with pytest.raises(AuthenticationFailed):
        service.verify_login("alice", PASSWORD, code)
    next_step(clock)
    service.verify_login("alice", PASSWORD, code_now(enrolment, clock))


def test_five_failures_lock_for_fifteen_minutes_even_right_credentials(
    service: UserService, clock: FixedClock
) -> None:
    enrolment = service.add_user("alice", org_name="ACME", role="analyst", password=PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            service.verify_login("alice", "wrong password!", code_now(enrolment, clock))
    assert service.get_user("alice").locked_until_us == clock.now_us() + 15 * 60 * 1_000_000
    with pytest.raises(AuthenticationFailed):
        service.verify_login("alice", PASSWORD, code_now(enrolment, clock))
    clock.advance(15 * 60 * 1_000_000)
    user = service.verify_login("alice", PASSWORD, code_now(enrolment, clock))
    assert (user.failed_attempts, user.locked_until_us) == (0, None)


def test_four_failures_then_a_success_start_the_count_again(
    service: UserService, clock: FixedClock
) -> None:
    enrolment = service.add_user("alice", org_name="ACME", role="analyst", password=PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            service.verify_login("alice", "wrong password!", "123456")
    service.verify_login("alice", PASSWORD, code_now(enrolment, clock))
    next_step(clock)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            service.verify_login("alice", "wrong password!", "123456")
    assert service.get_user("alice").locked_until_us is None


def test_a_hash_with_old_parameters_is_rehashed_at_login(
    store: SqlStore, clock: FixedClock
) -> None:
    def with_hasher(hasher: PasswordHasher) -> UserService:
        return UserService(
            users=SqlUserStore(store.engine),
            sessions=SqlSessionStore(store.engine),
            clock=clock,
            sealer=TotpSealer(SECRET),
            hasher=hasher,
            issuer="CERT-X",
        )

    enrolment = with_hasher(CHEAP).add_user(
        "alice", org_name="ACME", role="analyst", password=PASSWORD
    )
    stronger = with_hasher(PasswordHasher(time_cost=2, memory_kib=2048, parallelism=1))
    user = stronger.verify_login("alice", PASSWORD, code_now(enrolment, clock))
    assert "$m=2048,t=2,p=1$" in user.password_hash


def test_sessions_end_when_idle_expired_or_signed_out(
    service: UserService, clock: FixedClock
) -> None:
    enrolment = service.add_user("alice", org_name="ACME", role="analyst", password=PASSWORD)
    first = service.sign_in("alice", PASSWORD, code_now(enrolment, clock))
    # Activity keeps a session alive past the idle timeout, never past 12 hours.
    for _ in range(12 * 3):
        clock.advance(IDLE_TIMEOUT_US - 60_000_000)
        if clock.now_us() >= first.session.expires_us:
            break
        assert service.session_of(first.token).user.username == "alice"
    with pytest.raises(AuthenticationFailed):
        service.session_of(first.token)
    next_step(clock)
    second = service.sign_in("alice", PASSWORD, code_now(enrolment, clock))
    clock.advance(IDLE_TIMEOUT_US)
    with pytest.raises(AuthenticationFailed):
        service.session_of(second.token)
    next_step(clock)
    third = service.sign_in("alice", PASSWORD, code_now(enrolment, clock))
    service.sign_out(third.token)
    with pytest.raises(AuthenticationFailed):
        service.session_of(third.token)
    with pytest.raises(AuthenticationFailed):
        service.session_of("not a token")


def test_disable_password_change_and_totp_reset_end_sessions(
    service: UserService, clock: FixedClock
) -> None:
    enrolment = service.add_user("alice", org_name="ACME", role="analyst", password=PASSWORD)
    ends = (
        lambda: service.disable("alice"),
        lambda: service.change_password("alice", "another good password"),
        lambda: service.reset_totp("alice"),
    )
    password = PASSWORD
    for end in ends:
        next_step(clock)
        started = service.sign_in("alice", password, code_now(enrolment, clock))
        assert service.session_of(started.token).user.username == "alice"
        result = end()
        with pytest.raises(AuthenticationFailed):
            service.session_of(started.token)
        service.enable("alice")
        if isinstance(result, Enrolment):
            enrolment = result
        elif not result.disabled:
            password = "another good password"
    # The new key works; the old one no longer does.
    next_step(clock)
    service.verify_login("alice", password, code_now(enrolment, clock))


def test_unknown_users_are_not_found_for_admin_actions(service: UserService) -> None:
    for action in (service.disable, service.enable, service.reset_totp):
        with pytest.raises(ObjectNotFound):
            action("nobody")
