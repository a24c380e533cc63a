"""No account can read or change another patient's data through any API or page route (one test per
route, per attacker), and every route refuses anonymous use."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World, browser_login

LAB = {"test": "estradiol", "value": 15, "unit": "pg/mL", "date": "2025-01-10"}
DXA = {"date": "2025-01-10", "site": "total_hip", "bmd": "0.85 g/cm2"}
MEDICATION = {"drug": "alendronate", "dose": "70 mg", "every": "7 d", "start": "2025-01-10"}
LOG = {"kind": "symptom", "date": "2025-01-10", "symptom": "joint_pain", "severity": 3}
WHAT_IF = {"years": 1, "aromatase_inhibitor": {"drug": "none"}}
DOCUMENT = {"version": 1, "patient": {"sex": "female", "birth_date": "1950-01-01"}}

# (method, path with {id}, JSON body)
API_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/patients/{id}", None),
    ("PUT", "/api/patients/{id}", DOCUMENT),
    ("POST", "/api/patients/{id}/labs", LAB),
    ("POST", "/api/patients/{id}/dxa", DXA),
    ("POST", "/api/patients/{id}/medications", MEDICATION),
    ("POST", "/api/patients/{id}/logs", LOG),
    ("GET", "/api/patients/{id}/logs", None),
    ("GET", "/api/patients/{id}/assessment", None),
    ("GET", "/api/patients/{id}/plan", None),
    ("POST", "/api/patients/{id}/simulations", WHAT_IF),
    ("GET", "/api/patients/{id}/fhir", None),
]

# (method, path with {id}, form fields)
PAGE_ROUTES: list[tuple[str, str, dict[str, str] | None]] = [
    ("GET", "/patients/{id}", None),
    ("GET", "/patients/{id}/assessment", None),
    ("GET", "/patients/{id}/what-if", None),
    ("GET", "/patients/{id}/plan", None),
    ("GET", "/patients/{id}/plan/summary", None),
    ("GET", "/patients/{id}/plan.html", None),
    ("GET", "/patients/{id}/report.html", None),
    ("GET", "/patients/{id}/report.pdf", None),
    ("GET", "/patients/{id}/audit", None),
    ("GET", "/patients/{id}/patient.yaml", None),
    ("GET", "/patients/{id}/fhir.json", None),
    ("POST", "/patients/{id}/labs", {"test": "estradiol", "value": "15", "unit": "pg/mL",
                                     "date": "2025-01-10"}),
    ("POST", "/patients/{id}/dxa", {"date": "2025-01-10", "site": "total_hip", "bmd_value": "0.85",
                                    "bmd_unit": "g/cm2"}),
    ("POST", "/patients/{id}/medications", {"drug": "alendronate", "dose_value": "70", "dose_unit": "mg",
                                            "every_value": "7", "every_unit": "d"}),
    ("POST", "/patients/{id}/logs", {"kind": "symptom", "date": "2025-01-10", "symptom": "joint_pain",
                                     "severity": "3"}),
    ("POST", "/patients/{id}/what-if", {"ai_drug": "none", "years": "1"}),
]

ATTACKERS = ["pat-a", "dr-a"]  # patient A and clinician A, neither may touch patient B


def _snapshot(world: World) -> tuple[Any, Any]:
    headers = world.token("dr-b")
    document = world.client.get(f"/api/patients/{world.patient_b}", headers=headers).json()
    logs = world.client.get(f"/api/patients/{world.patient_b}/logs", headers=headers).json()
    return document, logs


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES, ids=[f"{m} {p}" for m, p, _ in API_ROUTES])
def test_api_route_refuses_other_patients_record(world: World, attacker: str, method: str, path: str,
                                                 body: dict[str, Any] | None) -> None:
    before = _snapshot(world)
    response = world.client.request(method, path.format(id=world.patient_b), json=body,
                                    headers=world.token(attacker))
    assert response.status_code == 404, response.text
    assert str(world.patient_b) in response.json()["detail"]
    assert "other-002" not in response.text and "letrozole" not in response.text
    assert _snapshot(world) == before


@pytest.mark.parametrize(("method", "path", "body"), API_ROUTES, ids=[f"{m} {p}" for m, p, _ in API_ROUTES])
def test_api_route_needs_a_token(world: World, method: str, path: str, body: dict[str, Any] | None) -> None:
    response = world.client.request(method, path.format(id=world.patient_a), json=body)
    assert response.status_code == 401
    bad = world.client.request(method, path.format(id=world.patient_a), json=body,
                               headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize(("method", "path", "form"), PAGE_ROUTES, ids=[f"{m} {p}" for m, p, _ in PAGE_ROUTES])
def test_page_route_refuses_other_patients_record(world: World, page_client: TestClient, attacker: str,
                                                  method: str, path: str, form: dict[str, str] | None) -> None:
    csrf = browser_login(page_client, attacker)
    before = _snapshot(world)
    data = None if form is None else {**form, "csrf_token": csrf}
    response = page_client.request(method, path.format(id=world.patient_b), data=data,
                                   follow_redirects=False)
    assert response.status_code == 404, response.text[:300]
    assert "other-002" not in response.text and "letrozole" not in response.text
    assert _snapshot(world) == before


@pytest.mark.parametrize(("method", "path", "form"), PAGE_ROUTES, ids=[f"{m} {p}" for m, p, _ in PAGE_ROUTES])
def test_page_route_needs_a_login(world: World, page_client: TestClient, method: str, path: str,
                                  form: dict[str, str] | None) -> None:
    response = page_client.request(method, path.format(id=world.patient_a), data=form,
                                   follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_patient_list_shows_only_visible_records(world: World, page_client: TestClient) -> None:
    listing = world.client.get("/api/patients", headers=world.token("pat-a")).json()
    assert [p["id"] for p in listing] == [world.patient_a]
    listing = world.client.get("/api/patients", headers=world.token("dr-b")).json()
    assert [p["id"] for p in listing] == [world.patient_b]
    browser_login(page_client, "dr-a")
    page = page_client.get("/patients").text
    assert "demo-001" in page and "other-002" not in page


@pytest.mark.parametrize(("path", "body"), [("/api/patients", DOCUMENT), ("/api/fhir", {"resourceType": "Bundle"})])
def test_patients_cannot_create_records(world: World, path: str, body: dict[str, Any]) -> None:
    response = world.client.post(path, json=body, headers=world.token("pat-a"))
    assert response.status_code == 403


def test_patients_cannot_open_the_new_patient_form(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "pat-a")
    assert page_client.get("/patients/new").status_code == 403
    response = page_client.post("/patients/new", data={"sex": "male", "birth_date": "1960-01-01",
                                                       "csrf_token": csrf})
    assert response.status_code == 403


def test_forms_without_the_csrf_token_are_refused(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    form = {"test": "estradiol", "value": "15", "unit": "pg/mL", "date": "2025-01-10"}
    for token in (None, "forged"):
        data = form if token is None else {**form, "csrf_token": token}
        response = page_client.post(f"/patients/{world.patient_a}/labs", data=data, follow_redirects=False)
        assert response.status_code == 403


def test_session_cookie_is_httponly_and_samesite(world: World, page_client: TestClient) -> None:
    page_client.get("/login")
    response = page_client.get("/login")
    fresh = TestClient(world.client.app).get("/login")
    cookie = fresh.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert response.status_code == 200


def test_wrong_password_does_not_log_in(world: World, page_client: TestClient) -> None:
    page = page_client.get("/login").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = page_client.post("/login", data={"username": "pat-a", "password": "wrong password!",
                                                "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 401
    assert page_client.get(f"/patients/{world.patient_a}", follow_redirects=False).status_code == 303


def test_the_import_form_needs_a_clinicians_login_and_token(world: World, page_client: TestClient) -> None:
    file = {"file": ("new.yaml", b"version: 1\npatient: {sex: female, birth_date: 1950-01-01}\n")}
    anonymous = page_client.post("/patients/import", files=file, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    browser_login(page_client, "dr-a")
    no_token = page_client.post("/patients/import", files=file, follow_redirects=False)
    assert no_token.status_code == 403
