"""FHIR import, an interoperability review's fixes: modifier elements honoured (MedicationStatement
status, Condition verificationStatus, Quantity comparator), superseded versions and repeated entries,
the DXA Femur codes read with their bodySite, the Patient's identifiers kept with their systems,
malformed model outputs refused by name, future-dated results refused naming the bundle entry."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from osteotwin.errors import UserInputError
from osteotwin.records import load_patient_file
from osteotwin.records.fhir import codes as c
from osteotwin.records.fhir import import_bundle, record_to_bundle
from osteotwin.records.fhir.outputs import ModelOutput, Prediction

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
SUBJECT = {"reference": "urn:uuid:patient"}
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml"


def _observation(rid: str, code: str, value: float, unit: str, when: str = "2025-03-10",
                 **more: Any) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{rid}", "resource": {
        "resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT,
        "code": {"coding": [{"system": LOINC, "code": code}]}, "effectiveDateTime": when,
        "valueQuantity": {"value": value, "system": UCUM, "code": unit}, **more}}


def _statement(**more: Any) -> dict[str, Any]:
    return {"fullUrl": "urn:uuid:ms1", "resource": {
        "resourceType": "MedicationStatement", "id": "ms1", "status": "active", "subject": SUBJECT,
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "84857"}]},
        "effectivePeriod": {"start": "2024-02-01"},
        "dosage": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": 1, "system": UCUM, "code": "mg"}}]}],
        **more}}


def _bundle(*entries: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    patient = {"fullUrl": "urn:uuid:patient", "resource": {
        "resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1958-03-14"}}
    return {"resourceType": "Bundle", "type": kind, "entry": [patient, *copy.deepcopy(entries)]}


def _notes(bundle: dict[str, Any]) -> str:
    return "\n".join(import_bundle(bundle).skipped)


# --------------------------------------------------------------------------------------------------
# D1: MedicationStatement.status
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["stopped", "completed", "on-hold"])
def test_a_statement_not_taken_now_without_an_end_date_is_not_ongoing(status: str) -> None:
    result = import_bundle(_bundle(_statement(status=status)))
    assert result.record.medications == ()  # when it stopped is unknown: not imported, noted
    assert f"status {status}" in "\n".join(result.skipped)
    assert "not imported" in "\n".join(result.skipped)


def test_a_stopped_statement_is_stopped_by_the_day_it_was_asserted() -> None:
    result = import_bundle(_bundle(_statement(status="stopped", dateAsserted="2024-09-01",
                                              statusReason=[{"text": "arthralgia"}])))
    [med] = result.record.medications
    assert (med.start, med.stop) == (date(2024, 2, 1), date(2024, 9, 1))
    assert not med.active_on(date(2025, 1, 1))
    assert "dateAsserted" in "\n".join(result.skipped)
    # asserted before it started: never taken
    never = import_bundle(_bundle(_statement(status="stopped", dateAsserted="2024-01-01")))
    assert never.record.medications == () and "never taken" in "\n".join(never.skipped)


def test_a_statement_with_its_end_date_keeps_it_whatever_its_status() -> None:
    period = {"start": "2024-02-01", "end": "2024-05-31"}
    for status in ("stopped", "completed", "on-hold"):
        [med] = import_bundle(_bundle(_statement(status=status, effectivePeriod=period))
                              ).record.medications
        assert med.stop == date(2024, 6, 1)


def test_an_intended_statement_is_planned_not_current() -> None:
    undated = _statement(status="intended")
    del undated["resource"]["effectivePeriod"]
    result = import_bundle(_bundle(undated))
    assert result.record.medications == () and "status intended" in "\n".join(result.skipped)
    later = (date.today() + timedelta(days=30)).isoformat()
    [med] = import_bundle(_bundle(_statement(status="intended", effectivePeriod={"start": later}))
                          ).record.medications
    assert med.start == date.fromisoformat(later)  # a planned regimen: not active before it starts
    past = import_bundle(_bundle(_statement(status="intended")))  # "planned" from 2024: not taken
    assert past.record.medications == ()


def test_a_stopped_supplement_is_not_taken() -> None:
    statement = _statement(status="stopped", category={"coding": [
        {"system": c.CS_MEDICATION_KIND, "code": "supplement"}]})
    statement["resource"]["medicationCodeableConcept"] = {"coding": [
        {"system": c.CS_DRUG, "code": "vitamin_d3"}]}
    result = import_bundle(_bundle(statement))
    assert result.record.lifestyle.supplements == () and "supplement" in "\n".join(result.skipped)


# --------------------------------------------------------------------------------------------------
# D2: versions and repeated entries
# --------------------------------------------------------------------------------------------------


def _versions(kind: str) -> dict[str, Any]:
    new = _observation("o2", "14715-7", 45, "pmol/L", meta={"versionId": "2"}, status="corrected")
    old = _observation("o2", "14715-7", 450, "pmol/L", meta={"versionId": "1"})
    return _bundle(new, old, kind=kind)


@pytest.mark.parametrize("kind", ["history", "collection"])
def test_only_the_current_version_of_a_resource_is_imported(kind: str) -> None:
    result = import_bundle(_versions(kind))
    [lab] = result.record.labs
    assert lab.reported_value == 45
    assert "version 1 superseded" in "\n".join(result.skipped)


def test_a_history_bundle_orders_versions_by_last_updated_else_newest_first() -> None:
    bundle = _versions("history")
    for entry, updated in zip(bundle["entry"][1:], ("2025-03-10T09:00:00Z", "2025-03-11T09:00:00Z"),
                              strict=True):
        del entry["resource"]["meta"]["versionId"]
        entry["resource"]["meta"]["lastUpdated"] = updated
    assert import_bundle(bundle).record.labs[0].reported_value == 450  # updated later
    for entry in bundle["entry"][1:]:
        del entry["resource"]["meta"]
    assert import_bundle(bundle).record.labs[0].reported_value == 45  # history: newest first


def test_a_history_bundle_leaves_out_a_resource_deleted_last() -> None:
    bundle = _versions("history")
    bundle["entry"].insert(1, {"request": {"method": "DELETE", "url": "Observation/o2"},
                               "response": {"status": "204", "etag": 'W/"3"'}})
    result = import_bundle(bundle)
    assert result.record.labs == () and "deleted" in "\n".join(result.skipped)


def test_a_repeated_entry_is_left_out_and_a_conflicting_one_refused() -> None:
    lab = _observation("o2", "14715-7", 45, "pmol/L")
    result = import_bundle(_bundle(lab, lab))
    assert len(result.record.labs) == 1 and "repeats Bundle.entry[1]" in "\n".join(result.skipped)
    other = copy.deepcopy(lab)
    other["resource"]["valueQuantity"]["value"] = 450
    with pytest.raises(UserInputError) as info:
        import_bundle(_bundle(lab, other))
    assert "bdl-7" in info.value.accepted and "entry[2]" in info.value.field


def test_a_result_repeated_under_another_id_is_left_out() -> None:
    spine = _observation("o5", "24966-4", 0.861, "g/cm2", when="2025-01-20")
    copy_of = _observation("o998", "24966-4", 0.861, "g/cm2", when="2025-01-20")
    lab, lab_again = _observation("o2", "14715-7", 45, "pmol/L"), _observation("o3", "14715-7", 45,
                                                                                 "pmol/L")
    result = import_bundle(_bundle(spine, copy_of, lab, lab_again))
    assert len(result.record.dxa) == 1 and len(result.record.labs) == 1
    assert "o998: repeats" in "\n".join(result.skipped) and "o3: repeats" in "\n".join(result.skipped)


# --------------------------------------------------------------------------------------------------
# D5: DXA Femur codes and bodySite
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body_site", "site"), [
    ({"coding": [{"system": SNOMED, "code": "287679003", "display": "Left hip"}],
      "text": "Left total hip"}, "total_hip"),
    ({"text": "Neck of left femur"}, "femoral_neck"),
    ({"coding": [{"system": SNOMED, "code": "0", "display": "Femoral neck"}]}, "femoral_neck"),
])
def test_a_dxa_femur_code_takes_its_site_from_the_body_site(body_site: dict[str, Any],
                                                            site: str) -> None:
    femur = _observation("o7", "38263-0", -2.2, "1", when="2025-01-20", bodySite=body_site)
    [scan] = import_bundle(_bundle(femur)).record.dxa
    assert (scan.site, scan.t_score) == (site, -2.2)


@pytest.mark.parametrize("body_site", [None, {"text": "Left femur"}])
def test_a_dxa_femur_code_without_a_site_it_names_is_not_imported(body_site: Any) -> None:
    femur = _observation("o7", "38263-0", -2.2, "1", when="2025-01-20")
    if body_site is not None:
        femur["resource"]["bodySite"] = body_site
    result = import_bundle(_bundle(femur))
    assert result.record.dxa == () and "DXA Femur" in "\n".join(result.skipped)


# --------------------------------------------------------------------------------------------------
# D6: Condition.verificationStatus
# --------------------------------------------------------------------------------------------------


def _condition(status: str, text: str) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{status}", "resource": {
        "resourceType": "Condition", "id": status, "subject": SUBJECT, "code": {"text": text},
        "verificationStatus": {"coding": [{"system": VERIFICATION, "code": status}]}}}


def test_an_unconfirmed_condition_keeps_its_qualifier() -> None:
    result = import_bundle(_bundle(_condition("provisional", "Hip fracture"),
                                   _condition("differential", "Bone metastases")))
    assert result.record.history.conditions == (
        "Hip fracture (verification status: provisional)",
        "Bone metastases (verification status: differential)")
    assert "not as a confirmed condition" in "\n".join(result.skipped)


@pytest.mark.parametrize("status", ["unconfirmed", "provisional", "differential"])
def test_an_unconfirmed_history_flag_is_not_imported(status: str) -> None:
    record = load_patient_file(EXAMPLE).model_copy(update={"history": load_patient_file(
        EXAMPLE).history.model_copy(update={"glucocorticoids": True})})
    bundle = json.loads(json.dumps(record_to_bundle(record)))
    for entry in bundle["entry"]:
        if "history.glucocorticoids" in json.dumps(entry["resource"].get("code")):
            entry["resource"]["verificationStatus"]["coding"][0]["code"] = status
    result = import_bundle(bundle)
    assert result.record.history.glucocorticoids is None
    assert f"verificationStatus {status}" in "\n".join(result.skipped)


# --------------------------------------------------------------------------------------------------
# D7: Quantity.comparator
# --------------------------------------------------------------------------------------------------


def test_a_value_with_a_comparator_is_a_bound_not_a_value() -> None:
    spine_t = _observation("o6", "38267-1", -1.8, "1", when="2025-01-20")
    height = _observation("o50", "8302-2", 160, "cm")
    weight = _observation("o51", "29463-7", 50, "kg")
    estradiol = _observation("o3", "2243-4", 12, "pg/mL")
    for entry, comparator in ((spine_t, "<"), (height, ">"), (weight, "<"), (estradiol, "<")):
        entry["resource"]["valueQuantity"]["comparator"] = comparator
    result = import_bundle(_bundle(spine_t, height, weight, estradiol))
    record, notes = result.record, "\n".join(result.skipped)
    assert record.dxa == () and record.labs == ()
    assert record.patient.height_cm is None and record.patient.weight_kg is None
    assert "height >160 cm is a bound" in notes and "weight <50 kg is a bound" in notes
    assert "estradiol <12 pg/mL is a bound" in notes  # the unit from the UCUM code


# --------------------------------------------------------------------------------------------------
# D10: Patient identifiers
# --------------------------------------------------------------------------------------------------


def test_identifiers_keep_their_systems_and_a_national_one_is_never_the_id() -> None:
    bundle = _bundle()
    bundle["entry"][0]["resource"]["identifier"] = [
        {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "123-45-6789"},
        {"system": "http://hospital.example.org/visit", "value": "V-1"},
        {"system": "http://hospital.example.org/mrn", "value": "MRN-7788",
         "type": {"coding": [{"system": V2_0203, "code": "MR"}]}}]
    result = import_bundle(bundle)
    record, notes = result.record, "\n".join(result.skipped)
    assert record.patient.id == "MRN-7788"  # the medical record number, not the SSN
    assert "123-45-6789" not in json.dumps(record.model_dump(mode="json")) + notes
    assert "us-ssn" in notes and "http://hospital.example.org/mrn|MRN-7788" in notes
    exported = record_to_bundle(record)["entry"][0]["resource"]["identifier"]
    assert {"system": "http://hospital.example.org/mrn", "value": "MRN-7788",
            "type": {"coding": [{"system": V2_0203, "code": "MR"}]}} in exported
    assert {"system": "http://hospital.example.org/visit", "value": "V-1"} in exported
    assert import_bundle(json.loads(json.dumps(record_to_bundle(record)))).record == record


def test_only_national_identifiers_leave_the_resource_id() -> None:
    bundle = _bundle()
    bundle["entry"][0]["resource"]["identifier"] = [
        {"value": "X1", "type": {"coding": [{"system": V2_0203, "code": "PPN"}]}}]
    result = import_bundle(bundle)
    assert result.record.patient.id == "p1" and "resource id" in "\n".join(result.skipped)


# --------------------------------------------------------------------------------------------------
# D11: malformed model outputs
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "element"), [
    (lambda p: p["extension"][0]["valueQuantity"].pop("value"), "valueQuantity.value"),
    (lambda p: p["extension"][1]["valueRange"].pop("low"), "valueRange.low.value"),
    (lambda p: p["outcome"]["coding"][0].pop("code"), "outcome.coding[0].code"),
])
def test_a_malformed_model_output_is_refused_by_name(change: Any, element: str) -> None:
    output = ModelOutput(kind="simulation", model="osteotwin", predictions=(Prediction(
        outcome="estradiol_pg_ml", label="estradiol", years=1.0, value=20.0, unit="pg/mL",
        interval=(10.0, 30.0)),))
    bundle = json.loads(json.dumps(record_to_bundle(load_patient_file(EXAMPLE),
                                                    model_outputs=[output])))
    risk = next(e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "RiskAssessment")
    change(risk["prediction"][0])
    with pytest.raises(UserInputError) as info:
        import_bundle(bundle)
    assert "RiskAssessment/" in info.value.field and element in info.value.field


# --------------------------------------------------------------------------------------------------
# D3, D13: future-dated results, refused naming the bundle entry
# --------------------------------------------------------------------------------------------------


def test_a_future_dated_result_is_refused_naming_the_entry() -> None:
    later = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(UserInputError) as info:
        import_bundle(_bundle(_observation("o2", "14715-7", 45, "pmol/L", when=later)))
    assert info.value.field.startswith("Bundle.entry[1] Observation/o2: labs[0].date")
    assert info.value.problem.startswith("date in the future")


def test_osteotwins_own_statements_are_read_by_their_dates() -> None:
    """Its status is derived from the dates on the export date (``--as-of``), which may be after
    the record's as_of: the dates are read, so the round trip loses nothing."""
    record = load_patient_file(EXAMPLE)
    stopped = record.medications[0].model_copy(update={"stop": date(2025, 9, 1)})
    record = record.model_copy(update={"medications": (stopped, *record.medications[1:])})
    bundle = json.loads(json.dumps(record_to_bundle(record, as_of=date(2026, 1, 1))))
    assert "completed" in {e["resource"].get("status") for e in bundle["entry"]}
    assert import_bundle(bundle).record == record
