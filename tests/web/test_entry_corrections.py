"""Correcting a record: removing an entry made in error and recording a medication's stop, through
the API and the pages (real app on SQLite); nothing is lost, the audit keeps what was there."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import World, browser_login


def _entries(world: World, kind: str, user: str = "dr-a", patient: int | None = None) -> list[dict[str, object]]:
    response = world.client.get(f"/api/patients/{patient or world.patient_a}/entries/{kind}",
                                headers=world.token(user))
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_clinician_removes_a_lab_entered_in_error_and_the_audit_keeps_it(world: World) -> None:
    headers, patient = world.token("dr-a"), world.patient_a
    added = world.client.post(f"/api/patients/{patient}/labs", headers=headers, json={
        "test": "estradiol", "value": 90, "unit": "pg/mL", "date": "2025-05-20"})
    assert added.status_code == 201
    labs = _entries(world, "labs")
    wrong = next(lab for lab in labs if lab["value"] == 90)
    url = f"/api/patients/{patient}/entries/labs/{wrong['id']}"

    assert world.client.delete(url, headers=headers).status_code == 422  # a reason is required
    assert world.client.delete(url, params={"reason": "x"}, headers=world.token("pat-a")).status_code == 403
    other = _entries(world, "labs", "dr-b", world.patient_b)[0]
    refused = world.client.delete(f"/api/patients/{patient}/entries/labs/{other['id']}",
                                  params={"reason": "entered in error"}, headers=headers)
    assert refused.status_code == 422 and "no such entry" in refused.text  # another record's entry
    assert len(_entries(world, "labs", "dr-b", world.patient_b)) == 1

    removed = world.client.delete(url, params={"reason": "typed 90 for 9"}, headers=headers)
    assert removed.status_code == 200 and removed.json()["value"] == 90
    assert [lab["id"] for lab in _entries(world, "labs")] == [lab["id"] for lab in labs if lab is not wrong]
    from osteotwin.records.storage import make_engine, make_sessionmaker
    from osteotwin.records.storage.audit import audit_trail

    engine = make_engine(world.url)
    with make_sessionmaker(engine)() as session:
        entry = next(r for r in audit_trail(session, patient_id=patient) if r.action == "remove")
        assert entry.entity == "labs" and entry.before is not None and entry.before["value"] == 90
        assert entry.after == {"reason": "typed 90 for 9"} and entry.username == "dr-a"
    engine.dispose()


def test_stopping_a_medication_ends_it_in_the_assessment(world: World) -> None:
    headers, patient = world.token("dr-a"), world.patient_a
    anastrozole = next(m for m in _entries(world, "medications") if m["drug"] == "anastrozole")
    url = f"/api/patients/{patient}/medications/{anastrozole['id']}/stop"
    early = world.client.post(url, json={"stop": "2020-01-01"}, headers=headers)
    assert early.status_code == 422 and "stop" in early.text  # before its start, 2023-03-01
    assert world.client.post(url, json={"stop": ""}, headers=headers).status_code == 422
    assert world.client.post(url, json={"stop": "2025-03-01"}, headers=world.token("pat-a")).status_code == 403

    stopped = world.client.post(url, json={"stop": "2025-03-01"}, headers=headers)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["stop"] == "2025-03-01" and stopped.json()["start"] == "2023-03-01"
    record = world.client.get(f"/api/patients/{patient}", headers=headers).json()
    assert any(m["drug"] == "anastrozole" and m["stop"] == "2025-03-01" for m in record["medications"])
    assessment = world.client.get(f"/api/patients/{patient}/assessment", headers=headers).json()
    # no longer on an inhibitor: the man's off-label AI finding goes
    assert "AI_USE_IN_MEN" not in {f["code"] for f in assessment["findings"]}


def test_pages_offer_corrections_by_role(world: World, page_client: TestClient) -> None:
    patient = world.patient_a
    log = world.client.post(f"/api/patients/{patient}/logs", headers=world.token("pat-a"), json={
        "kind": "symptom", "date": "2025-05-01", "symptom": "back_pain", "severity": 2})
    assert log.status_code == 201
    log_id, lab_id = log.json()["id"], _entries(world, "labs")[0]["id"]

    csrf = browser_login(page_client, "pat-a")
    page = page_client.get(f"/patients/{patient}").text
    assert f'/entries/logs/{log_id}/remove"' in page and f"/entries/labs/{lab_id}/remove" not in page
    forbidden = page_client.post(f"/patients/{patient}/entries/labs/{lab_id}/remove",
                                 data={"csrf_token": csrf, "reason": "mine"}, follow_redirects=False)
    assert forbidden.status_code == 403
    done = page_client.post(f"/patients/{patient}/entries/logs/{log_id}/remove",
                            data={"csrf_token": csrf, "reason": "wrong day"}, follow_redirects=False)
    assert done.status_code == 303 and "corrected=logs" in done.headers["location"]
    assert "Corrected: the log entry." in page_client.get(done.headers["location"]).text
    assert all(entry["id"] != log_id for entry in _entries(world, "logs"))

    page_client.post("/logout", data={"csrf_token": csrf})
    csrf = browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{patient}").text
    assert f"/entries/labs/{lab_id}/remove" in page
    revision = re.search(r'name="revision" value="(\d+)"', page)
    assert revision is not None
    refused = page_client.post(f"/patients/{patient}/entries/labs/{lab_id}/remove",
                               data={"csrf_token": csrf, "reason": "  ", "revision": revision.group(1)})
    assert refused.status_code == 422 and "was not made" in refused.text
    # the summary names the entry and links to its open correction
    assert re.search(rf'The correction of <a href="#correct-labs-{lab_id}">estradiol \(\d{{4}}-\d\d-\d\d\)</a>',
                     refused.text)
    assert "reason: Missing or too long" in refused.text  # the summary names the field
    assert f'id="correct-labs-{lab_id}" open' in refused.text  # that entry's correction stays open
    assert any(e["id"] == lab_id for e in _entries(world, "labs"))
    # a page loaded before the record changed: refused, nothing removed
    world.client.post(f"/api/patients/{patient}/logs", headers=world.token("pat-a"), json={
        "kind": "intake", "date": "2025-05-02", "calcium_mg": 800})
    stale = page_client.post(f"/patients/{patient}/entries/labs/{lab_id}/remove",
                             data={"csrf_token": csrf, "reason": "duplicate", "revision": revision.group(1)})
    assert stale.status_code == 422 and "changed since this view was loaded" in stale.text
    assert any(e["id"] == lab_id for e in _entries(world, "labs"))
    no_token = page_client.post(f"/patients/{patient}/entries/labs/{lab_id}/remove",
                                data={"reason": "duplicate"}, follow_redirects=False)
    assert no_token.status_code == 403  # CSRF


def test_a_patient_removes_only_their_own_unreviewed_log_entries(world: World) -> None:
    patient, as_patient, as_doctor = world.patient_a, world.token("pat-a"), world.token("dr-a")
    entry = {"kind": "symptom", "date": "2025-05-03", "symptom": "fall", "severity": 2}
    by_doctor = world.client.post(f"/api/patients/{patient}/logs", headers=as_doctor, json=entry).json()
    own = world.client.post(f"/api/patients/{patient}/logs", headers=as_patient, json=entry).json()
    own_reviewed = world.client.post(f"/api/patients/{patient}/logs", headers=as_patient, json=entry).json()
    assert world.client.post(f"/api/patients/{patient}/logs/reviewed", json={"ids": [own_reviewed["id"]]},
                             headers=as_doctor).status_code == 200

    def remove(entry_id: int) -> int:
        return world.client.delete(f"/api/patients/{patient}/entries/logs/{entry_id}",
                                   params={"reason": "mine"}, headers=as_patient).status_code

    assert remove(by_doctor["id"]) == 403 and remove(own_reviewed["id"]) == 403
    assert remove(own["id"]) == 200
    left = {e["id"] for e in _entries(world, "logs")}
    assert {by_doctor["id"], own_reviewed["id"]} <= left and own["id"] not in left


def test_a_stop_is_not_overwritten_unless_replaced_and_stale_api_writes_are_refused(world: World) -> None:
    headers, patient = world.token("dr-b"), world.patient_b
    letrozole = _entries(world, "medications", "dr-b", patient)[0]
    url = f"/api/patients/{patient}/medications/{letrozole['id']}/stop"
    revision = next(p["revision"] for p in world.client.get("/api/patients", headers=headers).json()
                    if p["id"] == patient)
    assert world.client.post(url, json={"stop": "2025-04-01", "revision": revision - 1},
                             headers=headers).status_code == 422  # read at an older revision
    assert world.client.post(url, json={"stop": "2025-04-01", "revision": revision},
                             headers=headers).status_code == 200
    for bad in ("2025-13-45", "1900-01-01"):  # no such date; before the birth date (no start needed)
        refused = world.client.post(url, json={"stop": bad, "replace": True}, headers=headers)
        assert refused.status_code == 422 and "stop" in refused.text, refused.text
    again = world.client.post(url, json={"stop": "2199-12-31"}, headers=headers)
    assert again.status_code == 422 and "already stopped" in again.text
    replaced = world.client.post(url, json={"stop": "2025-05-01", "replace": True}, headers=headers)
    assert replaced.status_code == 200 and replaced.json()["stop"] == "2025-05-01"


def test_a_patient_is_told_why_a_reviewed_entry_cannot_be_removed(world: World, page_client: TestClient) -> None:
    patient = world.patient_b
    log = world.client.post(f"/api/patients/{patient}/logs", headers=world.token("pat-b"), json={
        "kind": "symptom", "date": "2025-05-05", "symptom": "back_pain", "severity": 3}).json()
    assert world.client.post(f"/api/patients/{patient}/logs/reviewed", json={"ids": [log["id"]]},
                             headers=world.token("dr-b")).status_code == 200
    browser_login(page_client, "pat-b")
    page = page_client.get(f"/patients/{patient}").text
    assert f"/entries/logs/{log['id']}/remove" not in page
    assert "Reviewed by your care team: ask them to change it" in page


def test_what_a_patient_enters_is_marked_and_theirs_to_remove(world: World, page_client: TestClient) -> None:
    patient = world.patient_b
    lab = world.client.post(f"/api/patients/{patient}/labs", headers=world.token("pat-b"), json={
        "test": "egfr", "value": 30, "unit": "mL/min/1.73m2", "date": "2025-05-06"})
    assert lab.status_code == 201, lab.text
    lab_id = lab.json()["id"]
    browser_login(page_client, "dr-b")
    page = page_client.get(f"/patients/{patient}").text
    row = page[page.index(f"/entries/labs/{lab_id}/remove") - 3000:page.index(f"/entries/labs/{lab_id}/remove")]
    assert "(entered by the patient)" in row.split("<tr")[-1]
    by_doctor = world.client.post(f"/api/patients/{patient}/labs", headers=world.token("dr-b"), json={
        "test": "egfr", "value": 60, "unit": "mL/min/1.73m2", "date": "2025-05-07"}).json()["id"]

    def remove(entry_id: int) -> int:
        return world.client.delete(f"/api/patients/{patient}/entries/labs/{entry_id}",
                                   params={"reason": "typo"}, headers=world.token("pat-b")).status_code

    assert remove(by_doctor) == 403 and remove(lab_id) == 200


def test_the_assessment_names_what_the_patient_entered(world: World, page_client: TestClient) -> None:
    """A medicine or scan a patient enters changes the assessment (a reviewer's denosumab entry took
    away a grade A treatment discussion): the assessment page names each such entry, for the
    clinician to confirm, and tells the patient their care team will check it."""
    patient = world.patient_b
    scan = world.client.post(f"/api/patients/{patient}/dxa", headers=world.token("pat-b"), json={
        "date": "2025-05-08", "site": "femoral_neck", "bmd": "0.71 g/cm2", "t_score": -1.6})
    assert scan.status_code == 201, scan.text
    browser_login(page_client, "dr-b")
    page = page_client.get(f"/patients/{patient}/assessment").text
    assert 'id="entered-by-patient"' in page
    section = page[page.index('id="entered-by-patient"'):page.index("</section>", page.index('id="entered-by-patient"'))]
    assert "2025-05-08: DXA — Femoral neck, BMD 0.710 g/cm², T -1.6" in section
    assert "confirm or correct them" in section
    by_doctor = world.client.post(f"/api/patients/{patient}/dxa", headers=world.token("dr-b"), json={
        "date": "2025-05-09", "site": "lumbar_spine", "bmd": "0.95 g/cm2", "t_score": -1.0})
    assert by_doctor.status_code == 201, by_doctor.text
    page = page_client.get(f"/patients/{patient}/assessment").text
    assert "2025-05-09" not in page[page.index('id="entered-by-patient"'):].split("</section>")[0]
    browser_login(page_client, "pat-b")
    assert "your care team will check them" in page_client.get(f"/patients/{patient}/assessment").text


def test_downloads_carry_the_falls_the_assessment_counted_and_the_log(world: World,
                                                                      page_client: TestClient) -> None:
    """A fall the patient logs is counted by the web assessment; the patient file and the FHIR
    Bundle downloaded afterwards give the same count (they had kept the recorded 0, so the file
    assessed elsewhere lost FALL_RISK), and the patient file carries the log itself under extra."""
    import datetime as dt

    from osteotwin.clinic import assess
    from osteotwin.records import parse_patient_document, parse_text
    from osteotwin.records.fhir import bundle_to_record

    patient = world.patient_b
    when = (dt.date.today() - dt.timedelta(days=30)).isoformat()  # within the 12 months counted
    fall = world.client.post(f"/api/patients/{patient}/logs", headers=world.token("pat-b"), json={
        "kind": "symptom", "date": when, "symptom": "fall"})
    assert fall.status_code == 201, fall.text
    browser_login(page_client, "dr-b")
    web = world.client.get(f"/api/patients/{patient}/assessment", headers=world.token("dr-b")).json()
    assert "FALL_RISK" in [f["code"] for f in web["findings"]], (web["as_of"], web.get("patient_log"))
    text = page_client.get(f"/patients/{patient}/patient.yaml").text
    from_yaml = parse_patient_document(parse_text(text, source="download"))
    assert from_yaml.history.falls_last_12_months is not None and from_yaml.history.falls_last_12_months >= 1
    logged = from_yaml.extra["osteotwin_patient_log"]["entries"]
    assert {"kind": "symptom", "date": when, "symptom": "fall", "reviewed": False} in [
        {k: e.get(k) for k in ("kind", "date", "symptom", "reviewed")} for e in logged]
    from_fhir = bundle_to_record(page_client.get(f"/patients/{patient}/fhir.json").json())
    assert from_fhir.history.falls_last_12_months == from_yaml.history.falls_last_12_months
    for record in (from_yaml, from_fhir):
        assert "FALL_RISK" in assess(record, record.as_of or dt.date.fromisoformat(web["as_of"])).finding_codes()
