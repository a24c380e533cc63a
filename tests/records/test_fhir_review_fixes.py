"""FHIR R4 interchange, review fixes: person-specific content ids for transactions, ambiguous dose
timings refused, LOINC codes that fit the unit, medication status and inclusive period ends, RxNorm
products, US Core smoking status, and stricter reading of values, units and dates."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord, load_patient_file, parse_patient_document
from osteotwin.records.fhir import bundle_to_record, import_bundle, record_to_bundle
from osteotwin.records.fhir import codes as c

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
GTS = "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml"


def _via_json(bundle: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(bundle))
    return loaded


def _error(bundle: Any) -> UserInputError:
    with pytest.raises(UserInputError) as info:
        import_bundle(bundle)
    return info.value


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _coded(bundle: dict[str, Any], system: str, code: str) -> list[dict[str, Any]]:
    return [r for e in bundle["entry"] for r in [e["resource"]]
            for key in ("code", "medicationCodeableConcept")
            if any(x.get("system") == system and x.get("code") == code
                   for x in r.get(key, {}).get("coding", ()))]


def _document() -> dict[str, Any]:
    return {"version": 1, "as_of": "2025-06-01",
            "patient": {"id": "demo-001", "sex": "male", "birth_date": "1968-04-02"},
            "medications": [{"drug": "anastrozole", "dose": "0.5 mg", "every": "3.5 d",
                             "start": "2023-03-01"}],
            "labs": [{"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2024-05-01"},
                     {"test": "vitamin_d_25oh", "value": 22, "unit": "ng/mL",
                      "date": "2024-05-01"}],
            "dxa": [{"date": "2023-01-05", "site": "lumbar_spine", "bmd": "1.02 g/cm2",
                     "t_score": -1.1}]}


def _urls(bundle: dict[str, Any]) -> set[str]:
    return {e["request"]["url"] for e in bundle["entry"]}


# --------------------------------------------------------------------------------------------------
# 1. Transaction ids: person-specific, content-derived, stable
# --------------------------------------------------------------------------------------------------


def test_transaction_export_needs_a_patient_id() -> None:
    doc = _document()
    del doc["patient"]["id"]
    record = parse_patient_document(doc)
    with pytest.raises(UserInputError) as info:
        record_to_bundle(record, bundle_type="transaction")
    assert info.value.field == "patient.id" and "transaction" in info.value.problem
    assert record_to_bundle(record)["type"] == "collection"  # a collection is not PUT anywhere
    doc["patient"]["id"] = "  "
    with pytest.raises(UserInputError):
        record_to_bundle(parse_patient_document(doc), bundle_type="transaction")


def test_transaction_ids_differ_between_people_with_the_same_patient_id() -> None:
    """Two sites both using demo-001 for different people must not PUT to the same ids."""
    one = parse_patient_document(_document())
    other_doc = _document()
    other_doc["patient"].update({"sex": "female", "birth_date": "1950-07-07"})
    other = parse_patient_document(other_doc)
    a = record_to_bundle(one, bundle_type="transaction")
    b = record_to_bundle(other, bundle_type="transaction")
    assert not _urls(a) & _urls(b)
    site_a = record_to_bundle(one, bundle_type="transaction", id_namespace="https://a.example/fhir")
    site_b = record_to_bundle(one, bundle_type="transaction", id_namespace="https://b.example/fhir")
    assert not _urls(site_a) & _urls(site_b)


def test_transaction_ids_follow_content_not_position() -> None:
    """Adding a lab (review: one new lab re-pointed 31 URLs) or dropping a regimen leaves every
    other entry's id as it was; exporting again gives the same ids (uploading again updates)."""
    before = record_to_bundle(parse_patient_document(_document()), bundle_type="transaction")
    assert record_to_bundle(parse_patient_document(_document()),
                            bundle_type="transaction") == before
    more = _document()
    more["labs"].insert(0, {"test": "shbg", "value": 40, "unit": "nmol/L", "date": "2024-06-01"})
    more["medications"].insert(0, {"drug": "letrozole", "dose": "2.5 mg", "every": "1 d",
                                   "start": "2024-01-01"})
    after = record_to_bundle(parse_patient_document(more), bundle_type="transaction")
    assert _urls(before) <= _urls(after) and len(_urls(after)) == len(_urls(before)) + 2
    fewer = _document()
    fewer["medications"] = []
    dropped = record_to_bundle(parse_patient_document(fewer), bundle_type="transaction")
    assert _urls(dropped) < _urls(before) and len(_urls(dropped)) == len(_urls(before)) - 1
    # a corrected value updates the same resource
    corrected = _document()
    corrected["labs"][0]["value"] = 11
    assert _urls(record_to_bundle(parse_patient_document(corrected),
                                  bundle_type="transaction")) == _urls(before)


