"""Creating users, checking passwords and issuing bearer tokens."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ApiToken, User
from accounts.roles import ORG_MEMBER_ACCOUNTS, ROLES
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import new_token, sha256_hex
from sales.organizations import membership

# OWASP's argon2id configuration (19 MiB, 2 passes, 1 lane) rather than the library's default of
# 64 MiB: every hash or check takes that much memory at once, in whichever worker serves the login,
# and a worker that also serves 1,500 kiosks keeps its peak. Older hashes still verify (their
# parameters travel with them) and are re-hashed at the next login (check_needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0–4: 3 is "safely unguessable", about 10^10 guesses
_SYSTEM_WORDS = ("dongxi", "东西", "xiaofei", "bangfu", "消费帮扶", "kiosk", "guyuan", "fuzhou", "ningbo")
# Verifying against this keeps the time of a login with an unknown username like a real one. A
# constant made with the parameters above (of "dongxi-timing-equaliser"), not hashed at import.
_DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$qrfqANdMigf/7IVVjUrMow$9jaQeArYqzjkYtLEkZx0QrPewBm0mjC27BehEdqYbIA"
)


def create_user(
    session: Session, clock: Clock, *, username: str, role: str, password: str, display_name: str = ""
) -> User:
    """Create a user with an argon2 password hash."""
    if not _USERNAME.match(username):
        raise InvalidInput("usernames are 3–64 letters, digits or _.@-", fields={"username": "invalid"})
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role}", fields={"role": f"one of {', '.join(ROLES)}"})
    if (problem := password_problem(password, username, display_name)) is not None:
        raise InvalidInput("password refused", fields={"password": problem})
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username taken", code="duplicate", fields={"username": "already exists"})
    user = User(
        username=username,
        role=role,
        password_hash=_hasher.hash(password),
        display_name=display_name or username,
        created_at=clock.now(),
    )
    session.add(user)
    return user


def password_problem(password: str, *user_inputs: str) -> str | None:
    """Why a new password is refused, or None: shorter than 10 characters, longer than 256, or weak
    by zxcvbn (score under 3 of 4: common passwords and their variants, keyboard walks, repeats,
    dates, the username or display name and words of this system)."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters (not counting spaces at either end)"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"at most {MAX_PASSWORD_LENGTH} characters"
    # Imported here: its dictionaries take some 20 MB, loaded by what sets a password, not every worker.
    from zxcvbn import zxcvbn

    # zxcvbn's time grows quickly with length; beyond its first 100 characters a password is strong.
    words = [w for w in (*user_inputs, *_SYSTEM_WORDS) if w]
    verdict = zxcvbn(password[:100], user_inputs=words)
    if verdict["score"] >= MIN_PASSWORD_SCORE:
        return None
    advice = verdict["feedback"]["warning"] or " ".join(verdict["feedback"]["suggestions"])
    return "too easy to guess" + (f": {advice}" if advice else "")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the active user with this username and password, or None."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def end_sessions(user: User) -> None:
    """End every browser session of the user, on every server (their cookies' epoch is now old)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def set_password(session: Session, username: str, password: str) -> User:
    """Give a user a new password (the policy of create_user) and end their sessions."""
    user = user_named(session, username)
    if (problem := password_problem(password, user.username, user.display_name)) is not None:
        raise InvalidInput("password refused", fields={"password": problem})
    user.password_hash = _hasher.hash(password)
    end_sessions(user)
    return user


def deactivate_user(session: Session, clock: Clock, username: str) -> tuple[User, int]:
    """Deactivate a user: no sign-in, every session ended, every token revoked; return the user and
    how many tokens were revoked."""
    user = user_named(session, username)
    user.active = False
    end_sessions(user)
    return user, revoke_tokens(session, clock, username)


def set_role(session: Session, username: str, role: str) -> User:
    """Give a user another role; a member of a unit keeps an org buyer or approver role."""
    user = user_named(session, username)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role}", fields={"role": f"one of {', '.join(ROLES)}"})
    if role not in ORG_MEMBER_ACCOUNTS and membership(session, user.id) is not None:
        raise Conflict(
            "a member of a unit keeps an org_buyer or org_approver role; remove them from the unit first",
            code="member_role",
            fields={"role": "the user is a member of a unit: org_buyer or org_approver only"},
        )
    user.role = role
    return user


def member_account(session: Session, username: str) -> User:
    """The user of this username if it can be a member of a unit (an org buyer or approver account)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InvalidInput("unknown user", fields={"username": "unknown user"})
    if user.role not in ORG_MEMBER_ACCOUNTS:
        raise InvalidInput(
            "only org_buyer and org_approver accounts can be members",
            code="not_org_role",
            fields={"username": "not an org_buyer or org_approver account"},
        )
    return user


def revoke_tokens(session: Session, clock: Clock, username: str, token_id: int | None = None) -> int:
    """Revoke a user's bearer tokens (or only the one with this id); return how many were revoked."""
    user = user_named(session, username)
    stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        stmt = stmt.where(ApiToken.id == token_id)
    rows = list(session.scalars(stmt))
    if token_id is not None and not rows:
        raise NotFound(f"{username} has no live token {token_id}", code="token_not_found")
    for row in rows:
        row.revoked_at = clock.now()
    return len(rows)


def user_named(session: Session, username: str) -> User:
    """The user of this username, or NotFound (404 `user_not_found`)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username}", code="user_not_found")
    return user


def create_token(session: Session, clock: Clock, username: str, name: str = "") -> str:
    """Issue a bearer token for a user and return it; it cannot be shown again."""
    user = user_named(session, username)
    token = new_token()
    session.add(ApiToken(user=user, token_hash=sha256_hex(token), name=name, created_at=clock.now()))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user a bearer token belongs to, or None."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == sha256_hex(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    return row.user
