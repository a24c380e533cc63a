"""Security review, finding 2: reads of a record, exports and authentication events are audited
(real app on a SQLite file, real HTTP through the test client): one ``audit_log`` row per read,
the record's revision untouched, the audit page separating changes from views."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from osteotwin.records.storage import make_engine, make_sessionmaker
from osteotwin.records.storage.audit import ACCESS_ACTIONS
from osteotwin.records.storage.models import AuditRow, PatientRow
from osteotwin.web.app import AUDITED_READS, UNAUDITED_READS, create_app
from osteotwin.web.security import LoginThrottle
from tests.web.conftest import CSRF_RE, PASSWORD, World, browser_login

SECRET = "access-audit-test-secret-of-enough-length"


@pytest.fixture
def app(world: World) -> Iterator[FastAPI]:
    """Another app on the world's database (its own login throttle)."""
    web = create_app(world.url, secret_key=SECRET, migrate=False)
    yield web
    web.state.engine.dispose()


def _last_id(url: str) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        last = session.scalar(select(func.max(AuditRow.id))) or 0
    engine.dispose()
    return last


def _since(url: str, mark: int) -> list[AuditRow]:
    """The audit rows written after ``mark``, oldest first."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        rows = list(session.scalars(select(AuditRow).where(AuditRow.id > mark).order_by(AuditRow.id)))
    engine.dispose()
    return rows


def _revision(url: str, patient_id: int) -> tuple[int, Any]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        row = session.get(PatientRow, patient_id)
        assert row is not None
        found = (row.revision, row.updated_at)
    engine.dispose()
    return found


def test_record_pages_and_downloads_are_audited_once_each_without_a_new_revision(
        world: World, app: FastAPI) -> None:
    patient = world.patient_a
    before = _revision(world.url, patient)
    with TestClient(app) as client:
        browser_login(client, "pat-a")
        mark = _last_id(world.url)
        expected = []
        for path, action, entity in [
                (f"/patients/{patient}", "view", "timeline"),
                (f"/patients/{patient}/details", "view", "details"),
                (f"/patients/{patient}/assessment", "view", "assessment"),
                (f"/patients/{patient}/what-if", "view", "what_if"),
                (f"/patients/{patient}/plan", "view", "plan"),
                (f"/patients/{patient}/audit", "view", "audit"),
                (f"/patients/{patient}/patient.yaml", "export", "patient.yaml"),
                (f"/patients/{patient}/fhir.json", "export", "fhir.json"),
                (f"/patients/{patient}/report.html?what_if=false", "export", "report.html")]:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            expected.append((action, entity, path.split("?")[0]))
        # the plan's body is part of the plan page (audited above), not a view of its own
        assert client.get(f"/patients/{patient}/plan/summary").status_code in (200, 503)
    rows = _since(world.url, mark)
    assert [(r.action, r.entity, r.after["path"]) for r in rows] == expected  # type: ignore[index]
    assert {r.username for r in rows} == {"pat-a"}
    assert all(r.patient_id == patient and r.user_id is not None and r.before is None for r in rows)
    assert rows[-1].after == {"address": "testclient", "path": f"/patients/{patient}/report.html",
                              "query": "what_if=false"}
    assert _revision(world.url, patient) == before  # reads never touch the record


def test_api_reads_and_the_fhir_export_are_audited(world: World, app: FastAPI) -> None:
    patient = world.patient_b
    before = _revision(world.url, patient)
    with TestClient(app) as client:
        token = client.post("/api/auth/token", json={"username": "dr-b", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        mark = _last_id(world.url)
        for path in ("/api/patients", f"/api/patients/{patient}", f"/api/patients/{patient}/logs",
                     f"/api/patients/{patient}/entries/labs", f"/api/patients/{patient}/assessment",
                     f"/api/patients/{patient}/fhir"):
            assert client.get(path, headers=headers).status_code == 200, path
    rows = _since(world.url, mark)
    assert [(r.action, r.entity, r.patient_id) for r in rows] == [
        ("view", "api:patient_list", None), ("view", "api:patient", patient),
        ("view", "api:logs", patient), ("view", "api:entries:labs", patient),
        ("view", "api:assessment", patient), ("export", "api:fhir", patient)]
    assert {r.username for r in rows} == {"dr-b"}
    assert _revision(world.url, patient) == before


def test_refused_and_failed_reads_are_not_recorded_as_reads(world: World, app: FastAPI) -> None:
    with TestClient(app) as client:
        browser_login(client, "pat-a")
        mark = _last_id(world.url)
        assert client.get(f"/patients/{world.patient_b}").status_code == 404  # another's record
        assert client.get(f"/patients/{world.patient_a}/report.txt").status_code == 404
        assert client.get("/api/patients/1").status_code == 401  # no token
    assert _since(world.url, mark) == []


def test_the_audit_page_lists_changes_by_default_and_views_on_request(world: World, app: FastAPI) -> None:
    with TestClient(app) as client:
        browser_login(client, "dr-a")
        client.get(f"/patients/{world.patient_a}/fhir.json")
        changes = client.get(f"/patients/{world.patient_a}/audit")
        assert changes.status_code == 200
        assert "create patient" in changes.text and "exported fhir.json" not in changes.text
        access = client.get(f"/patients/{world.patient_a}/audit?show=access")
        assert access.status_code == 200
        assert "exported fhir.json" in access.text and "viewed audit" in access.text
        assert "dr-a" in access.text and "create patient" not in access.text
        assert client.get(f"/patients/{world.patient_a}/audit?show=everything").status_code == 422


def _form_login(client: TestClient, username: str, password: str) -> int:
    page = client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": match.group(1)}, follow_redirects=False)
    return int(response.status_code)


def test_sign_in_failure_throttling_and_sign_out_are_audited(world: World) -> None:
    web = create_app(world.url, secret_key=SECRET, migrate=False,
                     login_throttle=LoginThrottle(per_username=2, per_address=100))
    mark = _last_id(world.url)
    with TestClient(web) as client:
        assert _form_login(client, "pat-b", "a wrong password!") == 401
        assert _form_login(client, "nobody-\x00-\u202e", "another wrong one") == 401
        assert _form_login(client, "pat-b", "still a wrong one") == 401
        assert _form_login(client, "pat-b", PASSWORD) == 429  # throttled: not even checked
        csrf = browser_login(client, "dr-b")
        assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    web.state.engine.dispose()
    rows = _since(world.url, mark)
    assert [(r.action, r.entity, r.username) for r in rows] == [
        ("sign_in_failed", "session", "pat-b"), ("sign_in_failed", "session", "nobody-?-?"),
        ("sign_in_failed", "session", "pat-b"), ("sign_in_throttled", "session", "pat-b"),
        ("sign_in", "session", "dr-b"), ("view", "patient_list", "dr-b"),  # the home page
        ("sign_out", "session", "dr-b")]
    assert [r.user_id is None for r in rows] == [True, True, True, True, False, False, False]
    assert rows[3].after == {"address": "testclient", "retry_after_s": rows[3].after["retry_after_s"]}  # type: ignore[index]
    text = json.dumps([[r.before, r.after, r.username] for r in rows])
    assert "wrong" not in text and PASSWORD not in text  # never a password


def test_token_issue_revoke_and_failed_password_change_are_audited(world: World, app: FastAPI) -> None:
    mark = _last_id(world.url)
    with TestClient(app) as client:
        assert client.post("/api/auth/token", json={"username": "dr-a", "password": "not it at all"}
                           ).status_code == 401
        token = client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert client.delete("/api/auth/token", headers=headers).status_code == 204
        csrf = browser_login(client, "pat-a")
        refused = client.post("/account/password", data={"current": "not my password", "new": "x" * 12,
                                                         "confirm": "x" * 12, "csrf_token": csrf})
        assert refused.status_code == 401
    rows = _since(world.url, mark)
    assert [(r.action, r.entity, r.username) for r in rows] == [
        ("sign_in_failed", "token", "dr-a"), ("token_issue", "token", "dr-a"),
        ("token_revoke", "token", "dr-a"), ("sign_in", "session", "pat-a"),
        ("view", "timeline", "pat-a"),  # the home page browser_login opens
        ("sign_in_failed", "password_change", "pat-a")]


def test_access_events_go_to_the_osteotwin_access_logger(world: World, app: FastAPI,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(app) as client, caplog.at_level(logging.INFO, logger="osteotwin.access"):
        headers = {"Authorization": "Bearer " + client.post(
            "/api/auth/token", json={"username": "pat-b", "password": PASSWORD}).json()["access_token"]}
        assert client.get(f"/api/patients/{world.patient_b}/fhir", headers=headers).status_code == 200
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "osteotwin.access"]
    assert [(e["action"], e["entity"], e["username"]) for e in events] == [
        ("token_issue", "token", "pat-b"), ("export", "api:fhir", "pat-b")]
    assert events[1]["patient_id"] == world.patient_b and events[1]["address"] == "testclient"


def test_every_route_that_reads_a_record_is_audited_or_says_why_not(app: FastAPI) -> None:
    """A new page or API read of a record must be added to AUDITED_READS (or UNAUDITED_READS with
    the reason), so that no read of health data goes unrecorded."""
    reads = set()
    routes: list[Any] = []
    for entry in app.routes:  # the included routers (pages, details, api) and the app's own routes
        routes.extend(getattr(getattr(entry, "original_router", None), "routes", [entry]))
    assert len(routes) > 30
    for route in routes:
        if not isinstance(route, APIRoute) or "{patient_id}" not in route.path:
            continue
        for method in route.methods or ():
            # a GET shows the record; a POST that changes it is audited as a change
            if method == "GET" or (method, route.path) in set(AUDITED_READS) | set(UNAUDITED_READS):
                reads.add((method, route.path))
    known = {key for key in set(AUDITED_READS) | set(UNAUDITED_READS) if "{patient_id}" in key[1]}
    assert reads == known
    assert all(action in ACCESS_ACTIONS for action, _ in AUDITED_READS.values())
    assert all(re.fullmatch(r"[a-z_:.{}]+", entity) for _, entity in AUDITED_READS.values())
