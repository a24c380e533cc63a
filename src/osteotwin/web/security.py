"""Browser sessions (signed HttpOnly SameSite cookies) and CSRF tokens for forms.

The cookie holds the user id, a per-session CSRF token and the issue time, signed with the app's
secret (itsdangerous, HMAC-SHA1 over a SHA-512-derived key); it expires after ``SESSION_MAX_AGE_S``.
Forms carry the CSRF token in a hidden field (HTMX sends it as the ``X-CSRF-Token`` header).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "osteotwin_session"
SESSION_MAX_AGE_S = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class BrowserSession:
    """What the session cookie holds: the signed-in user (None before login) and the CSRF token."""

    user_id: int | None
    csrf: str


class SessionCodec:
    """Signs and reads session cookies."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="osteotwin.session")

    def dump(self, session: BrowserSession) -> str:
        return self._serializer.dumps({"uid": session.user_id, "csrf": session.csrf})

    def load(self, cookie: str | None) -> BrowserSession | None:
        """The session in ``cookie``, or None if missing, tampered with or expired."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        uid = data.get("uid")
        return BrowserSession(uid if isinstance(uid, int) else None, data["csrf"])


def new_session(user_id: int | None) -> BrowserSession:
    """A fresh session with a new CSRF token (issued at login, so tokens never outlive a session)."""
    return BrowserSession(user_id, secrets.token_urlsafe(24))


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one a form sent."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
