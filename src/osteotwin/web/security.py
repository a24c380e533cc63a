"""Browser sessions, CSRF tokens, login throttling and the app's outermost ASGI middleware.

The cookie holds the user id, the user's session generation at login, a per-session CSRF token, the
sign-in time and the time of the last activity seen, signed with the app's secret (itsdangerous,
HMAC-SHA1 over a SHA-512-derived key). A signed-in session ends ``SESSION_MAX_AGE_S`` after sign-in
whatever happens, and earlier after ``idle`` seconds without a request (``SessionCodec``; the app
reads ``$OSTEOTWIN_SESSION_IDLE_MINUTES``); activity re-signs the cookie at most once a
``SESSION_REFRESH_S`` (``SessionRefreshMiddleware``). A cookie is honoured only while its generation
equals the user row's ``session_generation``: logout increments it, which ends every browser session
of that user. Forms carry the CSRF token in a hidden field (HTMX sends it as the ``X-CSRF-Token``
header).

The middleware here wraps the whole application (outside Starlette's error handling, so that its
500 responses get the headers too): security headers and the request body size limit. The login
form, the API token route and a password change all check a password through ``throttled_login``
(``deps.checked_password``).
"""

from __future__ import annotations

import hmac
import json
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from fastapi import HTTPException, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from osteotwin.errors import UserInputError

T = TypeVar("T")

SESSION_COOKIE = "osteotwin_session"
#: A signed-in browser session ends this long after sign-in, active or not (seconds): NIST SP
#: 800-63B (2017) §4.2.3, reauthentication at AAL2 at least once every 12 hours.
SESSION_MAX_AGE_S = 12 * 3600
#: Default idle timeout of a signed-in browser session, in minutes (``$OSTEOTWIN_SESSION_IDLE_MINUTES``):
#: NIST SP 800-63B (2017) §4.2.3, reauthentication at AAL2 after 30 minutes or less of inactivity.
SESSION_IDLE_MINUTES = 30
ENV_SESSION_IDLE_MINUTES = "OSTEOTWIN_SESSION_IDLE_MINUTES"
#: The idle timeouts accepted, in minutes (at most the absolute limit).
SESSION_IDLE_RANGE = (1, SESSION_MAX_AGE_S // 60)
#: A request re-signs the cookie (moving its last activity on) only when the last re-signing is at
#: least this old, in seconds: not a new cookie on every request; the idle timeout is exact to it
#: (osteotwin's choice).
SESSION_REFRESH_S = 60
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: ``OSTEOTWIN_SECURE_COOKIES=1``: the session cookie is always marked Secure and HSTS always sent,
#: whatever scheme the app sees (behind a TLS proxy whose X-Forwarded-Proto it does not trust).
ENV_SECURE_COOKIES = "OSTEOTWIN_SECURE_COOKIES"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class BrowserSession:
    """What the session cookie holds: the signed-in user (None before login) and the CSRF token."""

    user_id: int | None
    csrf: str
    #: The user's ``session_generation`` when the cookie was issued (0 for anonymous sessions).
    generation: int = 0
    #: When the user signed in and when a request was last seen (seconds since the epoch).
    signed_in_at: float = 0.0
    seen_at: float = 0.0


class SessionCodec:
    """Signs and reads session cookies; ``idle_s`` is the idle timeout of a signed-in session and
    ``clock`` the wall clock (seconds since the epoch) its times are read on."""

    def __init__(self, secret_key: str, *, idle_s: float = SESSION_IDLE_MINUTES * 60,
                 clock: Callable[[], float] = time.time) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="osteotwin.session")
        self.idle_s = idle_s
        self.clock = clock

    def new_session(self, user_id: int | None, generation: int = 0) -> BrowserSession:
        """A fresh session with a new CSRF token (issued at login, so tokens never outlive a session)."""
        now = self.clock()
        return BrowserSession(user_id, secrets.token_urlsafe(24), generation, now, now)

    def dump(self, session: BrowserSession) -> str:
        return self._serializer.dumps({"uid": session.user_id, "csrf": session.csrf,
                                       "gen": session.generation, "in": int(session.signed_in_at),
                                       "seen": int(session.seen_at)})

    def load(self, cookie: str | None) -> BrowserSession | None:
        """The session in ``cookie``, or None if missing, tampered with or expired: a signed-in
        session ``SESSION_MAX_AGE_S`` after sign-in or ``idle_s`` after its last activity; an
        anonymous one (the login form's CSRF token) ``SESSION_MAX_AGE_S`` after it was issued."""
        if not cookie:
            return None
        try:
            data, signed = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE_S,
                                                  return_timestamp=True)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        uid = data.get("uid")
        gen = data.get("gen", 0)
        if not isinstance(gen, int) or isinstance(gen, bool):
            return None
        # cookies issued before the idle timeout existed carry only the signing time (the sign-in)
        signed_in, seen = (_seconds(data.get(key), signed.timestamp()) for key in ("in", "seen"))
        session = BrowserSession(uid if isinstance(uid, int) else None, data["csrf"], gen,
                                 signed_in, seen)
        if session.user_id is not None:
            now = self.clock()
            if now - session.signed_in_at > SESSION_MAX_AGE_S or now - session.seen_at > self.idle_s:
                return None
        return session

    def refreshed(self, session: BrowserSession) -> BrowserSession | None:
        """``session`` with its last activity now, if the cookie is due to be re-signed
        (``SESSION_REFRESH_S``); None while the cookie is fresh enough."""
        now = self.clock()
        if now - session.seen_at < SESSION_REFRESH_S:
            return None
        return replace(session, seen_at=now)


