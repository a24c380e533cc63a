"""The details page: a record's patient details, history and lifestyle edited in the browser (real
app on SQLite). Forms are submitted as a browser would send the page's own form (disabled fields
left out), with some inputs changed."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osteotwin.records.storage import Actor, accounts, make_engine, make_sessionmaker, repository
from osteotwin.records.storage.audit import audit_trail
from tests.web.conftest import PASSWORD, World, browser_login, revision_of

SECTIONS = ("patient", "history", "lifestyle")


class _Form(HTMLParser):
    """The details form as a browser submits it: (name, value) pairs of its enabled controls (a
    select's chosen option, checked boxes only), plus every control's id, every label's target and
    the names of the disabled controls."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.disabled: set[str] = set()
        self.invalid: set[str] = set()
        self.selects: set[str] = set()
        self._in_form = False
        self._fieldsets: list[bool] = []  # disabled or not, innermost last
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []

    def _off(self, attrs: dict[str, str | None]) -> bool:
        return "disabled" in attrs or any(self._fieldsets)

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag == "form" and attrs.get("id") == "form-details":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "fieldset":
            self._fieldsets.append("disabled" in attrs)
        elif tag == "label" and attrs.get("for"):
            self.label_for.add(str(attrs["for"]))
        elif tag in ("input", "select"):
            name = str(attrs.get("name") or "")
            if attrs.get("type") != "hidden":
                self.ids.append(str(attrs.get("id")))
            if attrs.get("aria-invalid") == "true":
                self.invalid.add(name)
            if self._off(attrs):
                self.disabled.add(name)
            if tag == "select":
                self.selects.add(name)
                self._select, self._options = (name, self._off(attrs)), []
            elif not self._off(attrs) and (attrs.get("type") != "checkbox" or "checked" in attrs):
                self.pairs.append((name, str(attrs.get("value") or "")))
        elif tag == "option" and self._select is not None:
            self._options.append((str(attrs.get("value") or ""), "selected" in attrs))

    def handle_endtag(self, tag: str) -> None:
        if not self._in_form:
            return
        if tag == "form":
            self._in_form = False
        elif tag == "fieldset":
            self._fieldsets.pop()
        elif tag == "select" and self._select is not None:
            name, off = self._select
            chosen = next((v for v, selected in self._options if selected),
                          self._options[0][0] if self._options else "")
            if not off:
                self.pairs.append((name, chosen))
            self._select = None


def parsed(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


def page_form(client: TestClient, patient: int) -> list[tuple[str, str]]:
    """The details form of ``patient`` as the browser would submit it unchanged."""
    page = client.get(f"/patients/{patient}/details")
    assert page.status_code == 200, page.text[:300]
    return parsed(page.text).pairs


def changed(pairs: list[tuple[str, str]], **new: str | list[str]) -> list[tuple[str, str]]:
    """``pairs`` with the named inputs set (a list sets a repeated input, e.g. checkboxes)."""
    kept = [(k, v) for k, v in pairs if k not in new]
    for key, value in new.items():
        kept += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return kept


def document(world: World, patient: int | None = None, user: str = "dr-a") -> dict[str, Any]:
    response = world.client.get(f"/api/patients/{patient or world.patient_a}", headers=world.token(user))
    assert response.status_code == 200, response.text
    return dict(response.json())


def logs(world: World, patient: int | None = None, user: str = "dr-a") -> list[dict[str, Any]]:
    response = world.client.get(f"/api/patients/{patient or world.patient_a}/logs", headers=world.token(user))
    assert response.status_code == 200, response.text
    return list(response.json())


def findings(world: World, patient: int | None = None, user: str = "dr-a") -> dict[str, str]:
    """{finding code: severity} of the record's assessment."""
    response = world.client.get(f"/api/patients/{patient or world.patient_a}/assessment",
                                headers=world.token(user))
    assert response.status_code == 200, response.text
    return {f["code"]: f["severity"] for f in response.json()["findings"]}


def save(client: TestClient, patient: int, pairs: list[tuple[str, str]]) -> Any:
    return client.post(f"/patients/{patient}/details", content=_encoded(pairs),
                       headers={"Content-Type": "application/x-www-form-urlencoded"},
                       follow_redirects=False)


def _encoded(pairs: list[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(pairs)


def outside(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the sections the details page edits."""
    return {k: v for k, v in doc.items() if k not in SECTIONS}


# --------------------------------------------------------------------------------------------------


def test_the_page_is_prefilled_from_the_record_and_every_input_is_labelled(world: World,
                                                                          page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{world.patient_a}/details")
    assert page.status_code == 200
    assert f'<a href="/patients/{world.patient_a}/details" aria-current="page">Details</a>' in page.text
    timeline = page_client.get(f"/patients/{world.patient_a}").text
    assert timeline.index(">Timeline</a>") < timeline.index(">Details</a>") < timeline.index(">Assessment</a>")
    form = parsed(page.text)
    values = dict(form.pairs)
    assert values["height_value"] == "178" and values["height_unit"] == "cm"
    assert values["hypogonadism"] == "yes" and values["glucocorticoids"] == "no"
    assert values["smoking"] == "never" and values["sleep_hours"] == "6.5"
    assert values["supplement_0_name"] == "vitamin_d3" and values["supplement_0_dose_value"] == "1000"
    assert values["supplement_0_dose_unit"] == "IU/d" and values["supplement_1_name"] == "calcium_carbonate"
    assert values["supplement_2_name"] == "" and values["supplement_3_dose_value"] == ""
    assert "supplement_4_name" not in values  # four rows
    assert "menopausal_status" not in values  # a man's record
    assert "digest" in values and "revision" not in values and form.disabled == set()
    assert form.ids and all(i in form.label_for for i in form.ids), set(form.ids) - form.label_for
    assert "demo-001" in page.text and "1968-04-02" in page.text  # shown, not editable
    assert "<script>" not in page.text and 'style="' not in page.text.split("<main", 1)[1]


def test_saving_the_page_unchanged_changes_nothing_but_the_revision(world: World,
                                                                    page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    before = document(world)
    response = save(page_client, world.patient_a, page_form(page_client, world.patient_a))
    assert response.status_code == 303, response.text[:500]
    assert document(world) == before  # no default filled in, no value rounded


def test_a_clinician_records_falls_and_the_assessment_flags_fall_risk(world: World,
                                                                      page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    assert "FALL_RISK" not in findings(world)
    response = save(page_client, world.patient_a,
                    changed(page_form(page_client, world.patient_a), falls_last_12_months="2"))
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{world.patient_a}/details?saved=true"
    page = page_client.get(response.headers["location"])
    assert 'id="details-saved"' in page.text and "Saved." in page.text
    assert dict(parsed(page.text).pairs)["falls_last_12_months"] == "2"
    assert document(world)["history"]["falls_last_12_months"] == 2
    assert findings(world).get("FALL_RISK") == "high"


def test_a_lifestyle_edit_changes_the_assessment(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    assert "CALCIUM_INTAKE_LOW" not in findings(world)
    response = save(page_client, world.patient_a,
                    changed(page_form(page_client, world.patient_a), dietary_calcium="300",
                            food_exclusions=["dairy", "soy"]))
    assert response.status_code == 303, response.text[:500]
    life = document(world)["lifestyle"]
    assert life["dietary_calcium"] == "300 mg/d" and life["food_exclusions"] == ["dairy", "soy"]
    assert "CALCIUM_INTAKE_LOW" in findings(world)
    values = parsed(page_client.get(f"/patients/{world.patient_a}/details").text).pairs
    assert ("food_exclusions", "dairy") in values and ("food_exclusions", "soy") in values


@pytest.mark.parametrize(("inputs", "at_fault", "words"), [
    ({"sleep_hours": "30"}, "sleep_hours", "Sleep (hours a night)"),
    ({"height_value": "900", "height_unit": "cm"}, "height_value", "Height"),
    ({"falls_last_12_months": "1.5"}, "falls_last_12_months", "Falls in the last 12 months"),
    ({"alcohol_units_per_week": "lots"}, "alcohol_units_per_week", "Alcohol (units a week)"),
    ({"supplement_2_name": "vitamin_d3", "supplement_2_dose_value": "1000", "supplement_2_dose_unit": "mg/d"},
     "supplement_2_dose_value", "Supplement 3 daily dose"),
    ({"supplement_3_dose_value": "500"}, "supplement_3_name", "Supplement 4"),
    ({"menopausal_status": "postmenopausal"}, "menopausal_status", "Menopausal status"),
    ({"food_exclusions": ["meat"]}, "food_exclusions", "Foods excluded"),
    ({"glucocorticoids": "maybe"}, "glucocorticoids", "Oral glucocorticoids"),
])
def test_an_implausible_value_is_refused_naming_the_field_and_nothing_changes(
        world: World, page_client: TestClient, inputs: dict[str, Any], at_fault: str, words: str) -> None:
    browser_login(page_client, "dr-a")
    before = document(world)
    pairs = changed(page_form(page_client, world.patient_a), dietary_calcium="123", **inputs)
    response = save(page_client, world.patient_a, pairs)
    assert response.status_code == 422, response.text[:500]
    summary = response.text.split('id="form-error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'<a href="#{at_fault}">{words}' in summary
    form = parsed(response.text)
    assert f'id="err-{at_fault}"' in response.text  # the message beside the field
    assert response.text.count(" autofocus") == (0 if at_fault == "menopausal_status" else 1)
    if at_fault == "food_exclusions":  # a group: its fieldset is marked
        assert 'id="food_exclusions" aria-invalid="true"' in response.text
    elif at_fault != "menopausal_status":  # not asked of a man: no input to mark
        assert at_fault in form.invalid
    values = dict(form.pairs)
    assert values["dietary_calcium"] == "123"  # what was typed is kept
    for key, value in inputs.items():
        if key in values and key not in form.selects:  # a select shows only what it offers
            assert values[key] == value
    assert document(world) == before


def test_a_blank_field_is_not_recorded_and_inches_are_converted(world: World,
                                                                page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    pairs = changed(page_form(page_client, world.patient_a), smoking="", sleep_hours="", glucocorticoids="",
                    height_value="70", height_unit="in", supplement_1_name="", supplement_1_dose_value="",
                    supplement_3_name="magnesium", supplement_3_dose_value="250", supplement_3_dose_unit="mg/d")
    assert save(page_client, world.patient_a, pairs).status_code == 303
    doc = document(world)
    assert "smoking" not in doc["history"] and "glucocorticoids" not in doc["history"]
    assert "sleep_hours" not in doc["lifestyle"]
    assert doc["patient"]["height"] == "177.8 cm"
    assert doc["lifestyle"]["supplements"] == [{"name": "vitamin_d3", "dose": "1000 IU/d"},
                                               {"name": "magnesium", "dose": "250 mg/d"}]
    assert doc["history"]["hypogonadism"] is True  # untouched items stay


def test_a_details_save_keeps_everything_outside_its_sections(world: World, page_client: TestClient) -> None:
    headers = world.token("dr-a")
    current = document(world)
    put = world.client.put(f"/api/patients/{world.patient_a}", headers=headers,
                           params=revision_of(world.client, world.patient_a, headers), json={
        **current, "extra": {"clinic": "north", "ids": [1, 2]},
        "history": {**current["history"], "conditions": ["hypertension"]},
        "fracture_risk_external": {"tool": "frax", "major_osteoporotic_10y_pct": 12.5, "hip_10y_pct": 2.1,
                                   "date": "2025-01-10", "bmd_included": True, "country": "UK"}})
    assert put.status_code == 200, put.text
    logged = world.client.post(f"/api/patients/{world.patient_a}/logs", headers=world.token("pat-a"),
                               json={"kind": "symptom", "date": "2025-05-02", "symptom": "back_pain",
                                     "severity": 3})
    assert logged.status_code == 201
    before, logs_before = document(world), logs(world)
    assert before["labs"] and before["medications"] and before["dxa"] and logs_before

    browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{world.patient_a}/details").text
    assert "hypertension" in page
    pairs = changed(parsed(page).pairs, weight_value="90", falls_last_12_months="1", protein="1.2",
                    training_setting="home_weights")
    assert save(page_client, world.patient_a, pairs).status_code == 303

    after = document(world)
    assert outside(after) == outside(before)  # labs, DXA, medications, as_of, extra, FRAX
    assert logs(world) == logs_before
    assert after["history"]["conditions"] == ["hypertension"]
    changes = {section for section in SECTIONS if after[section] != before[section]}
    assert changes == {"patient", "history", "lifestyle"}
    assert after["patient"] == {**before["patient"], "weight": "90 kg"}
    assert after["history"] == {**before["history"], "falls_last_12_months": 1}
    assert after["lifestyle"] == {**before["lifestyle"], "protein": "1.2 g/kg/d",
                                  "training_setting": "home_weights"}


def test_the_save_is_audited_with_the_document_before_and_after(world: World,
                                                                 page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    before = document(world)
    pairs = changed(page_form(page_client, world.patient_a), impact_sessions_per_week="3")
    assert save(page_client, world.patient_a, pairs).status_code == 303
    engine = make_engine(world.url)
    with make_sessionmaker(engine)() as session:
        entry = audit_trail(session, patient_id=world.patient_a)[0]
        assert (entry.action, entry.entity, entry.username) == ("replace", "patient", "dr-a")
        assert entry.before == before
        assert entry.after is not None and entry.after["lifestyle"]["impact_sessions_per_week"] == 3
        assert entry.after == document(world)
    engine.dispose()
    audit_page = page_client.get(f"/patients/{world.patient_a}/audit")
    assert audit_page.status_code == 200 and "replace" in audit_page.text


def test_a_patient_changes_their_lifestyle_but_not_their_history(world: World,
                                                                 page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    page = page_client.get(f"/patients/{world.patient_a}/details")
    assert page.status_code == 200
    form = parsed(page.text)
    assert {"height_value", "falls_last_12_months", "smoking", "hypogonadism"} <= form.disabled
    assert "sleep_hours" not in form.disabled and 'id="details-patient-note"' in page.text
    submitted = dict(form.pairs)
    assert "falls_last_12_months" not in submitted and "height_value" not in submitted

    before = document(world)
    saved = save(page_client, world.patient_a, changed(form.pairs, sleep_hours="8"))
    assert saved.status_code == 303, saved.text[:500]
    after = document(world)
    assert after["lifestyle"]["sleep_hours"] == 8
    assert {k: v for k, v in after.items() if k != "lifestyle"} == {
        k: v for k, v in before.items() if k != "lifestyle"}

    # a patient's POST carrying history (or patient) inputs is refused, whatever their values
    fresh = page_form(page_client, world.patient_a)
    for extra in ({"falls_last_12_months": "0"}, {"smoking": ""}, {"height_value": "150"}):
        refused = save(page_client, world.patient_a, changed(fresh, sleep_hours="5", **extra))
        assert refused.status_code == 403, extra
        assert "Lifestyle" in refused.text
    assert document(world) == after

    # another patient's record is not found
    other = page_client.get(f"/patients/{world.patient_b}/details")
    assert other.status_code == 404 and "other-002" not in other.text
    assert save(page_client, world.patient_b, fresh).status_code == 404


def test_a_womans_menopausal_status_is_edited_and_a_clinician_of_another_record_gets_404(
        world: World, page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    assert page_client.get(f"/patients/{world.patient_b}/details").status_code == 404
    browser_login(page_client, "dr-b")
    values = dict(page_form(page_client, world.patient_b))
    assert values["menopausal_status"] == "postmenopausal" and values["breast_cancer"] == "yes"
    assert values["height_value"] == "" and values["smoking"] == ""  # not recorded stays blank
    pairs = changed(page_form(page_client, world.patient_b), menopausal_status="")
    assert save(page_client, world.patient_b, pairs).status_code == 303
    doc = document(world, world.patient_b, "dr-b")
    assert doc["patient"]["menopausal_status"] is None and "height" not in doc["patient"]
    assert doc["history"]["breast_cancer"] is True


def test_entries_added_while_the_form_is_open_do_not_stop_the_save_and_are_kept(
        world: World, page_client: TestClient) -> None:
    """The reviewer's repro: the clinician opens the form, the patient logs exercise and a lab is
    added (each a new revision of the record), then the clinician's weight and sleep are saved."""
    browser_login(page_client, "dr-a")
    opened = page_form(page_client, world.patient_a)
    revision = revision_of(world.client, world.patient_a, world.token("dr-a"))["revision"]
    exercise = {"kind": "exercise", "date": "2025-05-03", "activity": "resistance", "minutes": 40,
                "intensity": "moderate"}
    logged = world.client.post(f"/api/patients/{world.patient_a}/logs", headers=world.token("pat-a"),
                               json=exercise)
    assert logged.status_code == 201, logged.text
    lab = {"test": "estradiol", "value": 12, "unit": "pg/mL", "date": "2025-05-11"}
    added = world.client.post(f"/api/patients/{world.patient_a}/labs", headers=world.token("dr-a"), json=lab)
    assert added.status_code == 201, added.text
    assert revision_of(world.client, world.patient_a, world.token("dr-a"))["revision"] > revision
    before, logs_before = document(world), logs(world)

    response = save(page_client, world.patient_a, changed(opened, weight_value="80", sleep_hours="8"))
    assert response.status_code == 303, response.text[:800]
    after = document(world)
    assert after["patient"] == {**before["patient"], "weight": "80 kg"}
    assert after["lifestyle"] == {**before["lifestyle"], "sleep_hours": 8}
    assert after["history"] == before["history"]
    assert outside(after) == outside(before)  # the lab added meanwhile is kept, as are the others
    assert any(x["test"] == "estradiol" and x["date"] == "2025-05-11" for x in after["labs"])
    assert logs(world) == logs_before  # and the exercise logged meanwhile
    assert any(e.get("kind") == "exercise" and e.get("date") == "2025-05-03" for e in logs_before)

    # a patient's lifestyle form is not stopped by a clinician's change to the other sections either
    browser_login(page_client, "pat-a")
    patient_form = page_form(page_client, world.patient_a)
    clinician = TestClient(world.client.app)
    with clinician:
        browser_login(clinician, "dr-a")
        assert save(clinician, world.patient_a,
                    changed(page_form(clinician, world.patient_a), weight_value="81")).status_code == 303
    assert save(page_client, world.patient_a, changed(patient_form, sleep_hours="7")).status_code == 303
    final = document(world)
    assert final["patient"]["weight"] == "81 kg" and final["lifestyle"]["sleep_hours"] == 7


def _second_clinician(world: World, username: str = "dr-c") -> None:
    """Another clinician of patient A (added to the module's world once)."""
    engine = make_engine(world.url)
    with make_sessionmaker(engine)() as session:
        if accounts.find_user(session, username) is None:
            user = accounts.create_user(session, username=username, password=PASSWORD, role="clinician",
                                        actor=Actor.system("test"))
            repository.assign(session, user, world.patient_a, Actor.system("test"))
            session.commit()
    engine.dispose()


def test_a_real_conflict_keeps_what_was_typed_names_the_section_and_a_second_save_wins(
        world: World, page_client: TestClient) -> None:
    _second_clinician(world)
    browser_login(page_client, "dr-a")
    opened = page_form(page_client, world.patient_a)
    colleague = TestClient(world.client.app)
    with colleague:  # another clinician changes the weight through the same form meanwhile
        browser_login(colleague, "dr-c")
        theirs = save(colleague, world.patient_a, changed(page_form(colleague, world.patient_a),
                                                          weight_value="95"))
        assert theirs.status_code == 303, theirs.text[:800]
    before = document(world)
    assert before["patient"]["weight"] == "95 kg"

    typed = changed(opened, weight_value="80", sleep_hours="8", falls_last_12_months="3")
    response = save(page_client, world.patient_a, typed)
    assert response.status_code == 409, response.text[:800]
    assert document(world) == before  # nothing saved
    summary = response.text.split('id="form-error-summary"', 1)[1].split("</div>", 1)[0]
    assert "the Patient section of this record changed since you opened this form" in summary
    assert "History" not in summary and "Lifestyle" not in summary  # only the section that changed
    assert '<a href="#weight_value">Weight</a>: stored now 95 kg' in summary
    assert 'id="stored-weight_value">Stored now: 95 kg</span>' in response.text  # beside the field
    assert 'aria-describedby="stored-weight_value"' in response.text
    form = parsed(response.text)
    shown = dict(form.pairs)
    for key in ("weight_value", "sleep_hours", "falls_last_12_months"):
        assert shown[key] == dict(typed)[key], key  # what was typed, not what is stored
    assert shown["digest"] != dict(opened)["digest"]  # the record as it now is

    again = save(page_client, world.patient_a, form.pairs)  # saved again: the user's values win
    assert again.status_code == 303, again.text[:800]
    after = document(world)
    assert after["patient"]["weight"] == "80 kg" and after["lifestyle"]["sleep_hours"] == 8
    assert after["history"]["falls_last_12_months"] == 3
    assert outside(after) == outside(before)


def test_a_patients_lifestyle_form_conflicts_only_on_the_lifestyle(world: World,
                                                                  page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    opened = page_form(page_client, world.patient_a)
    clinician = TestClient(world.client.app)
    with clinician:
        browser_login(clinician, "dr-a")
        assert save(clinician, world.patient_a, changed(page_form(clinician, world.patient_a),
                                                        sleep_hours="9", weight_value="82")).status_code == 303
    before = document(world)
    response = save(page_client, world.patient_a, changed(opened, sleep_hours="6"))
    assert response.status_code == 409, response.text[:800]
    assert document(world) == before
    assert "the Lifestyle section of this record changed" in response.text
    form = parsed(response.text)
    assert dict(form.pairs)["sleep_hours"] == "6"
    assert 'id="stored-sleep_hours">Stored now: 9</span>' in response.text
    assert "stored-weight_value" not in response.text  # not the patient's to edit
    assert {"height_value", "weight_value"} <= form.disabled
    assert save(page_client, world.patient_a, form.pairs).status_code == 303
    after = document(world)
    assert after["lifestyle"]["sleep_hours"] == 6 and after["patient"]["weight"] == "82 kg"


def test_a_form_without_its_digest_is_refused_keeping_what_was_typed(world: World,
                                                                    page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    before = document(world)
    for digest in (None, "", "patient=abc", "lifestyle=" + "0" * 64):
        pairs = [(k, v) for k, v in changed(page_form(page_client, world.patient_a),
                                            falls_last_12_months="7") if k != "digest"]
        if digest is not None:
            pairs.append(("digest", digest))
        response = save(page_client, world.patient_a, pairs)
        assert response.status_code == 409, digest
        assert dict(parsed(response.text).pairs)["falls_last_12_months"] == "7"
        assert "could not be ruled out" in response.text
        assert "Stored now: " in response.text
    assert document(world) == before
    again = save(page_client, world.patient_a, parsed(response.text).pairs)
    assert again.status_code == 303
    assert document(world)["history"]["falls_last_12_months"] == 7


def test_the_form_needs_its_csrf_token_and_a_login(world: World, page_client: TestClient) -> None:
    url = f"/patients/{world.patient_a}/details"
    anonymous = page_client.get(url, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    browser_login(page_client, "dr-a")
    pairs = changed(page_form(page_client, world.patient_a), falls_last_12_months="9")
    before = document(world)
    without = [(k, v) for k, v in pairs if k != "csrf_token"]
    assert save(page_client, world.patient_a, without).status_code == 403
    assert save(page_client, world.patient_a,
                changed(pairs, csrf_token="not-the-token")).status_code == 403
    assert document(world) == before


FUZZED = ("height_value", "height_unit", "weight_value", "weight_unit", "menopausal_status",
          "falls_last_12_months", "prior_fragility_fractures", "smoking", "alcohol_units_per_week",
          "glucocorticoids", "dietary_calcium", "protein", "sleep_hours", "resistance_intensity",
          "diet_pattern", "food_exclusions", "training_setting", "supplement_0_name",
          "supplement_0_dose_value", "supplement_0_dose_unit", "supplement_5_name")
VALUE = st.one_of(st.sampled_from(["", "0", "1", "2.5", "-1", "1e400", "nan", "30", "900", "yes", "no",
                                   "never", "cm", "in", "lb", "IU/d", "mg/d", "vitamin_d3", "magnesium",
                                   "dairy", "vegan", "gym", "postmenopausal", "high"]),
                  st.text(max_size=10))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_generated_input_never_makes_the_form_fail(world: World, page_client: TestClient,
                                                   data: st.DataObject) -> None:
    if not page_client.cookies:
        browser_login(page_client, "dr-b")
    pairs = page_form(page_client, world.patient_b)
    typed = {name: data.draw(VALUE, label=name) for name in data.draw(
        st.lists(st.sampled_from(FUZZED), min_size=1, max_size=5, unique=True), label="inputs")}
    response = save(page_client, world.patient_b, changed(pairs, **typed))
    assert response.status_code in (303, 422), (typed, response.status_code, response.text[:300])
    if response.status_code == 422:
        assert 'id="form-error-summary"' in response.text, typed
        assert parsed(response.text).invalid or 'aria-invalid="true"' in response.text, typed


def test_a_details_save_keeps_the_entries_and_their_ids(world: World, page_client: TestClient) -> None:
    """Labs, DXA scans and medications keep their rows (ids named by open pages, API clients and the
    audit) when only the details change."""
    patient = world.patient_a
    kinds = ("labs", "dxa", "medications")

    def ids() -> dict[str, list[int]]:
        return {kind: [e["id"] for e in world.client.get(f"/api/patients/{patient}/entries/{kind}",
                                                         headers=world.token("dr-a")).json()] for kind in kinds}

    before = ids()
    assert all(before[kind] for kind in kinds)
    browser_login(page_client, "dr-a")
    saved = save(page_client, patient, changed(page_form(page_client, patient), falls_last_12_months="1"))
    assert saved.status_code == 303, saved.text[:500]
    assert document(world)["history"]["falls_last_12_months"] == 1
    assert ids() == before


def test_an_unchanged_save_keeps_every_supplement_and_number_exactly(world: World, page_client: TestClient) -> None:
    patient = world.patient_b
    doc = document(world, patient, "dr-b")
    doc["patient"]["weight"] = "151 lb"  # 68.49244787 kg: more digits than a short format keeps
    doc["lifestyle"] = {**(doc.get("lifestyle") or {}), "protein": "1.123456789 g/kg/d", "supplements": [
        {"name": "vitamin_d3", "dose": f"{400 + 100 * i} IU/d"} for i in range(5)]}
    doc.pop("revision", None)
    put = world.client.put(f"/api/patients/{patient}", json=doc, headers=world.token("dr-b"),
                           params=revision_of(world.client, patient, world.token("dr-b")))
    assert put.status_code == 200, put.text
    before = document(world, patient, "dr-b")
    browser_login(page_client, "dr-b")
    pairs = page_form(page_client, patient)
    assert {k for k, _ in pairs if k.endswith("_name") and k.startswith("supplement_")} == {
        f"supplement_{i}_name" for i in range(6)}  # all five, and a blank row for a sixth
    assert save(page_client, patient, pairs).status_code == 303
    assert document(world, patient, "dr-b") == before


def test_a_supplement_dose_without_its_unit_is_refused(world: World, page_client: TestClient) -> None:
    patient = world.patient_b
    browser_login(page_client, "dr-b")
    pairs = changed(page_form(page_client, patient), supplement_3_name="vitamin_d3",
                    supplement_3_dose_value="1000", supplement_3_dose_unit="")
    refused = save(page_client, patient, pairs)
    assert refused.status_code == 422 and "Missing unit" in refused.text
    assert 'id="supplement_3_dose_unit" name="supplement_3_dose_unit" aria-invalid="true"' in refused.text