def test_identical_entries_get_distinct_ids() -> None:
    doc = _document()
    doc["labs"].append(copy.deepcopy(doc["labs"][0]))
    bundle = record_to_bundle(parse_patient_document(doc), bundle_type="transaction")
    urls = [e["request"]["url"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))


# --------------------------------------------------------------------------------------------------
# 2. Dose timings that could halve or double the dose are refused
# --------------------------------------------------------------------------------------------------


def _anastrozole(timing: dict[str, Any] | None = None, **dosage: Any) -> dict[str, Any]:
    dose: dict[str, Any] = {"doseAndRate": [{"doseQuantity": {"value": 1, "unit": "mg",
                                                              "system": UCUM, "code": "mg"}}]}
    if timing is not None:
        dose["timing"] = timing
    dose.update(dosage)
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1",
                                                "gender": "female", "birthDate": "1960-01-01"}},
        {"fullUrl": "urn:uuid:m1", "resource": {
            "resourceType": "MedicationStatement", "id": "m1", "status": "active",
            "subject": {"reference": "urn:uuid:p1"},
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "84857"}]},
            "effectivePeriod": {"start": "2023-01-01"}, "dosage": [dose]}}]}


DAILY = {"frequency": 1, "period": 1, "periodUnit": "d"}


@pytest.mark.parametrize(("timing", "more", "element"), [
    ({"repeat": {**DAILY, "frequencyMax": 2}}, {}, "timing.repeat.frequencyMax"),
    ({"repeat": {**DAILY, "periodMax": 2}}, {}, "timing.repeat.periodMax"),
    ({"repeat": DAILY}, {"asNeededBoolean": True}, "asNeededBoolean"),
    ({"repeat": DAILY}, {"asNeededCodeableConcept": {"text": "hot flushes"}},
     "asNeededCodeableConcept"),
    ({"repeat": {"period": 1, "periodUnit": "wk", "dayOfWeek": ["mon", "thu"]}}, {},
     "timing.repeat.dayOfWeek"),
    ({"repeat": {**DAILY, "dayOfWeek": ["mon", "wed", "fri"]}}, {}, "timing.repeat.dayOfWeek"),
    ({"repeat": {**DAILY, "timeOfDay": ["08:00:00", "20:00:00"]}}, {}, "timing.repeat.timeOfDay"),
    ({"repeat": {"period": 1, "periodUnit": "d", "when": ["MORN", "EVE"]}}, {},
     "timing.repeat.when"),
    ({"event": ["2024-01-01", "2025-01-01"]}, {}, "timing.event"),
    ({"repeat": {"frequency": 1, "period": 30, "periodUnit": "min"}}, {},
     "timing.repeat.periodUnit"),
])
def test_ambiguous_dose_timing_is_refused_by_element(timing: dict[str, Any], more: dict[str, Any],
                                                     element: str) -> None:
    err = _error(_anastrozole(timing, **more))
    assert err.field == f"Bundle.entry[1] MedicationStatement/m1.dosage[0].{element}"
    assert err.accepted


