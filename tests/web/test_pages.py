"""Server-rendered pages: login, list with badges, timeline charts, entry forms and their messages."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from fastapi.testclient import TestClient

from tests.web.conftest import World, browser_login


def _chart(page: str, chart_id: str) -> dict[str, object]:
    match = re.search(rf'id="{chart_id}" data-points="(\d+)" data-figure=\'([^\']*)\'', page)
    assert match, f"{chart_id} missing"
    figure: dict[str, object] = json.loads(match.group(2))
    figure["points"] = int(match.group(1))
    return figure


def test_login_redirects_patients_to_their_record(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    response = page_client.get("/", follow_redirects=False)
    assert response.headers["location"] == f"/patients/{world.patient_a}"


def test_patient_list_has_risk_badges(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    page = page_client.get("/patients").text
    assert 'class="badge badge-' in page
    assert "demo-001" in page


def test_age_names_the_record_assessment_date(world: World, page_client: TestClient) -> None:
    """The spec's example record is assessed as of 2025-06-01: the age shown is on that date, and
    the page says so (a clinician reading it later would otherwise take it for today's)."""
    browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{world.patient_a}").text
    match = re.search(r"Age ([\d.]+) y on 2025-06-01 \(the record's assessment date\)", page)
    assert match, "the age does not name the record's assessment date"
    born_1968_04_02_on_2025_06_01 = 57 + (dt.date(2025, 6, 1) - dt.date(2025, 4, 2)).days / 365.25
    assert abs(float(match.group(1)) - born_1968_04_02_on_2025_06_01) <= 0.06
    listing = page_client.get("/patients").text
    assert "(on 2025-06-01)" in listing


def test_plan_summary_reads_as_a_plan(world: World, page_client: TestClient) -> None:
    """The in-app plan shows the week with readable session names, the safety notes with their
    severity, every nutrient target with its unit and source, and the plan's notes (the demo
    man's kidney function not on file among them), as the plan module built them."""
    browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{world.patient_a}/plan/summary").text
    response = world.client.get(f"/api/patients/{world.patient_a}/plan", headers=world.token("dr-a"))
    assert response.status_code == 200, response.text[:300]
    document = response.json()
    for day in document["exercise"]["weekly_schedule"]:
        assert f"<td>{day['day']}</td>" in page
    assert "resistance and impact" in page and "resistance_impact" not in page
    for finding in document["exercise"]["safety"]:
        assert f'data-code="{finding["code"]}"' in page
    for target in document["nutrition"]["target_details"]:
        match = re.search(rf'<tr data-nutrient="{target["nutrient"]}"><td>{re.escape(html.escape(target["label"]))}</td>\s*'
                          r"<td>([^<]*)</td>", page)
        assert match, target["nutrient"]
        if target["minimum"] is not None and not target.get("estimate"):
            assert match.group(1) == f"at least {target['minimum']:,.0f} {target['unit']}"
    assert document["nutrition"]["notes"]
    for note in document["nutrition"]["notes"]:
        assert note in html.unescape(page)
    assert any("no eGFR on file" in note for note in document["nutrition"]["notes"])
    for key, text in document["sources"].items():
        evidence = document["source_evidence"][key]
        grade = f"grade {evidence['grade']}" if evidence["grade"] else "reference data, not graded"
        assert f'<span class="code">[{key}]</span> {text} ({evidence["kind"]}, {grade})' in html.unescape(page)
    for target in document["nutrition"]["target_details"]:  # each target's sources and grade
        assert f"<td>{', '.join(target['sources'])}; grade {target['evidence_grade']}</td>" in page
    assert "Evidence grades: <strong>A</strong> randomised trials or meta-analyses" in page
    assert "<dt>" not in page  # no field dump


def test_assessment_page_shows_the_printable_sections(world: World, page_client: TestClient) -> None:
    """The clinician's assessment page lays out densitometry, fracture risk, the monitoring
    schedule and the numbered references as the printable assessment does (one template), each
    finding's sources linking to its reference, instead of a dump of the document's fields."""
    browser_login(page_client, "dr-a")
    page = html.unescape(page_client.get(f"/patients/{world.patient_a}/assessment").text)
    response = world.client.get(f"/api/patients/{world.patient_a}/assessment",
                                headers=world.token("dr-a"))
    document = response.json()
    for site, scan in document["densitometry"].items():
        assert re.search(rf"<td[^>]*>{site.replace('_', ' ')}</td>\s*<td[^>]*>{scan['date']}</td>\s*"
                         rf"<td[^>]*>{scan['bmd_g_cm2']:.3f}</td>", page), site
    for row in document["monitoring"]:
        assert re.search(rf"<td[^>]*>{re.escape(row['test'])}</td><td[^>]*>{re.escape(row['last'] or 'never')}</td>",
                         page), row
    for cid in document["citations"]:
        assert f'<li id="ref-{cid}">' in page
    for finding in document["findings"]:
        for cid in finding["evidence"]:
            assert f'<a href="#ref-{cid}">{cid}</a>' in page
    assert "t score source" not in page and "<dt>" not in page
    # the data a finding used reads as words: the demo man is on an inhibitor
    assert "on AI: yes" in page and "on_ai: True" not in page


def test_adding_a_lab_in_other_units_updates_the_chart(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "pat-a")
    url = f"/patients/{world.patient_a}"
    before = _chart(page_client.get(url).text, "chart-estradiol")
    response = page_client.post(f"{url}/labs", data={"test": "estradiol", "value": "110.1", "unit": "pmol/L",
                                                     "date": "2025-05-05", "csrf_token": csrf},
                                follow_redirects=False)
    assert response.status_code == 303
    after_page = page_client.get(url).text
    after = _chart(after_page, "chart-estradiol")
    assert after["points"] == before["points"] + 1  # type: ignore[operator]
    data = after["data"][0]  # type: ignore[index]
    point = data["y"][data["x"].index("2025-05-05")]
    assert abs(point - 110.1 * 272.38 / 1000) < 0.01  # shown in pg/mL (PubChem molar mass)
    assert "110.1 pmol/L" in after_page  # the timeline keeps the value as reported


def test_form_errors_name_the_field_and_keep_the_values(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "pat-a")
    response = page_client.post(f"/patients/{world.patient_a}/labs", data={
        "test": "estradiol", "value": "12", "unit": "mmol/L", "date": "2025-05-05", "csrf_token": csrf})
    assert response.status_code == 422
    page = response.text
    assert 'id="err-unit"' in page and "pg/mL or pmol/L" in page
    assert 'aria-describedby="err-unit"' in page
    assert 'value="12"' in page
    response = page_client.post(f"/patients/{world.patient_a}/dxa", data={
        "date": "2025-05-05", "site": "total_hip", "bmd_value": "abc", "bmd_unit": "g/cm2", "csrf_token": csrf})
    assert response.status_code == 422 and 'id="err-bmd_value"' in response.text
    response = page_client.post(f"/patients/{world.patient_a}/medications", data={
        "drug": "anastrozole", "dose_value": "100", "dose_unit": "mg", "every_value": "1", "every_unit": "d",
        "csrf_token": csrf})
    assert response.status_code == 422 and 'id="err-dose_value"' in response.text
    response = page_client.post(f"/patients/{world.patient_a}/logs", data={
        "kind": "intake", "date": "2025-05-05", "csrf_token": csrf})
    assert response.status_code == 422 and 'id="err-calcium_mg"' in response.text


def test_unit_choice_follows_the_test(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    options = page_client.get("/ui/lab-units", params={"test": "vitamin_d_25oh"}).text
    assert "ng/mL" in options and "nmol/L" in options and "pg/mL" not in options


def test_clinician_adds_a_patient_through_the_form(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-b")
    bad = page_client.post("/patients/new", data={"sex": "female", "birth_date": "2030-01-01",
                                                  "csrf_token": csrf})
    assert bad.status_code == 422 and 'id="err-birth_date"' in bad.text
    good = page_client.post("/patients/new", data={
        "patient_id": "form-004", "sex": "female", "birth_date": "1955-05-05", "height_value": "160",
        "height_unit": "cm", "weight_value": "132", "weight_unit": "lb", "menopausal_status": "postmenopausal",
        "csrf_token": csrf}, follow_redirects=False)
    assert good.status_code == 303
    page = page_client.get(good.headers["location"]).text
    assert "form-004" in page and "59.9 kg" in page  # 132 lb x 0.45359 kg/lb


def test_logout_ends_the_session(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "pat-a")
    page_client.post("/logout", data={"csrf_token": csrf})
    assert page_client.get(f"/patients/{world.patient_a}", follow_redirects=False).status_code == 303


def test_vendored_assets_are_served_locally(world: World) -> None:
    assert "htmx" in world.client.get("/static/htmx.min.js").text[:2000]
    plotly = world.client.get("/vendor/plotly.min.js")
    assert plotly.status_code == 200 and "plotly.js" in plotly.text[:300]


def test_quick_pdf_report_downloads(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    response = page_client.get(f"/patients/{world.patient_a}/report.pdf", params={"what_if": "false"})
    assert response.status_code == 200, response.text[:300]
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-disposition"] == 'attachment; filename="osteotwin-report-demo-001-quick.pdf"'
    assert page_client.get(f"/patients/{world.patient_a}/report.docx").status_code == 404


def test_record_pages_are_not_cached_and_not_framed(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    response = page_client.get(f"/patients/{world.patient_a}")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert world.client.get("/api/docs").status_code == 404  # no CDN-backed docs page


def test_patient_file_and_fhir_downloads_round_trip(world: World, page_client: TestClient) -> None:
    from osteotwin.records import parse_patient_document, parse_text
    from osteotwin.records.fhir import bundle_to_record

    browser_login(page_client, "pat-a")
    text = page_client.get(f"/patients/{world.patient_a}/patient.yaml").text
    from_yaml = parse_patient_document(parse_text(text, source="download"))
    bundle = page_client.get(f"/patients/{world.patient_a}/fhir.json").json()
    assert bundle_to_record(bundle) == from_yaml


def test_clinician_imports_a_patient_file_or_a_fhir_bundle(world: World, page_client: TestClient) -> None:
    """The import form takes what the download links give (patient file, FHIR bundle) and makes a
    new patient of each with the same record; a bad file is refused naming the problem and adds
    nothing; a patient account may not import."""
    from osteotwin.records import parse_patient_document, parse_text

    csrf = browser_login(page_client, "dr-a")
    original = page_client.get(f"/patients/{world.patient_a}/patient.yaml").text
    bundle = page_client.get(f"/patients/{world.patient_a}/fhir.json").content
    expected = parse_patient_document(parse_text(original, source="download"))
    before = len(world.client.get("/api/patients", headers=world.token("dr-a")).json())
    for name, data in (("demo.yaml", original.encode()), ("demo.fhir.json", bundle)):
        response = page_client.post("/patients/import", data={"csrf_token": csrf},
                                    files={"file": (name, data)}, follow_redirects=False)
        assert response.status_code == 303, response.text[:500]
        new_id = int(response.headers["location"].rsplit("/", 1)[1])
        copy = page_client.get(f"/patients/{new_id}/patient.yaml").text
        assert parse_patient_document(parse_text(copy, source="copy")) == expected, name
    bad = original.replace("unit: pg/mL", "unit: pg/dL", 1)
    assert bad != original
    refused = page_client.post("/patients/import", data={"csrf_token": csrf},
                               files={"file": ("bad.yaml", bad.encode())}, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="import-error"' in refused.text and "pg/dL" in html.unescape(refused.text)
    not_text = page_client.post("/patients/import", data={"csrf_token": csrf},
                                files={"file": ("scan.png", b"\x89PNG\r\n\x1a\n\x00\xff")})
    assert not_text.status_code == 422 and "UTF-8" in not_text.text
    too_big = page_client.post("/patients/import", data={"csrf_token": csrf},
                               files={"file": ("big.yaml", b"#" * 2_000_001)})
    assert too_big.status_code == 422 and "at most 2,000,000 bytes" in too_big.text
    # what the bundle held but was not imported is shown on the new record's page
    import json

    preliminary = json.loads(bundle)
    next(e["resource"] for e in preliminary["entry"]
         if e["resource"]["resourceType"] == "Observation")["status"] = "preliminary"
    response = page_client.post("/patients/import", data={"csrf_token": csrf},
                                files={"file": ("p.fhir.json", json.dumps(preliminary).encode())})
    assert response.status_code == 200 and 'id="not-imported"' in response.text
    assert "1 item of the imported FHIR bundle not imported or read only in part" in response.text
    assert "preliminary" in response.text
    after = len(world.client.get("/api/patients", headers=world.token("dr-a")).json())
    assert after == before + 3
    patient_csrf = browser_login(page_client, "pat-a")
    forbidden = page_client.post("/patients/import", data={"csrf_token": patient_csrf},
                                 files={"file": ("demo.yaml", original.encode())})
    assert forbidden.status_code == 403


def test_what_if_form_errors_come_back_in_the_partial(world: World, page_client: TestClient) -> None:
    """With HTMX a form error replaces the form and its result box (HX-Retarget): the input at
    fault is marked invalid beside its label, and the summary names it by its label, the value
    and what is accepted (not the request's internal field names)."""
    csrf = browser_login(page_client, "pat-a")
    url = f"/patients/{world.patient_a}/what-if"
    for form, name, words in (
            ({"ai_drug": "none", "years": "0"}, "years", ("Horizon (years)", "Too low (got '0')",
                                                            "1 up to 5 years")),
            ({"ai_drug": "letrozole", "ai_every_d": "1", "years": "1"}, "ai_dose_mg",
             ("AI dose (mg per dose)", "letrozole needs a dose", "up to 25 mg per dose")),
            ({"ai_drug": "keep", "vitamin_d_iu_d": "lots", "years": "1"}, "vitamin_d_iu_d",
             ("Vitamin D3 (IU/d)", "Not a number (got 'lots')", "0 up to 10000 IU/d"))):
        response = page_client.post(url, data={**form, "csrf_token": csrf}, headers={"HX-Request": "true"})
        assert response.status_code == 422, (form, response.text[:300])
        assert "<html" not in response.text  # HTMX gets the fragment only
        assert response.headers["HX-Retarget"] == "#whatif"
        assert f'aria-invalid="true" aria-describedby="err-{name}"' in response.text, name
        assert f'id="err-{name}"' in response.text
        assert f'<a href="#{name}">' in response.text
        text = html.unescape(response.text)
        for word in words:
            assert word in text, (name, word)
    # an antiresorptive course not on the list: the field, and the courses it accepts
    response = page_client.post(url, data={"ai_drug": "keep", "antiresorptive": "teriparatide",
                                           "years": "1", "csrf_token": csrf},
                                headers={"HX-Request": "true"})
    assert response.status_code == 422, response.text[:300]
    assert 'id="err-antiresorptive"' in response.text and "denosumab_60mg_6mo" in response.text


def test_a_what_if_run_after_a_form_error_clears_its_marks(world: World,
                                                          page_client: TestClient) -> None:
    """The form and the result are swapped together: a run that succeeds after a form error
    comes back with the values as typed and no field still marked invalid."""
    csrf = browser_login(page_client, "pat-a")
    url = f"/patients/{world.patient_a}/what-if"
    bad = page_client.post(url, data={"ai_drug": "keep", "vitamin_d_iu_d": "nan", "years": "1",
                                      "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    good = page_client.post(url, data={"ai_drug": "keep", "vitamin_d_iu_d": "2000", "years": "1",
                                       "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert good.status_code == 200, good.text[:300]
    assert good.headers["HX-Retarget"] == "#whatif" and "<html" not in good.text
    assert 'aria-invalid="true"' not in good.text and "Not a finite number" not in good.text
    assert 'value="2000"' in good.text and 'id="whatif-table"' in good.text


def test_what_if_result_names_the_model_departures_that_apply(world: World,
                                                              page_client: TestClient) -> None:
    """The demo man is on anastrozole: the partial says which known departure applies to which
    course, with its source; stopping the AI leaves that course without it."""
    csrf = browser_login(page_client, "pat-a")
    response = page_client.post(f"/patients/{world.patient_a}/what-if",
                                data={"ai_drug": "none", "years": "1", "csrf_token": csrf},
                                headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text[:300]
    assert "not available" not in response.text  # the simulator ships with the app
    assert 'id="whatif-caveats"' in response.text
    item = re.search(r'<li data-code="AROMATASE_INHIBITOR_IN_MAN">([^<]*)<', response.text)
    assert item, response.text[-1500:]
    assert item.group(1).startswith("current course:") and "stop AI" not in item.group(1)
    assert "Source: docs/model.md" in response.text
    # values carry no false precision and show their 5-95 % band (changes: signed, one decimal)
    spine = re.findall(r"<td>Lumbar spine BMD change \(%\)</td>\s*<td>(.*?)</td>", response.text)
    assert len(spine) == 2, response.text[-3000:]
    for cell in spine:
        assert re.fullmatch(r'<span class="value">[+-]\d+\.\d</span> <span class="small band">'
                            r"\([+-]\d+\.\d to [+-]\d+\.\d\)</span>", cell), cell
    # the record is assessed as of 2025-06-01: that is t = 0 of the courses, and the axes say so
    assert "years from 2025-06-01" in response.text and "years from today" not in response.text
    form = page_client.get(f"/patients/{world.patient_a}/what-if").text
    assert "Changes start on 2025-06-01, the record's assessment date" in form
    # a horizon that is not one of the standard times gets its own column
    response = page_client.post(f"/patients/{world.patient_a}/what-if",
                                data={"ai_drug": "none", "years": "3", "csrf_token": csrf},
                                headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text[:300]
    assert re.findall(r'<th scope="col">([^<]*)</th>', response.text)[2:] == ["1 y", "2 y", "3 y"]
    assert "Values at 1, 2, 3 years" in response.text


def test_patient_list_shows_the_earliest_monitoring_due(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    page = page_client.get("/patients").text
    # the demo record (assessed 2025-06-01 or later): its DXA was due 2025-01-05
    assert '<span class="due-overdue">DXA' in page and "overdue since 2025-01-05" in page


def test_monitoring_due_names_every_test_due_by_the_first_date() -> None:
    from osteotwin.web.services import monitoring_due

    result = {"monitoring": [{"test": "DXA", "next_due": "2026-03-01"},
                             {"test": "Estradiol", "next_due": "2026-01-10"},
                             {"test": "25(OH)D", "next_due": "2026-01-10"},
                             {"test": "CTX", "next_due": None}]}
    assert monitoring_due(result, dt.date(2025, 12, 1)) == ("scheduled", "Estradiol, 25(OH)D: due 2026-01-10")
    assert monitoring_due(result, dt.date(2026, 1, 10)) == ("due", "Estradiol, 25(OH)D: due 2026-01-10")
    # only the tests due on the earliest date are "overdue since" it; the others due by today follow
    assert monitoring_due(result, dt.date(2026, 4, 1)) == (
        "overdue", "Estradiol, 25(OH)D: overdue since 2026-01-10; also due: DXA")
    assert monitoring_due({"monitoring": []}, dt.date(2026, 1, 1)) is None
    assert monitoring_due(None, dt.date(2026, 1, 1)) is None


def test_timeline_says_what_each_log_entry_is_in_words(world: World, page_client: TestClient) -> None:
    patient = world.patient_a
    added = world.client.post(f"/api/patients/{patient}/logs", headers=world.token("pat-a"), json={
        "kind": "symptom", "date": "2025-05-04", "symptom": "joint_pain", "severity": 6, "note": "hands"})
    assert added.status_code == 201
    browser_login(page_client, "pat-a")
    page = page_client.get(f"/patients/{patient}").text
    assert '<td data-label="What">joint pain</td><td data-label="Detail">severity 6/10 — hands</td>' in page
    assert '<option value="joint_pain" >joint pain</option>' in page  # options in words, value kept
