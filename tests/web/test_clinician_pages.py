"""What a clinician sees: the date a record is assessed on (and entries it leaves out), dates in
the future refused, badges for information-only findings, the what-if form's labels and errors,
error pages for bad addresses and safe download names."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import yaml
from fastapi.testclient import TestClient

from osteotwin.records.storage.seed import demo_record_text
from osteotwin.web.whatif import WhatIfRequest
from tests.web.conftest import World, browser_login, revision_of


def _text(page: str) -> str:
    """The page's text, tags removed and entities decoded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _finding_codes(world: World, patient_id: int, **params: str) -> set[str]:
    response = world.client.get(f"/api/patients/{patient_id}/assessment", params=params,
                                headers=world.token("dr-a"))
    assert response.status_code == 200, response.text[:300]
    return {finding["code"] for finding in response.json()["findings"]}


def _new_patient(client: TestClient, patient_id: str, sex: str, birth_date: str) -> int:
    """A new patient through the clinician's form; returns its id."""
    csrf = browser_login(client, "dr-a")
    response = client.post("/patients/new", data={"patient_id": patient_id, "sex": sex,
                                                  "birth_date": birth_date, "csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    return int(response.headers["location"].rsplit("/", 1)[1])


def _import(client: TestClient, csrf: str, document: dict[str, object]) -> int:
    response = client.post("/patients/import", data={"csrf_token": csrf},
                           files={"file": ("record.yaml", yaml.safe_dump(document).encode())},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_result_entered_after_the_record_date_is_assessed_today(world: World,
                                                                  page_client: TestClient) -> None:
    """The demo record is dated 2025-06-01. A clinician enters today's estradiol: the assessment,
    what-if, timeline, list and report are then as of today and count it (before, they stayed on
    2025-06-01 and still asked for an estradiol), and each page says which date it used."""
    csrf = browser_login(page_client, "dr-a")
    url = f"/patients/{world.patient_a}"
    before = _text(page_client.get(f"{url}/assessment").text)
    assert "Assessed as of 2025-06-01 (the record's assessment date)" in before
    assert "ESTRADIOL_NOT_MEASURED" in _finding_codes(world, world.patient_a, as_of="2025-06-01")
    today = dt.date.today().isoformat()
    response = page_client.post(f"{url}/labs", data={"test": "estradiol", "value": "25", "unit": "pg/mL",
                                                     "date": today, "method": "lc-ms/ms",
                                                     "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    page = page_client.get(f"{url}/assessment").text
    text = _text(page)
    assert f"Assessed as of {today} (today)" in text
    assert (f"The record's own date is 2025-06-01, but entries were added after it (estradiol on "
            f"{today}), so it is assessed as of today.") in text
    assert "ESTRADIOL_NOT_MEASURED" not in page  # today's estradiol is counted
    assert "ESTRADIOL_NOT_MEASURED" not in _finding_codes(world, world.patient_a, as_of=today)
    what_if = _text(page_client.get(f"{url}/what-if").text)
    assert f"Changes start on {today}, today (entries were added after the record's assessment date " \
           "2025-06-01)" in what_if
    assert f"Add from {today}" in what_if
    timeline = _text(page_client.get(url).text)
    assert re.search(rf"Age [\d.]+ y on {today} \(today: entries were added after the record's "
                     r"assessment date 2025-06-01\)", timeline), timeline[:600]
    listing = _text(page_client.get("/patients").text)
    assert f"(on {today}, today: newer entries than the record's 2025-06-01)" in listing
    report = page_client.get(f"{url}/report.html", params={"what_if": "false"}).text
    assert today in report and "(after report date)" not in report


def test_entries_dated_after_the_assessment_date_are_named(world: World,
                                                           page_client: TestClient) -> None:
    """An imported record may hold a planned start (a result dated in the future is refused, as
    when it is entered): the pages name what the assessment date leaves out instead of dropping it
    silently."""
    csrf = browser_login(page_client, "dr-a")
    document = yaml.safe_load(demo_record_text())
    document["medications"].append({"drug": "denosumab", "dose": "60 mg", "every": "182 d",
                                    "route": "subcutaneous", "start": "2032-02-02"})
    new_id = _import(page_client, csrf, document)
    expected = "Dated after 2025-06-01 and not counted: denosumab start on 2032-02-02."
    assert expected in _text(page_client.get(f"/patients/{new_id}/assessment").text)
    assert expected in _text(page_client.get(f"/patients/{new_id}/what-if").text)
    assert expected in _text(page_client.get(f"/patients/{new_id}").text)


def test_labs_and_scans_dated_in_the_future_are_refused(world: World, page_client: TestClient) -> None:
    """A lab result or DXA scan after today is a typo: refused naming the date field and what is
    accepted, the typed values kept, nothing saved; a medication may be planned to start later."""
    csrf = browser_login(page_client, "dr-a")
    url = f"/patients/{world.patient_a}"
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    record = world.client.get(f"/api/patients/{world.patient_a}", headers=world.token("dr-a")).json()
    for kind, form in (("labs", {"test": "estradiol", "value": "19", "unit": "pg/mL", "date": tomorrow}),
                       ("dxa", {"date": "2030-01-01", "site": "total_hip", "bmd_value": "0.91",
                                "bmd_unit": "g/cm2", "t_score": "-1.2"})):
        response = page_client.post(f"{url}/{kind}", data={**form, "csrf_token": csrf})
        assert response.status_code == 422, (kind, response.text[:300])
        message = re.search(r'<span class="error" id="err-date">([^<]*)</span>', response.text)
        assert message, kind
        assert "Date in the future" in html.unescape(message.group(1))
        assert f"on or before today ({dt.date.today().isoformat()})" in html.unescape(message.group(1))
        assert 'aria-invalid="true" aria-describedby="err-date"' in response.text
        assert f'value="{form["date"]}"' in response.text  # nothing typed is lost
    after = world.client.get(f"/api/patients/{world.patient_a}", headers=world.token("dr-a")).json()
    assert after == record  # nothing saved
    planned = page_client.post(f"{url}/medications", data={
        "drug": "alendronate", "dose_value": "70", "dose_unit": "mg", "every_value": "7", "every_unit": "d",
        "route": "oral", "start": "2030-01-01", "csrf_token": csrf}, follow_redirects=False)
    assert planned.status_code == 303, planned.text[:300]


def test_information_only_findings_are_counted_in_the_badge(world: World,
                                                            page_client: TestClient) -> None:
    """A woman without a menopausal status gets findings that are information only: the badge
    counts them as such instead of saying there are none."""
    new_id = _new_patient(page_client, "info-only", "female", "1968-02-15")
    findings = world.client.get(f"/api/patients/{new_id}/assessment",
                                headers=world.token("dr-a")).json()["findings"]
    assert findings and {f["severity"] for f in findings} == {"info"}
    label = f"{len(findings)} finding{'s' if len(findings) != 1 else ''} (information only)"
    page = page_client.get(f"/patients/{new_id}/assessment").text
    assert f'<span class="badge badge-info">{label}</span>' in page
    listing = page_client.get("/patients").text
    row = re.search(rf'<a href="/patients/{new_id}">.*?</tr>', listing, re.S)
    assert row and label in row.group(0) and "no findings" not in row.group(0)


def test_what_if_names_a_changed_intensity_and_refuses_an_empty_form(world: World,
                                                                     page_client: TestClient) -> None:
    """Only the intensity changed: the course is named for it, not "unchanged". A form that
    changes nothing is refused with a message instead of simulating the current course twice."""
    assert WhatIfRequest(resistance_intensity="high").describe() == "resistance intensity high"
    assert not WhatIfRequest(years=3).changes_anything()
    csrf = browser_login(page_client, "pat-a")
    url = f"/patients/{world.patient_a}/what-if"
    response = page_client.post(url, data={"resistance_intensity": "high", "years": "2",
                                           "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text[:300]
    courses = set(re.findall(r"<tr><td>([^<]*)</td>", response.text))
    assert courses == {"current course", "resistance intensity high"}, courses
    assert "Predicted course over 2 years" in response.text  # not "2.0 years"
    blank = page_client.post(url, data={"ai_drug": "keep", "years": "5", "csrf_token": csrf},
                             headers={"HX-Request": "true"})
    assert blank.status_code == 422, blank.text[:300]
    assert "Nothing to compare" in blank.text and "whatif-table" not in blank.text


def test_what_if_errors_mark_the_inputs_without_javascript(world: World,
                                                           page_client: TestClient) -> None:
    """Posted without HTMX, the whole page comes back with each input at fault marked and
    described; "nan" reads as not a number (not as too high); out-of-range values name the
    accepted range with its unit."""
    csrf = browser_login(page_client, "pat-a")
    response = page_client.post(f"/patients/{world.patient_a}/what-if", data={
        "vitamin_d_iu_d": "nan", "supplemental_calcium_mg_d": "99999", "ai_drug": "anastrozole",
        "ai_dose_mg": "1", "ai_every_d": "0", "years": "2", "csrf_token": csrf})
    assert response.status_code == 422, response.text[:300]
    page = response.text
    assert "<html" in page
    messages = {name: html.unescape(text) for name, text in
                re.findall(r'<span class="error" id="err-([a-z_]+)">([^<]*)</span>', page)}
    assert messages["vitamin_d_iu_d"] == "Not a finite number (got 'nan'). Accepted: 0 up to 10000 IU/d."
    assert messages["supplemental_calcium_mg_d"] == ("Too high (got '99999'). Accepted: 0 up to "
                                                     "2500 mg/d.")
    assert messages["ai_every_d"] == "Too low (got '0'). Accepted: more than 0, up to 30 days."
    for name in messages:
        assert re.search(rf'id="{name}"[^>]*aria-invalid="true" aria-describedby="err-{name}"', page), name
    summary = _text(page.split('id="form-error-summary"')[1].split("</div>")[0])
    assert re.search(r"Vitamin D3 \(IU/d\)\s*: Not a finite number", summary), summary
    assert "vitamin d iu d" not in summary and "every:" not in summary


def test_a_bad_address_gets_an_error_page_not_json(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    response = page_client.get("/patients/abc")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "This address is not valid: patient_id (got 'abc')" in html.unescape(response.text)
    report = page_client.get(f"/patients/{world.patient_a}/report.pdf", params={"what_if": "maybe"})
    assert report.status_code == 422 and "what_if (got 'maybe')" in html.unescape(report.text)
    api = world.client.get("/api/patients/abc", headers=world.token("dr-a"))
    assert api.status_code == 422 and api.json()["detail"][0]["field"] == "patient_id"


def test_download_names_are_safe_for_any_patient_id(world: World, page_client: TestClient) -> None:
    """A patient id with quotes or semicolons cannot break the download header: the plain name
    has them replaced, the exact name goes percent-encoded."""
    new_id = _new_patient(page_client, 'a"b;c', "male", "1960-01-01")
    download = page_client.get(f"/patients/{new_id}/patient.yaml")
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"osteotwin-patient-a_b_c.yaml\"; "
        "filename*=UTF-8''osteotwin-patient-a%22b%3Bc.yaml")
    fhir = page_client.get(f"/patients/{new_id}/fhir.json")
    assert 'filename="osteotwin-fhir-a_b_c.json"' in fhir.headers["content-disposition"]


def test_the_json_api_assesses_on_the_pages_date_and_refuses_future_results(
        world: World, page_client: TestClient) -> None:
    """The API follows the pages: a new imported copy of the demo (dated 2025-06-01) is assessed
    on that date until an entry is added after it, then today, without ``as_of``; results, scans
    and logs dated after today are refused naming the field, medications may be planned."""
    csrf = browser_login(page_client, "dr-a")
    patient = _import(page_client, csrf, yaml.safe_load(demo_record_text()))
    headers = world.token("dr-a")
    api = f"/api/patients/{patient}"
    assert world.client.get(f"{api}/assessment", headers=headers).json()["as_of"] == "2025-06-01"
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    for kind, entry in (
            ("labs", {"test": "estradiol", "value": 20, "unit": "pg/mL", "date": tomorrow}),
            ("dxa", {"date": tomorrow, "site": "lumbar_spine", "bmd": "1.0 g/cm2"}),
            ("logs", {"kind": "symptom", "date": tomorrow, "symptom": "joint_pain", "severity": 2})):
        for date in (tomorrow, f" {tomorrow} "):  # spaces are read past, as the file reader does
            refused = world.client.post(f"{api}/{kind}", json={**entry, "date": date}, headers=headers)
            assert refused.status_code == 422, (kind, refused.text[:300])
            assert f"{kind}.date" in refused.text and "date in the future" in refused.text
    # a whole record created, replaced or imported is checked the same way, and nothing is kept
    future = json.loads(json.dumps(yaml.safe_load(demo_record_text()), default=str))
    future["labs"][1]["date"] = tomorrow
    count = len(world.client.get("/api/patients", headers=headers).json())
    refused = world.client.post("/api/patients", json=future, headers=headers)
    assert refused.status_code == 422 and "labs[1].date" in refused.text, refused.text[:300]
    stored = world.client.get(api, headers=headers).json()
    refused = world.client.put(api, json={**stored, "dxa": [{**stored["dxa"][0], "date": tomorrow}]},
                               headers=headers, params=revision_of(world.client, patient, headers))
    assert refused.status_code == 422 and "dxa[0].date" in refused.text, refused.text[:300]
    assert world.client.get(api, headers=headers).json() == stored
    upload = page_client.post("/patients/import", data={"csrf_token": csrf},
                              files={"file": ("record.yaml", yaml.safe_dump(future).encode())})
    assert upload.status_code == 422 and "labs[1].date" in upload.text
    assert len(world.client.get("/api/patients", headers=headers).json()) == count
    planned = world.client.post(f"{api}/medications", headers=headers, json={
        "drug": "alendronate", "dose": "70 mg", "every": "7 d", "start": tomorrow})
    assert planned.status_code == 201, planned.text[:300]
    today = dt.date.today().isoformat()
    added = world.client.post(f"{api}/labs", headers=headers, json={
        "test": "estradiol", "value": 20, "unit": "pg/mL", "date": today})
    assert added.status_code == 201, added.text[:300]
    assert world.client.get(f"{api}/assessment", headers=headers).json()["as_of"] == today
    for outside in ("1900-01-01", tomorrow):  # before birth, or not yet: refused, nothing cached
        refused = world.client.get(f"{api}/assessment", params={"as_of": outside}, headers=headers)
        assert refused.status_code == 422 and "as_of" in refused.text and outside in refused.text


def test_a_patient_adds_entries_but_may_not_replace_the_record_and_a_save_is_confirmed(
        world: World, page_client: TestClient) -> None:
    """A patient logs and adds to their own record, and the timeline confirms the save; replacing
    the whole record (which could drop what the clinician entered) is the clinician's."""
    headers = world.token("pat-a")
    api = f"/api/patients/{world.patient_a}"
    document = world.client.get(api, headers=headers).json()
    emptied = {**document, "labs": [], "dxa": [], "medications": []}
    refused = world.client.put(api, json=emptied, headers=headers)
    assert refused.status_code == 403, refused.text[:300]
    assert world.client.get(api, headers=headers).json() == document  # nothing dropped
    csrf = browser_login(page_client, "pat-a")
    saved = page_client.post(f"/patients/{world.patient_a}/logs", data={
        "kind": "symptom", "date": dt.date.today().isoformat(), "symptom": "joint_pain",
        "severity": "3", "csrf_token": csrf})
    assert saved.status_code == 200 and 'id="entry-saved"' in saved.text
    assert "Saved: the log entry." in _text(saved.text)


def test_a_patient_reads_their_assessment_with_its_terms_explained(
        world: World, page_client: TestClient) -> None:
    """The assessment is written for clinicians: a patient also gets what the page is (not
    instructions), what its label counts and what its terms mean; a clinician does not."""
    browser_login(page_client, "pat-a")
    page = page_client.get(f"/patients/{world.patient_a}/assessment").text
    assert 'id="for-patients"' in page
    text = _text(page)
    assert "it is not a set of instructions" in text and "T-score" in text and "CTX and P1NP" in text
    browser_login(page_client, "dr-a")
    assert 'id="for-patients"' not in page_client.get(
        f"/patients/{world.patient_a}/assessment").text
