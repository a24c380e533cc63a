"""Security review, findings 5, 8 and 12: the session secret from the environment (length checked,
a warning when generated), the idle timeout of browser sessions on top of the 12-hour limit, and
``OSTEOTWIN_SECURE_COOKIES`` (real app on a SQLite file, real HTTP through the test client; the
sessions' clock is set by the test)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from osteotwin.errors import UserInputError
from osteotwin.web.app import ENV_SECRET_KEY, create_app
from osteotwin.web.security import (
    ENV_SECURE_COOKIES,
    ENV_SESSION_IDLE_MINUTES,
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
)
from tests.web.conftest import CSRF_RE, PASSWORD, World, browser_login

SECRET = "sessions-test-secret-long-enough-for-the-check"


class Clock:
    """A settable wall clock (seconds since the epoch) for the sessions."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (ENV_SECRET_KEY, ENV_SESSION_IDLE_MINUTES, ENV_SECURE_COOKIES):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(world: World, clean_env: pytest.MonkeyPatch, clock: Clock) -> Iterator[FastAPI]:
    """An app with the default idle timeout (30 minutes) on the world's database."""
    web = create_app(world.url, secret_key=SECRET, migrate=False, clock=clock)
    yield web
    web.state.engine.dispose()


def _session_cookies(response: httpx.Response) -> list[str]:
    return [v for v in response.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}=")]


# --------------------------------------------------------------------------------------------------
# Idle timeout (finding 8)
# --------------------------------------------------------------------------------------------------


def test_an_idle_session_ends_after_30_minutes_by_default(world: World, app: FastAPI, clock: Clock) -> None:
    with TestClient(app) as client:
        browser_login(client, "dr-a")
        clock.now += 29 * 60
        assert client.get("/patients", follow_redirects=False).status_code == 200
        clock.now += 31 * 60  # 31 minutes after that request: idle too long
        expired = client.get("/patients", follow_redirects=False)
        assert expired.status_code == 303 and expired.headers["location"] == "/login"
        htmx = client.get(f"/patients/{world.patient_a}/plan/summary", headers={"HX-Request": "true"},
                          follow_redirects=False)
        assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/login"


def test_activity_keeps_the_session_and_the_cookie_is_resigned_at_most_once_a_minute(
        app: FastAPI, clock: Clock) -> None:
    with TestClient(app) as client:
        browser_login(client, "dr-a")
        first = client.cookies[SESSION_COOKIE]
        clock.now += 30
        quick = client.get("/patients")
        assert quick.status_code == 200 and _session_cookies(quick) == []  # fresh enough: not rewritten
        for _ in range(6):  # 6 x 25 minutes = 2.5 hours, active every 25 minutes
            clock.now += 25 * 60
            response = client.get("/patients", follow_redirects=False)
            assert response.status_code == 200
            [cookie] = _session_cookies(response)
            assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
            assert "secure" not in cookie.lower()  # plain http, no OSTEOTWIN_SECURE_COOKIES
        assert client.cookies[SESSION_COOKIE] != first
        # a copy of the first cookie (last active 2.5 hours ago) is no longer accepted
        with TestClient(app) as replay:
            replay.cookies.set(SESSION_COOKIE, first)
            assert replay.get("/patients", follow_redirects=False).status_code == 303


