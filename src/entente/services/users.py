"""Local user accounts: add, sign in with password and TOTP, sessions, and their upkeep.

Every failed login (unknown user, wrong password, wrong or replayed code, locked, disabled)
raises the same ``AuthenticationFailed(LOGIN_FAILED)``, after the same work (an Argon2id
verification, even for a username that does not exist), so that neither the answer nor its
timing tells whether a username exists (OWASP Authentication Cheat Sheet, "Authentication
and Error Messages"). ADR 0009 records the choices.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from entente.accounts import (
    ABSOLUTE_LIFETIME_US,
    IDLE_TIMEOUT_US,
    LOCKOUT_US,
    MAX_FAILURES,
    TOUCH_INTERVAL_US,
    PasswordHasher,
    SessionState,
    TotpSealer,
    check_password_rules,
    hash_session_token,
    is_locked,
    new_session_token,
    new_totp_key,
    parse_username,
    provisioning_uri,
    render_base32,
    session_state,
    verify_totp,
)
from entente.clock import Clock
from entente.errors import AuthenticationFailed, InvalidInput, ObjectNotFound
from entente.services.tokens import org_identity_id
from entente.sharing import Principal, Role
from entente.store import SessionStore, UiSession, UserAccount, UserStore

__all__ = [
    "EXTERNAL_PASSWORD_HASH",
    "LOGIN_FAILED",
    "Enrolment",
    "NewSession",
    "SignedIn",
    "UserService",
    "is_csrf_token",
    "may_administer",
    "principal_of_user",
]

LOGIN_FAILED = "invalid username, password or code"
# The password hash of an account made by single sign-on: not a PHC string, so that no
# password verifies against it (``PasswordHasher.verify`` reads a malformed hash as False).
EXTERNAL_PASSWORD_HASH = "!external"
# A session cookie is the base64url of 32 bytes (accounts.sessions): anything else is not one
# of ours and costs no database read.
_TOKEN_CHARS = 43
_SECOND_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A user's TOTP key as shown once, at creation or reset: base32 and as a Key URI."""

    user: UserAccount
    secret: str
    uri: str


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just started: the cookie value (never stored) and the stored session."""

    token: str
    session: UiSession
    user: UserAccount


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a valid session cookie belongs to."""

    user: UserAccount
    session: UiSession

    @property
    def principal(self) -> Principal:
        """The user as the sharing policy sees it."""
        return principal_of_user(self.user)


def principal_of_user(user: UserAccount) -> Principal:
    """A user reads as a named individual (TLP:RED may reach it) of its org, with its role."""
    return Principal(
        id=f"user:{user.username.lower()}",
        org=user.org,
        role=Role(user.role),
        is_individual=True,
    )


def may_administer(principal: Principal, node_org: str) -> bool:
    """Whether ``principal`` may run this node: an admin of the node's own org.

    An admin of a partner org holds that role for its own org's work, never for this node's
    accounts, tokens and settings (architecture §2; the dashboard's operations rule alike).
    """
    return principal.role is Role.ADMIN and principal.org == node_org