def test_days_of_week_with_matching_frequency_are_read_on_average_and_listed() -> None:
    result = import_bundle(_anastrozole({"repeat": {"frequency": 2, "period": 1, "periodUnit": "wk",
                                                    "dayOfWeek": ["mon", "thu"]}}))
    [med] = result.record.medications
    assert med.every_d == 3.5 and med.daily_dose_mg() == pytest.approx(2 / 7)
    assert any("dayOfWeek: mon, thu not kept" in line for line in result.skipped)
    weekly = bundle_to_record(_anastrozole({"repeat": {"frequency": 1, "period": 1,
                                                       "periodUnit": "wk", "dayOfWeek": ["mon"]}}))
    assert weekly.medications[0].every_d == 7.0


def test_times_of_day_matching_the_frequency_are_doses_a_day() -> None:
    record = bundle_to_record(_anastrozole({"repeat": {
        "frequency": 2, "period": 1, "periodUnit": "d", "timeOfDay": ["08:00:00", "20:00:00"]}}))
    assert record.medications[0].every_d == 0.5


# --------------------------------------------------------------------------------------------------
# 3. Lab codes fit the unit
# --------------------------------------------------------------------------------------------------


def _labs(*labs: dict[str, Any]) -> PatientRecord:
    return parse_patient_document({"version": 1, "patient": {"sex": "female",
                                                             "birth_date": "1960-01-01"},
                                   "labs": list(labs)})


def _lab(test: str, value: float, unit: str) -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": "2024-05-01"}


def test_molar_results_use_molar_loinc_codes() -> None:
    record = _labs(_lab("estradiol", 73.4, "pmol/L"), _lab("total_testosterone", 20.5, "nmol/L"))
    bundle = record_to_bundle(record)
    assert _coded(bundle, LOINC, "2243-4") == [] and _coded(bundle, LOINC, "2986-8") == []
    [e2] = _coded(bundle, LOINC, "14715-7")
    assert e2["valueQuantity"] == {"value": 73.4, "unit": "pmol/L", "system": UCUM,
                                   "code": "pmol/L"}
    [tt] = _coded(bundle, LOINC, "14913-8")
    assert tt["valueQuantity"]["code"] == "nmol/L" and tt["valueQuantity"]["value"] == 20.5
    assert bundle_to_record(_via_json(bundle)) == record


@pytest.mark.parametrize(("test", "value", "unit", "code", "mass_unit"), [
    ("vitamin_d_25oh", 75, "nmol/L", "62292-8", "ng/mL"),
    ("free_testosterone", 250, "pmol/L", "2991-8", "pg/mL"),
])
def test_molar_result_without_molar_code_is_converted_keeping_the_reported_one(
        test: str, value: float, unit: str, code: str, mass_unit: str) -> None:
    record = _labs(_lab(test, value, unit))
    bundle = _via_json(record_to_bundle(record))
    [observation] = _coded(bundle, LOINC, code)
    assert observation["valueQuantity"]["code"] == mass_unit
    assert observation["valueQuantity"]["value"] == pytest.approx(record.labs[0].value, rel=1e-11)
    [reported] = observation["extension"]
    assert reported["url"] == c.EXT_REPORTED_QUANTITY
    assert reported["valueQuantity"]["value"] == value and reported["valueQuantity"]["code"] == unit
    assert bundle_to_record(bundle) == record  # the result as reported comes back
    observation["valueQuantity"]["value"] *= 2  # edited so that the two disagree: refused
    err = _error(bundle)
    assert err.problem == "reported result and value disagree" and "Observation/" in err.field


@pytest.mark.parametrize(("code", "test", "value", "unit"), [
    ("14715-7", "estradiol", 40, "pmol/L"), ("14913-8", "total_testosterone", 20, "nmol/L")])