def _seconds(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def idle_minutes_setting(value: str | None) -> int:
    """The idle timeout in minutes from ``$OSTEOTWIN_SESSION_IDLE_MINUTES`` (unset or empty: the
    default); a ``UserInputError`` names the variable, the value and the accepted range."""
    if value is None or not value.strip():
        return SESSION_IDLE_MINUTES
    low, high = SESSION_IDLE_RANGE
    try:
        minutes = int(value.strip())
    except ValueError:
        minutes = 0
    if not low <= minutes <= high:
        raise UserInputError(ENV_SESSION_IDLE_MINUTES, value,
                             f"a whole number of minutes from {low} to {high} (the sign-in lasts at "
                             f"most {SESSION_MAX_AGE_S // 3600} hours); unset: {SESSION_IDLE_MINUTES}",
                             problem="invalid idle timeout")
    return minutes


def secure_cookies_setting(value: str | None) -> bool:
    """Whether ``$OSTEOTWIN_SECURE_COOKIES`` asks for Secure cookies and HSTS on every response
    (1/true/yes/on; unset, empty, 0/false/no/off: only over https)."""
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UserInputError(ENV_SECURE_COOKIES, value, "1, true, yes or on (force Secure cookies and "
                         "HSTS); 0, false, no, off or unset (only when the request is https)",
                         problem="not a yes or no")


def set_session_cookie(response: Response, value: str, *, secure: bool) -> None:
    """Put the session cookie on ``response`` (HttpOnly, SameSite=Lax, whole site; Secure when
    asked). It has no Max-Age: it ends when the browser closes, or when the signed times expire."""
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/")


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one a form sent."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


# --------------------------------------------------------------------------------------------------
# Login throttling
# --------------------------------------------------------------------------------------------------

#: Failed logins for one username within ``LOGIN_WINDOW_S`` after which that username's logins are
#: refused (even with the right password) until the oldest failure leaves the window. Passwords here
#: are at least 10 characters, so 10 guesses per 15 minutes (under 1,000 a day) leaves online
#: guessing hopeless while a user who mistypes a few times is not locked out. OWASP's Authentication
#: Cheat Sheet asks for a lockout threshold, an observation window and a lockout duration without
#: fixing numbers; NIST SP 800-63B allows at most 100 consecutive failures per account.
LOGIN_FAILURES_PER_USERNAME = 10
#: Failed logins from one client address within ``LOGIN_WINDOW_S`` after which that address's logins
#: are refused: higher than the per-username limit, because several people may share an address
#: (a clinic behind NAT), but it stops one address from spraying guesses over many usernames.
LOGIN_FAILURES_PER_ADDRESS = 50
#: The observation window (and so the longest refusal), in seconds.
LOGIN_WINDOW_S = 15 * 60
#: Most usernames and addresses tracked at once (bounds memory under a spray of made-up names).
LOGIN_THROTTLE_MAX_KEYS = 100_000
#: Throttle keys are cut to this many characters (the login form does not limit the username).
_KEY_CHARS = 200


class LoginThrottle:
    """Failed-login counts per username and per client address over a sliding window.

    Kept in the memory of one server process: each worker of ``osteotwin serve --workers N`` counts
    on its own (so at most N times the limits overall), and a restart forgets the counts.
    """

    def __init__(self, *, per_username: int = LOGIN_FAILURES_PER_USERNAME,
                 per_address: int = LOGIN_FAILURES_PER_ADDRESS, window_s: float = LOGIN_WINDOW_S,
                 max_keys: int = LOGIN_THROTTLE_MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_username = per_username
        self.per_address = per_address
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def _wait(self, key: tuple[str, str], limit: int, now: float) -> float:
        times = self._recent(key, now)
        if times is None or len(times) < limit:
            return 0.0
        # refused until enough failures have left the window to bring the count under the limit
        return times[len(times) - limit] + self.window_s - now

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", username[:_KEY_CHARS]), ("addr", address[:_KEY_CHARS])

    def retry_after(self, username: str, address: str) -> int | None:
        """Seconds until a login for ``username`` from ``address`` is accepted again, or None if it
        may be tried now."""
        user_key, addr_key = self._keys(username, address)
        with self._lock:
            now = self._clock()
            wait = max(self._wait(user_key, self.per_username, now),
                       self._wait(addr_key, self.per_address, now))
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, username: str, address: str) -> None:
        """Count a failed login against the username and the address."""
        with self._lock:
            now = self._clock()
            for key in self._keys(username, address):
                self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > self.max_keys:
                self._prune(now)

    def succeeded(self, username: str) -> None:
        """A successful login clears the username's failures (not the address's)."""
        with self._lock:
            self._failures.pop(self._keys(username, "")[0], None)

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) > self.max_keys:  # still full: forget the oldest keys
            del self._failures[next(iter(self._failures))]


