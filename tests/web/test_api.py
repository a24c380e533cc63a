"""JSON API behaviour: tokens, records as patient file v1, entries, logs, errors as field-level 4xx."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.web.conftest import PASSWORD, World, revision_of


def test_token_needs_the_right_password(world: World) -> None:
    assert world.client.post("/api/auth/token", json={"username": "dr-a", "password": "nope"}).status_code == 401
    ok = world.client.post("/api/auth/token", json={"username": "dr-a", "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token_type"] == "bearer"


def test_create_get_put_round_trip(world: World) -> None:
    headers = world.token("dr-a")
    document = {"version": 1, "patient": {"id": "api-003", "sex": "male", "birth_date": "1970-07-07",
                                          "height": "70 in", "weight": "180 lb"},
                "labs": [{"test": "total_testosterone", "value": 20.1, "unit": "nmol/L", "date": "2025-02-02"}]}
    created = world.client.post("/api/patients", json=document, headers=headers)
    assert created.status_code == 201, created.text
    patient_id = created.json()["id"]
    fetched = world.client.get(f"/api/patients/{patient_id}", headers=headers).json()
    assert fetched["patient"]["height"] == "177.8 cm"  # 70 in x 2.54 cm/in
    assert fetched["labs"][0] == {"test": "total_testosterone", "value": 20.1, "unit": "nmol/L",
                                  "date": "2025-02-02"}
    fetched["history"] = {"smoking": "former"}
    replaced = world.client.put(f"/api/patients/{patient_id}", json=fetched, headers=headers,
                                params=revision_of(world.client, patient_id, headers))
    assert replaced.status_code == 200
    assert world.client.get(f"/api/patients/{patient_id}", headers=headers).json()["history"]["smoking"] == "former"
    listing = world.client.get("/api/patients", headers=headers).json()
    assert patient_id in [p["id"] for p in listing]


def test_patient_adds_own_lab_and_log(world: World) -> None:
    headers = world.token("pat-a")
    before = world.client.get(f"/api/patients/{world.patient_a}", headers=headers).json()
    lab = {"test": "vitamin_d_25oh", "value": 75, "unit": "nmol/L", "date": "2025-03-03"}
    response = world.client.post(f"/api/patients/{world.patient_a}/labs", json=lab, headers=headers)
    assert response.status_code == 201, response.text
    after = world.client.get(f"/api/patients/{world.patient_a}", headers=headers).json()
    assert len(after["labs"]) == len(before["labs"]) + 1
    log = {"kind": "exercise", "date": "2025-03-03", "activity": "resistance", "minutes": 45,
           "intensity": "high"}
    assert world.client.post(f"/api/patients/{world.patient_a}/logs", json=log,
                             headers=headers).status_code == 201
    logs = world.client.get(f"/api/patients/{world.patient_a}/logs", headers=headers).json()
    assert {"kind": "exercise", "activity": "resistance", "minutes": 45.0} .items() <= logs[-1].items()


def _detail(response: Any) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body["detail"], list) and body["detail"], body
    item: dict[str, Any] = body["detail"][0]
    return item


def test_bad_input_gets_field_level_422(world: World) -> None:
    headers = world.token("dr-a")
    cases = [
        ("/api/patients", {"version": 1, "patient": {"sex": "robot", "birth_date": "1970-01-01"}}, "patient.sex"),
        ("/api/patients", {"version": 1, "patient": {"sex": "male", "birth_date": "1970-01-01"}, "typo": 1}, "typo"),
        (f"/api/patients/{world.patient_a}/labs", {"test": "estradiol", "value": 9, "unit": "mg", "date": "2025-01-01"}, "unit"),
        (f"/api/patients/{world.patient_a}/labs", {"test": "estradiol", "value": "high", "unit": "pg/mL",
                                                   "date": "2025-01-01"}, "value"),
        (f"/api/patients/{world.patient_a}/dxa", {"date": "2025-13-01", "site": "total_hip", "t_score": -1}, "date"),
        (f"/api/patients/{world.patient_a}/logs", {"kind": "symptom", "date": "2025-01-01", "symptom": "joint_pain",
                                                   "severity": 12}, "severity"),
        (f"/api/patients/{world.patient_a}/simulations", {"years": 9}, "years"),
    ]
    for path, body, field in cases:
        response = world.client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.text)
        item = _detail(response)
        assert item["field"] == field, (path, item)
        assert item["message"]
    assert world.client.post("/api/patients", content=b"{not json", headers={
        **headers, "content-type": "application/json"}).status_code == 422
    assert world.client.get("/api/patients/not-a-number", headers=headers).status_code == 422
    # a security review: non-finite numbers in a JSON body gave a 500 (the 422 body could not be
    # written); the error echoes them as text
    for raw in (b'{"years": NaN}', b'{"years": Infinity}', b'{"years": 1e400}'):
        response = world.client.post(f"/api/patients/{world.patient_a}/simulations", content=raw,
                                     headers={**headers, "content-type": "application/json"})
        assert response.status_code == 422, (raw, response.text)
        assert _detail(response)["field"] == "years"


def test_openapi_describes_the_api(world: World) -> None:
    schema = world.client.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    for path in ("/api/auth/token", "/api/patients", "/api/patients/{patient_id}",
                 "/api/patients/{patient_id}/labs", "/api/patients/{patient_id}/dxa",
                 "/api/patients/{patient_id}/medications", "/api/patients/{patient_id}/logs",
                 "/api/patients/{patient_id}/assessment", "/api/patients/{patient_id}/plan",
                 "/api/patients/{patient_id}/simulations", "/api/patients/{patient_id}/fhir", "/api/fhir"):
        assert path in paths, path
    assert not any(p.startswith("/patients") for p in paths)


def test_changes_through_the_api_are_audited(world: World, page_client: Any) -> None:
    from tests.web.conftest import browser_login

    headers = world.token("dr-a")
    world.client.post(f"/api/patients/{world.patient_a}/dxa", json={
        "date": "2025-04-04", "site": "femoral_neck", "bmd": "0.77 g/cm2", "t_score": -1.5}, headers=headers)
    browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{world.patient_a}/audit").text
    assert "dr-a" in page and "add dxa" in page and "femoral_neck" in page


def test_fhir_export_and_import_round_trip(world: World, page_client: Any) -> None:
    from tests.web.conftest import browser_login

    headers = world.token("dr-a")
    exported = world.client.get(f"/api/patients/{world.patient_a}/fhir", headers=headers)
    assert exported.status_code == 200, exported.text
    bundle = exported.json()
    assert bundle["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "Observation", "MedicationStatement"} <= kinds
    imported = world.client.post("/api/fhir", json=bundle, headers=headers)
    assert imported.status_code == 201, imported.text
    # the record every export gives (services.exported_record): the patient file download's
    browser_login(page_client, "dr-a")
    downloaded = yaml.safe_load(page_client.get(f"/patients/{world.patient_a}/patient.yaml").text)
    # the patient's log rides along under extra and comes back as the new record's log entries
    carried = downloaded.get("extra", {}).pop("osteotwin_patient_log", {"entries": []})["entries"]
    document = imported.json()["document"]
    for side in (document, downloaded):  # an extra block left empty is no block
        if not side.get("extra"):
            side.pop("extra", None)
    assert document == downloaded
    new_logs = world.client.get(f"/api/patients/{imported.json()['id']}/logs", headers=headers).json()
    assert len(new_logs) == len(carried)
    broken = world.client.post("/api/fhir", json={"resourceType": "Bundle", "entry": "nope"}, headers=headers)
    assert broken.status_code == 422
    assert imported.json()["not_imported"] == []
    # a preliminary result is not imported, and the import says so (and keeps it with the record)
    preliminary = json.loads(json.dumps(bundle))
    observation = next(e["resource"] for e in preliminary["entry"]
                       if e["resource"]["resourceType"] == "Observation")
    observation["status"] = "preliminary"
    partial = world.client.post("/api/fhir", json=preliminary, headers=headers)
    assert partial.status_code == 201, partial.text
    notes = partial.json()["not_imported"]
    assert len(notes) == 1 and "preliminary" in notes[0]
    assert partial.json()["document"]["extra"]["not_imported_from_fhir"] == notes


def test_what_if_simulation_is_cached_with_the_model_version(world: World) -> None:
    headers = world.token("dr-a")
    body = {"years": 1, "aromatase_inhibitor": {"drug": "none"}, "band_draws": 10}
    first = world.client.post(f"/api/patients/{world.patient_a}/simulations", json=body, headers=headers)
    assert first.status_code == 200, first.text  # the simulator ships with the app: no 503 here
    result = first.json()
    assert [c["label"] for c in result["courses"]] == ["current course", "stop AI"]
    current, stopped = result["courses"]
    assert len(current["times_d"]) == 13 and current["times_d"][-1] == 365.25
    # Stopping the AI must raise estradiol above the current course by one year (AI blocks aromatase).
    assert stopped["series"]["estradiol_pg_ml"][-1] > current["series"]["estradiol_pg_ml"][-1]
    assert result["cached"] is False and result["model_version"]
    # the demo man is on anastrozole: that course carries the model's known departure there, and
    # the course that stops it the departure of the recovery after a stop; his vitamin D
    # supplement goes with both
    assert {c["code"] for c in current["caveats"]} == {"AROMATASE_INHIBITOR_IN_MAN", "VITAMIN_D_RESPONSE"}
    assert {c["code"] for c in stopped["caveats"]} == {"AROMATASE_INHIBITOR_STOPPED", "VITAMIN_D_RESPONSE"}
    assert [c["courses"] for c in result["caveats"]] == [["current course"], ["current course", "stop AI"],
                                                         ["stop AI"]]
    band = stopped["bands"]["lumbar_spine_bmd_change_pct"]
    assert band["n"] >= 2 and all(lo <= hi for lo, hi in zip(band["low"], band["high"], strict=True))
    # calculated free testosterone comes with total testosterone, a small share of it
    for course in (current, stopped):
        free, total = course["series"]["free_testosterone_pg_ml"], course["series"]["total_testosterone_ng_dl"]
        assert all(0.0 < f < 0.05 * t * 10.0 for f, t in zip(free, total, strict=True))
    again = world.client.post(f"/api/patients/{world.patient_a}/simulations", json=body, headers=headers)
    assert again.json()["cached"] is True
    assert again.json()["courses"] == result["courses"]
    missing_dose = world.client.post(f"/api/patients/{world.patient_a}/simulations", json={
        "years": 1, "aromatase_inhibitor": {"drug": "letrozole"}}, headers=headers)
    assert missing_dose.status_code == 422
    assert missing_dose.json()["detail"][0]["field"] == "aromatase_inhibitor.dose_mg"


def test_what_if_hormone_levels_do_not_depend_on_the_injection_phase(world: World) -> None:
    """The demo man injects testosterone weekly on a constant regimen: his table levels at 1 and 2
    years (means over the week before) agree, and his monthly estradiol curve (28-day averages) is
    flat once settled, where single days had read 757 and 1112 ng/dL a year apart."""
    body = {"years": 2, "aromatase_inhibitor": {"drug": "none"}, "band_draws": 0}
    result = world.client.post(f"/api/patients/{world.patient_a}/simulations", json=body,
                               headers=world.token("dr-a")).json()
    current = result["courses"][0]
    assert current["table"]["years"] == [1.0, 2.0]
    total = current["table"]["values"]["total_testosterone_ng_dl"]
    assert abs(total[1] - total[0]) < 0.005 * total[0], total
    estradiol = current["series"]["estradiol_pg_ml"][6:]
    assert max(estradiol) - min(estradiol) < 0.1 * max(estradiol), estradiol
    # BMD changes are read at the time itself: the table's 2-year value is the curve's last point
    spine = current["table"]["values"]["lumbar_spine_bmd_change_pct"][1]
    assert abs(spine - current["series"]["lumbar_spine_bmd_change_pct"][-1]) < 0.02


def test_a_whole_record_replace_names_the_revision_it_replaces(world: World) -> None:
    """A PUT made from a document read before someone else added an entry would drop that entry:
    it must give the revision it read (the GET's ETag) and is refused when the record changed."""
    clinician = world.token("dr-a")
    url = f"/api/patients/{world.patient_a}"
    read = world.client.get(url, headers=clinician)
    document, tag = read.json(), read.headers["etag"]
    missing = world.client.put(url, json=document, headers=clinician)
    assert missing.status_code == 422 and "revision" in missing.text
    added = world.client.post(f"{url}/labs", headers=world.token("pat-a"), json={
        "test": "vitamin_d_25oh", "value": 31, "unit": "ng/mL", "date": "2025-04-04"})
    assert added.status_code == 201
    stale = world.client.put(url, json={**document, "history": {"smoking": "never"}}, headers=clinician,
                             params={"revision": int(tag.strip('"'))})
    assert stale.status_code == 422 and "changed since" in stale.text
    kept = world.client.get(url, headers=clinician)
    assert {"test": "vitamin_d_25oh", "value": 31, "unit": "ng/mL", "date": "2025-04-04"} in kept.json()["labs"]
    fresh = world.client.put(url, json=kept.json(), headers=clinician,
                             params={"revision": int(kept.headers["etag"].strip('"'))})
    assert fresh.status_code == 200 and fresh.headers["etag"] != kept.headers["etag"]


def test_a_refused_request_says_what_each_field_accepts_in_words(world: World) -> None:
    headers = world.token("dr-a")
    url = f"/api/patients/{world.patient_a}/simulations"
    refused = world.client.post(url, headers=headers, json={"years": 9, "band_draws": 4,
                                                             "resistance_intensity": "extreme"})
    assert refused.status_code == 422
    accepted = {item["field"]: item["accepted"] for item in refused.json()["detail"]}
    assert accepted["years"] == "at most 5"
    assert "0 (no bands) or 10 to 100" in accepted["band_draws"]
    assert "'light', 'moderate' or 'high'" in accepted["resistance_intensity"]
    missing = world.client.post("/api/auth/token", json={"username": "dr-a"})
    assert missing.json()["detail"][0]["accepted"] == "a value (the field is required)"