def test_molar_loinc_codes_are_imported(code: str, test: str, value: float, unit: str) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1",
                                                "gender": "female", "birthDate": "1960-01-01"}},
        {"fullUrl": "urn:uuid:o1", "resource": {
            "resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": "urn:uuid:p1"}, "effectiveDateTime": "2024-05-01",
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}}]}
    result = import_bundle(bundle)
    [lab] = result.record.labs
    assert (lab.test, lab.reported_value, lab.reported_unit) == (test, value, unit)
    assert result.skipped == ()


# --------------------------------------------------------------------------------------------------
# 4. Medication status on the export date; Period.end is inclusive
# --------------------------------------------------------------------------------------------------


def _regimens(*meds: dict[str, Any], as_of: str = "2025-06-01") -> PatientRecord:
    return parse_patient_document({"version": 1, "as_of": as_of,
                                   "patient": {"sex": "female", "birth_date": "1960-01-01"},
                                   "medications": list(meds)})


def _letrozole(start: str, stop: str | None = None) -> dict[str, Any]:
    med = {"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": start}
    if stop is not None:
        med["stop"] = stop
    return med


def test_status_is_active_until_the_stop_date_and_end_is_the_last_day() -> None:
    record = _regimens(_letrozole("2024-01-01", "2026-01-01"), _letrozole("2022-01-01", "2023-01-01"),
                       _letrozole("2025-09-01"), _letrozole("2023-02-01", "2025-06-01"))
    statements = _resources(record_to_bundle(record), "MedicationStatement")
    assert [s["status"] for s in statements] == ["active", "completed", "intended", "completed"]
    assert statements[0]["effectivePeriod"] == {"start": "2024-01-01", "end": "2025-12-31"}
    assert statements[1]["effectivePeriod"] == {"start": "2022-01-01", "end": "2022-12-31"}
    assert bundle_to_record(_via_json(record_to_bundle(record))) == record
    # the export date can be given (e.g. a bundle made for another day)
    later = _resources(record_to_bundle(record, as_of=date(2026, 1, 1)), "MedicationStatement")
    assert later[0]["status"] == "completed"


def test_stop_on_the_start_day_survives_a_round_trip() -> None:
    record = _regimens(_letrozole("2024-01-01", "2024-01-01"))
    [statement] = _resources(record_to_bundle(record), "MedicationStatement")
    assert "end" not in statement["effectivePeriod"]
    assert bundle_to_record(_via_json(record_to_bundle(record))) == record


def test_imported_period_end_is_the_last_day_of_use() -> None:
    bundle = _anastrozole({"repeat": DAILY})
    bundle["entry"][1]["resource"]["effectivePeriod"] = {"start": "2023-01-01",
                                                         "end": "2023-12-31T20:00:00Z"}
    [med] = bundle_to_record(bundle).medications
    assert med.stop == date(2024, 1, 1)  # patient file: the first day without the drug
    assert med.active_on(date(2023, 12, 31)) and not med.active_on(date(2024, 1, 1))


# --------------------------------------------------------------------------------------------------
# 5. RxNorm products and names
# --------------------------------------------------------------------------------------------------