class LoginThrottled(Exception):
    """A login refused by the throttle; ``retry_after_s`` until it may be tried again."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(throttled_message(retry_after_s))
        self.retry_after_s = retry_after_s


def throttled_login(throttle: LoginThrottle, username: str, address: str,
                    authenticate: Callable[[], T | None]) -> T | None:
    """One login attempt through ``throttle`` (the form and the API token route alike): refused
    with ``LoginThrottled`` while the username or the address is throttled, without checking the
    password; else ``authenticate()``, its failure counted and its success clearing the username."""
    wait = throttle.retry_after(username, address)
    if wait is not None:
        raise LoginThrottled(wait)
    user = authenticate()
    if user is None:
        throttle.failed(username, address)
    else:
        throttle.succeeded(username)
    return user


def throttled_message(retry_after_s: int) -> str:
    minutes = math.ceil(retry_after_s / 60)
    return (f"Too many failed sign-in attempts for this account or from this address. Try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}.")


def client_address(scope: Scope) -> str:
    """The client's IP address as the server sees it (behind a proxy: as uvicorn's
    ``--forwarded-allow-ips`` lets it read ``X-Forwarded-For``)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


# --------------------------------------------------------------------------------------------------
# ASGI middleware (outermost)
# --------------------------------------------------------------------------------------------------

#: Largest request body accepted, in bytes: above the import form's 2 MB file limit plus multipart
#: overhead, far above any JSON document the API takes. Larger bodies get 413 before being read.
MAX_REQUEST_BODY_BYTES = 4_000_000

#: Scripts and styles come only from this origin (htmx, plotly and charts.js are served locally);
#: inline ``style`` attributes are used by the templates and by plotly, inline scripts nowhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
#: Sent on responses served over https, or on every response with ``OSTEOTWIN_SECURE_COOKIES=1``
#: (a year; browsers then refuse plain http to this host).
HSTS = "max-age=31536000"
#: Paths whose responses may be cached (static assets: no health data, no tokens); every other
#: response (pages, records, API, tokens, errors) gets ``Cache-Control: no-store``.
CACHEABLE_PREFIXES = ("/static/", "/vendor/")
#: Where a request's dependencies leave a re-signed session cookie (``SessionRefreshMiddleware``).
REFRESHED_COOKIE_STATE = "refreshed_session_cookie"


class SecurityHeadersMiddleware:
    """Adds the security headers (and no-store outside static assets) to every HTTP response,
    including the 500s of Starlette's error middleware; headers a route set itself are kept. HSTS
    goes on https responses, or on all of them with ``force_https``."""

    def __init__(self, app: ASGIApp, *, force_https: bool = False) -> None:
        self.app = app
        self.force_https = force_https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        https = self.force_https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if https:  # only over TLS (RFC 6797: ignored, and misleading, over plain HTTP)
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SessionRefreshMiddleware:
    """Sets the re-signed session cookie that a request's dependencies left in the request state
    (``REFRESHED_COOKIE_STATE``, by ``deps.page_user``), unless the response sets the session cookie
    itself (sign-in, sign-out, password change). Secure over https or with ``force_secure``."""

    def __init__(self, app: ASGIApp, *, force_secure: bool = False) -> None:
        self.app = app
        self.force_secure = force_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # shared with the request the routes see

        async def send_with_cookie(message: Message) -> None:
            cookie = state.get(REFRESHED_COOKIE_STATE)
            if message["type"] == "http.response.start" and isinstance(cookie, str):
                headers = MutableHeaders(scope=message)
                prefix = f"{SESSION_COOKIE}="
                if not any(value.startswith(prefix) for value in headers.getlist("set-cookie")):
                    carrier = Response()
                    set_session_cookie(carrier, cookie,
                                       secure=self.force_secure or scope.get("scheme") == "https")
                    headers.append("set-cookie", carrier.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class BodyTooLarge(HTTPException):
    """Raised when a streamed request body passes the limit (a 413 through the app's handlers)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"the request body is larger than the {limit:,} bytes this server accepts"


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413, for every route: at once when the
    Content-Length says so (the route never runs), else when the streamed bytes pass the limit."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            try:
                too_large = int(length) > self.limit
            except ValueError:
                too_large = False  # the server rejects a malformed Content-Length itself
            if too_large:
                await self._refuse(scope, send)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:  # raised outside the app's exception handlers (e.g. by a middleware)
            if started:
                raise
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = too_large_message(self.limit)
        if str(scope.get("path", "")).startswith("/api"):
            body, media = json.dumps({"detail": message}).encode(), b"application/json"
        else:
            body, media = f"413 Content Too Large: {message}.".encode(), b"text/plain; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