def test_the_12_hour_limit_holds_however_active_the_session_is(app: FastAPI, clock: Clock) -> None:
    with TestClient(app) as client:
        browser_login(client, "pat-b")
        elapsed = 0
        while elapsed + 20 * 60 <= SESSION_MAX_AGE_S:
            clock.now += 20 * 60
            elapsed += 20 * 60
            assert client.get("/account", follow_redirects=False).status_code == 200, elapsed
        clock.now += 20 * 60
        response = client.get("/account", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_idle_timeout_comes_from_the_environment(world: World, clean_env: pytest.MonkeyPatch,
                                                     clock: Clock) -> None:
    clean_env.setenv(ENV_SESSION_IDLE_MINUTES, "5")
    web = create_app(world.url, secret_key=SECRET, migrate=False, clock=clock)
    with TestClient(web) as client:
        browser_login(client, "dr-b")
        clock.now += 4 * 60
        assert client.get("/patients", follow_redirects=False).status_code == 200
        clock.now += 4 * 60  # 8 minutes after sign-in, 4 after the last request
        assert client.get("/patients", follow_redirects=False).status_code == 200
        clock.now += 5 * 60 + 1
        assert client.get("/patients", follow_redirects=False).status_code == 303
    web.state.engine.dispose()


@pytest.mark.parametrize("value", ["0", "-5", "abc", "2.5", "721"])
def test_an_invalid_idle_timeout_is_refused_naming_the_variable(world: World, clean_env: pytest.MonkeyPatch,
                                                                value: str) -> None:
    clean_env.setenv(ENV_SESSION_IDLE_MINUTES, value)
    with pytest.raises(UserInputError) as refused:
        create_app(world.url, secret_key=SECRET, migrate=False)
    message = str(refused.value)
    assert ENV_SESSION_IDLE_MINUTES in message and repr(value) in message and "1 to 720" in message


def test_logging_out_of_an_expired_session_goes_to_the_login_page(app: FastAPI, clock: Clock) -> None:
    with TestClient(app) as client:
        csrf = browser_login(client, "dr-a")
        clock.now += 31 * 60
        response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert _session_cookies(response) == []  # nothing to end, nothing changed
        # the login form still works after an idle anonymous wait (its token has no idle limit)
        page = client.get("/login")
        assert page.status_code == 200
        clock.now += 45 * 60
        browser_login(client, "dr-a")


def test_a_cookie_issued_before_the_idle_timeout_existed_is_still_honoured(world: World,
                                                                           app: FastAPI) -> None:
    with TestClient(app) as client:
        browser_login(client, "dr-a")  # to learn dr-a's id and generation from a cookie the app wrote
        serializer = URLSafeTimedSerializer(SECRET, salt="osteotwin.session")
        data: dict[str, Any] = serializer.loads(client.cookies[SESSION_COOKIE])
    old_style = serializer.dumps({"uid": data["uid"], "csrf": data["csrf"], "gen": data["gen"]})
    with TestClient(create_app(world.url, secret_key=SECRET, migrate=False)) as fresh:
        fresh.cookies.set(SESSION_COOKIE, old_style)
        assert fresh.get("/patients", follow_redirects=False).status_code == 200


# --------------------------------------------------------------------------------------------------
# Session secret (finding 5)
# --------------------------------------------------------------------------------------------------


def test_a_short_secret_from_the_environment_is_refused_without_echoing_it(
        world: World, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv(ENV_SECRET_KEY, "hunter2-is-too-short")
    with pytest.raises(UserInputError) as refused:
        create_app(world.url, migrate=False)
    message = str(refused.value)
    assert ENV_SECRET_KEY in message and "at least 32" in message and "20 characters" in message
    assert "hunter2" not in message


def test_a_generated_secret_is_warned_about(world: World, clean_env: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="osteotwin.web"):
        web = create_app(world.url, migrate=False)
    web.state.engine.dispose()
    warnings = [r.getMessage() for r in caplog.records if r.name == "osteotwin.web"]
    assert len(warnings) == 1 and ENV_SECRET_KEY in warnings[0] and "restart" in warnings[0]


def test_a_secret_from_the_environment_keeps_sessions_across_restarts_and_instances(
        world: World, clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    clean_env.setenv(ENV_SECRET_KEY, "k" * 16 + "a-long-enough-secret-for-prod")
    with caplog.at_level(logging.WARNING, logger="osteotwin.web"):
        first, second = create_app(world.url, migrate=False), create_app(world.url, migrate=False)
    assert not [r for r in caplog.records if r.name == "osteotwin.web"]
    with TestClient(first) as one, TestClient(second) as other:
        browser_login(one, "pat-a")
        other.cookies.set(SESSION_COOKIE, one.cookies[SESSION_COOKIE])
        assert other.get(f"/patients/{world.patient_a}", follow_redirects=False).status_code == 200
    first.state.engine.dispose()
    second.state.engine.dispose()


# --------------------------------------------------------------------------------------------------
# OSTEOTWIN_SECURE_COOKIES (finding 12)
# --------------------------------------------------------------------------------------------------


def _value(set_cookie: str) -> dict[str, str]:
    """The Cookie header that sends back the cookie a Set-Cookie header set (a client over plain
    http would not send a Secure cookie back; behind a TLS proxy the browser does)."""
    return {"Cookie": set_cookie.split(";")[0]}


def test_secure_cookies_forced_over_plain_http(world: World, clean_env: pytest.MonkeyPatch,
                                               clock: Clock) -> None:
    clean_env.setenv(ENV_SECURE_COOKIES, "1")
    web = create_app(world.url, secret_key=SECRET, migrate=False, clock=clock)
    with TestClient(web) as client:  # http://testserver: the scheme the app sees is http
        login_page = client.get("/login")
        assert login_page.headers["strict-transport-security"] == "max-age=31536000"
        [anonymous] = _session_cookies(login_page)
        assert "secure" in anonymous.lower()
        csrf = CSRF_RE.search(login_page.text)
        assert csrf
        signed_in = client.post("/login", headers=_value(anonymous), follow_redirects=False,
                                data={"username": "dr-a", "password": PASSWORD, "csrf_token": csrf.group(1)})
        assert signed_in.status_code == 303
        [cookie] = _session_cookies(signed_in)
        assert "secure" in cookie.lower() and "httponly" in cookie.lower()
        clock.now += 5 * 60
        refreshed = client.get("/patients", headers=_value(cookie))
        assert refreshed.status_code == 200
        [again] = _session_cookies(refreshed)
        assert "secure" in again.lower() and "httponly" in again.lower()
        assert refreshed.headers["strict-transport-security"] == "max-age=31536000"
        assert client.get("/api/openapi.json").headers["strict-transport-security"].startswith("max-age")
        page_csrf = CSRF_RE.search(refreshed.text)
        assert page_csrf
        logout = client.post("/logout", headers=_value(again), data={"csrf_token": page_csrf.group(1)},
                             follow_redirects=False)
        [gone] = _session_cookies(logout)
        assert "secure" in gone.lower() and "max-age=0" in gone.lower()
    web.state.engine.dispose()


@pytest.mark.parametrize(("value", "secure"), [("true", True), ("YES", True), ("0", False), ("", False)])
def test_secure_cookies_setting_values(world: World, clean_env: pytest.MonkeyPatch, value: str,
                                       secure: bool) -> None:
    clean_env.setenv(ENV_SECURE_COOKIES, value)
    web = create_app(world.url, secret_key=SECRET, migrate=False)
    with TestClient(web) as client:
        page = client.get("/login")
        assert ("secure" in _session_cookies(page)[0].lower()) is secure
        assert ("strict-transport-security" in page.headers) is secure
    web.state.engine.dispose()


def test_an_unclear_secure_cookies_value_is_refused(world: World, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv(ENV_SECURE_COOKIES, "maybe")
    with pytest.raises(UserInputError) as refused:
        create_app(world.url, secret_key=SECRET, migrate=False)
    assert ENV_SECURE_COOKIES in str(refused.value) and "'maybe'" in str(refused.value)