class UserService:
    """The use cases of local accounts over their stores; all dependencies passed in."""

    def __init__(
        self,
        *,
        users: UserStore,
        sessions: SessionStore,
        clock: Clock,
        sealer: TotpSealer,
        hasher: PasswordHasher,
        issuer: str,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._clock = clock
        self._sealer = sealer
        self._hasher = hasher
        self._issuer = issuer
        self._random = random_bytes
        self._decoy_hash: str | None = None

    # --- accounts -----------------------------------------------------------------------

    def add_user(self, username: str, *, org_name: str, role: str, password: str) -> Enrolment:
        """Create an account with a fresh TOTP key; the key is returned once, never again."""
        username = parse_username(username)
        org_name = org_name.strip()
        if not org_name:
            raise InvalidInput("an org name is required")
        try:
            Role(role)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise InvalidInput(f"unknown role {role!r}: use one of {roles}") from None
        check_password_rules(password)
        if self._users.get_by_username(username) is not None:
            raise InvalidInput(f"user {username} already exists")
        user_id = "usr_" + self._random(6).hex()
        key = new_totp_key(self._random)
        now = self._clock.now_us()
        user = UserAccount(
            user_id=user_id,
            username=username,
            org=org_identity_id(org_name),
            org_name=org_name,
            role=role,
            password_hash=self._hasher.hash(password),
            totp_sealed=self._sealer.seal(key, user_id),
            created_us=now,
            updated_us=now,
        )
        self._users.add(user)
        return self._enrolment(user, key)

    def list_users(self) -> list[UserAccount]:
        """Every user, oldest first; never their password hashes or keys (callers show what
        they choose, and the key is sealed)."""
        return list(self._users.list())

    def get_user(self, username: str) -> UserAccount:
        """The user named ``username`` (any case); ``ObjectNotFound`` if there is none."""
        user = self._users.get_by_username(username)
        if user is None:
            raise ObjectNotFound(f"no user {username}")
        return user

    def disable(self, username: str) -> UserAccount:
        """Disable a user: it cannot sign in, and its sessions end now."""
        user = self.get_user(username)
        self._users.set_disabled(user.user_id, True, now_us=self._clock.now_us())
        return self.get_user(username)

    def enable(self, username: str) -> UserAccount:
        """Enable a user again (clearing failed attempts and any lock)."""
        user = self.get_user(username)
        self._users.set_disabled(user.user_id, False, now_us=self._clock.now_us())
        return self.get_user(username)

    def reset_totp(self, username: str) -> Enrolment:
        """Give a user a new TOTP key (a lost device); its sessions end. Shown once."""
        user = self.get_user(username)
        key = new_totp_key(self._random)
        self._users.set_totp(
            user.user_id, self._sealer.seal(key, user.user_id), now_us=self._clock.now_us()
        )
        self._sessions.delete_for_user(user.user_id)
        return self._enrolment(self.get_user(username), key)

    def change_password(self, username: str, password: str) -> UserAccount:
        """Set a new password; the user's sessions end (OWASP Session Management Cheat
        Sheet: renew sessions on any privilege or credential change)."""
        user = self.get_user(username)
        check_password_rules(password)
        self._users.set_password_hash(
            user.user_id, self._hasher.hash(password), now_us=self._clock.now_us()
        )
        self._sessions.delete_for_user(user.user_id)
        return self.get_user(username)

    def _enrolment(self, user: UserAccount, key: bytes) -> Enrolment:
        return Enrolment(
            user=user,
            secret=render_base32(key),
            uri=provisioning_uri(key, user.username, self._issuer),
        )

    # --- logins -------------------------------------------------------------------------

    def verify_login(self, username: str, password: str, code: str) -> UserAccount:
        """The user whose password and current TOTP code these are, the code now spent.

        Raises ``AuthenticationFailed(LOGIN_FAILED)`` for every failure alike. A wrong
        password or code counts towards the lock-out (``accounts.lockout``); while locked or
        disabled, even right credentials fail and nothing is counted.
        """
        now = self._clock.now_us()
        user = self._users.get_by_username(username) if len(username) <= 64 else None
        if user is None:
            # The same Argon2id work as for a real account: no timing tells them apart.
            self._hasher.verify(self._decoy(), password)
            raise AuthenticationFailed(LOGIN_FAILED)
        password_ok = self._hasher.verify(user.password_hash, password)
        key = self._sealer.unseal(user.totp_sealed, user.user_id)
        step = verify_totp(key, code, now // _SECOND_US, last_step=user.totp_last_step)
        if user.disabled or is_locked(user.locked_until_us, now):
            raise AuthenticationFailed(LOGIN_FAILED)
        if not password_ok or step is None:
            self._users.record_failure(
                user.user_id, now_us=now, max_failures=MAX_FAILURES, lockout_us=LOCKOUT_US
            )
            raise AuthenticationFailed(LOGIN_FAILED)
        if not self._users.record_success(user.user_id, totp_step=step, now_us=now):
            # Another login spent this code between our read and our write (RFC 6238 §5.2).
            raise AuthenticationFailed(LOGIN_FAILED)
        if self._hasher.needs_rehash(user.password_hash):
            self._users.set_password_hash(user.user_id, self._hasher.hash(password), now_us=now)
        found = self._users.get_by_id(user.user_id)
        if found is None:
            raise AuthenticationFailed(LOGIN_FAILED)
        return found

    def _decoy(self) -> str:
        """A hash of a random password, made on first need with this service's hasher."""
        if self._decoy_hash is None:
            self._decoy_hash = self._hasher.hash(self._random(16).hex())
        return self._decoy_hash

    # --- sessions -----------------------------------------------------------------------

    def sign_in(self, username: str, password: str, code: str) -> NewSession:
        """Verify a login and start a session for it (ended sessions are swept first)."""
        return self._start_session(self.verify_login(username, password, code))

    def sign_in_external(self, username: str, *, org_name: str, role: str) -> NewSession:
        """Start a session for a user an identity provider vouched for (``accounts.oidc``).

        The local account is made on first sign-in, with no usable password and a TOTP key
        nobody holds, so it signs in only through the provider. A disabled account, a local
        account of that name, or an org or role other than the account's is refused: an
        account's org and role change only by an admin here, never silently.
        """
        user = self._users.get_by_username(username)
        if user is None:
            user_id = "usr_" + self._random(6).hex()
            now = self._clock.now_us()
            self._users.add(
                UserAccount(
                    user_id=user_id,
                    username=parse_username(username),
                    org=org_identity_id(org_name),
                    org_name=org_name,
                    role=Role(role).value,
                    password_hash=EXTERNAL_PASSWORD_HASH,
                    totp_sealed=self._sealer.seal(new_totp_key(self._random), user_id),
                    created_us=now,
                    updated_us=now,
                )
            )
            user = self.get_user(username)
        if user.password_hash != EXTERNAL_PASSWORD_HASH:
            raise AuthenticationFailed(f"{username} is a local account")
        if user.disabled:
            raise AuthenticationFailed(f"{username} is disabled")
        if (user.org_name, user.role) != (org_name, role):
            raise AuthenticationFailed(
                f"{username} is {user.role} of {user.org_name} here, but the provider now says "
                f"{role} of {org_name}: an admin must remove or change the account first"
            )
        return self._start_session(user)

    def _start_session(self, user: UserAccount) -> NewSession:
        now = self._clock.now_us()
        self._sessions.delete_ended(now_us=now, idle_us=IDLE_TIMEOUT_US)
        token = new_session_token(self._random)
        session = UiSession(
            session_hash=hash_session_token(token),
            user_id=user.user_id,
            csrf_token=base64.urlsafe_b64encode(self._random(32)).rstrip(b"=").decode("ascii"),
            created_us=now,
            last_seen_us=now,
            expires_us=now + ABSOLUTE_LIFETIME_US,
        )
        self._sessions.add(session)
        return NewSession(token=token, session=session, user=user)

    def session_of(self, token: str) -> SignedIn:
        """Who the session cookie ``token`` signs in; ``AuthenticationFailed`` if no one.

        An expired or idle session, or one of a user since disabled, is deleted on sight.
        """
        if len(token) != _TOKEN_CHARS:
            raise AuthenticationFailed("no session")
        session = self._sessions.get(hash_session_token(token))
        if session is None:
            raise AuthenticationFailed("no session")
        now = self._clock.now_us()
        state = session_state(
            last_seen_us=session.last_seen_us, expires_us=session.expires_us, now_us=now
        )
        user = self._users.get_by_id(session.user_id)
        if state is not SessionState.ACTIVE or user is None or user.disabled:
            self._sessions.delete(session.session_hash)
            raise AuthenticationFailed("session ended")
        if now - session.last_seen_us >= TOUCH_INTERVAL_US:
            self._sessions.touch(session.session_hash, now)
        return SignedIn(user=user, session=session)

    def sign_out(self, token: str) -> None:
        """End the session of cookie ``token`` (nothing if there is none)."""
        self._sessions.delete(hash_session_token(token))


def is_csrf_token(session: UiSession, presented: str | None) -> bool:
    """Whether ``presented`` is the session's CSRF token (constant-time comparison)."""
    if not presented:
        return False
    return hmac.compare_digest(session.csrf_token.encode("ascii"), presented.encode("utf-8"))
