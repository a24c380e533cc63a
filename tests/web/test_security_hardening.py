"""Security hardening: request body limit, login throttling, logout revoking sessions and tokens,
`serve --no-demo`, and the security headers (CSP, no-store, also on 500s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from osteotwin.records.storage import make_engine, make_sessionmaker
from osteotwin.records.storage.models import UserRow
from osteotwin.web.app import create_app
from osteotwin.web.security import (
    CONTENT_SECURITY_POLICY,
    MAX_REQUEST_BODY_BYTES,
    SESSION_COOKIE,
    LoginThrottle,
)
from tests.web.conftest import CSRF_RE, PASSWORD, World, browser_login, served

SECRET = "hardening-test-secret"


class Clock:
    """A settable monotonic clock for the throttle."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _app(world: World, **kwargs: Any) -> FastAPI:
    """Another app on the world's database (its own throttle), for tests that change app state."""
    return create_app(world.url, secret_key=SECRET, migrate=False, **kwargs)


def _form_login(client: TestClient, username: str, password: str) -> httpx.Response:
    page = client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": match.group(1)}, follow_redirects=False)


# --------------------------------------------------------------------------------------------------
# 1. Request body size
# --------------------------------------------------------------------------------------------------


def test_oversized_body_refused_before_authentication(world: World) -> None:
    body = b"x" * (MAX_REQUEST_BODY_BYTES + 1)
    response = world.client.post("/api/patients", content=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 413  # not 401: refused before the route or its auth ran
    assert "bytes" in response.json()["detail"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_form_post_refused_for_anonymous_login(world: World) -> None:
    files = {"file": ("big.yaml", b"a" * (MAX_REQUEST_BODY_BYTES + 10), "text/plain")}
    response = world.client.post("/login", files=files, data={"username": "dr-a"})
    assert response.status_code == 413


def test_oversized_body_refused_for_signed_in_routes(world: World) -> None:
    before = world.client.get(f"/api/patients/{world.patient_a}/logs", headers=world.token("pat-a")).json()
    note = "n" * (MAX_REQUEST_BODY_BYTES + 1)
    response = world.client.post(f"/api/patients/{world.patient_a}/logs", headers=world.token("pat-a"),
                                 json={"kind": "symptom", "date": "2024-06-01", "symptom": "fatigue",
                                       "note": note})
    assert response.status_code == 413
    after = world.client.get(f"/api/patients/{world.patient_a}/logs", headers=world.token("pat-a")).json()
    assert after == before


def test_chunked_body_counted_as_it_streams(world: World) -> None:
    app = _app(world, max_body_bytes=10_000)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(20):
            yield b"y" * 1000

    with TestClient(app) as client:
        response = client.post("/api/auth/token", content=chunks(),
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert "Content-Length" not in response.request.headers
        response = client.post("/login", content=chunks(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413
        small = client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
        assert small.status_code == 200
    app.state.engine.dispose()


def test_real_server_refuses_oversized_post(world: World) -> None:
    with served(_app(world)) as base_url:
        body = b"z" * (MAX_REQUEST_BODY_BYTES + 1_000_000)
        response = httpx.post(f"{base_url}/api/patients", content=body,
                              headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code == 413
        ok = httpx.get(f"{base_url}/healthz", timeout=10)
        assert ok.status_code == 200


# --------------------------------------------------------------------------------------------------
# 2. Login throttling
# --------------------------------------------------------------------------------------------------


def test_login_form_throttled_per_username_even_with_right_password(world: World) -> None:
    clock = Clock()
    app = _app(world, login_throttle=LoginThrottle(per_username=3, per_address=100, window_s=600,
                                                   clock=clock))
    with TestClient(app) as client:
        for _ in range(3):
            assert _form_login(client, "pat-a", "wrong password!").status_code == 401
        refused = _form_login(client, "pat-a", PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed sign-in attempts" in refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 600
        # another username from the same address is not affected by pat-a's count
        assert _form_login(client, "pat-b", PASSWORD).status_code == 303
        clock.now += 601  # the window has passed
        assert _form_login(client, "pat-a", PASSWORD).status_code == 303
    app.state.engine.dispose()


def test_successful_login_resets_the_username_count(world: World) -> None:
    app = _app(world, login_throttle=LoginThrottle(per_username=3, per_address=100, window_s=600,
                                                   clock=Clock()))
    with TestClient(app) as client:
        for _ in range(2):
            assert _form_login(client, "pat-b", "wrong password!").status_code == 401
        assert _form_login(client, "pat-b", PASSWORD).status_code == 303
        for _ in range(2):
            assert _form_login(client, "pat-b", "wrong password!").status_code == 401
        assert _form_login(client, "pat-b", PASSWORD).status_code == 303
    app.state.engine.dispose()


def test_login_throttled_per_client_address(world: World) -> None:
    throttle = LoginThrottle(per_username=100, per_address=4, window_s=600, clock=Clock())
    app = _app(world, login_throttle=throttle)
    with TestClient(app, client=("203.0.113.7", 4000)) as attacker, \
            TestClient(app, client=("198.51.100.2", 4000)) as other:
        for name in ("nobody-1", "nobody-2", "nobody-3", "nobody-4"):
            assert _form_login(attacker, name, "guess guess guess").status_code == 401
        assert _form_login(attacker, "dr-b", PASSWORD).status_code == 429
        token = attacker.post("/api/auth/token", json={"username": "dr-b", "password": PASSWORD})
        assert token.status_code == 429
        # the same user from another address signs in
        assert _form_login(other, "dr-b", PASSWORD).status_code == 303
    app.state.engine.dispose()


def test_token_endpoint_throttled(world: World) -> None:
    clock = Clock()
    app = _app(world, login_throttle=LoginThrottle(per_username=3, per_address=100, window_s=900,
                                                   clock=clock))
    with TestClient(app) as client:
        for _ in range(3):
            response = client.post("/api/auth/token", json={"username": "dr-a", "password": "nope"})
            assert response.status_code == 401
        refused = client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
        assert refused.status_code == 429
        assert "Too many failed sign-in attempts" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) == 900
        assert refused.headers["Cache-Control"] == "no-store"
        # the login form shares the count
        assert _form_login(client, "dr-a", PASSWORD).status_code == 429
        # a malformed body still gets the route's 422, not a login attempt
        assert client.post("/api/auth/token", json={"user": "dr-a"}).status_code == 422
        clock.now += 300
        assert int(client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
                   .headers["Retry-After"]) == 600
        clock.now += 601
        ok = client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
        assert ok.status_code == 200
        # success reset the username: three more failures are allowed before refusing again
        for _ in range(3):
            client.post("/api/auth/token", json={"username": "dr-a", "password": "nope"})
        assert client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD}
                           ).status_code == 429
    app.state.engine.dispose()


def test_throttle_memory_is_bounded() -> None:
    throttle = LoginThrottle(per_username=2, per_address=1000, window_s=60, max_keys=50, clock=Clock())
    for i in range(500):
        throttle.failed(f"user-{i}", "192.0.2.1")
    assert len(throttle._failures) <= 50


# --------------------------------------------------------------------------------------------------
# 3. Logout ends the session; API tokens can be revoked
# --------------------------------------------------------------------------------------------------


def test_cookie_captured_before_logout_is_refused_afterwards(world: World) -> None:
    app = _app(world)
    with TestClient(app) as client, TestClient(app) as other_device, TestClient(app) as replay:
        csrf = browser_login(client, "dr-b")
        browser_login(other_device, "dr-b")
        captured = client.cookies[SESSION_COOKIE]
        assert client.get("/patients").status_code == 200
        logout = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert logout.status_code == 303
        replay.cookies.set(SESSION_COOKIE, captured)
        response = replay.get("/patients", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert replay.get(f"/patients/{world.patient_b}", follow_redirects=False).status_code == 303
        # logout ends the user's other browser sessions too
        assert other_device.get("/patients", follow_redirects=False).status_code == 303
        # signing in again works, with a new cookie
        browser_login(client, "dr-b")
        assert client.get("/patients").status_code == 200
        assert client.cookies[SESSION_COOKIE] != captured
    app.state.engine.dispose()


def test_revoked_bearer_token_stops_working(world: World) -> None:
    token = world.client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert world.client.get("/api/patients", headers=headers).status_code == 200
    assert world.client.delete("/api/auth/token", headers=headers).status_code == 204
    assert world.client.get("/api/patients", headers=headers).status_code == 401
    assert world.client.delete("/api/auth/token", headers=headers).status_code == 401
    assert world.client.delete("/api/auth/token").status_code == 401


def test_new_users_start_at_generation_zero(world: World) -> None:
    engine = make_engine(world.url)
    with make_sessionmaker(engine)() as session:
        generations = session.scalars(select(UserRow.session_generation)).all()
    engine.dispose()
    assert generations and all(isinstance(g, int) and g >= 0 for g in generations)


# --------------------------------------------------------------------------------------------------
# 4. serve --no-demo
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "env", "seeded"), [
    ([], {}, True), (["--no-demo"], {}, False), ([], {"OSTEOTWIN_DEMO": "0"}, False)])
def test_serve_demo_accounts_optional(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      args: list[str], env: dict[str, str], seeded: bool) -> None:
    import uvicorn

    from osteotwin.cli import app as cli_app

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.delenv("OSTEOTWIN_DEMO", raising=False)
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    result = CliRunner().invoke(cli_app, ["serve", "--db", url, "--workers", "1", *args], env=env)
    assert result.exit_code == 0, result.output
    assert ("Demo accounts created" in result.output) is seeded
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        users = session.scalars(select(UserRow)).all()
    engine.dispose()
    assert bool(users) is seeded


def test_serve_help_mentions_no_demo() -> None:
    from osteotwin.cli import app as cli_app

    result = CliRunner().invoke(cli_app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert "--no-demo" in result.output


# --------------------------------------------------------------------------------------------------
# 5. Headers
# --------------------------------------------------------------------------------------------------


def test_pages_carry_csp_and_no_store(world: World) -> None:
    page = world.client.get("/login")
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert page.headers["Cache-Control"] == "no-store"
    token = world.client.post("/api/auth/token", json={"username": "dr-b", "password": PASSWORD})
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    record = world.client.get(f"/api/patients/{world.patient_a}", headers=world.token("dr-a"))
    assert record.status_code == 200 and record.headers["Cache-Control"] == "no-store"
    static = world.client.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_server_errors_carry_security_headers(world: World) -> None:
    app = _app(world)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    app.state.engine.dispose()
    assert response.status_code == 500
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_long_values_are_clipped_in_error_bodies(world: World) -> None:
    response = world.client.post("/api/auth/token", json={"username": "u" * 5000, "password": "p"})
    assert response.status_code == 422
    assert len(response.text) < 2000


def test_over_https_the_session_cookie_is_secure_and_hsts_is_sent(world: World) -> None:
    """Behind a TLS proxy (``serve --forwarded-allow-ips``) the app sees https: the session cookie
    is marked Secure and HSTS is sent; over plain http neither (HSTS there is ignored by browsers)."""
    app = _app(world)
    with TestClient(app, base_url="https://testserver") as tls:
        signed_in = _form_login(tls, "pat-a", PASSWORD)
        assert signed_in.status_code == 303
        assert "secure" in _cookie_flags(signed_in)
        assert tls.get("/login").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(app) as plain:
        response = _form_login(plain, "pat-b", PASSWORD)
        assert "secure" not in _cookie_flags(response)
        assert "strict-transport-security" not in plain.get("/login").headers
    app.state.engine.dispose()


def _cookie_flags(response: httpx.Response) -> set[str]:
    """The attribute names of the response's session cookie (``secure``, ``httponly``...)."""
    return {part.split("=")[0].strip().lower() for part in response.headers["set-cookie"].split(";")[1:]}


def test_text_a_patient_enters_is_escaped_on_the_clinicians_assessment(world: World,
                                                                        page_client: TestClient) -> None:
    """The assessment page includes the clinic's own section templates (``.j2``): what a patient
    typed (a lab's method, shown with a man's low estradiol) is shown as text there too, never as
    markup."""
    markup = '<a href="https://evil.example" id="injected">Sign in</a>'
    response = world.client.post(f"/api/patients/{world.patient_a}/labs", headers=world.token("pat-a"),
                                 json={"test": "estradiol", "value": 3, "unit": "pg/mL",
                                       "date": "2025-06-01", "method": markup})
    assert response.status_code == 201, response.text
    try:
        browser_login(page_client, "dr-a")
        page = page_client.get(f"/patients/{world.patient_a}/assessment")
        assert page.status_code == 200
        assert "evil.example" in page.text  # the method is shown ...
        assert 'id="injected"' not in page.text and "&lt;a href=" in page.text  # ... as text
    finally:
        removed = world.client.delete(f"/api/patients/{world.patient_a}/entries/labs/{response.json()['id']}",
                                      params={"reason": "test entry"}, headers=world.token("dr-a"))
        assert removed.status_code == 200, removed.text


def test_an_htmx_request_without_a_session_redirects_the_window_not_the_fragment(world: World,
                                                                                   page_client: TestClient) -> None:
    """The plan summary and the what-if load by HTMX: an expired session had swapped the whole login
    page into the fragment's box; HTMX now navigates to the login page (HX-Redirect)."""
    url = f"/patients/{world.patient_a}/plan/summary"
    fragment = page_client.get(url, headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.status_code == 204 and fragment.headers["HX-Redirect"] == "/login"
    assert fragment.text == ""
    page = page_client.get(url, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
