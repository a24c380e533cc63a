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
    assert f'href="/patients/{patient}/details#details-history">Update the record\'s history</a>' in page

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
    their_report = page_client.get(f"/patients/{patient}/report.html?what_if=false").text
    assert "From what you logged" in their_report and "The patient logged" not in their_report


def test_a_clinician_marks_the_log_reviewed_and_the_fall_still_counts(world: World,
                                                                       page_client: TestClient) -> None:
    patient = world.patient_b  # on letrozole, no falls recorded
    fall = world.client.post(f"/api/patients/{patient}/logs", headers=world.token("pat-b"), json={
        "kind": "symptom", "date": dt.date.today().isoformat(), "symptom": "fall", "severity": 1})
    assert fall.status_code == 201
    review = f"/api/patients/{patient}/logs/reviewed"
    assert world.client.post(review, json={"ids": [fall.json()["id"]]},
                             headers=world.token("pat-b")).status_code == 403
    other = world.client.post(f"/api/patients/{world.patient_a}/logs", headers=world.token("pat-a"), json={
        "kind": "symptom", "date": dt.date.today().isoformat(), "symptom": "fall", "severity": 1})
    refused = world.client.post(review, json={"ids": [other.json()["id"]]}, headers=world.token("dr-b"))
    assert refused.status_code == 422 and "no such entry" in refused.text  # another record's entry

    csrf = browser_login(page_client, "dr-b")
    assert f'href="/patients/{patient}/assessment#patient-log">falls</a>' in page_client.get("/patients").text
    page = page_client.get(f"/patients/{patient}/assessment").text
    assert "Mark reviewed" in page
    ids = re.findall(r'name="ids" value="(\d+)"', page)
    assert ids == [str(fall.json()["id"])]
    done = page_client.post(f"/patients/{patient}/logs/reviewed", data={"csrf_token": csrf, "ids": ids},
                            follow_redirects=False)
    assert done.status_code == 303
    page = page_client.get(f"/patients/{patient}/assessment").text
    assert "Reviewed." in page and "Mark reviewed" not in page
    assert f'href="/patients/{patient}/assessment#patient-log">falls</a>' not in page_client.get("/patients").text
    assessment = world.client.get(f"/api/patients/{patient}/assessment", headers=world.token("dr-b")).json()
    assert "FALL_RISK" in _codes(assessment)  # reviewed, still a fall
    note = next(n for n in assessment["patient_log"] if n["topic"] == "falls")
    assert note["reviewed"] and not note["needs_review"] and note["counted"]
    logs = world.client.get(f"/api/patients/{patient}/logs", headers=world.token("dr-b")).json()
    assert next(x for x in logs if x["id"] == fall.json()["id"])["reviewed"]["by"] == "dr-b"
