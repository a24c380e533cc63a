"""User accounts: argon2id password hashes, roles, and API bearer tokens (stored as SHA-256 digests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from osteotwin.errors import UserInputError
from osteotwin.records.storage.audit import Actor, record_change
from osteotwin.records.storage.models import ROLES, ApiTokenRow, PatientRow, UserRow, utcnow

#: A username: ASCII letters, digits and . _ @ - only (no look-alike or invisible characters).
USERNAME_RE = re.compile(r"[A-Za-z0-9._@-]{3,80}")
_USERNAME_CHARACTER = re.compile(r"[A-Za-z0-9._@-]")
MIN_PASSWORD_LENGTH = 10
MIN_DISTINCT_CHARACTERS = 5
TOKEN_LIFETIME = dt.timedelta(hours=12)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches ``password_hash``."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password (about 128 bits) for generated accounts."""
    return secrets.token_urlsafe(16)


#: Runs a password may not simply follow: the alphabet, the digits (wrapping) and keyboard rows.
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890123456789", "qwertyuiopasdfghjklzxcvbnm")


def _sequential(password: str) -> bool:
    """Whether the whole password is one run of a common sequence, forwards or backwards."""
    text = password.lower()
    return any(text in run or text in run[::-1] for run in _SEQUENCES)


def check_new_credentials(username: str, password: str, role: str) -> None:
    """Refuse malformed usernames, short passwords and unknown roles."""
    if not USERNAME_RE.fullmatch(username):
        bad = next((c for c in username if not _USERNAME_CHARACTER.fullmatch(c)), None)
        shown = username if username.isascii() and username.isprintable() else ascii(username)[1:-1]
        raise UserInputError("username", shown, "3-80 ASCII letters, digits or . _ @ -",
                             problem="invalid username" if bad is None
                             else f"invalid username: contains U+{ord(bad):04X}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInputError("password", "*" * len(password),
                             f"at least {MIN_PASSWORD_LENGTH} characters", problem="password too short")
    # NIST SP 800-63B 5.1.1.2: refuse passwords that are repetitive, sequential or contain the
    # account's name
    if (len(set(password)) < MIN_DISTINCT_CHARACTERS or username.lower() in password.lower()
            or _sequential(password)):
        raise UserInputError("password", "*" * len(password),
                             f"at least {MIN_DISTINCT_CHARACTERS} different characters, not containing the "
                             "username", problem="password too easy to guess")
    if role not in ROLES:
        raise UserInputError("role", role, " | ".join(ROLES), problem="unknown role")


def create_user(session: Session, *, username: str, password: str, role: str, actor: Actor,
                patient_id: int | None = None) -> UserRow:
    """Create an account (patient accounts may be linked to a record); audited, not committed."""
    check_new_credentials(username, password, role)
    if find_user(session, username) is not None:
        raise UserInputError("username", username, "a username not yet taken", problem="already exists")
    if patient_id is not None:
        if role != "patient":
            raise UserInputError("patient", patient_id, "a patient record only for patient accounts",
                                 problem="role mismatch")
        if session.get(PatientRow, patient_id) is None:
            raise UserInputError("patient", patient_id, "an existing patient id",
                                 problem="no such patient")
    user = UserRow(username=username, password_hash=hash_password(password), role=role,
                   patient_id=patient_id, active=True)
    session.add(user)
    session.flush()
    record_change(session, actor, action="create", entity="user", entity_id=user.id,
                  patient_id=patient_id, before=None,
                  after={"username": username, "role": role, "patient_id": patient_id})
    return user


def find_user(session: Session, username: str) -> UserRow | None:
    return session.scalars(select(UserRow).where(UserRow.username == username)).first()


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The active user with these credentials, or None."""
    user = find_user(session, username)
    if user is None or not user.active:
        hash_password(password)  # same work either way: no username oracle by timing
        return None
    return user if verify_password(user.password_hash, password) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: UserRow, *, lifetime: dt.timedelta = TOKEN_LIFETIME) -> str:
    """A new bearer token for ``user`` (the plain token is returned once, only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    session.execute(delete(ApiTokenRow).where(ApiTokenRow.expires_at < utcnow()))  # purge expired ones
    session.add(ApiTokenRow(user_id=user.id, token_sha256=_digest(token),
                            expires_at=utcnow() + lifetime))
    return token


def user_for_token(session: Session, token: str) -> UserRow | None:
    """The active user a valid, unexpired bearer token belongs to."""
    found = session.execute(
        select(UserRow, ApiTokenRow.expires_at).join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
        .where(ApiTokenRow.token_sha256 == _digest(token))).first()
    if found is None:
        return None
    user, expires = found
    expires = expires if expires.tzinfo else expires.replace(tzinfo=dt.UTC)
    return user if expires > utcnow() and user.active else None


def revoke_token(session: Session, token: str) -> bool:
    """Delete a bearer token (it stops working at once); True if it existed. Not committed."""
    result = session.execute(delete(ApiTokenRow).where(ApiTokenRow.token_sha256 == _digest(token)))
    return bool(getattr(result, "rowcount", 0))


def end_browser_sessions(session: Session, user: UserRow) -> int:
    """Invalidate every browser session cookie of ``user`` (all devices) by incrementing the user's
    session generation; returns the new generation. Not committed."""
    session.execute(update(UserRow).where(UserRow.id == user.id)
                    .values(session_generation=UserRow.session_generation + 1))
    session.refresh(user, ["session_generation"])
    return user.session_generation


def existing_user(session: Session, username: str) -> UserRow:
    """The account named ``username``, or a ``UserInputError`` naming it."""
    user = find_user(session, username)
    if user is None:
        raise UserInputError("username", username, "an existing username", problem="no such user")
    return user


def _sign_out_everywhere(session: Session, user: UserRow) -> None:
    """End every browser session and delete every bearer token of ``user`` (not committed)."""
    end_browser_sessions(session, user)
    session.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user.id))


def set_active(session: Session, user: UserRow, active: bool, actor: Actor) -> bool:
    """Enable or disable an account; disabling also ends its sessions and tokens at once (a
    disabled user can neither log in nor use a cookie or token issued before). Returns whether
    anything changed; audited, not committed. The account and its audit history are kept."""
    if user.active == active:
        return False
    if not active:
        _sign_out_everywhere(session, user)
    user.active = active
    record_change(session, actor, action="enable" if active else "disable", entity="user",
                  entity_id=user.id, patient_id=user.patient_id, before={"active": not active},
                  after={"active": active})
    return True


def set_password(session: Session, user: UserRow, password: str, actor: Actor) -> None:
    """Replace an account's password (same rules as a new one) and end its sessions and tokens;
    audited without the password or its hash, not committed."""
    check_new_credentials(user.username, password, user.role)
    if verify_password(user.password_hash, password):
        raise UserInputError("password", "*" * len(password), "a password other than the current one",
                             problem="same as the current password")
    user.password_hash = hash_password(password)
    _sign_out_everywhere(session, user)
    record_change(session, actor, action="set_password", entity="user", entity_id=user.id,
                  patient_id=user.patient_id, before=None, after={"username": user.username})
