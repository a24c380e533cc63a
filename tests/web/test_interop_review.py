"""Web exports and imports, an interoperability review's fixes: every export gives one record, as of
the date it states (medication status, logged falls); ``extra`` refused unless JSON data; a refused
FHIR import names the bundle entry; times in UTC with ``Z`` whatever the database."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml
from fastapi.testclient import TestClient

from osteotwin.records import parse_patient_document, parse_text
from osteotwin.records.fhir import bundle_to_record
from tests.web.conftest import World, browser_login


def _statement(bundle: dict[str, Any], drug: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "MedicationStatement"
                and drug in json.dumps(e["resource"]["medicationCodeableConcept"]))


def _record_as_of(bundle: dict[str, Any]) -> str:
    patient = bundle["entry"][0]["resource"]
    return next(x["valueDate"] for x in patient["extension"] if x["url"].endswith("record-as-of"))


def test_every_export_speaks_for_one_date_and_gives_one_record(world: World,
                                                               page_client: TestClient) -> None:
    """A medicine stopped in the app after the record's as_of, and a fall the patient logged, are
    exported as of the date the export states (today here, as the pages assess it), by all three
    exports alike; the stored record (the API's GET, for editing) keeps its own as_of."""
    headers, today = world.token("dr-a"), dt.date.today()
    api = f"/api/patients/{world.patient_a}"
    meds = world.client.get(f"{api}/entries/medications", headers=headers).json()
    anastrozole = next(m for m in meds if m["drug"] == "anastrozole")
    stop = (today - dt.timedelta(days=200)).isoformat()
    assert world.client.post(f"{api}/medications/{anastrozole['id']}/stop", json={"stop": stop},
                             headers=headers).status_code == 200
    fall = (today - dt.timedelta(days=17)).isoformat()
    assert world.client.post(f"{api}/logs", json={"kind": "symptom", "date": fall, "symptom": "fall"},
                             headers=world.token("pat-a")).status_code == 201

    browser_login(page_client, "dr-a")
    download = page_client.get(f"/patients/{world.patient_a}/patient.yaml").text
    from_yaml = parse_patient_document(parse_text(download, source="download"))  # reads as a file
    page_bundle = page_client.get(f"/patients/{world.patient_a}/fhir.json").json()
    api_bundle = world.client.get(f"{api}/fhir", headers=headers).json()
    assert from_yaml.as_of == today and from_yaml.history.falls_last_12_months == 1
    assert "osteotwin_patient_log" in from_yaml.extra
    for bundle in (page_bundle, api_bundle):
        assert _record_as_of(bundle) == today.isoformat()
        assert _statement(bundle, "anastrozole")["status"] == "completed"
        assert bundle_to_record(bundle) == from_yaml  # the log too (record-extra-json)
    stored = world.client.get(api, headers=headers).json()
    assert stored["as_of"] == "2025-06-01" and "osteotwin_patient_log" not in stored["extra"]


def test_extra_that_is_not_json_is_refused_and_nothing_kept(world: World) -> None:
    headers = world.token("dr-a")
    before = world.client.get("/api/patients", headers=headers).json()
    body = b'{"version": 1, "patient": {"sex": "female", "birth_date": "1960-01-01"}, ' \
           b'"extra": {"x": NaN, "y": Infinity}}'
    refused = world.client.post("/api/patients", content=body,
                                headers={**headers, "Content-Type": "application/json"})
    assert refused.status_code == 422, refused.text
    [item] = refused.json()["detail"]
    assert item["field"] == "extra.x" and item["problem"] == "not a finite number"
    assert world.client.get("/api/patients", headers=headers).json() == before


def test_a_refused_fhir_import_names_the_bundle_entry(world: World, page_client: TestClient) -> None:
    headers = world.token("dr-a")
    bundle = world.client.get(f"/api/patients/{world.patient_b}/fhir", headers=world.token("dr-b")
                              ).json()
    lab = next(e for e in bundle["entry"] if "lab.vitamin_d_25oh" in json.dumps(e["resource"]))
    index = bundle["entry"].index(lab)
    lab["resource"]["effectiveDateTime"] = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    refused = world.client.post("/api/fhir", json=bundle, headers=headers)
    assert refused.status_code == 422
    [item] = refused.json()["detail"]
    assert item["field"].startswith(f"Bundle.entry[{index}] Observation/")
    assert "dated after as_of" in item["problem"]  # the export states its date as as_of
    csrf = browser_login(page_client, "dr-a")
    upload = page_client.post("/patients/import", data={"csrf_token": csrf}, files={
        "file": ("bundle.json", json.dumps(bundle).encode())})
    assert upload.status_code == 422 and f"Bundle.entry[{index}] Observation/" in upload.text


def test_a_new_patient_follows_one_date_rule_on_the_page_and_the_api(world: World,
                                                                     page_client: TestClient) -> None:
    """A document that creates a patient is read alike by the page's import and the API's POST: a
    result after its ``as_of`` but not after today is kept (the app assesses on today; the page had
    refused what the API took), one after today refused by both, naming the field."""
    csrf = browser_login(page_client, "dr-a")
    document = {"version": 1, "as_of": "2025-01-01",
                "patient": {"sex": "female", "birth_date": "1960-01-01"},
                "labs": [{"test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL",
                          "date": "2025-02-01"}]}
    upload = page_client.post("/patients/import", data={"csrf_token": csrf}, files={
        "file": ("record.yaml", yaml.safe_dump(document).encode())}, follow_redirects=False)
    assert upload.status_code == 303, upload.text
    created = world.client.post("/api/patients", json=document, headers=world.token("dr-a"))
    assert created.status_code == 201, created.text
    assert created.json()["document"]["labs"][0]["date"] == "2025-02-01"
    document["labs"][0]["date"] = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    upload = page_client.post("/patients/import", data={"csrf_token": csrf}, files={
        "file": ("record.yaml", yaml.safe_dump(document).encode())})
    assert upload.status_code == 422 and "labs[0].date" in upload.text
    refused = world.client.post("/api/patients", json=document, headers=world.token("dr-a"))
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "labs[0].date"


def test_times_are_given_in_utc_with_z(world: World) -> None:
    headers = world.token("dr-a")
    listed = world.client.get("/api/patients", headers=headers).json()
    assert listed and all(p["updated_at"].endswith("Z") for p in listed)
    api = f"/api/patients/{world.patient_b}"
    logged = world.client.post(f"{api}/logs", headers=world.token("pat-b"), json={
        "kind": "symptom", "date": dt.date.today().isoformat(), "symptom": "fall"}).json()
    assert world.client.post(f"{api}/logs/reviewed", json={"ids": [logged["id"]]},
                             headers=world.token("dr-b")).status_code == 200
    [log] = [x for x in world.client.get(f"{api}/logs", headers=world.token("dr-b")).json()
             if x["id"] == logged["id"]]
    assert log["reviewed"]["at"].endswith("Z")


def test_the_log_a_downloaded_patient_file_carries_comes_back_as_log_entries(
        world: World, page_client: TestClient) -> None:
    """The patient file download carries the patient's log under ``extra``; uploading that file as
    a new patient turns it back into log entries (it had been kept as an opaque block, so the new
    record's timeline, review list and falls count never saw it). A bad entry refuses the file,
    naming the entry, and nothing is written."""
    headers = world.token("dr-a")
    fall = {"kind": "symptom", "date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
            "symptom": "fall", "note": "tripped on a kerb"}
    assert world.client.post(f"/api/patients/{world.patient_a}/logs", json=fall,
                             headers=headers).status_code == 201
    csrf = browser_login(page_client, "dr-a")
    text = page_client.get(f"/patients/{world.patient_a}/patient.yaml").text
    document = yaml.safe_load(text)
    carried = document["extra"]["osteotwin_patient_log"]["entries"]
    upload = page_client.post("/patients/import", data={"csrf_token": csrf}, files={
        "file": ("record.yaml", text.encode())}, follow_redirects=False)
    assert upload.status_code == 303, upload.text
    new_id = int(upload.headers["location"].rsplit("/", 1)[1])
    logs = world.client.get(f"/api/patients/{new_id}/logs", headers=headers).json()
    assert len(logs) == len(carried)
    assert {(e["kind"], e["date"], e.get("note")) for e in logs} == \
        {(e["kind"], e["date"], e.get("note")) for e in carried}
    assert "osteotwin_patient_log" not in world.client.get(
        f"/api/patients/{new_id}", headers=headers).json().get("extra", {})
    before = len(world.client.get("/api/patients", headers=headers).json())
    document["extra"]["osteotwin_patient_log"]["entries"][0]["kind"] = "nap"
    refused = page_client.post("/patients/import", data={"csrf_token": csrf}, files={
        "file": ("record.yaml", yaml.safe_dump(document).encode())})
    assert refused.status_code == 422
    assert "extra.osteotwin_patient_log.entries[0].kind" in refused.text
    assert len(world.client.get("/api/patients", headers=headers).json()) == before