def _rxnorm(code: str, display: str | None = None, *, dose: bool = True) -> dict[str, Any]:
    bundle = _anastrozole({"repeat": DAILY})
    statement = bundle["entry"][1]["resource"]
    coding = {"system": RXNORM, "code": code}
    if display is not None:
        coding["display"] = display
    statement["medicationCodeableConcept"] = {"coding": [coding]}
    if dose:
        statement["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 2.5
    else:
        del statement["dosage"][0]["doseAndRate"]
    return bundle


def test_rxnorm_product_code_is_recognised() -> None:
    result = import_bundle(_rxnorm("200064"))
    [med] = result.record.medications
    assert (med.drug, med.dose_mg) == ("letrozole", 2.5)
    assert any("RxNorm product 200064" in line for line in result.skipped)


def test_unknown_rxnorm_code_is_matched_by_name_with_a_note_and_no_dose_guess() -> None:
    result = import_bundle(_rxnorm("999999999", "letrozole 2.5 MG Oral Tablet", dose=False))
    [med] = result.record.medications
    assert med.drug == "letrozole" and med.dose_mg is None  # 2.5 MG in the name is not a dose
    [note] = [line for line in result.skipped if "matched by name" in line]
    assert "letrozole 2.5 MG Oral Tablet" in note and "not taken as the dose" in note


@pytest.mark.parametrize("display", [
    "estradiol 0.05 MG/Day / norethindrone acetate 0.14 MG/Day 72HR Transdermal System",
    "metformin 500 MG Oral Tablet", "estradiol",
    # review: a combined pill read as estradiol_oral (its hyphenated name slipped past " / ")
    "Ethinyl estradiol-levonorgestrel oral tablet", "ethinyl estradiol 0.03 MG Oral Tablet",
    "anastrozole and letrozole oral tablet"])
def test_names_that_are_not_exactly_one_drug_are_not_matched(display: str) -> None:
    result = import_bundle(_rxnorm("999999999", display))
    assert result.record.medications == ()
    assert any("not in osteotwin's drug list" in line for line in result.skipped)


def test_a_combination_named_under_any_of_its_names_is_not_matched() -> None:
    """One coding's display is a combination, the concept's text a single ingredient: not matched."""
    bundle = _rxnorm("999999999", "estradiol / norethindrone oral tablet")
    concept = bundle["entry"][1]["resource"]["medicationCodeableConcept"]
    concept["text"] = "estradiol oral tablet"
    result = import_bundle(bundle)
    assert result.record.medications == ()


# --------------------------------------------------------------------------------------------------
# 6. US Core smoking status
# --------------------------------------------------------------------------------------------------


def _smoking(concept: dict[str, Any]) -> dict[str, Any]:
    bundle = _anastrozole()
    bundle["entry"][1] = {"fullUrl": "urn:uuid:o1", "resource": {
        "resourceType": "Observation", "id": "o1", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "72166-2"}]},
        "subject": {"reference": "urn:uuid:p1"}, "valueCodeableConcept": concept}}
    return bundle


@pytest.mark.parametrize(("code", "status"), [
    ("449868002", "current"), ("428041000124106", "current"), ("77176002", "current"),
    ("428071000124103", "current"), ("428061000124105", "current"), ("8517006", "former"),
    ("266919005", "never")])
def test_us_core_smoking_codes_are_read(code: str, status: str) -> None:
    concept = {"coding": [{"system": SNOMED, "code": code}], "text": "as the EHR says it"}
    result = import_bundle(_smoking(concept))
    assert result.record.history.smoking == status and result.skipped == ()


def test_unknown_or_unreadable_smoking_status_is_listed_not_fatal() -> None:
    unknown = import_bundle(_smoking({"coding": [{"system": SNOMED, "code": "266927001",
                                                  "display": "Unknown if ever smoked"}]}))
    assert unknown.record.history.smoking is None
    assert any("unknown if ever smoked" in line for line in unknown.skipped)
    text = import_bundle(_smoking({"text": "Smokes a pipe at weekends"}))
    assert text.record.history.smoking is None
    assert any("Smokes a pipe" in line for line in text.skipped)
    assert bundle_to_record(_smoking({"text": "Never"})).history.smoking == "never"


# --------------------------------------------------------------------------------------------------
# 7. Vital-signs dates, decimals, named errors, strict FHIR JSON
# --------------------------------------------------------------------------------------------------


def test_vital_signs_without_as_of_are_dated_by_the_export_date() -> None:
    record = parse_patient_document({"version": 1, "patient": {
        "sex": "male", "birth_date": "1960-01-01", "height": "178 cm", "weight": "190 lb"}})
    bundle = record_to_bundle(record, as_of=date(2025, 2, 3))
    vitals = [o for o in _resources(bundle, "Observation")
              if o["category"][0]["coding"][0]["code"] == "vital-signs"]
    assert len(vitals) == 2 and all(o["effectiveDateTime"] == "2025-02-03" for o in vitals)
    assert all(o.get("effectiveDateTime") for o in _resources(record_to_bundle(record), "Observation")
               if o["category"][0]["coding"][0]["code"] == "vital-signs")
    assert bundle_to_record(_via_json(bundle)) == record  # as_of stays unset


