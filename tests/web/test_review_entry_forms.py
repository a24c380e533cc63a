"""Review fixes in the web app's entry forms (real app on SQLite): a dosing interval too short for
the drug, a fall logged without a severity, every field's error at once with the value typed, lab
ranges in the unit typed, intervals in words, exponent notation refused, duplicates refused, and
charts with nothing to draw saying so."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import CSRF_RE, World, browser_login
from tests.web.test_patient_details import changed, page_form, save


def _text(page: str) -> str:
    """A page's visible text, tags and scripts left out, spaces collapsed."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", page)
    page = re.sub(r"data-figure='[^']*'", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _error(page: str, name: str) -> str:
    """The message beside the input ``name`` (empty when there is none)."""
    match = re.search(rf'<span class="error" id="err-{re.escape(name)}">([^<]*)</span>', page)
    return html.unescape(match.group(1)) if match else ""


def _entries(world: World, patient: int, kind: str) -> list[dict[str, object]]:
    response = world.client.get(f"/api/patients/{patient}/entries/{kind}", headers=world.token("dr-b"))
    assert response.status_code == 200, response.text
    return list(response.json())


def _new_patient(client: TestClient, csrf: str, **typed: str) -> tuple[int, str]:
    form = {"patient_id": "", "sex": "female", "birth_date": "1960-02-02", "height_value": "162",
            "height_unit": "cm", "weight_value": "64", "weight_unit": "kg",
            "menopausal_status": "postmenopausal", **typed}
    response = client.post("/patients/new", data={**form, "csrf_token": csrf}, follow_redirects=False)
    return response.status_code, response.text if response.status_code != 303 else response.headers["location"]


MEDICATION = {"drug": "denosumab", "dose_value": "60", "dose_unit": "mg", "route": "subcutaneous",
              "every_value": "6", "every_unit": "d", "start": "2024-05-01", "stop": ""}


def test_denosumab_every_6_days_is_refused_suggesting_months(world: World, page_client: TestClient) -> None:
    """The reviewer's case: Every 6 with the unit left on "d" had been saved and then read as the
    bone-metastases (oncology) schedule."""
    csrf = browser_login(page_client, "dr-b")
    before = _entries(world, world.patient_b, "medications")
    response = page_client.post(f"/patients/{world.patient_b}/medications",
                                data={**MEDICATION, "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 422
    message = _error(response.text, "every_value")
    assert message.startswith("Every 6 d is too short an interval for denosumab: did you mean 6 months? "
                              "(got '6'). Accepted: an interval of at least 7 d for denosumab")
    assert "Prolia and Xgeva labels" in message
    assert _entries(world, world.patient_b, "medications") == before
    saved = page_client.post(f"/patients/{world.patient_b}/medications",
                             data={**MEDICATION, "every_unit": "mo", "csrf_token": csrf},
                             follow_redirects=False)
    assert saved.status_code == 303


def test_a_six_monthly_interval_reads_in_months_on_the_timeline_export_and_audit(
        world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-b")
    response = page_client.post(f"/patients/{world.patient_b}/medications",
                                data={**MEDICATION, "every_unit": "mo", "start": "2024-06-01",
                                      "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, _text(response.text)[:500]
    timeline = _text(page_client.get(f"/patients/{world.patient_b}").text)
    assert "60 mg every 6 months, subcutaneous" in timeline and "182.625" not in timeline
    assert "2.5 mg every day" in timeline  # the letrozole entered "every 1 d"
    exported = page_client.get(f"/patients/{world.patient_b}/patient.yaml").text
    assert "every: 6 mo\n" in exported and "182.625" not in exported
    audit = html.unescape(page_client.get(f"/patients/{world.patient_b}/audit").text)
    assert '"every": "6 mo"' in audit and "182.625" not in audit


@pytest.mark.parametrize("user", ["pat-b", "dr-b"])
def test_a_fall_is_logged_without_a_severity(world: World, page_client: TestClient, user: str) -> None:
    csrf = browser_login(page_client, user)
    response = page_client.post(f"/patients/{world.patient_b}/logs", data={
        "kind": "symptom", "date": "2025-03-02", "symptom": "fall", "severity": "", "note": "",
        "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, _text(response.text)[:600]
    logs = world.client.get(f"/api/patients/{world.patient_b}/logs", headers=world.token("dr-b")).json()
    assert {"kind": "symptom", "date": "2025-03-02", "symptom": "fall"}.items() <= logs[-1].items()
    assert "severity" not in logs[-1]
    pain = page_client.post(f"/patients/{world.patient_b}/logs", data={
        "kind": "symptom", "date": "2025-03-02", "symptom": "joint_pain", "severity": "",
        "csrf_token": csrf}, follow_redirects=False)
    assert pain.status_code == 422 and _error(pain.text, "severity").startswith("Missing field.")


def test_the_new_patient_form_reports_every_field_at_once(page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-a")
    status, page = _new_patient(page_client, csrf, height_value="1.62", weight_value="640")
    assert status == 422
    assert _error(page, "height_value").startswith("Implausible value (got '1.62'). Accepted: 100 to 230 cm")
    assert _error(page, "weight_value").startswith("Implausible value (got '640'). Accepted: 25 to 300 kg")
    summary = _text(page)
    assert "height value: Implausible value (got '1.62')" in summary
    assert "weight value: Implausible value (got '640')" in summary


def test_the_new_patient_form_checks_the_rest_when_a_required_field_is_refused(
        page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-a")
    status, page = _new_patient(page_client, csrf, birth_date="2020-01-01", weight_value="640",
                                height_value="abc")
    assert status == 422
    assert _error(page, "birth_date").startswith("Age out of range (got '2020-01-01')")
    assert _error(page, "weight_value").startswith("Implausible value (got '640')")
    assert _error(page, "height_value").startswith("Not a number (got 'abc')")
    # a man with a menopausal status: the status is refused, not the stand-in's sex
    status, page = _new_patient(page_client, csrf, sex="male", weight_value="640")
    assert _error(page, "menopausal_status").startswith("Menopausal status given for a man")
    assert _error(page, "weight_value") and not _error(page, "sex")


def test_the_details_form_reports_every_field_at_once(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "dr-b")
    pairs = page_form(page_client, world.patient_b)
    before = world.client.get(f"/api/patients/{world.patient_b}", headers=world.token("dr-b")).json()
    response = save(page_client, world.patient_b, changed(
        pairs, height_value="1.62", height_unit="cm", weight_value="640", weight_unit="kg",
        falls_last_12_months="x", sleep_hours="30", supplement_0_name="vitamin_d3",
        supplement_0_dose_value="900000", supplement_0_dose_unit="IU/d",
        supplement_1_name="calcium_carbonate", supplement_1_dose_value="500", supplement_1_dose_unit="mg/d",
        supplement_2_name="magnesium", supplement_2_dose_value="1e3", supplement_2_dose_unit="mg/d"))
    assert response.status_code == 422
    page = response.text
    expected = {"height_value": "Implausible value (got '1.62')",
                "weight_value": "Implausible value (got '640')",
                "falls_last_12_months": "Not a number (got 'x')",
                "sleep_hours": "Implausible value (got '30')",
                "supplement_0_dose_value": "Implausible value (got '900000')",
                "supplement_2_dose_value": "Exponent notation: write the number out in digits"}
    for name, start in expected.items():
        assert _error(page, name).startswith(start), (name, _error(page, name))
    assert not _error(page, "supplement_1_dose_value")
    summary = page[page.index('id="form-error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert summary.count("<li>") == len(expected)
    listed = re.findall(r'<li><a href="#([a-z0-9_]+)">', summary)
    assert listed == list(expected)  # in page order
    assert page.count(" autofocus") == 1 and re.search(r'id="height_value"[^>]* autofocus', page)
    after = world.client.get(f"/api/patients/{world.patient_b}", headers=world.token("dr-b")).json()
    assert after == before  # nothing saved


def test_the_dxa_form_reports_every_field_at_once(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-b")
    before = _entries(world, world.patient_b, "dxa")
    response = page_client.post(f"/patients/{world.patient_b}/dxa", data={
        "date": "2024-04-04", "site": "femoral_neck", "bmd_value": "950", "bmd_unit": "g/cm2",
        "t_score": "-12", "z_score": "", "device": "", "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 422
    assert _error(response.text, "bmd_value").startswith("Implausible value (got '950'). Accepted: 0.2 to 2.5")
    assert _error(response.text, "t_score").startswith("Implausible value (got '-12'). Accepted: -8 to 6")
    assert not _error(response.text, "dxa")  # not "empty": both were typed, both refused
    assert _entries(world, world.patient_b, "dxa") == before
    future = page_client.post(f"/patients/{world.patient_b}/dxa", data={
        "date": "2999-01-01", "site": "lumbar_spine", "bmd_value": "950", "bmd_unit": "g/cm2",
        "t_score": "-1", "csrf_token": csrf}, follow_redirects=False)
    assert future.status_code == 422
    assert _error(future.text, "date").startswith("Date in the future")
    assert _error(future.text, "bmd_value").startswith("Implausible value (got '950')")


def test_a_lab_out_of_range_names_the_range_in_the_unit_typed(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-b")
    response = page_client.post(f"/patients/{world.patient_b}/labs", data={
        "test": "calcium", "value": "9.5", "unit": "mmol/L", "date": "2025-01-10", "csrf_token": csrf},
        follow_redirects=False)
    assert response.status_code == 422
    assert _error(response.text, "value") == ("Implausible value (got '9.5'). Accepted: 0.749 to 4.99 "
                                              "mmol/L (3 to 20 mg/dL) for calcium.")


@pytest.mark.parametrize("typed", ["1e3", "1E3", "2.5e-1"])
def test_exponent_notation_is_refused_in_form_numbers(world: World, page_client: TestClient, typed: str) -> None:
    csrf = browser_login(page_client, "dr-b")
    before = _entries(world, world.patient_b, "labs")
    response = page_client.post(f"/patients/{world.patient_b}/labs", data={
        "test": "estradiol", "value": typed, "unit": "pmol/L", "date": "2025-01-10", "csrf_token": csrf},
        follow_redirects=False)
    assert response.status_code == 422
    assert _error(response.text, "value").startswith(
        f"Exponent notation: write the number out in digits (1000, not 1e3) (got '{typed}'). "
        "Accepted: a number written with digits")
    assert _entries(world, world.patient_b, "labs") == before
    what_if = page_client.post(f"/patients/{world.patient_b}/what-if", data={
        "ai_drug": "keep", "vitamin_d_iu_d": typed, "years": "1", "csrf_token": csrf})
    assert what_if.status_code == 422 and "Exponent notation" in html.unescape(what_if.text)


@pytest.mark.parametrize(("kind", "form", "name", "named"), [
    ("medications", {"drug": "letrozole", "dose_value": "2.5", "dose_unit": "mg", "route": "oral",
                     "every_value": "1", "every_unit": "d", "start": "2024-02-01", "stop": ""},
     "start", "Already on the record: letrozole 2.5 mg every day from 2024-02-01, ongoing (entry "),
    ("dxa", {"date": "2024-02-02", "site": "femoral_neck", "bmd_value": "0.71", "bmd_unit": "g/cm2",
             "t_score": "-2", "z_score": "", "device": ""},
     "date", "Already on the record: a DXA scan of the femoral neck on 2024-02-02 (BMD 0.710 g/cm², "
             "T -2.0; entry "),
    ("labs", {"test": "vitamin_d_25oh", "value": "41", "unit": "ng/mL", "date": "2024-02-03", "method": ""},
     "date", "Already on the record: vitamin d 25oh 41 ng/mL on 2024-02-03 (entry "),
])
def test_an_entry_identical_to_one_on_the_record_is_refused(world: World, page_client: TestClient, kind: str,
                                                            form: dict[str, str], name: str, named: str) -> None:
    """The reviewer added letrozole 2.5 mg daily from 2024-02-01 twice (both then active) and the
    same femoral-neck scan three times."""
    csrf = browser_login(page_client, "dr-b")
    url = f"/patients/{world.patient_b}/{kind}"
    first = page_client.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert first.status_code == 303, _text(first.text)[:600]
    entries = _entries(world, world.patient_b, kind)
    again = page_client.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 422
    message = _error(again.text, name)
    assert message.startswith(named) and f"entry {entries[-1]['id']})" in message
    assert "correct it in the timeline" in message
    assert _entries(world, world.patient_b, kind) == entries


def test_a_new_patients_charts_say_no_results_instead_of_drawing_nothing(page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-a")
    status, location = _new_patient(page_client, csrf, patient_id="chartless")
    assert status == 303
    page = page_client.get(location).text
    for chart in ("chart-estradiol", "chart-total_testosterone", "chart-vitamin_d_25oh", "chart-bmd"):
        match = re.search(rf'<figure class="chart chart-empty" id="{chart}" data-points="0">(.*?)</figure>',
                          page, re.S)
        assert match, chart
        assert "No results recorded yet." in _text(match.group(1))
    assert "data-figure=" not in page  # nothing left for the chart script to draw empty
    assert CSRF_RE.search(page)
