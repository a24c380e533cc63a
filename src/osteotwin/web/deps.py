"""Request dependencies: database session, API bearer user, browser-session user, record access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from osteotwin.records.storage.accounts import authenticate, user_for_token
from osteotwin.records.storage.audit import Actor, record_access
from osteotwin.records.storage.models import PatientRow, UserRow
from osteotwin.records.storage.repository import patient_for, patient_may_remove
from osteotwin.web.security import (
    REFRESHED_COOKIE_STATE,
    SESSION_COOKIE,
    BrowserSession,
    LoginThrottled,
    SessionCodec,
    client_address,
    throttled_login,
)

#: Record ids are 32-bit positive integers in every supported database.
PatientId = Annotated[int, Path(ge=1, le=2_147_483_647, description="the record's id")]

bearer_scheme = HTTPBearer(auto_error=False, description="Token from POST /api/auth/token")


def get_db(request: Request) -> Iterator[Session]:
    """One database session per request, closed afterwards (routes commit their own writes)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]


#: Where the request state keeps who is signed in, as an ``Actor`` (the access audit reads it).
USER_STATE = "actor"


def api_user(request: Request, db: DbSession,
             credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]) -> UserRow:
    """The user a bearer token belongs to; 401 otherwise."""
    user = None if credentials is None else user_for_token(db, credentials.credentials)
    if user is None:
        raise HTTPException(status_code=401, detail="a valid bearer token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    setattr(request.state, USER_STATE, actor_of(user))
    return user


ApiUser = Annotated[UserRow, Depends(api_user)]


def browser_session(request: Request) -> BrowserSession | None:
    """The signed session in the request's cookie, if valid."""
    codec: SessionCodec = request.app.state.session_codec
    return codec.load(request.cookies.get(SESSION_COOKIE))


class LoginRequired(Exception):
    """Raised by page dependencies when no one is signed in (turned into a redirect to /login)."""


def page_user(request: Request, db: DbSession) -> UserRow:
    """The signed-in user of a page request; redirects to the login page otherwise (no session,
    an expired one: signed in too long ago or idle too long, or one revoked by a logout). The
    request counts as activity: the cookie is re-signed when due (``SessionCodec.refreshed``)."""
    session = browser_session(request)
    user = None if session is None or session.user_id is None else db.get(UserRow, session.user_id)
    if user is None or not user.active or session is None:
        raise LoginRequired()
    if session.generation != user.session_generation:  # the user logged out since: cookie revoked
        raise LoginRequired()
    request.state.csrf = session.csrf
    codec: SessionCodec = request.app.state.session_codec
    refreshed = codec.refreshed(session)
    if refreshed is not None:  # set on the response by SessionRefreshMiddleware
        setattr(request.state, REFRESHED_COOKIE_STATE, codec.dump(refreshed))
    setattr(request.state, USER_STATE, actor_of(user))
    return user


PageUser = Annotated[UserRow, Depends(page_user)]


def checked_password(request: Request, db: Session, username: str, password: str, *,
                     way_in: str) -> UserRow | None:
    """The active user whose password this is, through the app's login throttle (the login form,
    the token route and a password change alike); raises ``LoginThrottled`` while throttled. A
    failed or throttled attempt is audited (and committed) with the username tried, never the
    password; ``way_in`` (``session``, ``token``, ``password_change``) says where it came."""
    address = client_address(request.scope)
    try:
        user = throttled_login(request.app.state.login_throttle, username, address,
                               lambda: authenticate(db, username, password))
    except LoginThrottled as refused:
        record_access(db, action="sign_in_throttled", entity=way_in, username=username,
                      details={"address": address, "retry_after_s": refused.retry_after_s})
        db.commit()
        raise
    if user is None:
        record_access(db, action="sign_in_failed", entity=way_in, username=username,
                      details={"address": address})
        db.commit()
    return user


def auth_event(request: Request, db: Session, user: UserRow, action: str, entity: str) -> None:
    """Audit a sign-in, sign-out or token event of ``user`` from this request's client address
    (added to ``db``, committed by the caller with what it describes)."""
    record_access(db, action=action, entity=entity, username=user.username, user_id=user.id,
                  details={"address": client_address(request.scope)})


def actor_of(user: UserRow) -> Actor:
    return Actor(user.id, user.username, user.role)


def accessible_patient(db: Session, user: UserRow, patient_id: int) -> PatientRow:
    """The patient's row if ``user`` may access it; 404 otherwise (no hint whether it exists)."""
    row = patient_for(db, user, patient_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no patient {patient_id} among your records")
    return row


def require_clinician(user: UserRow) -> None:
    if user.role != "clinician":
        raise HTTPException(status_code=403, detail="only clinicians may do this")


def may_remove(user: UserRow, row: PatientRow, kind: str, entry_id: int) -> bool:
    """Clinicians remove any entry of their patients; a patient only entries they entered
    themselves, log entries only while unreviewed (``repository.patient_may_remove``)."""
    return user.role == "clinician" or patient_may_remove(row, kind, entry_id, user.username)


def require_may_remove(user: UserRow, row: PatientRow, kind: str, entry_id: int) -> None:
    """403 unless ``may_remove`` (pages and API alike)."""
    if not may_remove(user, row, kind, entry_id):
        raise HTTPException(status_code=403, detail="a patient may remove only entries they entered "
                                                    "themselves (log entries while unreviewed)")