def test_decimals_are_written_as_given_and_conversions_without_float_noise() -> None:
    record = parse_patient_document({"version": 1, "patient": {
        "sex": "male", "birth_date": "1960-01-01", "weight": "190 lb"},
        "labs": [{"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2024-05-01"}]})
    text = json.dumps(record_to_bundle(record))
    assert '"value": 9,' in text and '"value": 9.0' not in text
    [weight] = _coded(record_to_bundle(record), LOINC, "29463-7")
    assert weight["valueQuantity"]["value"] == 86.1825503  # not 86.18255030000002
    assert bundle_to_record(_via_json(record_to_bundle(record))) == record  # still exact


@pytest.mark.parametrize(("change", "element", "accepted"), [
    (lambda o: o["valueQuantity"].pop("value"), "valueQuantity.value", "number"),
    (lambda o: (o["valueQuantity"].pop("unit"), o["valueQuantity"].pop("code")),
     "valueQuantity.code", "pmol/L"),
    (lambda o: o.pop("effectiveDateTime"), "effectiveDateTime", "effectiveDateTime"),
])
def test_missing_lab_value_unit_or_date_names_the_fhir_element(change: Any, element: str,
                                                               accepted: str) -> None:
    bundle = _smoking({})
    bundle["entry"][1]["resource"] = {
        "resourceType": "Observation", "id": "o1", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "2243-4"}]},
        "subject": {"reference": "urn:uuid:p1"}, "effectiveDateTime": "2024-05-01",
        "valueQuantity": {"value": 20, "unit": "pg/mL", "system": UCUM, "code": "pg/mL"}}
    change(bundle["entry"][1]["resource"])
    err = _error(bundle)
    assert err.field.startswith(f"Bundle.entry[1] Observation/o1.{element}: labs[0].")
    assert accepted in err.accepted


def test_bundle_without_type_or_with_numbers_as_strings_is_invalid_fhir() -> None:
    bundle = _smoking({"text": "never"})
    del bundle["type"]
    err = _error(bundle)
    assert err.field == "Bundle.type" and err.problem == "invalid FHIR"
    bundle = record_to_bundle(load_patient_file(EXAMPLE))
    observation = next(e for e in bundle["entry"] if "valueQuantity" in e["resource"])
    observation["resource"]["valueQuantity"]["value"] = "20"
    err = _error(bundle)
    assert err.field.endswith("Observation.valueQuantity.value") and err.value == "20"
    assert err.problem == "invalid FHIR" and "JSON number" in err.accepted


def test_quantity_unit_text_contradicting_its_code_or_not_ucum_is_refused() -> None:
    bundle = _smoking({})
    bundle["entry"][1]["resource"] = {
        "resourceType": "Observation", "id": "o1", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "2243-4"}]},
        "subject": {"reference": "urn:uuid:p1"}, "effectiveDateTime": "2024-05-01",
        "valueQuantity": {"value": 20, "unit": "pg/mL", "system": UCUM, "code": "pmol/L"}}
    err = _error(bundle)
    assert err.field == "Bundle.entry[1] Observation/o1.valueQuantity.unit"
    assert err.problem == "unit and code disagree"
    bundle["entry"][1]["resource"]["valueQuantity"] = {
        "value": 73, "unit": "pmol/L", "system": "http://example.org/units", "code": "PGML"}
    assert _error(bundle).field == "Bundle.entry[1] Observation/o1.valueQuantity.system"
    bundle["entry"][1]["resource"]["valueQuantity"] = {
        "value": 20, "unit": "picogram per milliliter", "system": UCUM, "code": "pg/mL"}
    assert bundle_to_record(bundle).labs[0].reported_unit == "pg/mL"
