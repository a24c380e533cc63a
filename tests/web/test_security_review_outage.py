"""Security review, findings 7 and 14: a database that cannot be reached answers 503 with a clear
message (JSON under /api, the app's error page otherwise), ``/healthz`` asks the database, an
unexpected failure gets the app's error page without details, and a read whose access audit cannot
be written is not served. Real databases: a SQLite file whose folder goes away, the PostgreSQL
server with connections to its database refused (``OSTEOTWIN_TEST_POSTGRES_URL``), a failing
trigger on ``audit_log``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from osteotwin.records import parse_patient_document
from osteotwin.records.storage import (
    Actor,
    accounts,
    make_engine,
    make_sessionmaker,
    repository,
    scratch_postgres_database,
    upgrade_to_head,
)
from osteotwin.web.app import DATABASE_UNAVAILABLE, INTERNAL_ERROR, create_app
from tests.web.conftest import CSRF_RE, PASSWORD, World, browser_login, build_world

SECRET = "outage-test-secret-long-enough-for-the-check"
POSTGRES_ENV = "OSTEOTWIN_TEST_POSTGRES_URL"


def _small_world(url: str) -> int:
    """A clinician ``dr-o`` and one patient of theirs in the (migrated) database at ``url``."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    with make_sessionmaker(engine)() as session:
        doctor = accounts.create_user(session, username="dr-o", password=PASSWORD, role="clinician",
                                      actor=Actor.system("test"))
        record = parse_patient_document({"version": 1, "patient": {
            "id": "outage-1", "sex": "female", "birth_date": "1955-05-05"}})
        row = repository.create_patient(session, record, Actor(doctor.id, doctor.username, doctor.role))
        session.commit()
        patient = row.id
    engine.dispose()
    return patient


def _check_unavailable(client: TestClient, patient: int, headers: dict[str, str]) -> None:
    api = client.get(f"/api/patients/{patient}", headers=headers)
    assert api.status_code == 503 and api.json() == {"detail": DATABASE_UNAVAILABLE}
    assert api.headers["Retry-After"] == "30"
    page = client.get(f"/patients/{patient}", follow_redirects=False)
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "Database not available" in page.text and "Internal Server Error" not in page.text
    assert "Traceback" not in page.text and "sqlalchemy" not in page.text.lower()
    assert page.headers["Content-Security-Policy"]  # the security headers on it too
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json() == {"status": "database unavailable"}


