"""A patient's own log reaches the assessment, its page, the API and the report (real app, SQLite)."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from tests.web.conftest import World, browser_login


def _codes(assessment: dict[str, object]) -> set[str]:
    return {str(f["code"]) for f in assessment["findings"]}  # type: ignore[attr-defined, index]


def test_a_logged_fall_is_counted_and_a_logged_fracture_is_raised(world: World,
                                                                   page_client: TestClient) -> None:
    patient, today = world.patient_a, dt.date.today()
    url = f"/api/patients/{patient}/assessment"
    before = world.client.get(url, headers=world.token("dr-a")).json()
    assert "FALL_RISK" not in _codes(before) and before["patient_log"] == []

    for entry in ({"kind": "symptom", "date": today.isoformat(), "symptom": "fall", "severity": 2},
                  {"kind": "symptom", "date": (today - dt.timedelta(days=3)).isoformat(),
                   "symptom": "fracture", "severity": 6, "note": "left wrist"}):
        added = world.client.post(f"/api/patients/{patient}/logs", json=entry, headers=world.token("pat-a"))
        assert added.status_code == 201, added.text

    after = world.client.get(url, headers=world.token("dr-a")).json()
    assert after["as_of"] == today.isoformat()  # a log newer than the record's date: assessed today
    assert "FALL_RISK" in _codes(after) and "FALL_PREVENTION" in {a["code"] for a in after["actions"]}
    assert "PRIOR_FRAGILITY_FRACTURE" not in _codes(after)  # a logged fracture is not counted by itself
    notes = {note["topic"]: note for note in after["patient_log"]}
    assert notes["falls"]["counted"] and not notes["fracture"]["counted"]
    assert "left wrist" in notes["fracture"]["message"]
    assert all(note["sources"] for note in after["patient_log"])
    # the stored record keeps the clinician's count: the log is read, not written into it
    stored = world.client.get(f"/api/patients/{patient}", headers=world.token("dr-a")).json()
    assert stored["history"]["falls_last_12_months"] == 0

    csrf = browser_login(page_client, "dr-a")
    listed = page_client.get("/patients").text  # the list points the clinician at the log
    assert f'href="/patients/{patient}/assessment#patient-log">falls, fracture</a>' in listed
    page = page_client.get(f"/patients/{patient}/assessment").text
    assert 'id="patient-log"' in page
    assert "Counted in this assessment." in page and "left wrist" in page and "FALL_RISK" in page

    report = page_client.get(f"/patients/{patient}/report.html?what_if=false")
    assert report.status_code == 200
    assert "From the patient" in report.text and "left wrist" in report.text
    assert "montero" in report.text.lower()  # the falls note's source is in the report's sources
    # the summary shows the record as kept (0 falls); the assessment counts the logged one
    assert re.search(r"Falls in the last 12 months</th><td>0<", report.text), report.text[:3000]
    assert "FALL_RISK" in report.text

    page_client.post("/logout", data={"csrf_token": csrf})
    browser_login(page_client, "pat-a")
    own = page_client.get(f"/patients/{patient}/assessment").text
    assert "From what you logged" in own and "You logged 1 fall in the 12 months" in own
    assert "The patient logged" not in own and "Update the record" not in own