def _check_available(client: TestClient, patient: int, headers: dict[str, str]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get(f"/api/patients/{patient}", headers=headers).status_code == 200
    assert client.get(f"/patients/{patient}", follow_redirects=False).status_code == 200


def test_sqlite_database_gone_answers_503_and_recovers(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    url = f"sqlite:///{folder / 'outage.sqlite3'}"
    patient = _small_world(url)
    app = create_app(url, secret_key=SECRET, migrate=False)
    with TestClient(app) as client:
        token = client.post("/api/auth/token", json={"username": "dr-o", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        browser_login(client, "dr-o")
        _check_available(client, patient, headers)
        # the disk is unmounted under a running server: new connections cannot open the file
        moved = shutil.move(folder, tmp_path / "elsewhere")
        app.state.engine.dispose()
        _check_unavailable(client, patient, headers)
        shutil.move(moved, folder)
        _check_available(client, patient, headers)
    app.state.engine.dispose()


@pytest.fixture
def postgres_base() -> str:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"the PostgreSQL outage test needs {POSTGRES_ENV}")
    return base


def _allow_connections(base: str, url: str, allow: bool) -> None:
    """Let or stop new connections to the database at ``url``; stopping also ends the open ones
    (as a failover or a restart of the server does)."""
    name = make_url(url).database
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    admin.dispose()


@pytest.mark.postgres
def test_postgresql_outage_answers_503_and_healthz_notices(postgres_base: str) -> None:
    with scratch_postgres_database(postgres_base, prefix="osteotwin_outage") as url:
        patient = _small_world(url)
        app = create_app(url, secret_key=SECRET, migrate=False)
        try:
            with TestClient(app) as client:
                token = client.post("/api/auth/token", json={"username": "dr-o", "password": PASSWORD})
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                browser_login(client, "dr-o")
                _check_available(client, patient, headers)
                _allow_connections(postgres_base, url, False)
                try:
                    _check_unavailable(client, patient, headers)
                    login = client.get("/login")  # the login form needs no database
                    assert login.status_code == 200
                    refused = client.post("/api/auth/token", json={"username": "dr-o", "password": PASSWORD})
                    assert refused.status_code == 503 and refused.json()["detail"] == DATABASE_UNAVAILABLE
                finally:
                    _allow_connections(postgres_base, url, True)
                _check_available(client, patient, headers)
        finally:
            app.state.engine.dispose()


def test_unexpected_errors_get_the_error_page_without_details(world: World) -> None:
    app = create_app(world.url, secret_key=SECRET, migrate=False)

    def boom() -> None:
        raise RuntimeError("secret detail: patient 42 has osteoporosis")

    app.add_api_route("/page-that-fails", boom)
    app.add_api_route("/api/route-that-fails", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/page-that-fails")
        api = client.get("/api/route-that-fails")
    app.state.engine.dispose()
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert INTERNAL_ERROR.split(".")[0] in page.text.replace("&#39;", "'")
    assert "<h1>Error 500</h1>" in page.text and "Internal Server Error" not in page.text
    assert api.status_code == 500 and api.json() == {"detail": INTERNAL_ERROR}
    for response in (page, api):
        assert "secret detail" not in response.text and "RuntimeError" not in response.text
        assert "Traceback" not in response.text
        assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def fragile_audit(tmp_path: Path) -> Iterator[tuple[FastAPI, int]]:
    """An app whose database refuses to record reads, and entries added (triggers on audit_log)."""
    url, patient, _ = build_world(tmp_path / "fragile.sqlite3")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER no_reads BEFORE INSERT ON audit_log "
                          "WHEN NEW.action IN ('view', 'export') "
                          "BEGIN SELECT RAISE(ABORT, 'audit storage full'); END"))
        conn.execute(text("CREATE TRIGGER no_additions BEFORE INSERT ON audit_log "
                          "WHEN NEW.action = 'add' "
                          "BEGIN SELECT RAISE(ABORT, 'a constraint of the site'); END"))
    engine.dispose()
    app = create_app(url, secret_key=SECRET, migrate=False)
    yield app, patient
    app.state.engine.dispose()


def test_a_read_whose_audit_cannot_be_written_is_not_served(fragile_audit: tuple[FastAPI, int]) -> None:
    app, patient = fragile_audit
    with TestClient(app) as client:
        token = client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
        assert token.status_code == 200  # sign-ins are still recorded
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        api = client.get(f"/api/patients/{patient}", headers=headers)
        assert api.status_code == 503 and api.json() == {"detail": DATABASE_UNAVAILABLE}
        download = client.get(f"/patients/{patient}/patient.yaml", headers=headers, follow_redirects=False)
        assert download.status_code == 303  # no browser session: to the login page
        login = client.get("/login")
        assert login.status_code == 200
        csrf = CSRF_RE.search(login.text)
        assert csrf
        signed_in = client.post("/login", data={"username": "dr-a", "password": PASSWORD,
                                                "csrf_token": csrf.group(1)}, follow_redirects=False)
        assert signed_in.status_code == 303
        refused = client.get(f"/patients/{patient}/patient.yaml")
        assert refused.status_code == 503 and "demo-001" not in refused.text
        assert "content-disposition" not in refused.headers
        assert "Database not available" in refused.text


def test_a_database_error_that_is_not_an_outage_is_an_internal_error(
        fragile_audit: tuple[FastAPI, int]) -> None:
    app, patient = fragile_audit
    with TestClient(app, raise_server_exceptions=False) as client:
        token = client.post("/api/auth/token", json={"username": "pat-a", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        added = client.post(f"/api/patients/{patient}/logs", headers=headers,
                            json={"kind": "symptom", "date": "2024-06-01", "symptom": "fatigue",
                                  "severity": 3})
    assert added.status_code == 500 and added.json() == {"detail": INTERNAL_ERROR}
    assert "constraint" not in added.text
